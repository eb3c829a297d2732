package render

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzKustomizationHelmCharts: whatever a kustomization says about Helm
// charts, the scan neither panics nor reads outside its tree; problems are
// located inside it.
func FuzzKustomizationHelmCharts(f *testing.F) {
	for _, seed := range []string{
		"helmCharts:\n  - name: web\n    releaseName: r\n    valuesInline:\n      tag: x\n",
		"helmCharts:\n  name: web\n",
		"helmCharts:\n  - name: [x]\n",
		"helmGlobals:\n  chartHome: ../..\nhelmCharts:\n  - name: web\n",
		"x: &a {v: 1}\nhelmCharts:\n  - name: web\n    valuesInline: *a\n    additionalValuesFiles: [a.yaml, ../b.yaml]\n",
		"helmChartInflationGenerator:\n  - chartName: web\n    chartHome: .\n    valuesLocal: {a: {b: [1, 2]}}\n    valuesMerge: replace\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, kustomization string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		chartTree(t, dir, "app/charts/web")
		write(t, dir, "app/kustomization.yaml", []byte(kustomization))
		set, err := Load(t.Context(), []string{"app"}, Options{Dir: dir})
		if err != nil {
			return // a cancelled or unreadable scan is an error, not a panic
		}
		for _, p := range set.Problems {
			if p.Pos.Line < 1 || filepath.IsAbs(p.Pos.File) || len(p.Pos.File) >= 2 && p.Pos.File[:2] == ".." {
				t.Errorf("problem outside the tree or without a line: %+v", p)
			}
		}
	})
}
