package render

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// The helmCharts of a kustomization are rendered with this package's Helm
// renderer, from charts vendored in the repository (kustomize would run
// the helm binary, and pull the chart when it is missing). Each entry's
// objects are served to kustomize as a resource file of the
// kustomization, so its transformers, patches and components apply to them
// as they do to the chart's output in `kustomize build --enable-helm`.

// chartObjectAnnotation numbers the objects of a served chart file, so
// that a built object finds the rendered object it came from whatever
// name transformers gave it; it is removed before checks see the object.
const chartObjectAnnotation = "internal.kubeharden.io/chart-object"

// A kustChart is one helmCharts entry of a kustomization.
type kustChart struct {
	owner *kustDir
	index int
	spec  types.HelmChart
	entry *yaml.Node // the entry's name, where problems are reported
	dir   string     // the vendored chart (absolute)
	rel   string     // the chart, relative to Options.Dir
	file  string     // the resource file served in the entry's place (absolute)
	// values are the entry's values layers, weakest first, over the
	// chart's own values.yaml.
	values  []valuesSource
	renders map[string]*chartRender // by release namespace
}

// A valuesSource is one layer of an entry's values: a values file, or the
// valuesInline mapping of the kustomization.
type valuesSource struct {
	file   string // relative to Options.Dir
	node   *yaml.Node
	values map[string]any
}

// A chartRender is an entry rendered for one release namespace.
type chartRender struct {
	chart *kustChart
	objs  []*Object // in the order served, as numbered by chartObjectAnnotation
	text  []byte    // the resource file served
	probs []Problem
}

// chartKeys are the keys of an entry, for helmCharts and for the legacy
// helmChartInflationGenerator.
type chartKeys struct {
	name, valuesFile, valuesInline, valuesMerge string
}

var (
	modernKeys = chartKeys{"name", "valuesFile", "valuesInline", "valuesMerge"}
	legacyKeys = chartKeys{"chartName", "values", "valuesLocal", "valuesMerge"}
)

// helmCharts reads the helmCharts (and helmChartInflationGenerator)
// entries of d: each must name a chart vendored in the repository, and
// values files in it; anything else is a problem that stops the build.
func (k *kustomizer) helmCharts(d *kustDir) {
	home, homeNode := types.HelmDefaultHome, (*yaml.Node)(nil)
	_, globals := lookupKey(d.doc, "helmGlobals", 0)
	if kn, v := lookupKey(globals, "chartHome", 0); kn != nil && v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
		home, homeNode = v.Value, v
	}
	for _, key := range []string{"helmCharts", "helmChartInflationGenerator"} {
		if kn, v := lookupKey(d.doc, key, 0); kn != nil && deref(v) != nil && deref(v).Kind != yaml.SequenceNode {
			d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, kn), Message: fmt.Sprintf(
				"has %s that is not a list of charts, which kustomize refuses; this kustomization is not built", key)})
		}
	}
	var entries []*kustChart
	for _, it := range items(d.doc, "helmCharts") {
		kc := &kustChart{owner: d}
		if err := it.Decode(&kc.spec); err != nil {
			d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, it), Message: "has a helmCharts entry that cannot be read: " + err.Error()})
			continue
		}
		k.chartEntry(d, kc, it, modernKeys, home, homeNode)
		entries = append(entries, kc)
	}
	legacyHome, legacyNode := "", (*yaml.Node)(nil)
	var legacy []*kustChart
	for _, it := range items(d.doc, "helmChartInflationGenerator") {
		var args types.HelmChartArgs
		if err := it.Decode(&args); err != nil {
			d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, it), Message: "has a helmChartInflationGenerator entry that cannot be read: " + err.Error()})
			continue
		}
		if args.ChartHome != "" { // the last one set wins, as in kustomize
			legacyHome, legacyNode = args.ChartHome, ValueAt(it, []Segment{{Key: "chartHome"}})
		}
		charts, _ := types.SplitHelmParameters([]types.HelmChartArgs{args})
		legacy = append(legacy, &kustChart{owner: d, spec: charts[0], entry: it})
	}
	for _, kc := range legacy {
		h, hn := home, homeNode
		if globals == nil && legacyHome != "" {
			h, hn = legacyHome, legacyNode
		}
		k.chartEntry(d, kc, kc.entry, legacyKeys, h, hn)
		entries = append(entries, kc)
	}
	for i, kc := range entries {
		kc.index = i
		if kc.dir != "" {
			kc.file = filepath.Join(d.dir, fmt.Sprintf(".kubeharden-helmchart-%d-%s.yaml", i, fileSafe(kc.spec.Name)))
			d.charts = append(d.charts, kc)
		}
	}
}

// pullCommand is the helm command that vendors the chart of an entry
// where kustomize looks for it. A repository address loses any
// credentials written into it.
func pullCommand(s types.HelmChart, into string) string {
	repo := s.Repo
	if u, err := url.Parse(repo); err == nil && u.User != nil {
		u.User = nil
		repo = u.String()
	}
	cmd := "helm pull " + s.Name
	switch {
	case strings.HasPrefix(repo, "oci://"):
		cmd = "helm pull " + strings.TrimSuffix(repo, "/") + "/" + s.Name
	case repo != "":
		cmd += " --repo " + repo
	}
	if s.Version != "" {
		cmd += " --version " + s.Version
	}
	return cmd + " --untar --untardir " + filepath.ToSlash(into)
}

var unsafeRE = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func fileSafe(s string) string { return unsafeRE.ReplaceAllString(s, "_") }

// chartEntry checks one entry and reads its values; kc.dir stays empty
// when the entry cannot be rendered.
func (k *kustomizer) chartEntry(d *kustDir, kc *kustChart, it *yaml.Node, keys chartKeys, home string, homeNode *yaml.Node) {
	kc.entry = it
	if _, v := lookupKey(it, keys.name, 0); v != nil {
		kc.entry = v
	}
	fail := func(n *yaml.Node, format string, args ...any) {
		d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, n), Message: fmt.Sprintf(format, args...)})
	}
	s := kc.spec
	if s.Name == "" || strings.HasPrefix(s.Name, "-") || strings.HasPrefix(s.ReleaseName, "-") {
		fail(kc.entry, "has a Helm chart entry without a usable chart name (%q, release %q); this kustomization is not built", s.Name, s.ReleaseName)
		return
	}
	if homeNode == nil {
		homeNode = kc.entry
	}
	if filepath.IsAbs(home) {
		fail(homeNode, "names chart home %q, an absolute path, which is not read (kubeharden reads only the repository), so this kustomization is not built", home)
		return
	}
	where := filepath.Join(home, s.Name)
	if s.Version != "" && s.Repo != "" {
		where = filepath.Join(home, s.Name+"-"+s.Version, s.Name)
	}
	abs := k.ref(d, homeNode, where, "Helm chart")
	if abs == "" {
		return
	}
	if fi, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err != nil || fi.IsDir() {
		fail(kc.entry, "uses Helm chart %s, which is not vendored at %s; kubeharden never downloads charts or runs helm, so this kustomization is not built (vendor the chart: %s)",
			s.Name, filepath.ToSlash(where), pullCommand(s, filepath.Dir(where)))
		return
	}
	// The chart is this kustomization's input from here on: it is not
	// rendered on its own, even when the entry is unusable.
	d.chartDirs = append(d.chartDirs, abs)
	if _, probs := chartTexts(abs, k.opt); len(probs) > 0 {
		d.fatal = append(d.fatal, probs...)
		return
	}
	switch s.ValuesMerge {
	case "", "override", "merge", "replace":
	default:
		fail(ValueAt(it, []Segment{{Key: keys.valuesMerge}}), "sets valuesMerge %q for Helm chart %s; kustomize accepts merge, override or replace, so this kustomization is not built", s.ValuesMerge, s.Name)
		return
	}
	read := func(n *yaml.Node, name string) (valuesSource, bool) {
		p := k.ref(d, n, name, "values file")
		if p == "" {
			return valuesSource{}, false
		}
		d.refs = append(d.refs, p)
		data, err := k.cache.read(p)
		if err != nil {
			fail(n, "names values file %s for Helm chart %s, which cannot be read (%v); this kustomization is not built", name, s.Name, strings.ReplaceAll(err.Error(), p+" ", ""))
			return valuesSource{}, false
		}
		vs := valuesSource{file: relPath(k.opt.Dir, p), node: parseYAMLNode(data), values: map[string]any{}}
		if err := sigsyaml.Unmarshal(data, &vs.values); err != nil {
			prob := syntaxProblem(vs.file, data, err)
			prob.Message = fmt.Sprintf("values file of Helm chart %s (%s): %s", s.Name, d.rel, prob.Message)
			d.fatal = append(d.fatal, prob)
			return valuesSource{}, false
		}
		return vs, true
	}
	var file, inline []valuesSource
	if s.ValuesFile != "" {
		vs, ok := read(ValueAt(it, []Segment{{Key: keys.valuesFile}}), s.ValuesFile)
		if !ok {
			return
		}
		file = append(file, vs)
	}
	if n := deref(ValueAt(it, []Segment{{Key: keys.valuesInline}})); n != nil && len(n.Content) > 0 {
		vs := valuesSource{file: d.rel, node: n, values: map[string]any{}}
		// Decoded where it stands, so that aliases and merge keys reach
		// anchors elsewhere in the kustomization; then read as Helm reads
		// values files.
		var v any
		err := n.Decode(&v)
		var data []byte
		if err == nil {
			data, err = json.Marshal(normalize(v))
		}
		if err == nil {
			err = sigsyaml.Unmarshal(data, &vs.values)
		}
		if err != nil {
			fail(n, "has %s for Helm chart %s that cannot be read (%v); this kustomization is not built", keys.valuesInline, s.Name, err)
			return
		}
		inline = append(inline, vs)
	}
	// kustomize merges the inline values with the values file into one
	// file: inline values win under override (the default), the file wins
	// under merge, and replace drops the file.
	switch s.ValuesMerge {
	case "merge":
		kc.values = append(inline, file...)
	case "replace":
		if len(inline) == 0 {
			kc.values = file
		} else {
			kc.values = inline
		}
	default:
		kc.values = append(file, inline...)
	}
	for i, name := range s.AdditionalValuesFiles {
		vs, ok := read(ValueAt(it, []Segment{{Key: "additionalValuesFiles"}, {Index: i, IsIdx: true}}), name)
		if !ok {
			return
		}
		kc.values = append(kc.values, vs)
	}
	kc.dir, kc.rel = abs, relPath(k.opt.Dir, abs)
}

// chartNamespaces returns the namespace each kustomization of root's
// build inherits for its Helm charts: kustomize gives a chart without a
// namespace of its own the namespace of its kustomization or, failing
// that, of the nearest kustomization above it that sets one.
func (k *kustomizer) chartNamespaces(root *kustDir) map[*kustDir]string {
	out := map[*kustDir]string{}
	var walk func(d *kustDir, inherited string)
	walk = func(d *kustDir, inherited string) {
		if d == nil {
			return
		}
		if _, seen := out[d]; seen {
			return
		}
		out[d] = inherited
		if ns := scalar(d.doc, "namespace"); ns != "" {
			inherited = ns
		}
		for _, key := range []string{"resources", "bases", "components"} {
			for _, n := range list(d.doc, key) {
				walk(k.get(filepath.Join(d.dir, n.Value)), inherited)
			}
		}
	}
	walk(root, "")
	return out
}

// render renders the entry for one inherited namespace, once.
func (k *kustomizer) render(kc *kustChart, inherited string) *chartRender {
	ns := kc.spec.Namespace
	if ns == "" {
		ns = scalar(kc.owner.doc, "namespace")
	}
	if ns == "" {
		ns = inherited
	}
	if r, ok := kc.renders[ns]; ok {
		return r
	}
	r := &chartRender{chart: kc}
	if kc.renders == nil {
		kc.renders = map[string]*chartRender{}
	}
	kc.renders[ns] = r
	h := k.opt.Helm.withDefaults()
	h.ReleaseName = kc.spec.ReleaseName
	if h.ReleaseName == "" {
		// kustomize asks helm to generate a name; a fixed one keeps
		// findings and fingerprints stable from run to run.
		h.ReleaseName = DefaultReleaseName
	}
	h.Namespace = ns
	if ns == "" {
		h.Namespace = DefaultNamespace
	}
	if kc.spec.KubeVersion != "" {
		h.KubeVersion = kc.spec.KubeVersion
	}
	// kustomize renders a chart with the dependencies it vendors only.
	h.Dependencies = ""
	kv, library, _, probs := preflight(context.Background(), kc.dir, kc.rel, "", h)
	if library {
		probs = append(probs, Problem{Kind: Invalid, Pos: k.at(kc.owner, kc.entry), Message: fmt.Sprintf(
			"uses Helm chart %s, a library chart, which cannot be installed; this kustomization is not built", kc.spec.Name)})
	}
	if len(probs) > 0 {
		r.probs = probs
		return r
	}
	cv := chartValues{set: fmt.Sprintf("helmCharts[%d] of %s", kc.index, kc.owner.rel), user: map[string]any{}, apiVersions: kc.spec.ApiVersions}
	for _, v := range kc.values {
		cv.user = mergeMaps(cv.user, v.values)
		cv.files = append(cv.files, valuesFile{file: v.file, node: v.node})
	}
	type result struct {
		objs  []helmObject
		probs []Problem
	}
	res, ok := withinTime(k.opt.ChartTimeout, func() result {
		objs, probs := renderChart(kc.dir, kc.rel, cv, h, kv)
		return result{objs, probs}
	})
	if !ok {
		res.probs = []Problem{slowChart(kc.rel, k.opt.ChartTimeout)}
	}
	objs, probs := res.objs, res.probs
	if len(probs) > 0 {
		r.probs = probs
		return r
	}
	var docs []string
	for _, o := range objs {
		hook := ""
		if ann, ok := o.Value()["metadata"].(map[string]any); ok {
			if a, ok := ann["annotations"].(map[string]any); ok {
				hook, _ = a["helm.sh/hook"].(string)
			}
		}
		switch {
		case o.template == "" && !kc.spec.IncludeCRDs:
			continue // crds/ are left out unless includeCRDs
		case hook != "" && kc.spec.SkipHooks:
			continue
		case strings.Contains(hook, "test") && kc.spec.SkipTests:
			continue
		}
		text, err := serveObject(o.Object, len(r.objs))
		if err != nil {
			r.probs = append(r.probs, Problem{Kind: Invalid, Pos: Pos{File: o.File, Line: max(o.Node.Line, 1), Column: 1},
				Message: fmt.Sprintf("renders %s %s, which kustomize cannot read (%v); %s is not built", o.Kind, o.Name, err, kc.owner.rel)})
			continue
		}
		docs = append(docs, text)
		r.objs = append(r.objs, o.Object)
	}
	r.text = []byte(strings.Join(docs, "---\n"))
	return r
}

// serveObject writes a chart's object for kustomize, marked as Helm's
// (kustomize's namespace transformer leaves such objects alone, and
// removes the mark itself) and numbered.
func serveObject(o *Object, i int) (string, error) {
	data, err := yaml.Marshal(o.Node)
	if err != nil {
		return "", err
	}
	rn, err := kyaml.Parse(string(data))
	if err != nil {
		return "", err
	}
	for _, f := range []kyaml.Filter{
		kyaml.SetAnnotation(konfig.HelmGeneratedAnnotation, "true"),
		kyaml.SetAnnotation(chartObjectAnnotation, strconv.Itoa(i)),
	} {
		if err := rn.PipeE(f); err != nil {
			return "", err
		}
	}
	return rn.String()
}
