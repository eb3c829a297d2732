package github

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
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

func TestStepSummaryCap(t *testing.T) {
	long := strings.Repeat("a long message about a container ", 10)
	r := report.New(report.Tool{Name: "kubeharden", Version: "1.0.0"}, findings(8000, func(int) string { return long }), 8000, 8000)
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
	r := report.New(report.Tool{Name: "kubeharden", Version: "1"}, f, 1, 1)
	var b bytes.Buffer
	if err := (StepSummary{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>") || strings.Contains(b.String(), "a|b") {
		t.Errorf("message not escaped:\n%s", b.String())
	}
}

func TestStepSummaryCharts(t *testing.T) {
	r := report.New(report.Tool{Name: "kubeharden", Version: "1"}, nil, 3, 5)
	r.Charts = []report.Chart{{Dir: "charts/web", ValueSets: []string{"default", "prod"}}}
	r.Overlays = []string{"deploy/overlays/prod"}
	var b bytes.Buffer
	if err := (StepSummary{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| `charts/web` | default, prod |") || !strings.Contains(b.String(), "- `deploy/overlays/prod`") {
		t.Errorf("charts or overlays not listed:\n%s", b.String())
	}
}
