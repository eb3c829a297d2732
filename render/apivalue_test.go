package render

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
	"gopkg.in/yaml.v3"
)

// TestAPIValueMatchesReference: the direct conversion gives what the
// reference (write the YAML out, read it back with sigs.k8s.io/yaml) gives,
// for every object of the corpus, the testdata and a generated tree, and
// for the forms YAML 1.1 reads differently from YAML 1.2.
func TestAPIValueMatchesReference(t *testing.T) {
	dir := t.TempDir()
	if _, err := testgen.Tree(filepath.Join(dir, "gen"), 300, 7); err != nil {
		t.Fatal(err)
	}
	cm := func(name, data string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata:\n" + data
	}
	forms := cm("scalars", "  a: yes\n  b: on\n  c: 0o17\n  d: 0x1F\n  e: 017\n  f: 1_000\n  g: 1e3\n  h: .5\n  i: -0\n  j: +12\n"+
		"  k: ~\n  l:\n  m: 2001-12-14\n  sexa: 1:20\n  r: 0b101\n  s: 12345678901234567890\n"+
		"  t: \"yes\"\n  u: 'on'\n  v: |\n    yes\n  w: [y, n, Y, N, ~, null, true, 3.0, 007, -, =, <<, .]\n  anchor: &a {z: on, m: 1.50}\n  alias: *a\n") +
		cm("infinite", "  o: .inf\n  p: -.Inf\n  q: .NaN\n") +
		cm("tagged", "  aa: !!str 12\n  ab: !!int \"3\"\n") +
		cm("intkey", "  1: a\n  yes: b\n") +
		cm("merge", "  base: &b {x: 1, y: on}\n  over: {<<: *b, y: off}\n") +
		// yaml v2's merges: fields before the merge key give way to it,
		// and in a sequence the earlier mappings win.
		cm("merges", "  a: &a {x: 1, v: 2, m: {p: 1}}\n  b: &b {v: 3, z: on}\n"+
			"  before: {v: 9, <<: *a}\n  after: {<<: *a, v: 9}\n  seq: {<<: [*b, *a], w: 0}\n"+
			"  inline: {<<: {x: 5, <<: *b}}\n  quoted: {\"<<\": 1}\n  nested: {<<: *a, m: {q: 2}}\n") +
		cm("quotedkey", "  \"on\": 1\n  'y': 2\n")
	if err := os.WriteFile(filepath.Join(dir, "forms.yaml"), []byte(forms), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Load(context.Background(), corpusPaths(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, slow, direct, merges := 0, 0, false, false
	for _, o := range set.Objects {
		want, wantErr := apiValueReference(o.Node)
		if wantErr != nil {
			continue // Value falls back to YAML 1.2 for these; so does apiValue
		}
		if budget := maxVisits; directErr(o.Node, &budget) != nil {
			slow++
		} else if o.Name == "scalars" {
			direct = true
		} else if o.Name == "merges" {
			merges = true
		}
		got, err := apiValue(o.Node)
		if err != nil {
			t.Errorf("%s %s/%s: %v", o.File, o.Kind, o.Name, err)
			continue
		}
		if path, g, w, ok := firstDiff(got, want, ""); !ok {
			t.Errorf("%s %s/%s at %s: got %#v, want %#v", o.File, o.Kind, o.Name, path, g, w)
		}
		n++
	}
	if n < 2500 {
		t.Fatalf("compared %d objects; want the corpus's thousands", n)
	}
	if !direct || !merges {
		t.Errorf("the ConfigMaps of scalar forms (%v) and merges (%v) were not both converted directly", direct, merges)
	}
	t.Logf("%d objects compared, %d converted by the reference", n, slow)
}

// corpusPaths are dir (a generated tree, say), the testdata, and the plain
// manifests of the corpus with one chart: the corpus's charts render into
// the same node trees Parse makes.
func corpusPaths(dir string) []string {
	paths := []string{dir, "../testdata"}
	for _, c := range []string{"k8s-kubernetes-testdata", "k8s-website-examples", "kube-score", "kube-linter", "checkov-k8s",
		"polaris", "kubernetes-goat", "realworld/istio/manifests/charts/base", "podinfo"} {
		paths = append(paths, filepath.Join("../../shared/corpus", c))
	}
	return paths
}

// loadGeneratedCorpus loads corpusPaths with a generated tree of 300
// files.
func loadGeneratedCorpus(t *testing.T) *Set {
	t.Helper()
	dir := t.TempDir()
	if _, err := testgen.Tree(filepath.Join(dir, "gen"), 300, 7); err != nil {
		t.Fatal(err)
	}
	set, err := Load(context.Background(), corpusPaths(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// firstDiff finds the first place two JSON values differ.
func firstDiff(got, want any, path string) (string, any, any, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return path, got, want, false
		}
		for k, wv := range w {
			if p, a, b, ok := firstDiff(g[k], wv, path+"."+k); !ok {
				return p, a, b, false
			}
		}
		return "", nil, nil, true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, got, want, false
		}
		for i := range w {
			if p, a, b, ok := firstDiff(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, a, b, false
			}
		}
		return "", nil, nil, true
	}
	// The reference loses a newline where the text has two leading ones
	// (a literal block starting with empty lines): yaml.v3 writes it with
	// an indentation indicator that yaml v2 reads back one line short.
	// The direct conversion keeps the text kubectl would send.
	if g, ok := got.(string); ok && strings.HasPrefix(g, "\n\n") && g == "\n"+fmt.Sprint(want) {
		return "", nil, nil, true
	}
	return path, got, want, reflect.DeepEqual(got, want)
}

func directErr(n *yaml.Node, budget *int) error {
	_, err := directValue(n, 0, budget)
	return err
}

// TestPlainStringMatchesReference: every plain scalar plainString calls a
// string, the reference conversion reads as that string; on random texts
// of the bytes numbers, timestamps and versions are made of, and on
// scalars of each form.
func TestPlainStringMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const alphabet = "0123456789012345678901234567890123456789eE._+-:aAbBcdfxXoOtTzZ %/,"
	texts := []string{"1e3", "1_000", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "1a", "8de449e38476747ec393a5ffcbda47b12ffd7", "3.1.22",
		"1.0.0-rc1", "12:30", "1 2", "0x1F", "9223372036854775808", "1e", "1E+9", "1.5e-3", "100Mi", "1,000", "10%", "1-2", "1.2.3.4", "5m", "1_0x"}
	for range 20000 {
		b := []byte{byte('1' + rng.IntN(9))}
		for range rng.IntN(14) {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		texts = append(texts, strings.TrimRight(string(b), " "))
	}
	strs := 0
	for _, s := range texts {
		if !plainString(s) {
			continue
		}
		strs++
		m, err := apiValueReference(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "v"}, {Kind: yaml.ScalarNode, Value: s}}})
		if err != nil {
			t.Errorf("%q: plainString, but the reference fails: %v", s, err)
			continue
		}
		if v, ok := m["v"].(string); !ok || v != s {
			t.Errorf("%q: plainString, but the reference reads %#v", s, m["v"])
		}
	}
	for _, s := range []string{"1e3", "1_000", "2001-12-14", "3.1.22", "0x1F", "1E+9", "1-2"} {
		if plainString(s) {
			t.Errorf("plainString(%q): it may be read as something else", s)
		}
	}
	if strs < 10000 {
		t.Errorf("%d texts plainString calls strings: the test reads too few", strs)
	}
}
