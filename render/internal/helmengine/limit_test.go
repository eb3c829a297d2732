package helmengine

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// TestMaxBytes: a rendering stops at MaxBytes whether the bytes are
// written by a template, built by include or by tpl, and renders in full
// without a limit or under it.
func TestMaxBytes(t *testing.T) {
	for _, c := range []struct {
		name, tpl string
		max       int64
		exceeded  bool
	}{
		{"template", `{{ range until 100000 }}0123456789{{ end }}`, 1000, true},
		{"include", `{{ $s := include "big" . }}{{ len $s }}`, 1000, true},
		{"tpl", `{{ $s := tpl "{{ range until 100000 }}0123456789{{ end }}" . }}{{ len $s }}`, 1000, true},
		{"no limit", `{{ range until 100000 }}0123456789{{ end }}`, 0, false},
		{"under the limit", `{{ range until 100 }}0123456789{{ end }}`, 1000, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := &chart.Chart{
				Metadata: &chart.Metadata{APIVersion: "v2", Name: "c", Version: "0.1.0"},
				Templates: []*chart.File{
					{Name: "templates/_big.tpl", Data: []byte(`{{ define "big" }}{{ range until 100000 }}0123456789{{ end }}{{ end }}`)},
					{Name: "templates/t.yaml", Data: []byte(c.tpl)},
				},
			}
			vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "r", Namespace: "default"}, chartutil.DefaultCapabilities)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Engine{MaxBytes: c.max}.Render(ch, vals)
			if Exceeded(err) != c.exceeded {
				t.Fatalf("Render: %v; want exceeded %v", err, c.exceeded)
			}
			if !c.exceeded {
				if err != nil {
					t.Fatal(err)
				}
				if got := out["c/templates/t.yaml"]; got != strings.Repeat("0123456789", len(got)/10) || got == "" {
					t.Errorf("output of %d bytes, not the template's", len(got))
				}
			}
		})
	}
}
