package github

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

// The rules of the hand-built report: ids no scan registers, so that a
// writer that looks a rule up anywhere but in the report finds nothing.
// The title holds what a property must escape.
var (
	testPrivileged = &scan.Check{ID: "test-privileged", Title: "Container is privileged: 100%, really", Severity: scan.Error,
		Checklist: []string{"pods.privileged"}, Remediation: "Set securityContext.privileged to false."}
	testTag = &scan.Check{ID: "test-latest-tag", Title: "Image uses latest", Severity: scan.Warning,
		Checklist: []string{"pods.images"}, Remediation: "Pin the image by *digest*."}
	testCredential = &scan.Check{ID: "test-credential", Title: "Credential in plain text", Severity: scan.Error,
		Checklist: []string{"staying-secure.secrets"}, Remediation: "Move the value to a Secret store."}
)

// hostile is a message as a pull request could make one: workflow
// commands, escapes, Markdown, a mention and HTML.
const hostile = "Deployment \"shop/web\": image \"a:latest\" %0A 100% ::error file=x::forged\r\n::warning::two\r::notice::three, ##[error]four @octocat *bold* _it_ a|b <b>x</b> [l](http://x) `c`"

// hostileFile is a file name with what a property must escape.
const hostileFile = "deploy/we:b,1%.yaml"

// testReport is a small report: findings in two files, one suppressed
// by an annotation, one accepted by the baseline, a credential, a finding
// whose message and file are hostile, and one with a fix.
func testReport() *report.Report {
	web := &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	fs := []scan.Finding{
		{Rule: testPrivileged.ID, Checklist: testPrivileged.Checklist, Severity: scan.Error, Message: `Deployment "shop/web": container "web" is privileged`,
			File: hostileFile, Line: 12, Column: 9, Object: web, Path: "spec.template.spec.containers[0].securityContext.privileged",
			Fingerprint: "fp-privileged", Precision: "exact", Fix: &scan.Fix{Line: 12, Text: "          privileged: false"}},
		{Rule: testTag.ID, Checklist: testTag.Checklist, Severity: scan.Warning, Message: hostile,
			File: hostileFile, Line: 20, Column: 11, Object: web, Path: "spec.template.spec.containers[0].image", Fingerprint: "fp-tag", Precision: "exact"},
		{Rule: testTag.ID, Checklist: testTag.Checklist, Severity: scan.Note, Message: `Deployment "shop/db": image "db:latest" has no digest`,
			File: "deploy/db.yaml", Line: 7, Column: 11, Fingerprint: "fp-db", Precision: "exact"},
		{Rule: testPrivileged.ID, Checklist: testPrivileged.Checklist, Severity: scan.Error, Message: `Deployment "shop/db": container "db" is privileged, accepted`,
			File: "deploy/db.yaml", Line: 9, Column: 9, Fingerprint: "fp-db-privileged", Precision: "exact",
			Suppressed: &scan.Suppression{Kind: "annotation", Justification: "the db needs it"}},
		{Rule: testTag.ID, Checklist: testTag.Checklist, Severity: scan.Warning, Message: `Deployment "shop/db": image "db:latest", in the baseline`,
			File: "deploy/db.yaml", Line: 8, Column: 11, Fingerprint: "fp-db-tag", Precision: "exact",
			Suppressed: &scan.Suppression{Kind: "baseline", Justification: "in baseline.json"}},
		{Rule: testCredential.ID, Checklist: testCredential.Checklist, Severity: scan.Error, Message: `Secret "shop/creds": data.token holds a generic-api-key (REDACTED)`,
			File: "secrets/creds.yaml", Line: 5, Column: 10, Fingerprint: "fp-cred", Precision: "exact", SecretKind: "generic-api-key"},
	}
	r := report.New(report.Tool{Name: "kubeharden", Version: "1.2.3"}, fs, 3, 4)
	r.Rules = report.Rules{testPrivileged, testTag, testCredential}
	return r
}

func write(t *testing.T, w report.Writer, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// commandLine is a workflow command as the runner reads it.
var commandLine = regexp.MustCompile(`^::(error|warning|notice)( [^:]*)?::(.*)$`)

// unescapeProperty reverses the escaping of a workflow command property.
var unescapeProperty = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace

// TestAnnotationsWriter: one command per open finding, none for accepted
// ones; every line the runner reads is one of ours (a message can start
// no line, with :: or anything else, and holds no ##[); properties escape
// %, CR, LF, : and , and read back as the file and the report's rule
// title.
func TestAnnotationsWriter(t *testing.T) {
	r := testReport()
	out := write(t, Annotations{}, r)
	lines := regexp.MustCompile(`\r\n|\r|\n`).Split(strings.TrimSuffix(out, "\n"), -1)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (one per open finding):\n%s", len(lines), out)
	}
	if strings.Contains(out, "##[") {
		t.Errorf("a ##[ command survives:\n%s", out)
	}
	levels := map[string]int{}
	for _, l := range lines {
		m := commandLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("a line that is not one annotation: %q", l)
			continue
		}
		levels[m[1]]++
		props := map[string]string{}
		for _, kv := range strings.Split(strings.TrimPrefix(m[2], " "), ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.ContainsAny(v, ":,\r\n") || regexp.MustCompile(`%($|[^0-9A-F]|.$|.[^0-9A-F])`).MatchString(v) {
				t.Errorf("property %q is not escaped in %q", kv, l)
			}
			props[k] = unescapeProperty(v)
		}
		if !slices.Contains([]string{hostileFile, "deploy/db.yaml", "secrets/creds.yaml"}, props["file"]) || props["line"] == "" || props["col"] == "" {
			t.Errorf("properties %v of %q", props, l)
		}
		if props["file"] == hostileFile && props["line"] == "12" && props["title"] != "test-privileged: "+testPrivileged.Title {
			t.Errorf("title %q, want the report's rule's", props["title"])
		}
	}
	if levels["error"] != 2 || levels["warning"] != 1 || levels["notice"] != 1 {
		t.Errorf("levels %v, want 2 errors, 1 warning, 1 notice", levels)
	}
	if strings.Contains(out, "accepted") || strings.Contains(out, "in the baseline") {
		t.Errorf("an accepted finding is annotated:\n%s", out)
	}

	// Past 10 a level, one notice counts the rest.
	var many []scan.Finding
	for i := range 12 {
		many = append(many, scan.Finding{Rule: testPrivileged.ID, Severity: scan.Error, Message: "m", File: fmt.Sprintf("f%d.yaml", i), Line: 1, Column: 1})
	}
	out = write(t, Annotations{}, report.New(report.Tool{}, many, 12, 12))
	if n := strings.Count(out, "::error "); n != AnnotationsPerLevel {
		t.Errorf("%d error annotations, want %d", n, AnnotationsPerLevel)
	}
	if !strings.Contains(out, "::notice::kubeharden: 2 more findings not annotated") {
		t.Errorf("no notice of the hidden findings:\n%s", out)
	}
}

// TestFencedWriter: what the runner reads from a fenced report is one
// stop-commands pair around the report, with a token the report does not
// contain.
func TestFencedWriter(t *testing.T) {
	out := write(t, Fenced{Writer: report.Text{}}, testReport())
	m := regexp.MustCompile(`^::stop-commands::([0-9a-f]{32})\n`).FindStringSubmatch(out)
	if m == nil || !strings.HasSuffix(out, "\n::"+m[1]+"::\n") || strings.Count(out, m[1]) != 2 {
		t.Fatalf("not fenced:\n%s", out)
	}
	if !strings.Contains(out, "::error file=x::forged") {
		t.Error("the report is not inside the fence")
	}
}

// TestStepSummaryWriter: the verdict follows the threshold and the scope;
// counts leave accepted findings out; scanned text is inert Markdown (no
// mention, no HTML, no table broken, no emphasis or link); rules that
// fired carry the report's remediation; links point at the commit.
func TestStepSummaryWriter(t *testing.T) {
	r := testReport()
	sum := StepSummary{Server: "https://github.com", Repository: "acme/shop", SHA: "0123abc", FailOn: scan.Error}
	out := write(t, sum, r)
	for _, want := range []string{
		"## ❌ kubeharden failed: 2 errors, 1 warning, 1 note\n",
		"2 findings accepted",
		"@&#8203;octocat",
		"a\\|b",
		"&lt;b&gt;x&lt;/b&gt;",
		"\\*bold\\*",
		"\\_it\\_",
		"\\[l\\](http://x)",
		"| [`test-privileged`](https://github.com/kubeharden/kubeharden/blob/main/docs/rules.md#test-privileged) | 1 | Set securityContext.privileged to false. |",
		"Pin the image by \\*digest\\*.",
		"(https://github.com/acme/shop/blob/0123abc/deploy/we%3Ab,1%25.yaml#L12)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the summary:\n%s", want, out)
		}
	}
	for _, bad := range []string{"@octocat", "<b>", "\r", "*bold*", "the db needs it", "in the baseline"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q in the summary:\n%s", bad, out)
		}
	}
	// A message breaks no line: every row of the findings table is one
	// line with its four cells.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| error |") || strings.HasPrefix(l, "| warning |") || strings.HasPrefix(l, "| note |") {
			if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1)); n != 5 {
				t.Errorf("a row of %d cells: %q", n-1, l)
			}
		}
	}
	sum.FailOn = 0
	if out := write(t, sum, r); !strings.HasPrefix(out, "## ✅ kubeharden passed") {
		t.Errorf("fail-on none: %s", strings.SplitN(out, "\n", 2)[0])
	}
	sum.FailOn = scan.Error
	for i := range r.Findings {
		r.Findings[i].OutOfScope = r.Findings[i].Severity >= scan.Error
	}
	if out := write(t, sum, r); !strings.HasPrefix(out, "## ✅ kubeharden passed") {
		t.Errorf("no error in scope: %s", strings.SplitN(out, "\n", 2)[0])
	}
}

// TestOutputs: the outputs are exactly those action.yml declares, counts
// leave accepted findings out, and the result follows fail-on and the
// scope.
func TestOutputs(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	r := testReport()
	got := Outputs(r, scan.Error, "k.sarif")
	if keys, want := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(action.Outputs)); !slices.Equal(keys, want) {
		t.Errorf("outputs %v, action.yml declares %v", keys, want)
	}
	want := map[string]string{"sarif-file": "k.sarif", "findings": "4", "errors": "2", "warnings": "1", "result": "fail"}
	if !maps.Equal(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
	if got := Outputs(r, 0, "")["result"]; got != "pass" {
		t.Errorf("fail-on none: result %s", got)
	}
	for i := range r.Findings {
		r.Findings[i].OutOfScope = r.Findings[i].File != "deploy/db.yaml"
	}
	if got := Outputs(r, scan.Error, "")["result"]; got != "pass" {
		t.Errorf("no error in scope: result %s", got)
	}
}
