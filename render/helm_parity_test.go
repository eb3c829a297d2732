package render

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const corpus = "../../shared/corpus"

// TestHelmRenderParity: for every chart of the corpus that `helm template`
// was run on, we render the same objects (identity and source template).
func TestHelmRenderParity(t *testing.T) {
	lists, err := filepath.Glob(filepath.Join(corpus, "expected-render/helm/*.tsv"))
	if err != nil || len(lists) == 0 {
		t.Fatalf("no expected renders under %s/expected-render/helm: %v", corpus, err)
	}
	for _, list := range lists {
		name := strings.TrimSuffix(filepath.Base(list), ".tsv")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(list)
			if err != nil {
				t.Fatal(err)
			}
			dir := chartDirOf(t, name)
			objs, probs := loadChart(context.Background(), dir, Options{Dir: corpus})
			for _, p := range probs {
				t.Errorf("problem: %s: %s", p.Pos, p.Message)
			}
			var got, want []string
			for _, o := range objs {
				got = append(got, strings.Join([]string{o.APIVersion, o.Kind, o.Namespace, randomSuffix(o.Name), o.template}, "\t"))
			}
			for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if i == 0 {
					continue
				}
				f := strings.Split(l, "\t")
				for len(f) < 5 {
					f = append(f, "")
				}
				f[3] = randomSuffix(f[3])
				want = append(want, strings.Join(f, "\t"))
			}
			slices.Sort(got)
			slices.Sort(want)
			for _, w := range want {
				if i, ok := slices.BinarySearch(got, w); ok {
					got = slices.Delete(got, i, i+1)
				} else {
					t.Errorf("missing: %s", w)
				}
			}
			for _, g := range got {
				t.Errorf("unexpected: %s", g)
			}
		})
	}
}

// Test pods named with randAlphaNum differ on every render.
var randomRE = regexp.MustCompile(`-test-[a-z0-9]{5}$`)

func randomSuffix(name string) string { return randomRE.ReplaceAllString(name, "-test-?????") }

// chartDirOf finds the chart an expected-render file names: its path with
// / written as _ (directory names may hold _ or - themselves).
func chartDirOf(t *testing.T, name string) string {
	t.Helper()
	var found string
	if err := filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || found != "" {
			return nil
		}
		if d.Name() == "expected-render" || d.Name() == ".git" || d.Name() == "templates" {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(corpus, p)
		if strings.ReplaceAll(filepath.ToSlash(rel), "/", "_") == name {
			found = p
			return filepath.SkipAll
		}
		if !strings.HasPrefix(name, strings.ReplaceAll(filepath.ToSlash(rel), "/", "_")) && rel != "." {
			return filepath.SkipDir
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if found == "" {
		t.Fatalf("no chart for %s", name)
	}
	abs, err := filepath.Abs(found)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
