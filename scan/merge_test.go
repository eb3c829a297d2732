package scan

import (
	"slices"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

func TestMergeRenderings(t *testing.T) {
	f := func(valueSet, name string, line int) Finding {
		return Finding{Rule: "privileged-container", File: "charts/web/templates/deploy.yaml", Line: line, Column: 7,
			Path: "spec.template.spec.containers[0].securityContext.privileged", Severity: Error,
			Object: &render.Ref{Kind: "Deployment", Name: name},
			Source: &render.Source{Kind: "helm", Chart: "charts/web", ValueSet: valueSet}}
	}
	plain := Finding{Rule: "privileged-container", File: "a.yaml", Line: 3}
	out := mergeRenderings([]Finding{f("default", "web", 12), plain, f("prod", "web-prod", 12), f("prod", "web", 20)})
	if len(out) != 3 {
		t.Fatalf("got %d findings, want 3: %+v", len(out), out)
	}
	if got := out[0].Source.ValueSets; !slices.Equal(got, []string{"default", "prod"}) {
		t.Errorf("value sets %v", got)
	}
	if out[2].Source.ValueSets != nil {
		t.Errorf("a finding seen once lists %v", out[2].Source.ValueSets)
	}
}
