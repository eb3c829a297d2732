package report

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// The rules of the hand-built report: ids no scan registers, so that a
// writer that looks a rule up anywhere but in the report finds nothing.
var (
	testPrivileged = &scan.Check{ID: "test-privileged", Title: "Container is privileged", Severity: scan.Error,
		Checklist: []string{"pods.privileged"}, Remediation: "Set securityContext.privileged to false."}
	testTag = &scan.Check{ID: "test-latest-tag", Title: "Image uses :latest", Severity: scan.Warning,
		Checklist: []string{"pods.images"}, Remediation: "Pin the image by digest."}
	testCredential = &scan.Check{ID: "test-credential", Title: "Credential in plain text", Severity: scan.Error,
		Checklist: []string{"staying-secure.secrets"}, Remediation: "Move the value to a Secret store."}
)

// hostile is a message as a pull request could make one: workflow
// commands, escapes, Markdown, a mention and HTML.
const hostile = "Deployment \"shop/web\": image \"a:latest\" %0A 100% ::error file=x::forged\r\n::warning::two, ##[error]three @octocat *bold* a|b <b>x</b>"

// testReport is a small report: findings in two files, one suppressed
// by an annotation, one accepted by the baseline, a credential, a finding
// whose message is hostile, and one with a fix.
func testReport() *Report {
	web := &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	fs := []scan.Finding{
		{Rule: testPrivileged.ID, Checklist: testPrivileged.Checklist, Severity: scan.Error, Message: `Deployment "shop/web": container "web" is privileged`,
			File: "deploy/web.yaml", Line: 12, Column: 9, Object: web, Path: "spec.template.spec.containers[0].securityContext.privileged",
			Fingerprint: "fp-privileged", Precision: "exact", Fix: &scan.Fix{Line: 12, Text: "          privileged: false"}},
		{Rule: testTag.ID, Checklist: testTag.Checklist, Severity: scan.Warning, Message: hostile,
			File: "deploy/web.yaml", Line: 20, Column: 11, Object: web, Path: "spec.template.spec.containers[0].image", Fingerprint: "fp-tag", Precision: "exact"},
		{Rule: testTag.ID, Checklist: testTag.Checklist, Severity: scan.Note, Message: `Deployment "shop/db": image "db:latest" has no digest`,
			File: "deploy/db.yaml", Line: 7, Column: 11, Fingerprint: "fp-db", Precision: "exact"},
		{Rule: testPrivileged.ID, Checklist: testPrivileged.Checklist, Severity: scan.Error, Message: `Deployment "shop/db": container "db" is privileged`,
			File: "deploy/db.yaml", Line: 9, Column: 9, Fingerprint: "fp-db-privileged", Precision: "exact",
			Suppressed: &scan.Suppression{Kind: "annotation", Justification: "the db needs it"}},
		{Rule: testTag.ID, Checklist: testTag.Checklist, Severity: scan.Warning, Message: `Deployment "shop/db": image "db:latest"`,
			File: "deploy/db.yaml", Line: 8, Column: 11, Fingerprint: "fp-db-tag", Precision: "exact",
			Suppressed: &scan.Suppression{Kind: "baseline", Justification: "in baseline.json"}},
		{Rule: testCredential.ID, Checklist: testCredential.Checklist, Severity: scan.Error, Message: `Secret "shop/creds": data.token holds a generic-api-key (REDACTED)`,
			File: "secrets/creds.yaml", Line: 5, Column: 10, Fingerprint: "fp-cred", Precision: "exact", SecretKind: "generic-api-key"},
	}
	r := New(Tool{Name: "kubeharden", Version: "1.2.3"}, fs, 3, 4)
	r.Rules = Rules{testPrivileged, testTag, testCredential}
	return r
}

func write(t *testing.T, w Writer, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTextWriter: findings grouped under their file, accepted ones left
// out but counted, colour only when asked.
func TestTextWriter(t *testing.T) {
	r := testReport()
	for _, tc := range []struct {
		name  string
		color bool
	}{{"plain", false}, {"color", true}} {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, Text{Color: tc.color}, r)
			if got := strings.Contains(out, "\x1b["); got != tc.color {
				t.Errorf("escape codes %v, want %v:\n%s", got, tc.color, out)
			}
			plain := out
			for _, code := range []string{bold, red, yellow, cyan, dim, reset} {
				plain = strings.ReplaceAll(plain, code, "")
			}
			// Each file heads its findings once, in the report's order.
			var files []string
			var rows int
			for _, l := range strings.Split(plain, "\n") {
				switch {
				case strings.HasPrefix(l, "  "):
					rows++
				case strings.HasPrefix(l, "deploy/") || strings.HasPrefix(l, "secrets/"):
					files = append(files, l)
				}
			}
			if want := []string{"deploy/web.yaml", "deploy/db.yaml", "secrets/creds.yaml"}; !reflect.DeepEqual(files, want) {
				t.Errorf("file headings %q, want %q", files, want)
			}
			if rows < 4 {
				t.Errorf("%d finding rows, want 4 (the two accepted ones left out):\n%s", rows, plain)
			}
			if strings.Contains(plain, "the db needs it") || strings.Contains(plain, `container "db" is privileged`) {
				t.Errorf("an accepted finding is listed:\n%s", plain)
			}
			for _, want := range []string{
				"  deploy/web.yaml:12:9  error    test-privileged  Deployment \"shop/web\": container \"web\" is privileged\n",
				"  deploy/db.yaml:7:11  note     test-latest-tag",
				"2 errors, 1 warning, 1 note in 3 files (4 objects scanned); 2 accepted",
			} {
				if !strings.Contains(plain, want) {
					t.Errorf("no %q in:\n%s", want, plain)
				}
			}
		})
	}
}

// TestJSONWriter: the JSON report reads back into the same findings,
// accepted ones and fixes included, and the same counts; a legacy
// workflow command in a message is no longer one in the text.
func TestJSONWriter(t *testing.T) {
	r := testReport()
	out := write(t, JSON{}, r)
	if strings.Contains(out, "##[") {
		t.Errorf("a ##[ command survives in the JSON text")
	}
	// A severity is written by name; the rest of a finding reads back as
	// scan.Finding.
	type jsonFinding struct {
		scan.Finding
		Severity string `json:"severity"`
	}
	var back struct {
		Tool     Tool          `json:"tool"`
		Findings []jsonFinding `json:"findings"`
		Summary  Summary       `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	var findings []scan.Finding
	for _, f := range back.Findings {
		sev, err := scan.ParseSeverity(f.Severity)
		if err != nil {
			t.Fatal(err)
		}
		f.Finding.Severity = sev
		findings = append(findings, f.Finding)
	}
	if !reflect.DeepEqual(findings, r.Findings) {
		t.Errorf("findings do not round-trip:\n got %+v\nwant %+v", findings, r.Findings)
	}
	if !reflect.DeepEqual(back.Summary, r.Summary) || back.Tool != r.Tool {
		t.Errorf("summary %+v tool %+v, want %+v %+v", back.Summary, back.Tool, r.Summary, r.Tool)
	}
	if back.Summary.Suppressed != 2 || back.Summary.Findings["error"] != 2 {
		t.Errorf("counts %+v: want 2 accepted and 2 errors", back.Summary)
	}
	// An empty report is an empty list, not null.
	if out := write(t, JSON{}, New(Tool{}, nil, 0, 0)); !strings.Contains(out, `"findings": []`) {
		t.Errorf("empty report:\n%s", out)
	}
}

// TestJSONWriterStreams: the JSON report, written a finding at a time, is
// byte for byte what one json.Encoder with two-space indents writes of the
// whole report, "##[" rewritten, for reports of no, one and many findings.
func TestJSONWriterStreams(t *testing.T) {
	one := testReport()
	one.Findings = one.Findings[1:2]
	// Past one batch of pieces (16 pieces of 256), the last piece short.
	thousands := testReport()
	for len(thousands.Findings) < 16*256*2+100 {
		f := thousands.Findings[len(thousands.Findings)%3]
		f.Line = len(thousands.Findings)
		thousands.Findings = append(thousands.Findings, f)
	}
	for name, r := range map[string]*Report{"empty": New(Tool{}, nil, 0, 0), "one": one, "many": testReport(), "thousands": thousands} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(b.String(), "##[", `##\u005b`)
		if got := write(t, JSON{}, r); got != want {
			t.Errorf("%s: the streamed report differs:\n%s\nwant\n%s", name, got, want)
		}
	}
}

// TestWritersUseReportRules: the remediation CI formats print is the
// report's rule's; a rule the report does not hold adds none.
func TestWritersUseReportRules(t *testing.T) {
	r := testReport()
	for _, w := range []Writer{Checkstyle{}, GitLab{}, JUnit{FailOn: scan.Error}} {
		if out := write(t, w, r); !strings.Contains(out, testPrivileged.Remediation) {
			t.Errorf("%T: no remediation of the report's rule:\n%s", w, out)
		}
	}
	r.Rules = nil
	for _, w := range []Writer{Checkstyle{}, GitLab{}, JUnit{FailOn: scan.Error}} {
		if out := write(t, w, r); strings.Contains(out, testPrivileged.Remediation) {
			t.Errorf("%T: a remediation from outside the report", w)
		}
	}
}

// TestIndentJSON: indentJSON indents as json.Indent does, on values of
// every JSON shape: empty and nested objects and arrays, strings holding
// punctuation, quotes and escapes, numbers, literals.
func TestIndentJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var value func(depth int) any
	value = func(depth int) any {
		switch k := rng.Intn(8); {
		case k == 0 && depth < 5:
			m := map[string]any{}
			for range rng.Intn(4) {
				m[randomJSONString(rng)] = value(depth + 1)
			}
			return m
		case k == 1 && depth < 5:
			var a []any
			for range rng.Intn(4) {
				a = append(a, value(depth+1))
			}
			return a
		case k == 2:
			return rng.Float64() * 1e6
		case k == 3:
			return rng.Intn(2) == 0
		case k == 4:
			return nil
		}
		return randomJSONString(rng)
	}
	for range 5000 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(value(0)); err != nil {
			t.Fatal(err)
		}
		src := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
		var want bytes.Buffer
		if err := json.Indent(&want, src, "    ", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, src, "    ", "  "); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%s:\n%s\njson.Indent:\n%s", src, got, want.Bytes())
		}
	}
}

func randomJSONString(rng *rand.Rand) string {
	const chars = `ab{}[],:"\ ` + "\n\t\u2028é<>&#"
	r := []rune(chars)
	var sb strings.Builder
	for range rng.Intn(8) {
		sb.WriteRune(r[rng.Intn(len(r))])
	}
	return sb.String()
}
