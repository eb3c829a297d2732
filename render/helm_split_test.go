package render

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/releaseutil"
)

var splitSeeds = []string{
	"",
	"---",
	"apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n",
	"---apiVersion: v1\nkind: A",
	"kind: A\n---apiVersion: v1\nkind: B\n---# comment\nkind: C",
	"kind: A   \n  \n---  \n\n  # c\nkind: B\n---\n---\n",
	"x: |\n  ---\n  y\n---\r\nkind: B\r\n",
	"kind: A ---\nkind: B",
	"----\nkind: A\n--- !tag\n",
	"\n\n  \t---kind: A\n\t---\n",
	"a: b\n---\u00a0kind: A",
	"\u0085---x",
	"\u2028\u3000a: b\n\u2029---\u200ac: d",
}

// TestSplitHelm: documents are the ones Helm's own splitter returns, in
// order, and each starts where its position says.
func TestSplitHelm(t *testing.T) {
	for _, s := range splitSeeds {
		checkSplit(t, s)
	}
}

func FuzzSplitHelm(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSplit)
}

func checkSplit(t *testing.T, text string) {
	t.Helper()
	theirs := releaseutil.SplitManifests(text)
	keys := make([]string, 0, len(theirs))
	for k := range theirs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	ours := splitHelm(text)
	if len(ours) != len(keys) {
		t.Fatalf("%q: %d documents, helm %d", text, len(ours), len(keys))
	}
	lines := strings.SplitAfter(text, "\n")
	for i, d := range ours {
		if d.text != theirs[keys[i]] {
			t.Errorf("%q: document %d is %q, helm %q", text, i, d.text, theirs[keys[i]])
		}
		if d.line < 1 || d.line > len(lines) || d.column < 1 || !strings.HasPrefix(strings.Join(lines[d.line-1:], "")[d.column-1:], d.text) {
			t.Errorf("%q: document %d (%q) is not at %d:%d", text, i, d.text, d.line, d.column)
		}
	}
}

// TestHelmGluedSeparators: every object after a separator trimming glued
// to the next text is read, at the lines it has in the rendered file.
func TestHelmGluedSeparators(t *testing.T) {
	objs, probs := parseHelm("t.yaml", "kind: A\nmetadata: {name: a}\napiVersion: v1\n---apiVersion: v1\nkind: B\nmetadata: {name: b}\n---# c\napiVersion: v1\nkind: C\nmetadata: {name: c}")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var got []string
	for _, o := range objs {
		k, v := lookupKey(o.Node, "kind", 0)
		got = append(got, fmt.Sprintf("%s %d:%d %d:%d", o.Name, o.Node.Content[0].Line, o.Node.Content[0].Column, k.Line, v.Column))
	}
	want := []string{"a 1:1 1:7", "b 4:4 5:7", "c 8:1 9:7"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestCertManagerObjects: the cert-manager chart, whose rbac.yaml glues a
// separator to a comment, renders the 44 objects `helm template
// --include-crds` prints (identity and source template, as recorded from
// helm v3.22.0 in testdata/helm-parity/cert-manager.tsv), and no problem.
func TestCertManagerObjects(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(corpus, "realworld/cert-manager/deploy/charts/cert-manager"))
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := loadChart(context.Background(), dir, Options{Dir: dir})
	for _, p := range probs {
		t.Errorf("problem: %s: %s", p.Pos, p.Message)
	}
	var got []string
	for _, o := range objs {
		got = append(got, strings.Join([]string{o.APIVersion, o.Kind, o.Namespace, o.Name, o.template}, "\t"))
	}
	sort.Strings(got)
	ours := []byte(strings.Join(got, "\n") + "\n")
	againstRecord(t, ours, filepath.Join("..", "testdata", "helm-parity", "cert-manager.tsv"), "helm template --include-crds", func() []byte {
		return helmObjectList(t, dir)
	})
	if len(got) != 44 {
		t.Errorf("%d objects, want 44", len(got))
	}
}

// helmObjectList runs `helm template --include-crds` on the chart at dir
// and lists its objects as TestCertManagerObjects does.
func helmObjectList(t *testing.T, dir string) []byte {
	t.Helper()
	cmd := exec.Command(*helmBin, "template", "release-name", dir, "--include-crds")
	cmd.Env = append(os.Environ(), "HELM_NAMESPACE=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %s: %v", dir, err)
	}
	var list []string
	for _, d := range strings.Split(string(out), "\n---") {
		_, after, _ := strings.Cut(d, "# Source: ")
		source := strings.TrimSpace(strings.SplitN(after, "\n", 2)[0])
		if strings.Contains(source, "/crds/") {
			source = ""
		}
		objs, probs := Parse("out.yaml", []byte(d))
		if len(probs) > 0 {
			t.Fatalf("helm output: %v", probs)
		}
		for _, o := range objs {
			list = append(list, strings.Join([]string{o.APIVersion, o.Kind, o.Namespace, o.Name, source}, "\t"))
		}
	}
	sort.Strings(list)
	return []byte(strings.Join(list, "\n") + "\n")
}

// TestHelmGeneratedStable: what a chart generates at render time (values
// stored with set, the clock, a random name) is marked generated, and the
// objects are named the same on every load.
func TestHelmGeneratedStable(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "helm", "generated-values"))
	if err != nil {
		t.Fatal(err)
	}
	load := func() []string {
		objs, probs := loadChart(context.Background(), dir, Options{Dir: dir})
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		var out []string
		for _, o := range objs {
			var gen []string
			for p := range o.Generated {
				gen = append(gen, p)
			}
			sort.Strings(gen)
			out = append(out, fmt.Sprintf("%s %s %v %s", o.Kind, o.Name, gen, o.String("data.rendered")))
		}
		return out
	}
	first := load()
	want := []string{
		"ConfigMap release-name-probe-????? [data.rendered metadata.name] 2026",
		"Secret release-name-auth [data.password data.passwordMtime] ",
	}
	if strings.Join(first, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(first, "\n"), strings.Join(want, "\n"))
	}
	if second := load(); strings.Join(second, "\n") != strings.Join(first, "\n") {
		t.Errorf("a second load differs:\n%s", strings.Join(second, "\n"))
	}
}
