package render

import (
	"slices"
	"testing"
)

func TestMatchPath(t *testing.T) {
	cases := []struct {
		glob, path string
		want       bool
	}{
		{"test/**", "test/fixtures/bad.yaml", true},
		{"test", "test/fixtures/bad.yaml", true}, // a directory holds what is below it
		{"./test/", "test/a.yaml", true},
		{"test", "tests/a.yaml", false},
		{"**/fixtures/**", "a/b/fixtures/c.yaml", true},
		{"**/*.generated.yaml", "deploy/app.generated.yaml", true},
		{"*.yaml", "deploy/app.yaml", false}, // * stays within a segment
		{"deploy/*.yaml", "deploy/app.yaml", true},
		{"deploy/{dev,qa}/**", "deploy/qa/x.yaml", true},
		{"deploy/{dev,qa}/**", "deploy/prod/x.yaml", false},
	}
	for _, c := range cases {
		if got := MatchPath([]string{c.glob}, c.path); got != c.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", c.glob, c.path, got, c.want)
		}
	}
	if err := CheckGlobs([]string{"ok/**", "bad/[x"}); err == nil {
		t.Errorf("an unclosed class is accepted")
	}
}

// TestExclude: excluded files are not read, excluded charts not rendered,
// excluded kustomizations not built as roots; a kustomization still reads
// an excluded base it uses.
func TestExclude(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "app/cm.yaml", []byte(configMap))
	write(t, dir, "test/fixtures/bad.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fixture\n"))
	write(t, dir, "app/x.generated.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: generated\n"))
	chartTree(t, dir, "charts/web")
	write(t, dir, "examples/kustomization.yaml", []byte("resources:\n  - cm.yaml\n"))
	write(t, dir, "examples/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: example\n"))
	write(t, dir, "overlay/kustomization.yaml", []byte("namePrefix: o-\nresources:\n  - ../test/base\n"))
	write(t, dir, "test/base/kustomization.yaml", []byte("resources:\n  - cm.yaml\n"))
	write(t, dir, "test/base/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\n"))
	set, err := Load(t.Context(), []string{"."}, Options{Dir: dir, Exclude: []string{"test/**", "charts/web", "**/*.generated.yaml", "examples"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range set.Objects {
		names = append(names, o.Kind+"/"+o.Name)
	}
	slices.Sort(names)
	if want := []string{"ConfigMap/o-base", "ConfigMap/ok"}; !slices.Equal(names, want) {
		t.Errorf("objects %v, want %v", names, want)
	}
	if len(set.Charts) > 0 || len(set.Problems) > 0 {
		t.Errorf("charts %v, problems %+v", set.Charts, set.Problems)
	}
}

// TestProgressStages: Load reports each stage's work, ending at its total.
func TestProgressStages(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "plain/a.yaml", []byte(configMap))
	write(t, dir, "plain/b.yaml", []byte(configMap))
	write(t, dir, "app/kustomization.yaml", []byte("resources:\n  - cm.yaml\n"))
	write(t, dir, "app/cm.yaml", []byte(configMap))
	chartTree(t, dir, "charts/web")
	last := map[Stage][2]int{}
	_, err := Load(t.Context(), []string{"."}, Options{Dir: dir, Progress: func(s Stage, done, total int) {
		last[s] = [2]int{done, total}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Stage][2]int{StageFiles: {2, 2}, StageKustomizations: {1, 1}, StageCharts: {1, 1}}
	for s, w := range want {
		if last[s] != w {
			t.Errorf("%s: last progress %v, want %v (all: %v)", s, last[s], w, last)
		}
	}
}
