package render

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// helmFieldCases are charts rendered with a value set: files and --set
// assignments, as `helm template release-name CHART -f ... --set ...`.
var helmFieldCases = []struct {
	name  string
	chart string // relative to the repository, or to the corpus with corpus: set
	files []string
	set   []string
	// corpus charts live beside the repository, in ../shared/corpus.
	corpus bool
}{
	{name: "values", chart: "testdata/helm/values"},
	{name: "range-with", chart: "testdata/helm/range-with"},
	{name: "umbrella", chart: "testdata/helm/umbrella"},
	{name: "secrets", chart: "testdata/helm/secrets"},
	{name: "valuesets-default", chart: "testdata/helm/valuesets"},
	{name: "valuesets-prod", chart: "testdata/helm/valuesets", files: []string{"values-prod.yaml"}},
	{name: "valuesets-set", chart: "testdata/helm/valuesets", files: []string{"values-prod.yaml"}, set: []string{"replicas=5,image.tag=2.0.0"}},
	{name: "podinfo", chart: "podinfo/charts/podinfo", corpus: true},
	{name: "grafana", chart: "grafana-community-helm-charts/charts/grafana", corpus: true},
	{name: "kube-state-metrics", chart: "prometheus-community-helm-charts/charts/kube-state-metrics", corpus: true},
	{name: "cert-manager", chart: "realworld/cert-manager/deploy/charts/cert-manager", corpus: true},
}

// TestHelmFieldParity: the objects kubeharden renders equal, field for
// field, what the helm v3.22.0 binary's `helm template` renders with the
// same values, recorded in testdata/helm-parity (-helm-bin rebuilds the
// records and compares). Values a chart generates (randAlphaNum) are left
// out of both sides: they differ from one render to the next.
func TestHelmFieldParity(t *testing.T) {
	expected := filepath.Join("..", "testdata", "helm-parity")
	for _, c := range helmFieldCases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("..", c.chart)
			if c.corpus {
				dir = filepath.Join(corpus, c.chart)
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{Dir: abs, Helm: HelmOptions{ValueSets: map[string][]ValueSet{".": {{Name: "case", Files: c.files, Set: c.set}}}}}
			objs, probs := loadChart(context.Background(), abs, opt)
			if len(probs) > 0 {
				t.Fatalf("problems: %+v", probs)
			}
			// The generated paths, by template and rank in it: a generated
			// name differs between the two sides too.
			generated := map[string]map[string]bool{}
			var docs [][]byte
			var sources []string
			for _, o := range objs {
				if o.template == "" {
					continue // crds/: helm template leaves them out without --include-crds
				}
				src := sourceKey(sources, o.template)
				sources = append(sources, o.template)
				generated[src] = o.Generated
				text, err := sigsyaml.Marshal(o.Value())
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, text)
			}
			ours := canonical(t, masked(t, docs, sources, generated))
			againstRecord(t, ours, filepath.Join(expected, c.name+".yaml"), "helm template", func() []byte {
				args := []string{"template", "release-name", abs}
				for _, f := range c.files {
					args = append(args, "-f", filepath.Join(abs, f))
				}
				for _, s := range c.set {
					args = append(args, "--set", s)
				}
				cmd := exec.Command(*helmBin, args...)
				cmd.Env = append(os.Environ(), "HELM_NAMESPACE=")
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
				}
				var theirs [][]byte
				var from []string
				for _, d := range strings.Split(string(out), "\n---") {
					if strings.TrimSpace(strings.Join(nonComment(d), "")) != "" {
						theirs = append(theirs, []byte(d))
						_, after, _ := strings.Cut(d, "# Source: ")
						from = append(from, strings.TrimSpace(strings.SplitN(after, "\n", 2)[0]))
					}
				}
				return canonical(t, masked(t, theirs, from, generated))
			})
		})
	}
}

func nonComment(doc string) []string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			out = append(out, l)
		}
	}
	return out
}

// sourceKey names the next object of template: the template and how many
// objects it rendered before.
func sourceKey(seen []string, template string) string {
	n := 0
	for _, s := range seen {
		if s == template {
			n++
		}
	}
	return fmt.Sprintf("%s#%d", template, n)
}

// masked replaces, in each document, the values at the generated paths
// of the object from the same template (sources[i]) with "(generated)".
func masked(t *testing.T, docs [][]byte, sources []string, generated map[string]map[string]bool) [][]byte {
	t.Helper()
	var out [][]byte
	for i, d := range docs {
		key := sourceKey(sources[:i], sources[i])
		obj, probs := Parse("doc.yaml", d)
		if len(probs) > 0 || len(obj) != 1 {
			t.Fatalf("document of %d objects (%v):\n%s", len(obj), probs, d)
		}
		o := obj[0]
		for p := range generated[key] {
			segs, err := ParsePath(p)
			if err != nil {
				t.Fatal(err)
			}
			if n := ValueAt(o.Node, segs); n != nil {
				n.Value, n.Tag, n.Style = "(generated)", "!!str", 0
			}
		}
		text, err := sigsyaml.Marshal(o.Value())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, text)
	}
	return out
}
