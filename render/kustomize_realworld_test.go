package render

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestKustomizeRealworldGenerators: the kubeflow kustomizations whose
// generators read files (one of them binary, which kustomize puts in
// binaryData) build to the objects kustomize itself builds, with no
// invalid input it does not also give.
func TestKustomizeRealworldGenerators(t *testing.T) {
	const repo = "realworld/kubeflow-manifests"
	var dirs []string
	if err := filepath.WalkDir(filepath.Join(corpus, repo), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && kustomizationFile(p) != "" && usesFileGenerator(p) {
			rel, _ := filepath.Rel(corpus, p)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dirs, repo+"/applications/model-registry/upstream/options/catalog/overlays/demo") {
		t.Fatalf("the overlay with a binary generator file is not among %q", dirs)
	}
	for _, dir := range dirs {
		t.Run(strings.TrimPrefix(dir, repo+"/"), func(t *testing.T) {
			opts := krusty.MakeDefaultOptions()
			opts.PluginConfig = types.DisabledPluginConfig()
			rm, kerr := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(corpus, dir))
			objs, probs, err := BuildKustomization(context.Background(), repo, dir, Options{Dir: corpus})
			if err != nil {
				t.Fatal(err)
			}
			if kerr != nil {
				if len(probs) == 0 {
					t.Errorf("kustomize fails (%v); kubeharden gives no problem", kerr)
				}
				return
			}
			for _, p := range probs {
				if p.Kind == Invalid {
					t.Errorf("problem kustomize does not have: %s: %s", p.Pos, p.Message)
				}
			}
			var want []string
			for _, r := range rm.Resources() {
				want = append(want, strings.Join([]string{r.GetApiVersion(), r.GetKind(), r.GetNamespace(), r.GetName()}, "\t"))
			}
			slices.Sort(want)
			if got := refs(objs); !slices.Equal(got, want) {
				t.Errorf("built objects differ from kustomize build:\ngot  %q\nwant %q", got, want)
			}
		})
	}
}

// usesFileGenerator reports whether the kustomization in dir has a
// configMapGenerator or secretGenerator entry with files.
func usesFileGenerator(dir string) bool {
	n := readYAMLNode(kustomizationFile(dir))
	for _, key := range []string{"configMapGenerator", "secretGenerator"} {
		list := ValueAt(n, []Segment{{Key: key}})
		if list == nil {
			continue
		}
		for _, it := range list.Content {
			if ValueAt(it, []Segment{{Key: "files"}}) != nil {
				return true
			}
		}
	}
	return false
}

// BenchmarkKustomizeKubeflow Loads the kubeflow subset of the corpus
// (kubeharden: discovery, every root's build with positions, the plain
// manifests) and builds the same roots with kustomize alone on its
// on-disk file system (krusty-alone).
func BenchmarkKustomizeKubeflow(b *testing.B) {
	const repo = "realworld/kubeflow-manifests"
	set, err := Load(context.Background(), []string{repo}, Options{Dir: corpus})
	if err != nil {
		b.Fatal(err)
	}
	var roots []string
	for _, o := range set.Objects {
		if o.Source.Kind == "kustomize" && !slices.Contains(roots, o.Source.Root) {
			roots = append(roots, o.Source.Root)
		}
	}
	b.Run("kubeharden", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Load(context.Background(), []string{repo}, Options{Dir: corpus}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("krusty-alone", func(b *testing.B) {
		b.ReportAllocs()
		fs := filesys.MakeFsOnDisk()
		for b.Loop() {
			for _, r := range roots {
				opts := krusty.MakeDefaultOptions()
				opts.PluginConfig = types.DisabledPluginConfig()
				if _, err := krusty.MakeKustomizer(opts).Run(fs, filepath.Join(corpus, r)); err != nil {
					b.Fatalf("%s: %v", r, err)
				}
			}
		}
	})
}
