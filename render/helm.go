package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mitchellh/copystructure"
	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/render/internal/helmengine"
)

// Defaults of HelmOptions, the values `helm template` uses.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
	// DefaultKubeVersion is the .Capabilities.KubeVersion the helm v3.22
	// binary reports without a cluster (it follows its client-go, v0.37).
	DefaultKubeVersion = "v1.37.0"
	// DefaultValueSet names the value set rendered when none is configured:
	// the chart's values.yaml alone.
	DefaultValueSet = "default"
)

// HelmOptions control how Helm charts are rendered. Rendering never reaches
// a cluster, and the network only when Dependencies is DependenciesFetch:
// `lookup` returns nothing and dependencies are read from the chart's
// charts/ directory.
type HelmOptions struct {
	ReleaseName string // default DefaultReleaseName
	Namespace   string // default DefaultNamespace
	KubeVersion string // .Capabilities.KubeVersion, default DefaultKubeVersion
	// ValueSets lists, by chart directory relative to Options.Dir
	// (slash-separated; "." for Options.Dir itself), the value sets each
	// chart is rendered with; each set is rendered and scanned. A chart with
	// no entry is rendered once, with a set named DefaultValueSet holding
	// values.yaml only.
	ValueSets map[string][]ValueSet
	// Dependencies is DependenciesFetch to fetch the dependencies a chart
	// does not vendor (from https:// and oci:// repositories, or file://
	// inside Options.Dir) into a temporary cache; "" or "off" leaves them
	// a problem.
	Dependencies string

	limits  Limits                // set by Load from Options.Limits
	fetched map[string]fetchedDep // by dependency name, for one chart
	// loaded is the chart preflight loaded, for the first render to use
	// instead of loading it again; nil for the others.
	loaded *chart.Chart
}

// A ValueSet is one way of installing a chart: values files applied in
// order over the chart's values.yaml, then --set style assignments.
type ValueSet struct {
	Name string
	// Files are values files, relative to the chart directory unless absolute.
	Files []string
	// Set holds `--set` assignments such as "image.tag=1.2,replicas=3".
	Set []string
}

func (h HelmOptions) withDefaults() HelmOptions {
	if h.ReleaseName == "" {
		h.ReleaseName = DefaultReleaseName
	}
	if h.Namespace == "" {
		h.Namespace = DefaultNamespace
	}
	if h.KubeVersion == "" {
		h.KubeVersion = DefaultKubeVersion
	}
	return h
}

// helmObject is a rendered object with the name Helm gives its source
// (the `# Source:` line of `helm template`), empty for CRDs.
type helmObject struct {
	*Object
	template string
}

// loadChart renders the chart in dir (absolute) with each of its value sets.
func loadChart(ctx context.Context, dir string, opt Options) ([]helmObject, []Problem) {
	h := opt.Helm.withDefaults()
	rel := relPath(opt.Dir, dir)
	ch, kv, library, fetched, probs := preflightChart(ctx, dir, rel, baseDir(dir, rel), h)
	if library || len(probs) > 0 {
		return nil, probs
	}
	h.fetched = fetched
	h.loaded = ch
	var sets []ValueSet
	for k, v := range opt.Helm.ValueSets {
		if path.Clean(filepath.ToSlash(k)) == rel {
			sets = v
		}
	}
	if len(sets) == 0 {
		sets = []ValueSet{{Name: DefaultValueSet}}
	}
	// Value sets render on every core, each on a chart tree of its own:
	// dependency processing prunes and rewrites the tree per value set.
	type rendered struct {
		objs  []helmObject
		probs []Problem
	}
	out := make([]rendered, len(sets))
	_ = parallel.ForEach(ctx, len(sets), func(i int) {
		vs, hi := sets[i], h
		if vs.Name == "" {
			vs.Name = DefaultValueSet
		}
		if i > 0 {
			hi.loaded = nil
		}
		out[i].objs, out[i].probs = renderValueSet(dir, rel, vs, hi, kv)
	})
	var objs []helmObject
	for _, r := range out {
		objs = append(objs, r.objs...)
		probs = append(probs, r.probs...)
	}
	return objs, probs
}

// DefaultChartTimeout is how long one chart may take to render.
const DefaultChartTimeout = 2 * time.Minute

// loadChartWithin renders the chart at dir, giving up after
// opt.ChartTimeout with a problem that says so.
func loadChartWithin(ctx context.Context, dir string, opt Options) ([]helmObject, []Problem) {
	type result struct {
		objs  []helmObject
		probs []Problem
	}
	r, ok := withinTime(opt.ChartTimeout, func() result {
		objs, probs := loadChart(ctx, dir, opt)
		return result{objs, probs}
	})
	if !ok {
		return nil, []Problem{slowChart(relPath(opt.Dir, dir), opt.ChartTimeout)}
	}
	return r.objs, r.probs
}

// withinTime runs fn for at most limit (DefaultChartTimeout when 0) and says
// whether it returned. What it leaves behind runs on until it ends or the
// process does: Helm's engine cannot be stopped.
func withinTime[T any](limit time.Duration, fn func() T) (T, bool) {
	if limit <= 0 {
		limit = DefaultChartTimeout
	}
	done := make(chan T, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		return r, true
	case <-timer.C:
		var zero T
		return zero, false
	}
}

func slowChart(rel string, limit time.Duration) Problem {
	if limit <= 0 {
		limit = DefaultChartTimeout
	}
	return Problem{Kind: Skipped, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1},
		Message: fmt.Sprintf("Helm chart %s did not render within %s, so its objects are not checked; a template that loops that long is worth a look", rel, limit)}
}

// preflight loads the chart at dir once to say whether it can be
// rendered: a library chart is not (it only lends templates), nor is one
// with a missing dependency or a kubeVersion the options do not meet.
func preflight(ctx context.Context, dir, rel, root string, h HelmOptions) (kv *chartutil.KubeVersion, library bool, fetched map[string]fetchedDep, probs []Problem) {
	_, kv, library, fetched, probs = preflightChart(ctx, dir, rel, root, h)
	return kv, library, fetched, probs
}

// preflightChart is preflight that also returns the chart it loaded.
func preflightChart(ctx context.Context, dir, rel, root string, h HelmOptions) (ch *chart.Chart, kv *chartutil.KubeVersion, library bool, fetched map[string]fetchedDep, probs []Problem) {
	chartFile := path.Join(rel, "Chart.yaml")
	invalid := func(file string, line int, format string, args ...any) []Problem {
		return []Problem{{Kind: Invalid, Pos: Pos{File: file, Line: max(line, 1), Column: 1}, Message: fmt.Sprintf(format, args...)}}
	}
	ch, err := loader.LoadDir(dir)
	if err != nil {
		name := rel
		if rel == "." {
			name = filepath.Base(dir)
		}
		return nil, nil, false, nil, invalid(chartFile, 1, "Helm chart %s cannot be loaded: %v", name, err)
	}
	if ch.Metadata.Type == "library" {
		return nil, nil, true, nil, nil
	}
	if h.Dependencies == DependenciesFetch {
		if missing := missingDeps(ch, dir); len(missing) > 0 {
			if p := lockProblem(ch, dir, rel); p != nil {
				return nil, nil, false, nil, []Problem{*p}
			}
			if fetched, probs = fetchDependencies(ctx, missing, dir, rel, root); len(probs) > 0 {
				return nil, nil, false, nil, probs
			}
		}
	} else if probs := missingDependencies(ch, dir, rel); len(probs) > 0 {
		return nil, nil, false, nil, probs
	}
	kv, err = chartutil.ParseKubeVersion(h.KubeVersion)
	if err != nil {
		return nil, nil, false, nil, invalid(chartFile, 1, "kube version %q: %v", h.KubeVersion, err)
	}
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, kv.String()) {
		return nil, nil, false, nil, invalid(chartFile, keyLine(dir, "kubeVersion"), "chart requires kubeVersion %s, incompatible with Kubernetes %s (the kube version the chart is rendered for)", c, kv.String())
	}
	return ch, kv, false, fetched, nil
}

// keyLine returns the line of a top-level key of dir/Chart.yaml, or 1.
func keyLine(dir, key string) int {
	n := readYAMLNode(filepath.Join(dir, "Chart.yaml"))
	if k, _ := lookupKey(n, key, 0); k != nil {
		return k.Line
	}
	return 1
}

func readYAMLNode(file string) *yaml.Node {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return parseYAMLNode(data)
}

func parseYAMLNode(data []byte) *yaml.Node {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	return deref(&doc)
}

// missingDependencies reports each dependency Chart.yaml (or Chart.lock)
// names that is not vendored under charts/, as `helm template` refuses to
// render such a chart.
func missingDependencies(ch *chart.Chart, dir, rel string) []Problem {
	var probs []Problem
	for _, m := range missingDeps(ch, dir) {
		probs = append(probs, Problem{Kind: Invalid, Pos: Pos{File: path.Join(rel, m.file), Line: m.line, Column: 1},
			Message: fmt.Sprintf("chart %s depends on %q, which is not vendored under %s; run `helm dependency build %s` and commit charts/, or let kubeharden fetch it (`helm: {dependencies: fetch}` in .kubeharden.yaml, or --helm-dependencies fetch)",
				rel, m.dep.Name, path.Join(rel, "charts"), rel)})
	}
	return probs
}

// missingDeps lists the dependencies Chart.yaml (or Chart.lock) names
// that are not vendored under charts/, each as Chart.lock pins it when
// it does, as `helm dependency build` fetches them.
func missingDeps(ch *chart.Chart, dir string) []missingDep {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var out []missingDep
	check := func(file string, deps []*chart.Dependency) {
		list := ValueAt(readYAMLNode(filepath.Join(dir, file)), []Segment{{Key: "dependencies"}})
		for i, d := range deps {
			if d == nil || have[d.Name] {
				continue
			}
			have[d.Name] = true // one problem per chart
			out = append(out, missingDep{dep: d, file: file, line: depsLine(list, i)})
		}
	}
	check("Chart.yaml", ch.Metadata.Dependencies)
	if ch.Lock != nil {
		check("Chart.lock", ch.Lock.Dependencies)
		// The lock pins the version and repository fetched.
		for i, m := range out {
			for _, l := range ch.Lock.Dependencies {
				if l != nil && l.Name == m.dep.Name {
					out[i].dep = l
				}
			}
		}
	}
	return out
}

// A chartSource is where one chart of the rendered tree lives on disk.
type chartSource struct {
	dir    string // repo-relative, slash-separated: the chart directory or its .tgz
	tgz    bool
	key    string // the chart's values key in its parent (its name or alias)
	parent *chartSource
	values *yaml.Node // its values.yaml
	// fetched names, by chart name, where each dependency fetched for it
	// is reported.
	fetched map[string]string
}

// chartSources maps each chart's ChartFullPath to where it lives, following
// charts/ directories and archives as the loader does.
func chartSources(ch *chart.Chart, src *chartSource, absDir string, out map[string]*chartSource) {
	out[ch.ChartFullPath()] = src
	src.values = valuesNode(ch)
	onDisk := map[string]string{} // chart name -> directory or archive under charts/
	if !src.tgz {
		entries, _ := os.ReadDir(filepath.Join(absDir, "charts"))
		for _, e := range entries {
			p := filepath.Join(absDir, "charts", e.Name())
			switch {
			case e.IsDir():
				if md, err := chartutil.LoadChartfile(filepath.Join(p, "Chart.yaml")); err == nil {
					onDisk[md.Name] = e.Name()
				}
			case strings.HasSuffix(e.Name(), ".tgz") || strings.HasSuffix(e.Name(), ".tar.gz"):
				if c, err := loader.LoadFile(p); err == nil {
					onDisk[c.Name()] = e.Name()
				}
			}
		}
	}
	alias := map[string]string{} // rendered name -> chart name
	for _, d := range ch.Metadata.Dependencies {
		if d != nil && d.Alias != "" {
			alias[d.Alias] = d.Name
		}
	}
	for _, dep := range ch.Dependencies() {
		name := dep.Name()
		if a, ok := alias[name]; ok {
			name = a
		}
		s := &chartSource{key: dep.Name(), parent: src, dir: src.dir, tgz: true}
		if f, ok := src.fetched[name]; ok {
			s.dir, s.tgz = f, false
		} else if e, ok := onDisk[name]; ok {
			s.dir = path.Join(src.dir, "charts", e)
			s.tgz = strings.Contains(e, ".tgz") || strings.HasSuffix(e, ".tar.gz")
		}
		chartSources(dep, s, filepath.Join(absDir, "charts", path.Base(s.dir)), out)
	}
}

func valuesNode(ch *chart.Chart) *yaml.Node {
	for _, f := range ch.Raw {
		if f.Name == chartutil.ValuesfileName {
			return parseYAMLNode(f.Data)
		}
	}
	return nil
}

// sourceOf returns the chart a rendered file name (ChartFullPath/templates/...)
// belongs to, and the name relative to that chart.
func sourceOf(srcs map[string]*chartSource, name string) (*chartSource, string) {
	best := ""
	for p := range srcs {
		if strings.HasPrefix(name, p+"/") && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return nil, name
	}
	return srcs[best], strings.TrimPrefix(name, best+"/")
}

// fileOf returns the repo-relative file a chart file is edited in: the file
// itself, or the archive that holds it.
func fileOf(srcs map[string]*chartSource, name string) (file string, inArchive bool) {
	s, r := sourceOf(srcs, name)
	if s == nil {
		return name, true
	}
	if s.tgz {
		return s.dir, true
	}
	return path.Join(s.dir, r), false
}

func renderValueSet(dir, rel string, vs ValueSet, h HelmOptions, kv *chartutil.KubeVersion) ([]helmObject, []Problem) {
	user, vfiles, prob := userValues(dir, rel, vs)
	if prob != nil {
		return nil, []Problem{*prob}
	}
	return renderChart(dir, rel, chartValues{set: vs.Name, user: user, files: vfiles}, h, kv)
}

// chartValues are the values one rendering of a chart is given, merged,
// with the files (or kustomization entries) they were read from.
type chartValues struct {
	set   string // the value set's name
	user  map[string]any
	files []valuesFile
	// apiVersions are added to .Capabilities.APIVersions.
	apiVersions []string
}

// renderChart renders the chart at dir with the given values.
func renderChart(dir, rel string, cv chartValues, h HelmOptions, kv *chartutil.KubeVersion) ([]helmObject, []Problem) {
	vs := ValueSet{Name: cv.set}
	user, vfiles := cv.user, cv.files
	// The loader hands out a fresh tree: dependency processing prunes and
	// rewrites it per value set.
	ch := h.loaded
	if ch == nil {
		var err error
		if ch, err = loader.LoadDir(dir); err != nil {
			return nil, []Problem{{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1}, Message: fmt.Sprintf("Helm chart %s cannot be loaded: %v", rel, err)}}
		}
	}
	root := &chartSource{dir: rel}
	for n, f := range h.fetched {
		dep, err := f.load()
		if err != nil {
			return nil, []Problem{{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1},
				Message: fmt.Sprintf("chart %s: fetched dependency %q cannot be loaded: %v", rel, n, err)}}
		}
		ch.AddDependency(dep)
		// Named as if vendored: the cache is gone by the report, and a
		// file:// chart is edited where it lives.
		if root.fetched == nil {
			root.fetched = map[string]string{}
		}
		root.fetched[dep.Name()] = firstNonEmptyString(f.relDir, path.Join(rel, "charts", dep.Name()))
	}
	srcs := map[string]*chartSource{}
	chartSources(ch, root, dir, srcs)
	chartProblem := func(err error) []Problem {
		return []Problem{{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1},
			Message: fmt.Sprintf("rendering chart %s (value set %s): %v", rel, vs.Name, err)}}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, user); err != nil {
		return nil, chartProblem(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	if len(cv.apiVersions) > 0 { // a copy: the default's slice is shared
		caps.APIVersions = append(append(chartutil.VersionSet{}, caps.APIVersions...), cv.apiVersions...)
	}
	opts := chartutil.ReleaseOptions{Name: h.ReleaseName, Namespace: h.Namespace, Revision: 1, IsInstall: true}
	// Schema validation is left out: a values.schema.json may $ref a URL.
	vals, err := chartutil.ToRenderValuesWithSchemaValidation(ch, user, opts, caps, true)
	if err != nil {
		return nil, chartProblem(err)
	}
	gen := generates(ch)
	// The engine stops a template at the rendered bytes limit as it
	// writes, so that a loop of millions never sits in memory whole.
	limits := h.limits.withDefaults()
	eng := helmengine.Engine{MaxBytes: limits.RenderedBytes, Trees: &helmengine.TreeCache{}, Now: firstClock}
	// Templates can store what they generate in the values (`set .Values
	// "password" (randAlphaNum 10)`, as Bitnami's charts do) or change what
	// they are given (istio's profiles), and the engine renders with the
	// maps it is given: every render starts from its own copy.
	render := func() (map[string]string, error) { return eng.Render(ch, freshValues(vals)) }
	// One render with markers serves both the objects and their
	// positions: what no code a template runs can see (helmengine's
	// Unmark, UnmarkedInclude), so its output unmarked is the plain
	// render's. A render that fails, or writes more than the limit with
	// its markers, is done again plain, whose error and size are Helm's.
	// The templates are parsed once for both instrumentations, and the
	// second is made only for a file the first does not map.
	eng.Unmark = unmark
	trees := &templateTrees{engine: eng.Trees}
	variants := []*rendering{{inst: instrument(ch, true, trees)}, {}}
	*trees = templateTrees{engine: eng.Trees} // parsed again only for a second instrumentation
	variants[0].out, variants[0].err = render()
	variants[0].inst.restore()
	// The CRDs, which no value changes, are read on another core while
	// the output is mapped: the first render has both cores busy with the
	// chart's secret search, what follows it one.
	crds := make(chan chartObjects, 1)
	go func() { crds <- parseCRDs(ch, srcs, Source{Kind: "helm", Chart: rel, ValueSet: vs.Name}) }()
	var files map[string]string
	if variants[0].err == nil {
		files = make(map[string]string, len(variants[0].out))
		for name, text := range variants[0].out {
			files[name] = unmark(text)
		}
	} else {
		var err error
		files, err = render()
		if helmengine.Exceeded(err) {
			return nil, []Problem{*renderedBytesProblem(limits, rel, vs.Name, valueSetPos(rel, vfiles), "more than "+byteSize(limits.RenderedBytes))}
		}
		if err != nil {
			return nil, []Problem{templateProblem(baseDir(dir, rel), srcs, rel, vs.Name, err)}
		}
	}
	// Checked before the output is split, parsed or rendered again.
	if p := renderLimit(files, limits, rel, vs.Name, valueSetPos(rel, vfiles)); p != nil {
		return nil, []Problem{*p}
	}
	// A second render tells which values the chart generates at install
	// (randAlphaNum, genCA, uuidv4): they differ, and were never committed.
	var again map[string]string
	// It is the render with markers too when that one served, so that its
	// templates are not parsed again.
	if gen {
		eng.Now = secondClock
		if variants[0].err == nil {
			variants[0].inst.apply()
			out, err := render()
			variants[0].inst.restore()
			if err == nil {
				again = make(map[string]string, len(out))
				for name, text := range out {
					again[name] = unmark(text)
				}
			}
		} else {
			again, _ = render()
		}
		eng.Now = firstClock
	}
	// What is parsed from here on is parsed once: the trees go.
	eng.Trees, trees.engine = nil, nil
	// Markers make the output longer; a render that outgrew the limit
	// with them is done again with twice the limit, and one that outgrows
	// that only loses exact positions.
	if variants[0].err != nil {
		eng.MaxBytes *= 2
		variants[0].inst.apply()
		variants[0].out, variants[0].err = render()
		variants[0].inst.restore()
	}
	markedFor := func(name, text string) (*instrumentation, *fileMap) {
		var best *rendering
		var bestMap *fileMap
		for i, v := range variants {
			if i > 0 && v.inst == nil {
				v.inst = instrument(ch, false, trees)
				v.out, v.err = render()
				v.inst.restore()
			}
			if v.err != nil {
				continue
			}
			m := v.inst.mapFile(v.out[name], text)
			if m != nil && !m.diverged {
				return v.inst, m
			}
			if m != nil && (bestMap == nil || m.sameLines() > bestMap.sameLines()) {
				best, bestMap = v, m
			}
		}
		if best == nil {
			return variants[0].inst, nil
		}
		return best.inst, bestMap
	}
	vctx := &valuesContext{srcs: srcs, sets: vfiles}

	src := Source{Kind: "helm", Chart: rel, ValueSet: vs.Name}
	var objs []helmObject
	var probs []Problem
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		text := files[name]
		if strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(text) == "" {
			continue
		}
		file, _ := fileOf(srcs, name)
		inst, m := markedFor(name, text)
		parsed, ps := parseHelm(file, text)
		for _, p := range ps {
			p.Pos = Pos{File: file, Line: 1, Column: 1}
			p.Message = fmt.Sprintf("%s renders invalid YAML (value set %s): %s", name, vs.Name, p.Message)
			probs = append(probs, p)
		}
		var other []*Object
		if again != nil && again[name] != text {
			other, _ = parseHelm(file, again[name])
		}
		for i, o := range parsed {
			trimDocEnd(o.Node)
			o.Source = src
			o.DefaultNamespace = h.Namespace // helm install -n puts it there
			o.Locator = newHelmLocator(o, name, srcs, inst, m, vctx)
			if i < len(other) {
				trimDocEnd(other[i].Node)
				o.Generated = differing(o.Node, other[i].Node, "", nil)
				stableIdentity(o, other[i])
			}
			objs = append(objs, helmObject{Object: o, template: name})
		}
	}
	// The locators keep the instrumentations, not the parse trees.
	*trees = templateTrees{}
	if len(objs) > limits.ChartObjects { // List kinds hold many objects in one document
		return nil, []Problem{*chartObjectsProblem(limits, rel, vs.Name, valueSetPos(rel, vfiles), strconv.Itoa(len(objs)))}
	}
	c := <-crds
	return append(objs, c.objs...), append(probs, c.probs...)
}

type chartObjects struct {
	objs  []helmObject
	probs []Problem
}

// parseCRDs reads the CRDs of a chart tree (its crds folders), which no
// value changes.
func parseCRDs(ch *chart.Chart, srcs map[string]*chartSource, src Source) chartObjects {
	var out chartObjects
	for _, crd := range ch.CRDObjects() {
		file, archived := fileOf(srcs, filepath.ToSlash(crd.Filename))
		parsed, ps := Parse(file, crd.File.Data)
		out.probs = append(out.probs, ps...)
		for _, o := range parsed {
			o.Source = src
			if archived {
				o.Locator = archiveLocator(file, filepath.ToSlash(crd.Filename))
			}
			out.objs = append(out.objs, helmObject{Object: o})
		}
	}
	return out
}

// freshValues returns render values whose .Values the templates may
// change without changing vals: a template can rewrite the values it is
// given (istio's `unset $.Values ...`, `set $ "Values" (mergeOverwrite
// ...)`), and each of the renders of one chart must start from what
// `helm template` starts from.
func freshValues(vals chartutil.Values) chartutil.Values {
	out := make(chartutil.Values, len(vals))
	for k, v := range vals {
		out[k] = v
	}
	if c, err := copystructure.Copy(vals["Values"]); err == nil {
		out["Values"] = c
	}
	return out
}

// userValues merges the value set's files and --set assignments, as
// `helm template -f ... --set ...` does.
func userValues(dir, rel string, vs ValueSet) (map[string]any, []valuesFile, *Problem) {
	user := map[string]any{}
	var vfiles []valuesFile
	for _, f := range vs.Files {
		abs := f
		if !filepath.IsAbs(f) {
			abs = filepath.Join(dir, f)
		}
		frel := path.Join(rel, filepath.ToSlash(f))
		if filepath.IsAbs(f) {
			frel = filepath.ToSlash(f)
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, nil, &Problem{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1},
				Message: fmt.Sprintf("value set %s of chart %s: values file %s cannot be read: %v", vs.Name, rel, f, err)}
		}
		m := map[string]any{}
		if err := sigsyaml.Unmarshal(data, &m); err != nil {
			p := syntaxProblem(frel, data, err)
			p.Message = fmt.Sprintf("values file of value set %s: %s", vs.Name, p.Message)
			return nil, nil, &p
		}
		user = mergeMaps(user, m)
		vfiles = append(vfiles, valuesFile{file: frel, node: parseYAMLNode(data)})
	}
	for _, s := range vs.Set {
		if err := strvals.ParseInto(s, user); err != nil {
			return nil, nil, &Problem{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1},
				Message: fmt.Sprintf("value set %s of chart %s: --set %q: %v", vs.Name, rel, s, err)}
		}
	}
	return user, vfiles, nil
}

// mergeMaps merges b into a, the way helm merges values files.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]any); ok {
			if om, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(om, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// Helm's errors name the template and line: "execution error at
// (chart/templates/x.yaml:12:14): msg", "parse error at (chart/templates/x.yaml:3): msg".
var helmErrRE = regexp.MustCompile(`^(?:template: )?(?:(?:execution|parse) error at \()?([^():\s]+):(\d+)(?::(\d+))?\)?:\s*(.*)$`)

func templateProblem(dir string, srcs map[string]*chartSource, rel, set string, err error) Problem {
	msg := err.Error()
	pos := Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1}
	if m := helmErrRE.FindStringSubmatch(msg); m != nil {
		if file, archived := fileOf(srcs, m[1]); !archived {
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			// An unexpected EOF names the line after the last one.
			if data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file))); err == nil {
				if last := bytes.Count(bytes.TrimRight(data, "\r\n\t "), []byte("\n")) + 1; line > last {
					line, col = last, 1
				}
			}
			pos = Pos{File: file, Line: max(line, 1), Column: max(col, 1)}
		} else {
			pos = Pos{File: file, Line: 1, Column: 1}
		}
	}
	return Problem{Kind: Invalid, Pos: pos, Message: fmt.Sprintf("Helm template error (value set %s): %s", set, msg)}
}

// archiveLocator points every field of an object read from a chart archive
// at the archive: its lines cannot be edited in place.
func archiveLocator(archive, name string) Locator {
	return func(n *yaml.Node) Location {
		return Location{Pos: Pos{File: archive, Line: 1, Column: 1}, Approx: true,
			Related: []Related{{File: archive, Line: max(n.Line, 1), Message: "in " + name + " inside the archive"}}}
	}
}

// baseDir returns the directory repo-relative names are relative to, from
// a chart's absolute directory and its relative name.
func baseDir(abs, rel string) string {
	d := abs
	for range strings.Split(rel, "/") {
		if rel == "." {
			break
		}
		d = filepath.Dir(d)
	}
	return d
}

// trimDocEnd does to an object what Helm's trimming of each rendered
// document (releaseutil.SplitManifests) does: a block scalar that ends the
// document loses its final line breaks.
func trimDocEnd(n *yaml.Node) {
	for n != nil {
		switch n.Kind {
		case yaml.MappingNode, yaml.SequenceNode:
			if len(n.Content) == 0 {
				return
			}
			n = n.Content[len(n.Content)-1]
		case yaml.ScalarNode:
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				n.Value = strings.TrimRight(n.Value, " \t\r\n")
			}
			return
		default:
			return
		}
	}
}

// generatorRE finds the template functions whose output changes from one
// render to the next.
var generatorRE = regexp.MustCompile(`\b(?:rand[A-Za-z]*|uuidv4|gen(?:CA|PrivateKey|SelfSignedCert|SignedCert)[A-Za-z]*|now|htpasswd|bcrypt|encryptAES)\b`)

// generates reports whether a template of the chart or its subcharts calls
// one of them. Only actions are searched: a dashboard's "now-1h" in the
// text around them (kube-prometheus-stack's) calls nothing.
func generates(ch *chart.Chart) bool {
	for _, t := range ch.Templates {
		found := false
		eachAction(string(t.Data), func(a string) bool {
			found = generatorRE.MatchString(a)
			return !found
		})
		if found {
			return true
		}
	}
	for _, d := range ch.Dependencies() {
		if generates(d) {
			return true
		}
	}
	return false
}

// The clocks of the two renders: `now` in a template reads one of them,
// so that the output is the same on every run and a value made from the
// time differs between the two renders (within one second it would not).
func firstClock() time.Time  { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
func secondClock() time.Time { return time.Date(2027, 2, 2, 1, 1, 1, 0, time.UTC) }

// eachAction calls f with each action of a template's text until f
// returns false. An action runs from a {{ to the first }} after it, as
// the regular expression (?s)\{\{.*?\}\} matches it.
func eachAction(data string, f func(action string) bool) {
	eachActionAt(data, func(open, end int) bool { return f(data[open:end]) })
}

func eachActionAt(data string, f func(open, end int) bool) {
	for i := 0; ; {
		open := strings.Index(data[i:], "{{")
		if open < 0 {
			return
		}
		open += i
		end := strings.Index(data[open+2:], "}}")
		if end < 0 {
			return
		}
		end += open + 4
		if !f(open, end) {
			return
		}
		i = end
	}
}

// stableIdentity masks the part of a generated name or namespace that
// differs from render to render (a test pod named with randAlphaNum), so
// that findings name the object the same way on every run.
func stableIdentity(o, other *Object) {
	for _, p := range []string{"metadata.name", "metadata.generateName", "metadata.namespace"} {
		if !o.Generated[p] {
			continue
		}
		segs, _ := ParsePath(p)
		a, b := ValueAt(o.Node, segs), ValueAt(other.Node, segs)
		if a == nil || b == nil {
			continue
		}
		a.Value = maskGenerated(a.Value, b.Value)
	}
	o.Name = o.String("metadata.name")
	if o.Name == "" {
		o.Name = o.String("metadata.generateName")
	}
	o.Namespace = o.String("metadata.namespace")
}

// maskGenerated writes ? for the characters of a, between the name
// separators (- and .) around where a and b differ: the same mask
// whatever random characters the two happen to share.
func maskGenerated(a, b string) string {
	start := 0
	for start < len(a) && start < len(b) && a[start] == b[start] {
		start++
	}
	end := 0 // from the end
	for end < len(a)-start && end < len(b)-start && a[len(a)-1-end] == b[len(b)-1-end] {
		end++
	}
	start = strings.LastIndexAny(a[:start], "-.") + 1
	if i := strings.IndexAny(a[len(a)-end:], "-."); i >= 0 {
		end -= i
	} else {
		end = 0
	}
	return a[:start] + strings.Repeat("?", len(a)-end-start) + a[len(a)-end:]
}

// differing adds to into the paths of the string values where a and b,
// two renderings of one object, differ.
func differing(a, b *yaml.Node, path string, into map[string]bool) map[string]bool {
	a, b = deref(a), deref(b)
	if a == nil || b == nil {
		return into
	}
	switch {
	case a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode:
		if a.Value != b.Value {
			if into == nil {
				into = map[string]bool{}
			}
			into[path] = true
		}
	case a.Kind == yaml.MappingNode && b.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(a.Content); i += 2 {
			if _, v := lookupKey(b, a.Content[i].Value, 0); v != nil {
				into = differing(a.Content[i+1], v, Join(path, Key(a.Content[i].Value)), into)
			}
		}
	case a.Kind == yaml.SequenceNode && b.Kind == yaml.SequenceNode:
		for i := 0; i < len(a.Content) && i < len(b.Content); i++ {
			into = differing(a.Content[i], b.Content[i], fmt.Sprintf("%s[%d]", path, i), into)
		}
	}
	return into
}

func firstNonEmptyString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
