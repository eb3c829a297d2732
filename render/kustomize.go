package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
)

// KustomizationNames are the file names that make a directory a kustomization.
var KustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Annotations kustomize adds when origin tracking is on; checks never see them.
const (
	originAnnotation          = "config.kubernetes.io/origin"
	transformationsAnnotation = "alpha.config.kubernetes.io/transformations"
)

// A kustDir is one kustomization of the scanned tree, read and checked
// before anything is built.
type kustDir struct {
	dir, file string // absolute
	rel       string // the kustomization file, relative to Options.Dir
	data      []byte
	doc       *yaml.Node // the mapping node
	component bool
	// uses are the kustomization directories it builds on (resources,
	// components, generator and transformer directories).
	uses []string
	// refs are the files it consumes that are not resources: patches,
	// generator inputs, configurations; never scanned as plain manifests.
	refs []string
	// fatal problems stop a build (remote, escaping, plugin); notes do not.
	fatal, notes []Problem
	// charts are its helmCharts entries that can be rendered; chartDirs
	// the vendored charts its entries name (absolute).
	charts    []*kustChart
	chartDirs []string
	// served is the kustomization as kustomize is given it, kept when it
	// has no chart (one with charts is served per build: their objects
	// depend on the namespace the build passes down).
	served []byte
	err    error
}

// A kustomizer discovers and builds the kustomizations of one scanned tree.
type kustomizer struct {
	opt Options
	// root is the repository the scanned tree is in; nothing outside it is
	// read. Only kustomizations under scan are built as roots.
	root, scan string
	dirs       map[string]*kustDir
	cache      *fileCache
	files      *sourceFiles
	// budget, when set, is the scan's object budget: each root's build
	// takes its objects from it, and is cut short when it holds more.
	budget *objectBudget
}

func newKustomizer(root, scan string, opt Options, cache *fileCache) *kustomizer {
	return &kustomizer{opt: opt, root: root, scan: scan, dirs: map[string]*kustDir{}, cache: cache,
		files: cache.sourceFiles(opt.Dir)}
}

// RepositoryRoot returns the nearest directory at or above dir that holds
// .git, or dir itself: kustomize builds read nothing outside it, so an
// overlay may use a base beside the scanned directory but never a file
// outside the repository.
func RepositoryRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			return dir
		}
		d = p
	}
}

// kustomizationFile returns the kustomization file of dir, or "".
func kustomizationFile(dir string) string {
	for _, n := range KustomizationNames {
		if fi, err := os.Lstat(filepath.Join(dir, n)); err == nil && !fi.IsDir() {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

// get reads and checks the kustomization of dir, once; nil when dir has none.
func (k *kustomizer) get(dir string) *kustDir {
	if d, ok := k.dirs[dir]; ok {
		return d
	}
	file := kustomizationFile(dir)
	if file == "" {
		k.dirs[dir] = nil
		return nil
	}
	d := &kustDir{dir: dir, file: file, rel: relPath(k.opt.Dir, file)}
	k.dirs[dir] = d
	if _, err := newTreeFS(k.root, k.cache, nil).check(file); err != nil {
		d.fatal = append(d.fatal, Problem{Kind: Skipped, Pos: Pos{File: d.rel, Line: 1, Column: 1},
			Message: "is a symbolic link that leaves the repository; not read, so this kustomization is not built"})
		d.doc = &yaml.Node{Kind: yaml.MappingNode}
		return d
	}
	d.data, d.err = k.cache.read(file)
	if d.err != nil {
		d.fatal = append(d.fatal, Problem{Kind: Skipped, Pos: Pos{File: d.rel, Line: 1, Column: 1}, Message: d.err.Error()})
		return d
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(d.data, &doc); err != nil {
		d.fatal = append(d.fatal, syntaxProblem(d.rel, d.data, err))
		return d
	}
	d.doc = deref(&doc)
	if d.doc == nil || d.doc.Kind != yaml.MappingNode {
		d.doc = &yaml.Node{Kind: yaml.MappingNode}
	}
	d.component = scalar(d.doc, "kind") == types.ComponentKind
	k.analyse(d)
	return d
}

func scalar(m *yaml.Node, key string) string {
	if _, v := lookupKey(m, key, 0); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// list returns the scalar items of the sequence at key.
func list(m *yaml.Node, key string) []*yaml.Node { return seqOf(m, key, yaml.ScalarNode) }

// items returns the mapping items of the sequence at key.
func items(m *yaml.Node, key string) []*yaml.Node { return seqOf(m, key, yaml.MappingNode) }

// seqOf returns the items of one kind of the sequence at key.
func seqOf(m *yaml.Node, key string, kind yaml.Kind) []*yaml.Node {
	_, v := lookupKey(m, key, 0)
	v = deref(v)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*yaml.Node
	for _, it := range v.Content {
		if it = deref(it); it != nil && it.Kind == kind {
			out = append(out, it)
		}
	}
	return out
}

var (
	scpRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*@`)
)

// remote reports the references kustomize would fetch: URLs, git
// repositories (scp-style, github.com/...) and go-getter prefixes.
func remote(ref string) bool {
	s := strings.ToLower(strings.TrimSpace(ref))
	s = strings.TrimPrefix(s, "git::")
	return strings.Contains(s, "://") || scpRE.MatchString(s) ||
		strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "github.com:")
}

// inline reports whether a list entry is YAML content rather than a path.
func inline(s string) bool { return strings.Contains(s, "\n") || strings.Contains(s, ": ") }

func (k *kustomizer) at(d *kustDir, n *yaml.Node) Pos {
	return Pos{File: d.rel, Line: max(n.Line, 1), Column: max(n.Column, 1)}
}

// ref checks one path the kustomization names and returns it as an
// absolute path, or "" after recording why it is not read.
func (k *kustomizer) ref(d *kustDir, n *yaml.Node, value, what string) string {
	if remote(value) {
		d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, n), Message: fmt.Sprintf(
			"names remote %s %q, which is not fetched (kubeharden reads only the repository), so this kustomization is not built", what, value)})
		return ""
	}
	if filepath.IsAbs(value) {
		d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, n), Message: fmt.Sprintf(
			"names %s %q, an absolute path, which kustomize refuses; this kustomization is not built", what, value)})
		return ""
	}
	p := filepath.Join(d.dir, value)
	f := newTreeFS(k.root, k.cache, nil)
	if _, err := f.check(p); err != nil {
		how := "leaves the repository"
		if strings.Contains(err.Error(), "symbolic link") {
			how = "is a symbolic link that leaves the repository"
		}
		d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, n), Message: fmt.Sprintf(
			"names %s %q, which %s; it is not read, so this kustomization is not built", what, value, how)})
		return ""
	}
	return p
}

// analyse records what d uses and consumes, and the problems that stop
// its build, before kustomize reads anything.
func (k *kustomizer) analyse(d *kustDir) {
	for _, key := range []string{"resources", "bases", "components"} {
		for _, n := range list(d.doc, key) {
			what := strings.TrimSuffix(key, "s")
			if key == "bases" {
				what = "base"
			}
			p := k.ref(d, n, n.Value, what)
			if p == "" {
				continue
			}
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				d.uses = append(d.uses, p)
			}
		}
	}
	for _, key := range []string{"crds", "configurations"} {
		for _, n := range list(d.doc, key) {
			if p := k.ref(d, n, n.Value, "file"); p != "" {
				d.refs = append(d.refs, p)
			}
		}
	}
	for _, n := range list(d.doc, "patchesStrategicMerge") {
		if !inline(n.Value) {
			if p := k.ref(d, n, n.Value, "patch"); p != "" {
				d.refs = append(d.refs, p)
			}
		}
	}
	for _, key := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, it := range items(d.doc, key) {
			if _, v := lookupKey(it, "path", 0); v != nil && v.Kind == yaml.ScalarNode {
				if p := k.ref(d, v, v.Value, "patch"); p != "" {
					d.refs = append(d.refs, p)
				}
			}
		}
	}
	if _, v := lookupKey(d.doc, "openapi", 0); v != nil {
		if _, pv := lookupKey(v, "path", 0); pv != nil && pv.Kind == yaml.ScalarNode {
			if p := k.ref(d, pv, pv.Value, "file"); p != "" {
				d.refs = append(d.refs, p)
			}
		}
	}
	for _, key := range []string{"configMapGenerator", "secretGenerator"} {
		for _, it := range items(d.doc, key) {
			for _, fk := range []string{"files", "envs"} {
				for _, n := range list(it, fk) {
					v := n.Value
					if i := strings.Index(v, "="); i >= 0 && fk == "files" {
						v = v[i+1:]
					}
					if p := k.ref(d, n, v, "file"); p != "" {
						d.refs = append(d.refs, p)
					}
				}
			}
			if _, v := lookupKey(it, "env", 0); v != nil && v.Kind == yaml.ScalarNode {
				if p := k.ref(d, v, v.Value, "file"); p != "" {
					d.refs = append(d.refs, p)
				}
			}
		}
	}
	for _, key := range []string{"generators", "transformers", "validators"} {
		for _, n := range list(d.doc, key) {
			if inline(n.Value) {
				k.plugins(d, n, []byte(n.Value))
				continue
			}
			p := k.ref(d, n, n.Value, "plugin configuration")
			if p == "" {
				continue
			}
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				d.uses = append(d.uses, p)
				continue
			}
			d.refs = append(d.refs, p)
			if data, err := k.cache.read(p); err == nil {
				k.plugins(d, n, data)
			}
		}
	}
	k.helmCharts(d)
}

// plugins records a generator or transformer configuration that is not
// one of kustomize's built-ins: exec and container KRM functions and
// legacy Go or exec plugins never run.
func (k *kustomizer) plugins(d *kustDir, n *yaml.Node, data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return
		}
		m := deref(&doc)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		api, kind := scalar(m, "apiVersion"), scalar(m, "kind")
		if api == "builtin" {
			// Built-in plugins load their files through kustomize, which
			// fetches URLs.
			if u := remoteValue(m); u != "" {
				d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, n), Message: fmt.Sprintf(
					"names %s configuration that reads remote file %q, which is not fetched (kubeharden reads only the repository), so this kustomization is not built", kind, u)})
			}
			continue
		}
		if api == "" {
			continue
		}
		how := "a legacy plugin"
		if fn := ValueAt(m, []Segment{{Key: "metadata"}, {Key: "annotations"}, {Key: "config.kubernetes.io/function"}}); fn != nil {
			switch {
			case strings.Contains(fn.Value, "exec"):
				how = "an exec KRM function"
			case strings.Contains(fn.Value, "container"):
				how = "a container KRM function"
			case strings.Contains(fn.Value, "starlark"):
				how = "a Starlark KRM function"
			default:
				how = "a KRM function"
			}
		}
		d.fatal = append(d.fatal, Problem{Kind: Invalid, Pos: k.at(d, n), Message: fmt.Sprintf(
			"names %s %s (%s), which is not run: kubeharden runs only kustomize's built-in generators and transformers, so this kustomization is not built",
			kind, api, how)})
	}
}

// remoteValue returns the first remote reference among the file fields
// (path, files, envs, env, resources) of a built-in plugin configuration.
func remoteValue(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := deref(n.Content[i+1])
			if v == nil {
				continue
			}
			switch n.Content[i].Value {
			case "path", "files", "envs", "env", "resources":
				vals := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					vals = v.Content
				}
				for _, x := range vals {
					if x.Kind == yaml.ScalarNode && remote(x.Value[strings.Index(x.Value, "=")+1:]) {
						return x.Value
					}
				}
			}
			if u := remoteValue(v); u != "" {
				return u
			}
		}
	case yaml.SequenceNode:
		for _, it := range n.Content {
			if u := remoteValue(deref(it)); u != "" {
				return u
			}
		}
	}
	return ""
}

// serve returns the kustomization as kustomize is given it: origin and
// transformer annotations on, and its Helm charts replaced by the files
// of their rendered objects, listed as resources.
func serve(d *kustDir, charts []string) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(d.data, &doc) != nil {
		return d.data
	}
	m := deref(&doc)
	if m == nil || m.Kind != yaml.MappingNode {
		return d.data
	}
	var content []*yaml.Node
	meta := map[string]bool{}
	resources := &yaml.Node{Kind: yaml.SequenceNode}
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case "helmCharts", "helmChartInflationGenerator", "helmGlobals":
			continue
		case "resources":
			if v := deref(m.Content[i+1]); v != nil && v.Kind == yaml.SequenceNode {
				resources = v
			}
			continue
		case "buildMetadata":
			for _, it := range deref(m.Content[i+1]).Content {
				meta[it.Value] = true
			}
			continue
		}
		content = append(content, m.Content[i], m.Content[i+1])
	}
	for _, c := range charts {
		resources.Content = append(resources.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: c})
	}
	if len(resources.Content) > 0 {
		content = append(content, &yaml.Node{Kind: yaml.ScalarNode, Value: "resources"}, resources)
	}
	meta[types.OriginAnnotations] = true
	meta[types.TransformerAnnotations] = true
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	var keys []string
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k})
	}
	m.Content = append(content, &yaml.Node{Kind: yaml.ScalarNode, Value: "buildMetadata"}, seq)
	out, err := yaml.Marshal(m)
	if err != nil {
		return d.data
	}
	return out
}

// closure returns d and every kustomization it builds on.
func (k *kustomizer) closure(d *kustDir) []*kustDir {
	seen := map[*kustDir]bool{}
	var out []*kustDir
	var walk func(*kustDir)
	walk = func(d *kustDir) {
		if d == nil || seen[d] {
			return
		}
		seen[d] = true
		out = append(out, d)
		for _, u := range d.uses {
			walk(k.get(u))
		}
	}
	walk(d)
	return out
}

// A kustResult is what the kustomizations of one scanned tree produced.
type kustResult struct {
	objects  []*Object
	problems []Problem
	// consumed are the files kustomizations read or name (absolute), which
	// are not scanned again as plain manifests.
	consumed map[string]bool
	// charts are the chart directories kustomizations render (absolute):
	// they are not rendered again on their own.
	charts map[string]bool
}

// kustomize builds every root kustomization of the scanned tree, given
// the kustomization directories found in it.
func (k *kustomizer) kustomize(ctx context.Context, found []string) (*kustResult, error) {
	res := &kustResult{consumed: map[string]bool{}, charts: map[string]bool{}}
	var all []*kustDir
	for _, dir := range found {
		if d := k.get(dir); d != nil {
			all = append(all, d)
		}
	}
	used := map[string]bool{}
	for i := 0; i < len(all); i++ {
		for _, u := range all[i].uses {
			used[u] = true
			if d := k.get(u); d != nil && !containsDir(all, d) {
				all = append(all, d) // outside the walk (vendor/, a chart): still checked
			}
		}
	}
	var queue []*kustDir
	for _, d := range all {
		res.consumed[d.file] = true
		for _, r := range d.refs {
			res.consumed[r] = true
		}
		for _, c := range d.chartDirs {
			res.charts[c] = true
		}
		if !d.component && !used[d.dir] && within(k.scan, d.dir) {
			queue = append(queue, d)
		}
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i].rel < queue[j].rel })
	reported := map[Pos]bool{}
	report := func(p Problem) {
		if !reported[p.Pos] {
			reported[p.Pos] = true
			res.problems = append(res.problems, p)
		}
	}
	for _, d := range all {
		for _, p := range d.notes {
			report(p)
		}
	}
	built := map[*kustDir]bool{}
	tried := map[*kustDir]bool{}
	done := 0
	for len(queue) > 0 || k.orphans(all, tried, &queue) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := queue[0]
		queue = queue[1:]
		if tried[d] || built[d] {
			continue
		}
		tried[d] = true
		if k.budget != nil && k.budget.remaining() < 0 {
			// Dropped like any input after the budget is spent; its bases
			// are not built in its place.
			k.budget.take(0, Pos{})
			for _, c := range k.closure(d) {
				built[c] = true
			}
			continue
		}
		objs, reads, probs := k.build(d)
		if done++; k.opt.Progress != nil {
			k.opt.Progress(StageKustomizations, done, done+len(queue))
		}
		for _, p := range probs {
			report(p)
		}
		if len(probs) == 0 {
			res.objects = append(res.objects, objs...)
			for f := range reads {
				res.consumed[f] = true
			}
			for _, c := range k.closure(d) {
				built[c] = true
			}
			continue
		}
		// A root that does not build: its own bases are still checked,
		// each as a root, unless another build covers them.
		for _, u := range d.uses {
			if c := k.get(u); c != nil && !c.component {
				queue = append(queue, c)
			}
		}
	}
	return res, nil
}

// orphans queues the kustomizations no build reached (a cycle of bases
// using each other has no root), so kustomize says why they do not build.
func (k *kustomizer) orphans(all []*kustDir, tried map[*kustDir]bool, queue *[]*kustDir) bool {
	covered := map[*kustDir]bool{}
	for d := range tried {
		for _, c := range k.closure(d) {
			covered[c] = true
		}
	}
	for _, d := range all {
		if !covered[d] && !d.component && within(k.scan, d.dir) {
			*queue = append(*queue, d)
			return true
		}
	}
	return false
}

func containsDir(ds []*kustDir, d *kustDir) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// build runs kustomize on one root. A build that fails returns its
// problems, located at the kustomization line involved.
func (k *kustomizer) build(d *kustDir) ([]*Object, map[string]bool, []Problem) {
	chain := k.closure(d)
	var probs []Problem
	override := map[string][]byte{}
	g := &kustGraph{k: k, root: d, charts: map[string]*chartRender{}}
	namespaces := k.chartNamespaces(d)
	for _, c := range chain {
		probs = append(probs, c.fatal...)
		var charts []string
		for _, kc := range c.charts {
			r := k.render(kc, namespaces[c])
			probs = append(probs, r.probs...)
			if len(r.objs) > 0 {
				override[kc.file] = r.text
				g.charts[kc.file] = r
				charts = append(charts, filepath.Base(kc.file))
			}
		}
		if len(c.charts) > 0 {
			override[c.file] = serve(c, charts)
			continue
		}
		if c.served == nil {
			c.served = serve(c, nil)
		}
		override[c.file] = c.served
	}
	if len(probs) > 0 {
		return nil, nil, probs
	}
	fs := newTreeFS(k.root, k.cache, override)
	remain := -1
	if k.budget != nil {
		remain = k.budget.remaining()
		fs.limit, fs.resources = remain, resourceFiles(chain, g.charts)
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	rm, err := krusty.MakeKustomizer(opts).Run(fs, d.dir)
	// kustomize holds a build's every object before it returns: the
	// resource files it reads are counted as it goes, and a build that
	// holds more objects than the scan may still check is stopped there,
	// or refused once built, before any position is mapped.
	at := Pos{File: d.rel, Line: 1, Column: 1}
	if fs.over {
		k.budget.take(fs.objects, at)
		k.budget.atLeast = true
		return nil, fs.read, nil
	}
	if err != nil {
		return nil, nil, []Problem{k.buildProblem(chain, fs, err)}
	}
	if remain >= 0 && rm.Size() > remain {
		k.budget.take(rm.Size(), at)
		return nil, fs.read, nil
	}
	var objs []*Object
	for _, r := range rm.Resources() {
		o, err := g.object(fromKyaml(r.YNode()))
		if err != nil {
			return nil, nil, []Problem{k.buildProblem(chain, fs, err)}
		}
		objs = append(objs, o)
	}
	for f := range g.charts {
		delete(fs.read, f) // served, not read
	}
	if k.budget != nil {
		k.budget.take(len(objs), at)
	}
	return objs, fs.read, nil
}

// resourceFiles are the files the chain's kustomizations list as
// resources (and the files served for their Helm charts), less those one
// of them also reads as something else (a patch): what a build's object
// count is read from.
func resourceFiles(chain []*kustDir, charts map[string]*chartRender) map[string]bool {
	out := map[string]bool{}
	for _, c := range chain {
		for _, key := range []string{"resources", "bases"} {
			for _, n := range list(c.doc, key) {
				out[filepath.Join(c.dir, n.Value)] = true
			}
		}
	}
	for _, c := range chain {
		for _, r := range c.refs {
			delete(out, r)
		}
	}
	for f := range charts {
		out[f] = true
	}
	return out
}

// configDumpRE matches the configuration kustomize quotes when a built-in
// generator or transformer cannot be configured: the entry as written.
var configDumpRE = regexp.MustCompile("(?s) with config: `(.*?)`")

// buildProblem locates kustomize's error at the kustomization entry it
// names: the entry whose configuration it quotes, else the longest entry
// value the message mentions.
func (k *kustomizer) buildProblem(chain []*kustDir, fs *treeFS, err error) Problem {
	msg := err.Error()
	var cfg map[string]any
	if m := configDumpRE.FindStringSubmatch(msg); m != nil {
		if yaml.Unmarshal([]byte(m[1]), &cfg) != nil {
			cfg = nil
		}
		msg = strings.Replace(msg, m[0], "", 1) // the entry is where it points
	}
	msg = strings.ReplaceAll(msg, k.opt.Dir+string(filepath.Separator), "")
	if len(fs.refused) > 0 {
		msg = fmt.Sprintf("%s is outside the repository and was not read: %s", relPath(k.opt.Dir, fs.refused[0]), msg)
	}
	best, at := chain[0], entryConfigured(chain, cfg)
	if at != nil {
		best = at.d
	} else {
		bestLen := 0
		for _, c := range chain {
			var walk func(n *yaml.Node)
			walk = func(n *yaml.Node) {
				if n == nil {
					return
				}
				if n.Kind == yaml.ScalarNode && len(n.Value) > bestLen && len(n.Value) > 1 && strings.Contains(err.Error(), n.Value) {
					best, bestLen, at = c, len(n.Value), &entry{c, n}
				}
				if n.Kind == yaml.MappingNode {
					for i := 1; i < len(n.Content); i += 2 {
						walk(n.Content[i]) // values: keys are words any message may hold
					}
					return
				}
				for _, ch := range n.Content {
					walk(ch)
				}
			}
			walk(c.doc)
		}
	}
	pos := Pos{File: best.rel, Line: 1, Column: 1}
	if at != nil {
		pos = k.at(best, at.n)
	}
	return Problem{Kind: Invalid, Pos: pos, Message: fmt.Sprintf("does not build (kustomize build %s): %s", relPath(k.opt.Dir, chain[0].dir), msg)}
}

// An entry is a node of one kustomization.
type entry struct {
	d *kustDir
	n *yaml.Node
}

// entryConfigured finds the list entry of the chain's kustomizations that
// a quoted configuration was made from: the one sharing the most text
// fields with it.
func entryConfigured(chain []*kustDir, cfg map[string]any) *entry {
	if len(cfg) == 0 {
		return nil
	}
	var best *entry
	most := 0
	for _, c := range chain {
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n == nil {
				return
			}
			if n.Kind == yaml.MappingNode {
				same := 0
				for i := 0; i+1 < len(n.Content); i += 2 {
					if v, ok := cfg[n.Content[i].Value].(string); ok && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].Value == v {
						same++
					}
				}
				if same > most {
					best, most = &entry{c, n}, same
				}
			}
			for _, ch := range n.Content {
				walk(ch)
			}
		}
		walk(c.doc)
	}
	return best
}

// BuildKustomization builds the kustomization in dir as a root, reading
// nothing outside tree, and returns its objects with their positions, or
// the problems that stopped the build.
func BuildKustomization(ctx context.Context, tree, dir string, opt Options) ([]*Object, []Problem, error) {
	if opt.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, nil, err
		}
		opt.Dir = wd
	}
	var err error
	if opt.Dir, err = filepath.Abs(opt.Dir); err != nil {
		return nil, nil, err
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = DefaultMaxFileSize
	}
	if tree, err = filepath.Abs(filepath.Join(opt.Dir, tree)); err != nil {
		return nil, nil, err
	}
	if dir, err = filepath.Abs(filepath.Join(opt.Dir, dir)); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	k := newKustomizer(tree, tree, opt, &fileCache{maxSize: opt.MaxFileSize, files: map[string]cached{}})
	d := k.get(dir)
	if d == nil {
		return nil, nil, fmt.Errorf("%s holds no kustomization", relPath(opt.Dir, dir))
	}
	objs, _, probs := k.build(d)
	for _, c := range k.closure(d) {
		probs = append(probs, c.notes...)
	}
	return objs, probs, nil
}
