package render

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// corpus (the shared test corpus) is declared in helm_parity_test.go.

// A corpusTree is one kustomization of the corpus with the objects
// `kustomize build` made of it.
type corpusTree struct {
	repo, dir string // dir is relative to the corpus
	want      []string
}

// corpusTrees reads expected-render/kustomize: file names are paths with
// / written as _, resolved against the corpus since names hold _ too.
func corpusTrees(t testing.TB) []corpusTree {
	t.Helper()
	exp := filepath.Join(corpus, "expected-render", "kustomize")
	es, err := os.ReadDir(exp)
	if err != nil {
		t.Fatalf("the corpus is read from ../shared: %v", err)
	}
	var trees []corpusTree
	for _, e := range es {
		if !strings.HasSuffix(e.Name(), ".tsv") {
			continue
		}
		dir := resolveName(strings.Split(strings.TrimSuffix(e.Name(), ".tsv"), "_"), "")
		if dir == "" {
			t.Fatalf("%s: no such tree in the corpus", e.Name())
		}
		data, err := os.ReadFile(filepath.Join(exp, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		tr := corpusTree{repo: strings.SplitN(dir, "/", 2)[0], dir: dir}
		for i, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
			f := strings.Split(l, "\t")
			if i == 0 || len(f) < 4 {
				continue
			}
			tr.want = append(tr.want, strings.Join(f[:4], "\t"))
		}
		sort.Strings(tr.want)
		trees = append(trees, tr)
	}
	return trees
}

func resolveName(parts []string, prefix string) string {
	if len(parts) == 0 {
		if kustomizationFile(filepath.Join(corpus, prefix)) != "" {
			return prefix
		}
		return ""
	}
	for n := 1; n <= len(parts); n++ {
		seg := strings.Join(parts[:n], "_")
		p := seg
		if prefix != "" {
			p = prefix + "/" + seg
		}
		if fi, err := os.Stat(filepath.Join(corpus, p)); err == nil && fi.IsDir() {
			if r := resolveName(parts[n:], p); r != "" {
				return r
			}
		}
	}
	return ""
}

func refs(objs []*Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, strings.Join([]string{o.APIVersion, o.Kind, o.Namespace, o.Name}, "\t"))
	}
	sort.Strings(out)
	return out
}

// TestKustomizeCorpusParity: every corpus tree builds to the objects
// `kustomize build` made, each field located in a file of the tree, with
// no tracking annotation left; roots found by Load build the same.
func TestKustomizeCorpusParity(t *testing.T) {
	trees := corpusTrees(t)
	if len(trees) < 40 {
		t.Fatalf("only %d trees listed", len(trees))
	}
	byRoot := map[string][]*Object{}
	repos := map[string]bool{}
	for _, tr := range trees {
		repos[tr.repo] = true
	}
	for repo := range repos {
		set, err := Load(context.Background(), []string{repo}, Options{Dir: corpus})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range set.Objects {
			if o.Source.Kind == "kustomize" {
				byRoot[o.Source.Root] = append(byRoot[o.Source.Root], o)
				if strings.Contains(o.Source.Root, "/components/") {
					t.Errorf("component %s built as a root", o.Source.Root)
				}
			}
		}
	}
	for _, tr := range trees {
		t.Run(tr.dir, func(t *testing.T) {
			objs, probs, err := BuildKustomization(context.Background(), tr.repo, tr.dir, Options{Dir: corpus})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range probs {
				if p.Kind == Invalid {
					t.Errorf("problem: %+v", p)
				}
			}
			if got := refs(objs); !slices.Equal(got, tr.want) {
				t.Errorf("built objects differ from kustomize build:\ngot  %q\nwant %q", got, tr.want)
			}
			if rooted, ok := byRoot[tr.dir]; ok && !slices.Equal(refs(rooted), tr.want) {
				t.Errorf("Load built root %s differently: %q", tr.dir, refs(rooted))
			}
			for _, o := range objs {
				if o.Has(`metadata.annotations["config.kubernetes.io/origin"]`) || o.Has(`metadata.annotations["alpha.config.kubernetes.io/transformations"]`) {
					t.Errorf("%s/%s keeps kustomize's annotations", o.Kind, o.Name)
				}
				for _, p := range []string{"", "metadata.name", "spec"} {
					l := o.Locate(p)
					if l.File == "" || l.Line < 1 || strings.HasPrefix(l.File, "..") || !strings.HasPrefix(l.File, tr.repo+"/") {
						t.Errorf("%s/%s %q located at %+v", o.Kind, o.Name, p, l.Pos)
					}
				}
			}
		})
	}
}

// TestKustomizeCorpusUnbuildable: the trees the reference kustomize does
// not build give a located problem saying why; components never build
// as roots.
func TestKustomizeCorpusUnbuildable(t *testing.T) {
	tripwires(t)
	for _, c := range []struct {
		repo, dir, text string
	}{
		{"kustomize", "kustomize/examples/loadHttp", "remote resource"},
		{"kustomize", "kustomize/examples/transformerconfigs/images", "no such file"},
	} {
		objs, probs, err := BuildKustomization(context.Background(), c.repo, c.dir, Options{Dir: corpus})
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 0 || len(probs) == 0 {
			t.Errorf("%s: %d objects, problems %+v", c.dir, len(objs), probs)
			continue
		}
		p := probs[0]
		if !strings.HasPrefix(p.Pos.File, c.dir+"/kustomization") || p.Pos.Line < 2 || !strings.Contains(p.Message, c.text) {
			t.Errorf("%s: problem %+v, want one at an entry of its kustomization saying %q", c.dir, p, c.text)
		}
	}
	set, err := Load(context.Background(), []string{"kustomize/examples"}, Options{Dir: corpus})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"kustomize/examples/loadHttp/", "kustomize/examples/transformerconfigs/images/"} {
		if !slices.ContainsFunc(set.Problems, func(p Problem) bool { return strings.HasPrefix(p.Pos.File, dir) && p.Kind == Invalid }) {
			t.Errorf("Load of the examples: no problem in %s", dir)
		}
	}
	ms, err := Load(context.Background(), []string{"microservices-demo"}, Options{Dir: corpus})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ms.Objects {
		if strings.Contains(o.Source.Root, "/components/") {
			t.Errorf("component %s built as a root", o.Source.Root)
		}
	}
}

// BenchmarkKustomizeCorpus builds every kustomization listed in
// expected-render/kustomize with positions (kubeharden), Loads the four
// repositories they are in (discovery, the roots' builds and the plain
// manifests: load-repos), and builds the listed kustomizations with
// kustomize alone on its on-disk file system (krusty-alone).
func BenchmarkKustomizeCorpus(b *testing.B) {
	trees := corpusTrees(b)
	b.Run("kubeharden", func(b *testing.B) {
		for b.Loop() {
			for _, tr := range trees {
				objs, _, err := BuildKustomization(context.Background(), tr.repo, tr.dir, Options{Dir: corpus})
				if err != nil || len(objs) != len(tr.want) {
					b.Fatalf("%s: %d objects, %v", tr.dir, len(objs), err)
				}
			}
		}
	})
	repos := map[string]bool{}
	for _, tr := range trees {
		repos[tr.repo] = true
	}
	b.Run("load-repos", func(b *testing.B) {
		for b.Loop() {
			for repo := range repos {
				if _, err := Load(context.Background(), []string{repo}, Options{Dir: corpus}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("krusty-alone", func(b *testing.B) {
		fs := filesys.MakeFsOnDisk()
		for b.Loop() {
			for _, tr := range trees {
				opts := krusty.MakeDefaultOptions()
				opts.Reorder = krusty.ReorderOptionUnspecified
				opts.PluginConfig = types.DisabledPluginConfig()
				rm, err := krusty.MakeKustomizer(opts).Run(fs, filepath.Join(corpus, tr.dir))
				if err != nil || rm.Size() != len(tr.want) {
					b.Fatalf("%s: %v", tr.dir, err)
				}
			}
		}
	})
}
