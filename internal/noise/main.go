// Noise counts the findings kubeharden reports per workload on the corpus
// of real repositories (../shared/corpus), by severity and by rule, and
// the rules that fire together on one object and place: the numbers
// docs/benchmarks.md records under "Findings per workload".
//
//	go run ./internal/noise [-corpus ../shared/corpus] [-pairs] [dir...]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// realRepos are the application repositories of the corpus: charts,
// overlays and manifests people deploy, not other tools' test suites and
// not the deliberately insecure kubernetes-goat.
var realRepos = []string{
	"podinfo", "microservices-demo", "ingress-nginx", "kustomize/examples",
	"prometheus-community-helm-charts/charts", "grafana-community-helm-charts/charts",
	"realworld/bitnami-charts", "realworld/cert-manager", "realworld/istio", "realworld/kubeflow-manifests",
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "the corpus directory")
	pairs := flag.Bool("pairs", false, "also list the rules that fire together on one object and place")
	flag.Parse()
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = realRepos
	}
	if err := run(os.Stdout, *corpus, dirs, *pairs); err != nil {
		fmt.Fprintln(os.Stderr, "noise:", err)
		os.Exit(1)
	}
}

// A tally counts findings on workloads.
type tally struct {
	workloads  map[string]bool
	bySeverity map[scan.Severity]int
	byRule     map[string]int             // findings of each rule
	ruleOn     map[string]map[string]bool // workloads each rule fires on
	together   map[string]int             // "a + b" at one object and place
}

func run(w io.Writer, corpus string, dirs []string, pairs bool) error {
	t := &tally{workloads: map[string]bool{}, bySeverity: map[scan.Severity]int{}, byRule: map[string]int{},
		ruleOn: map[string]map[string]bool{}, together: map[string]int{}}
	for _, d := range dirs {
		if err := t.scan(corpus, d); err != nil {
			return err
		}
	}
	n := len(t.workloads)
	total := 0
	for _, c := range t.bySeverity {
		total += c
	}
	fmt.Fprintf(w, "workloads %d, findings on them %d, mean %.2f (error %.2f, warning %.2f, note %.2f)\n", n, total,
		float64(total)/float64(n), float64(t.bySeverity[scan.Error])/float64(n),
		float64(t.bySeverity[scan.Warning])/float64(n), float64(t.bySeverity[scan.Note])/float64(n))
	rules := slices.Collect(maps.Keys(t.ruleOn))
	sort.Slice(rules, func(i, j int) bool {
		if a, b := len(t.ruleOn[rules[i]]), len(t.ruleOn[rules[j]]); a != b {
			return a > b
		}
		return rules[i] < rules[j]
	})
	fmt.Fprintf(w, "%-34s %8s %10s %9s\n", "rule", "findings", "workloads", "share")
	for _, r := range rules {
		on := len(t.ruleOn[r])
		fmt.Fprintf(w, "%-34s %8d %10d %8.0f%%\n", r, t.byRule[r], on, 100*float64(on)/float64(n))
	}
	if pairs {
		keys := slices.Collect(maps.Keys(t.together))
		sort.Slice(keys, func(i, j int) bool {
			if t.together[keys[i]] != t.together[keys[j]] {
				return t.together[keys[i]] > t.together[keys[j]]
			}
			return keys[i] < keys[j]
		})
		fmt.Fprintln(w, "rules reported together at one object and place:")
		for _, k := range keys {
			fmt.Fprintf(w, "%6d  %s\n", t.together[k], k)
		}
	}
	return nil
}

func (t *tally) scan(corpus, dir string) error {
	ctx := context.Background()
	set, err := render.Load(ctx, []string{dir}, render.Options{Dir: corpus})
	if err != nil {
		return fmt.Errorf("loading %s: %w", dir, err)
	}
	fs, err := scan.Run(ctx, set, scan.All, scan.Config{})
	if err != nil {
		return fmt.Errorf("scanning %s: %w", dir, err)
	}
	mine := map[string]bool{}
	for _, o := range set.Objects {
		if pods, err := scan.PodsOf(o, scan.Config{}); err == nil && len(pods) > 0 && !pods[0].ByRun {
			k := workload(dir, o.Ref(), &o.Source, o.File)
			mine[k] = true
			t.workloads[k] = true
		}
	}
	places := map[string][]string{}
	for _, f := range fs {
		if f.Object == nil || f.Suppressed != nil {
			continue
		}
		k := workload(dir, *f.Object, f.Source, f.File)
		if !mine[k] {
			continue
		}
		t.bySeverity[f.Severity]++
		t.byRule[f.Rule]++
		for _, r := range f.Rules() { // a rule folded into another's finding still fires
			if t.ruleOn[r] == nil {
				t.ruleOn[r] = map[string]bool{}
			}
			t.ruleOn[r][k] = true
		}
		at := fmt.Sprintf("%s %s:%d:%d", k, f.File, f.Line, f.Column)
		places[at] = append(places[at], f.Rule)
	}
	for _, rs := range places {
		if len(rs) > 1 {
			slices.Sort(rs)
			t.together[strings.Join(rs, " + ")]++
		}
	}
	return nil
}

// workload names one workload of one corpus directory: a chart's objects
// by chart, plain files' by file, an overlay's by reference (the overlays
// of one base report a base finding once).
func workload(dir string, ref render.Ref, src *render.Source, file string) string {
	id := fmt.Sprintf("%s|%s/%s %s/%s", dir, ref.APIVersion, ref.Kind, ref.Namespace, ref.Name)
	switch {
	case src != nil && src.Kind == "helm":
		return id + "|" + filepath.ToSlash(src.Chart)
	case src != nil && src.Kind == "kustomize":
		return id
	}
	return id + "|" + file
}
