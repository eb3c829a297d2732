package report

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

func findings(n int, msg func(i int) string) []scan.Finding {
	fs := make([]scan.Finding, n)
	for i := range fs {
		sev := scan.Warning
		if i%7 == 0 {
			sev = scan.Error
		}
		fs[i] = scan.Finding{
			Rule: scan.ReadOnlyRootFS.ID, Checklist: []string{"pods.immutable-fs"}, Severity: sev,
			Message: msg(i), File: fmt.Sprintf("deploy/app-%05d.yaml", i), Line: 3, Column: 5,
			Object:      &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: fmt.Sprint("app-", i)},
			Path:        "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
			Fingerprint: fmt.Sprintf("%032x", i), Precision: "exact",
		}
	}
	return fs
}

func TestSARIFResultLimit(t *testing.T) {
	r := New(Tool{Name: "kubeharden", Version: "1.0.0"}, findings(MaxSARIFResults+50, func(i int) string { return "msg" }), 1, 1)
	log, err := SARIF{Rules: scan.All}.Build(r)
	if err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != MaxSARIFResults {
		t.Fatalf("%d results, want %d", len(run.Results), MaxSARIFResults)
	}
	errors := 0
	for _, res := range run.Results {
		if *res.Level == "error" {
			errors++
		}
	}
	if want := (MaxSARIFResults + 50 + 6) / 7; errors != want {
		t.Errorf("kept %d errors, want all %d: the most severe are kept", errors, want)
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 1 || !strings.Contains(*notes[0].Message.Text, "25000") {
		t.Errorf("no notification about the limit: %v", notes)
	}
}

func TestSARIFSizeLimit(t *testing.T) {
	random := func(int) string {
		b := make([]byte, 400)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	r := New(Tool{Name: "kubeharden", Version: "1.0.0"}, findings(MaxSARIFResults, random), 1, 1)
	err := SARIF{Rules: scan.All}.Write(&bytes.Buffer{}, r)
	if err == nil || !strings.Contains(err.Error(), "10 MB") {
		t.Errorf("want the 10 MB limit error, got %v", err)
	}
}

// TestSARIFEmpty: a clean scan has every rule and an empty results array.
func TestSARIFEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := (SARIF{Rules: scan.All}).Write(&b, New(Tool{Name: "kubeharden", Version: "1.0.0"}, nil, 0, 0)); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log["runs"].([]any)[0].(map[string]any)
	if res, ok := run["results"].([]any); !ok || len(res) != 0 {
		t.Errorf("results = %v, want []", run["results"])
	}
	if rules := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any); len(rules) != len(scan.All) {
		t.Errorf("%d rules, want every rule that ran (%d)", len(rules), len(scan.All))
	}
	if strings.Contains(b.String(), "null") {
		t.Error("null in SARIF output")
	}
}

func TestStepSummaryCap(t *testing.T) {
	long := strings.Repeat("a long message about a container ", 10)
	r := New(Tool{Name: "kubeharden", Version: "1.0.0"}, findings(8000, func(int) string { return long }), 8000, 8000)
	var b bytes.Buffer
	if err := (StepSummary{Server: "https://github.com", Repository: "a/b", SHA: "abc", FailOn: scan.Error}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > MaxStepSummary {
		t.Errorf("summary is %d bytes, over GitHub's 1 MiB", b.Len())
	}
	if !strings.Contains(b.String(), "more findings not listed") {
		t.Error("no note of the findings left out")
	}
}

func TestMarkdownEscaping(t *testing.T) {
	f := findings(1, func(int) string { return "a|b <script> `x` [l](u)" })
	r := New(Tool{Name: "kubeharden", Version: "1"}, f, 1, 1)
	var b bytes.Buffer
	if err := (StepSummary{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>") || strings.Contains(b.String(), "a|b") {
		t.Errorf("message not escaped:\n%s", b.String())
	}
}

func TestStepSummaryCharts(t *testing.T) {
	r := New(Tool{Name: "kubeharden", Version: "1"}, nil, 3, 5)
	r.Charts = []Chart{{Dir: "charts/web", ValueSets: []string{"default", "prod"}}}
	r.Overlays = []string{"deploy/overlays/prod"}
	var b bytes.Buffer
	if err := (StepSummary{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| `charts/web` | default, prod |") || !strings.Contains(b.String(), "- `deploy/overlays/prod`") {
		t.Errorf("charts or overlays not listed:\n%s", b.String())
	}
}

// TestSARIFSuppressions: an accepted finding carries kind, status
// "accepted" and justification, and nothing is null: upload-sarif's
// schema check refuses a null where it wants a string or an object.
func TestSARIFSuppressions(t *testing.T) {
	fs := findings(2, func(int) string { return "msg" })
	fs[0].Suppressed = &scan.Suppression{Kind: "annotation", Justification: "reviewed"}
	fs[1].Suppressed = &scan.Suppression{Kind: "baseline", Justification: "accepted in the baseline b.json"}
	var b bytes.Buffer
	if err := (SARIF{Rules: scan.All}).Write(&b, New(Tool{Name: "kubeharden", Version: "1.0.0"}, fs, 2, 2)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "null") {
		t.Errorf("null in SARIF output:\n%s", b.String())
	}
	var log struct {
		Runs []struct {
			Results []struct{ Suppressions []map[string]any }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"kind": "inSource", "status": "accepted", "justification": "reviewed"},
		{"kind": "external", "status": "accepted", "justification": "accepted in the baseline b.json"},
	}
	for i, res := range log.Runs[0].Results {
		if len(res.Suppressions) != 1 || fmt.Sprint(res.Suppressions[0]) != fmt.Sprint(want[i]) {
			t.Errorf("result %d: suppressions %v, want [%v]", i, res.Suppressions, want[i])
		}
	}
}
