package scan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
	"github.com/kubeharden/kubeharden/render"
)

// TestPruneKeepsGraphFindings holds a scan that prunes each object once
// its own rules are done (pruneObject, scanner.forget) to the findings of
// a scan that keeps every object whole, both batch by batch as kubeharden
// scan runs, and those to a Run of the whole Set at once, on every fixture folder, the
// corpus's manifests and charts, and a generated tree: the cross-object
// rules must read nothing pruning removes.
func TestPruneKeepsGraphFindings(t *testing.T) {
	var dirs []string
	for _, root := range []string{"../testdata/checks", "../testdata/pods", "../testdata/distro", "../testdata/inputs", "../testdata/noise"} {
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(root, e.Name()))
			}
		}
	}
	dirs = append(dirs, "../testdata/checks", "../testdata/helm", "../testdata/kustomize", "../testdata/examples")
	for _, c := range []string{"kubernetes-goat", "kube-linter", "kube-score", "checkov-k8s", "polaris", "k8s-website-examples",
		"microservices-demo", "psa-fixtures", "podinfo"} {
		dir := filepath.Join("../../shared/corpus", c)
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("the corpus is read from ../shared: %v", err)
		}
		dirs = append(dirs, dir)
	}
	gen := t.TempDir()
	if _, err := testgen.Tree(gen, 300, 7); err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, gen)
	graph := 0
	for _, dir := range dirs {
		set, err := render.Load(context.Background(), []string{dir}, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		one, err := Run(context.Background(), set, All, Config{})
		if err != nil {
			t.Fatal(err)
		}
		_, whole := scanInBatches(t, dir, false)
		if !reflect.DeepEqual(one, whole) {
			t.Errorf("%s: a scan batch by batch differs from one of the whole Set", dir)
		}
		_, pruned := scanInBatches(t, dir, true)
		if !reflect.DeepEqual(whole, pruned) {
			for i := 0; i < max(len(whole), len(pruned)); i++ {
				var a, b Finding
				if i < len(whole) {
					a = whole[i]
				}
				if i < len(pruned) {
					b = pruned[i]
				}
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s: finding %d differs when pruned:\nwhole:  %+v\npruned: %+v", dir, i, a, b)
					break
				}
			}
		}
		for _, f := range whole {
			if c := Lookup(f.Rule); c != nil && c.Graph != nil {
				graph++
			}
		}
	}
	// The comparison means something only if cross-object rules found
	// something to compare.
	if graph < 500 {
		t.Errorf("only %d findings of cross-object rules compared", graph)
	}
}

// scanInBatches scans dir batch by batch as the binary does, pruning each
// object after its own rules when prune is set.
func scanInBatches(t *testing.T, dir string, prune bool) (*render.Set, []Finding) {
	t.Helper()
	ctx := context.Background()
	sc, err := Start(All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	sc.prune = prune
	set, err := render.Load(ctx, []string{dir}, render.Options{Each: func(b render.Batch) error { return sc.Add(ctx, b) }})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := sc.Finish(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	return set, fs
}
