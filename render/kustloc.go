package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"
)

// A sourceFile is a file of the tree parsed for position mapping, once a
// Load whatever number of builds read it: as documents when it holds
// patches or replacements, as objects when it holds resources.
type sourceFile struct {
	rel      string
	data     []byte // shared with the file cache
	docsOnce sync.Once
	objsOnce sync.Once
	docs     []*yaml.Node // the content node of each document
	objs     []*Object
}

func (f *sourceFile) documents() []*yaml.Node {
	f.docsOnce.Do(func() { f.docs = parseDocs(f.data) })
	return f.docs
}

func (f *sourceFile) objects() []*Object {
	f.objsOnce.Do(func() { f.objs, _ = Parse(f.rel, f.data) })
	return f.objs
}

// sourceFiles parses the files builds read, once a Load.
type sourceFiles struct {
	dir    string
	cache  *fileCache
	mu     sync.Mutex
	parsed map[string]*sourceFile
}

func (s *sourceFiles) get(abs string) *sourceFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.parsed[abs]; ok {
		return f
	}
	f := &sourceFile{rel: relPath(s.dir, abs)}
	s.parsed[abs] = f
	f.data, _ = s.cache.read(abs)
	return f
}

func parseDocs(data []byte) []*yaml.Node {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return docs // io.EOF, or a syntax error kustomize reports
		}
		if n := deref(&doc); n != nil {
			docs = append(docs, n)
		}
	}
}

// A kustGraph maps the objects of one root's build to their sources.
type kustGraph struct {
	k    *kustomizer
	root *kustDir
	// charts are the Helm charts rendered for this build, by the file
	// served in their place.
	charts map[string]*chartRender
	// objs are the objects built, the sources of replacements and vars;
	// following depth replacement sources deep.
	objs      []*Object
	following int
}

type origin struct {
	Path         string `yaml:"path"`
	ConfiguredIn string `yaml:"configuredIn"`
	ConfiguredBy struct {
		Kind string `yaml:"kind"`
	} `yaml:"configuredBy"`
}

// stripAnnotations removes kustomize's tracking annotations (and the
// number of a chart's object) from the object and returns the origin
// annotation's value and the chart object's number.
func stripAnnotations(m *yaml.Node) (value, chartObject string) {
	meta := ValueAt(m, []Segment{{Key: "metadata"}})
	ann := ValueAt(meta, []Segment{{Key: "annotations"}})
	if ann == nil || ann.Kind != yaml.MappingNode {
		return "", ""
	}
	var keep []*yaml.Node
	for i := 0; i+1 < len(ann.Content); i += 2 {
		switch ann.Content[i].Value {
		case originAnnotation:
			value = ann.Content[i+1].Value
			continue
		case chartObjectAnnotation:
			chartObject = ann.Content[i+1].Value
			continue
		case transformationsAnnotation, konfig.HelmGeneratedAnnotation:
			continue
		}
		keep = append(keep, ann.Content[i], ann.Content[i+1])
	}
	ann.Content = keep
	if len(keep) == 0 {
		for i := 0; i+1 < len(meta.Content); i += 2 {
			if meta.Content[i].Value == "annotations" {
				meta.Content = append(meta.Content[:i], meta.Content[i+2:]...)
				break
			}
		}
	}
	return value, chartObject
}

// object turns one built resource (its node tree, which it takes over)
// into an Object whose Locator maps its fields to the files a human edits.
func (g *kustGraph) object(m *yaml.Node) (*Object, error) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("built resource is not a mapping")
	}
	var org origin
	s, chartObject := stripAnnotations(m)
	if s != "" {
		if err := yaml.Unmarshal([]byte(s), &org); err != nil {
			return nil, fmt.Errorf("reading origin annotation: %w", err)
		}
	}
	o := &Object{Node: m, Source: Source{Kind: "kustomize", Root: relPath(g.k.opt.Dir, g.root.dir)}}
	o.APIVersion, o.Kind = o.String("apiVersion"), o.String("kind")
	o.Name, o.Namespace = o.String("metadata.name"), o.String("metadata.namespace")
	l := &kustLoc{g: g, o: o, links: map[*yaml.Node]pathLink{}}
	linkPaths(m, nil, l.links)
	file := filepath.Join(g.root.dir, org.Path)
	chart := g.charts[file]
	switch {
	case chart != nil:
		i, err := strconv.Atoi(chartObject)
		if err != nil || i < 0 || i >= len(chart.objs) {
			return nil, fmt.Errorf("object %s/%s of Helm chart %s lost its number", o.Kind, o.Name, chart.chart.rel)
		}
		l.helm = chart.objs[i]
		o.Generated = l.helm.Generated
		l.layers = g.layers(func(d *kustDir) bool { return d == chart.chart.owner })
		o.File = l.helm.File
		o.Source.Chart = chart.chart.rel
	case org.Path != "":
		l.src = g.k.files.get(file)
		l.layers = g.layers(func(d *kustDir) bool { return listsFile(d, file) })
		l.base = matchObject(l.src.objects(), o)
		o.File = l.src.rel
	case org.ConfiguredIn != "":
		file := filepath.Join(g.root.dir, org.ConfiguredIn)
		l.layers = g.layers(func(d *kustDir) bool { return d.file == file })
		if len(l.layers) > 0 {
			l.gen = l.layers[0]
			l.genItem = generatorItem(l.gen, org.ConfiguredBy.Kind, o.Name)
		}
		o.File = relPath(g.k.opt.Dir, file)
	default:
		o.File = g.root.rel
	}
	o.Locator = l.locate
	o.Removed = l.removedAt
	g.objs = append(g.objs, o)
	l.relines()
	return o, nil
}

// relines gives the built nodes the lines and columns of the fields as
// written in the object's own file, as a parsed manifest has them, so that
// code reading o.File's text by line (secret detection) finds the field.
// Fields not written in that file get line 0.
func (l *kustLoc) relines() {
	var walk func(n *yaml.Node, segs []Segment)
	place := func(n *yaml.Node, segs []Segment) {
		n.Line, n.Column = 0, 0
		if p, exact := l.basePos(segs); exact && p.File == l.o.File {
			n.Line, n.Column = p.Line, p.Column
		}
	}
	walk = func(n *yaml.Node, segs []Segment) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := append(segs[:len(segs):len(segs)], Segment{Key: k.Value})
				place(k, p)
				if v.Kind == yaml.ScalarNode {
					v.Line, v.Column = k.Line, k.Column
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, it := range n.Content {
				p := append(segs[:len(segs):len(segs)], Segment{Index: i, IsIdx: true})
				place(it, p)
				walk(it, p)
			}
		}
	}
	walk(l.o.Node, nil)
	m := l.o.Node
	m.Line, m.Column = 1, 1
	if p, _ := l.basePos(nil); p.File == l.o.File {
		m.Line, m.Column = p.Line, p.Column
	}
}

func listsFile(d *kustDir, file string) bool {
	for _, n := range list(d.doc, "resources") {
		if filepath.Join(d.dir, n.Value) == file {
			return true
		}
	}
	for _, n := range list(d.doc, "bases") {
		if filepath.Join(d.dir, n.Value) == file {
			return true
		}
	}
	return false
}

// layers returns the kustomizations whose transformers reached an object
// of the kustomization that holds matches, innermost first: the
// components applied after it and every kustomization up to the root.
func (g *kustGraph) layers(holds func(*kustDir) bool) []*kustDir {
	type step struct {
		d         *kustDir
		component int // index in the parent's components, or -1
	}
	var path []step
	seen := map[*kustDir]bool{}
	var dfs func(d *kustDir, comp int) bool
	dfs = func(d *kustDir, comp int) bool {
		if d == nil || seen[d] {
			return false
		}
		seen[d] = true
		path = append(path, step{d, comp})
		if holds(d) {
			return true
		}
		for _, n := range list(d.doc, "resources") {
			if dfs(g.k.get(filepath.Join(d.dir, n.Value)), -1) {
				return true
			}
		}
		for _, n := range list(d.doc, "bases") {
			if dfs(g.k.get(filepath.Join(d.dir, n.Value)), -1) {
				return true
			}
		}
		for i, n := range list(d.doc, "components") {
			if dfs(g.k.get(filepath.Join(d.dir, n.Value)), i) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if !dfs(g.root, -1) {
		return nil
	}
	var out []*kustDir
	comps := func(d *kustDir, from int) {
		for _, n := range list(d.doc, "components")[from:] {
			if c := g.k.get(filepath.Join(d.dir, n.Value)); c != nil {
				out = append(out, c)
			}
		}
	}
	// The holder's own transformers run after its components.
	last := path[len(path)-1]
	comps(last.d, 0)
	out = append(out, last.d)
	for i := len(path) - 2; i >= 0; i-- {
		p, child := path[i].d, path[i+1]
		if child.component >= 0 {
			comps(p, child.component+1)
		} else {
			comps(p, 0)
		}
		out = append(out, p)
	}
	return out
}

// matchObject finds the object of a source file a built object came
// from: the same kind, and the name the built name was made from.
func matchObject(objs []*Object, o *Object) *Object {
	var best *Object
	score := -1
	for _, c := range objs {
		if c.Kind != o.Kind {
			continue
		}
		s := 0
		switch {
		case c.Name == o.Name:
			s = 3
		case c.Name != "" && strings.Contains(o.Name, c.Name):
			s = 2
		}
		if c.Namespace == o.Namespace {
			s++
		}
		if s > score {
			best, score = c, s
		}
	}
	return best
}

func generatorItem(d *kustDir, kind, name string) *yaml.Node {
	key := "configMapGenerator"
	if kind == "SecretGenerator" {
		key = "secretGenerator"
	}
	var best *yaml.Node
	for _, it := range items(d.doc, key) {
		n := scalar(it, "name")
		if n != "" && strings.Contains(name, n) && (best == nil || len(n) > len(scalar(best, "name"))) {
			best = it
		}
	}
	return best
}

// A kustLoc is the Locator of one built object.
type kustLoc struct {
	g      *kustGraph
	o      *Object
	links  map[*yaml.Node]pathLink // where each key node and item is
	layers []*kustDir              // innermost first
	// src and base: the resource file and its object; gen and genItem: the
	// kustomization and generator entry that made the object; helm: the
	// object of a Helm chart the kustomization rendered.
	helm    *Object
	src     *sourceFile
	base    *Object
	gen     *kustDir
	genItem *yaml.Node
	removed *[]removal // what the layers' patches removed, once read
}

func (l *kustLoc) locate(n *yaml.Node) Location {
	segs := l.pathOf(n) // the object's own node has no path
	v := ValueAt(l.o.Node, segs)
	leaf := v != nil && v.Kind == yaml.ScalarNode
	if v != nil && v.Kind == yaml.SequenceNode {
		if loc, ok := l.removedItem(segs); ok {
			return loc
		}
	}
	if leaf {
		if loc, ok := l.variable(segs, v.Value); ok {
			return loc
		}
	}
	base, exact := l.basePos(segs)
	if leaf || !exact {
		order := make([]*kustDir, len(l.layers))
		copy(order, l.layers)
		if leaf {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, d := range order {
			if loc, ok := l.contribution(d, segs, v); ok {
				if exact && base.File != "" && (base.File != loc.File || base.Line != loc.Line) && !relatesTo(loc, base) {
					loc.Related = append(loc.Related, Related{File: base.File, Line: base.Line, Column: base.Column,
						Message: fmt.Sprintf("base: %s:%d", base.File, base.Line)})
				}
				return loc
			}
		}
	}
	if base.File == "" {
		return Location{Pos: Pos{File: l.g.root.rel, Line: 1, Column: 1}, Approx: true}
	}
	if l.helm != nil {
		return l.helmLoc(segs)
	}
	return Location{Pos: base, Approx: !exact}
}

// relatesTo reports whether loc already lists p as related.
func relatesTo(loc Location, p Pos) bool {
	for _, r := range loc.Related {
		if r.File == p.File && r.Line == p.Line {
			return true
		}
	}
	return false
}

// helmLoc is where the chart puts the field at segs: the template or
// values line, as the chart's own locator says.
func (l *kustLoc) helmLoc(segs []Segment) Location {
	m, exact := follow(l.helm.Node, l.o.Node, segs)
	if l.helm.Locator != nil {
		if loc := l.helm.Locator(m); loc.File != "" {
			loc.Approx = loc.Approx || !exact
			return loc
		}
	}
	return Location{Pos: Pos{File: l.helm.File, Line: max(m.Line, 1), Column: max(m.Column, 1)}, Approx: !exact}
}

// basePos is the position of segs in the resource file, generator entry
// or chart the object came from, and whether the field is written there.
func (l *kustLoc) basePos(segs []Segment) (Pos, bool) {
	switch {
	case l.helm != nil:
		loc := l.helmLoc(segs)
		return loc.Pos, !loc.Approx
	case l.base != nil:
		m, exact := follow(l.base.Node, l.o.Node, segs)
		return Pos{File: l.src.rel, Line: max(m.Line, 1), Column: max(m.Column, 1)}, exact
	case l.genItem != nil:
		return l.generatorPos(segs)
	case l.src != nil:
		return Pos{File: l.src.rel, Line: 1, Column: 1}, false
	}
	return Pos{}, false
}

func (l *kustLoc) generatorPos(segs []Segment) (Pos, bool) {
	at := func(n *yaml.Node) Pos { return l.g.k.at(l.gen, n) }
	item := at(l.genItem)
	if nk, _ := lookupKey(l.genItem, "name", 0); nk != nil {
		item = at(nk)
	}
	if len(segs) == 0 {
		return item, true
	}
	if len(segs) == 2 && (segs[0].Key == "data" || segs[0].Key == "binaryData" || segs[0].Key == "stringData") {
		key := segs[1].Key
		for _, n := range list(l.genItem, "literals") {
			if k, _, _ := strings.Cut(n.Value, "="); strings.TrimSpace(k) == key {
				return at(n), true
			}
		}
		for _, n := range list(l.genItem, "files") {
			k, p, ok := strings.Cut(n.Value, "=")
			if !ok {
				k = filepath.Base(p)
				if k == "." || p == "" {
					k = filepath.Base(n.Value)
				}
			}
			if k == key {
				return at(n), true
			}
		}
		for _, n := range append(list(l.genItem, "envs"), envNode(l.genItem)...) {
			file := filepath.Join(l.gen.dir, n.Value)
			if line, col := envLine(l.g.k.cache, file, key); line > 0 {
				return Pos{File: relPath(l.g.k.opt.Dir, file), Line: line, Column: col}, true
			}
		}
	}
	if len(segs) == 2 && (segs[0].Key == "data" || segs[0].Key == "binaryData") {
		return item, false // a key the entry does not name
	}
	// Everything else of a generated object is made by its entry.
	return item, true
}

// envLine returns the line and column of the KEY=value line of an env
// file that sets key; 0 when none does.
func envLine(c *fileCache, file, key string) (line, col int) {
	data, err := c.read(file)
	if err != nil {
		return 0, 0
	}
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(l, " \t")
		k, _, _ := strings.Cut(t, "=")
		if !strings.HasPrefix(t, "#") && strings.TrimRight(k, " \t\r") == key {
			return i + 1, len(l) - len(t) + 1
		}
	}
	return 0, 0
}

func envNode(item *yaml.Node) []*yaml.Node {
	if _, v := lookupKey(item, "env", 0); v != nil && v.Kind == yaml.ScalarNode {
		return []*yaml.Node{v}
	}
	return nil
}

// follow resolves segs of the built tree in a source tree, matching list
// items by their identity (name, containerPort, mountPath...) rather than
// by index, since patches add and reorder items.
func follow(src, built *yaml.Node, segs []Segment) (*yaml.Node, bool) {
	cur, b := deref(src), deref(built)
	marker := cur
	for _, s := range segs {
		if cur == nil {
			return marker, false
		}
		if s.IsIdx {
			if cur.Kind != yaml.SequenceNode || b == nil || b.Kind != yaml.SequenceNode || s.Index >= len(b.Content) {
				return marker, false
			}
			bi := deref(b.Content[s.Index])
			j := matchItem(cur, bi, s.Index)
			if j < 0 {
				return marker, false
			}
			marker = cur.Content[j]
			cur, b = deref(cur.Content[j]), bi
			continue
		}
		k, v := lookupKey(cur, s.Key, 0)
		if k == nil {
			return marker, false
		}
		marker = k
		cur = deref(v)
		if b != nil {
			_, bv := lookupKey(b, s.Key, 0)
			b = deref(bv)
		}
	}
	return marker, true
}

var identityKeys = []string{"name", "containerPort", "mountPath", "devicePath", "ip", "key", "path", "topologyKey", "port"}

// matchItem finds the item of seq that is the built item bi.
func matchItem(seq, bi *yaml.Node, index int) int {
	if bi != nil && bi.Kind == yaml.MappingNode {
		if j, keyed := identityIndex(seq, bi); keyed {
			return j
		}
	}
	if bi != nil && bi.Kind == yaml.ScalarNode {
		for j, it := range seq.Content {
			if d := deref(it); d != nil && d.Kind == yaml.ScalarNode && d.Value == bi.Value {
				return j
			}
		}
		return -1
	}
	if index < len(seq.Content) {
		return index
	}
	return -1
}

// A patchDoc is one patch document, in a patch file or inline in a
// kustomization, with the offset of inline text.
type patchDoc struct {
	file            string
	root            *yaml.Node
	lineOff, colOff int
	approx          bool
	at              Pos
	target          *yaml.Node
}

func (p patchDoc) pos(n *yaml.Node) Location {
	if p.approx {
		return Location{Pos: p.at, Approx: true}
	}
	return Location{Pos: Pos{File: p.file, Line: n.Line + p.lineOff, Column: n.Column + p.colOff}}
}

// patches returns the patch documents of d in the order kustomize
// applies them.
func (l *kustLoc) patches(d *kustDir, key string) []patchDoc {
	var out []patchDoc
	add := func(file string, docs []*yaml.Node, target *yaml.Node, off patchDoc) {
		for _, doc := range docs {
			p := off
			p.file, p.root, p.target = file, doc, target
			out = append(out, p)
		}
	}
	fromFile := func(n *yaml.Node, target *yaml.Node) {
		f := l.g.k.files.get(filepath.Join(d.dir, n.Value))
		add(f.rel, f.documents(), target, patchDoc{})
	}
	fromInline := func(n *yaml.Node, target *yaml.Node) {
		off := patchDoc{at: l.g.k.at(d, n)}
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			off.lineOff = n.Line
			off.colOff = inlineIndent(l.g.k.cache, d.file, n.Line+1)
		} else {
			off.approx = true
		}
		add(d.rel, parseDocs([]byte(n.Value)), target, off)
	}
	switch key {
	case "patchesStrategicMerge":
		for _, n := range list(d.doc, key) {
			if inline(n.Value) {
				fromInline(n, nil)
			} else {
				fromFile(n, nil)
			}
		}
	default:
		for _, it := range items(d.doc, key) {
			_, target := lookupKey(it, "target", 0)
			if _, v := lookupKey(it, "path", 0); v != nil && v.Kind == yaml.ScalarNode {
				fromFile(v, target)
			}
			if _, v := lookupKey(it, "patch", 0); v != nil && v.Kind == yaml.ScalarNode {
				fromInline(v, target)
			}
		}
	}
	return out
}

// inlineIndent is the indentation of line of file: the column offset of
// a block scalar's content.
func inlineIndent(c *fileCache, file string, line int) int {
	data, err := c.read(file)
	if err != nil {
		return 0
	}
	l := LineAt(data, line)
	return len(l) - len(bytes.TrimLeft(l, " "))
}

// LineAt returns line n (1-based) of text, without its newline; nil past
// the end.
func LineAt(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(text, '\n')
		if j < 0 {
			return nil
		}
		text = text[j+1:]
	}
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	return text
}

// targets reports whether a patch selector (kind, name regex, namespace)
// selects o; label and annotation selectors are taken as matching.
func (l *kustLoc) targets(sel *yaml.Node) bool {
	sel = deref(sel)
	if sel == nil {
		return true
	}
	match := func(field, value string) bool {
		want := scalar(sel, field)
		if want == "" {
			return true
		}
		re, err := regexp.Compile("^(?:" + want + ")$")
		if err != nil {
			return want == value
		}
		return re.MatchString(value) || strings.Contains(value, want)
	}
	group, version := "", l.o.APIVersion
	if i := strings.LastIndex(l.o.APIVersion, "/"); i >= 0 {
		group, version = l.o.APIVersion[:i], l.o.APIVersion[i+1:]
	}
	return match("kind", l.o.Kind) && match("name", l.o.Name) && match("group", group) && match("version", version)
}

// contribution returns where kustomization d sets the field at segs of
// the object, if it does: a patch line or a transformer entry.
func (l *kustLoc) contribution(d *kustDir, segs []Segment, v *yaml.Node) (Location, bool) {
	at := func(n *yaml.Node) Location { return Location{Pos: l.g.k.at(d, n)} }
	leafValue := ""
	if v != nil && v.Kind == yaml.ScalarNode {
		leafValue = v.Value
	}
	path := segmentsString(segs)
	// Later transformers win; kustomize runs them in this order:
	// patchesStrategicMerge, patches, namespace, namePrefix, nameSuffix,
	// labels, annotations, patchesJson6902, replicas, images, replacements.
	if loc, ok := l.replacement(d, segs, leafValue); ok {
		return loc, true
	}
	if strings.HasSuffix(path, ".image") && leafValue != "" {
		imgs := items(d.doc, "images")
		for i := len(imgs) - 1; i >= 0; i-- {
			it := imgs[i]
			repo := imageRepo(leafValue)
			if repo != scalar(it, "name") && repo != scalar(it, "newName") {
				continue
			}
			for _, key := range []string{"digest", "newTag", "newName"} {
				if k, _ := lookupKey(it, key, 0); k != nil {
					return at(k), true
				}
			}
			return at(it), true
		}
	}
	if path == "spec.replicas" {
		for _, it := range items(d.doc, "replicas") {
			if n := scalar(it, "name"); n != "" && strings.Contains(l.o.Name, n) {
				if k, _ := lookupKey(it, "count", 0); k != nil {
					return at(k), true
				}
				return at(it), true
			}
		}
	}
	for _, p := range reversed(l.patches(d, "patchesJson6902")) {
		if loc, ok := l.json6902(p, segs, leafValue); ok {
			return loc, true
		}
	}
	if len(segs) >= 2 && segs[len(segs)-2].Key == "annotations" {
		if k, _ := lookupKey(ValueAt(d.doc, []Segment{{Key: "commonAnnotations"}}), segs[len(segs)-1].Key, 0); k != nil {
			return at(k), true
		}
	}
	if len(segs) >= 2 && (segs[len(segs)-2].Key == "labels" || segs[len(segs)-2].Key == "matchLabels" || segs[len(segs)-2].Key == "selector") {
		key := segs[len(segs)-1].Key
		if k, _ := lookupKey(ValueAt(d.doc, []Segment{{Key: "commonLabels"}}), key, 0); k != nil {
			return at(k), true
		}
		for _, it := range items(d.doc, "labels") {
			if k, _ := lookupKey(ValueAt(it, []Segment{{Key: "pairs"}}), key, 0); k != nil {
				return at(k), true
			}
		}
	}
	if path == "metadata.name" {
		for _, key := range []string{"nameSuffix", "namePrefix"} {
			if k, _ := lookupKey(d.doc, key, 0); k != nil {
				return at(k), true
			}
		}
	}
	if path == "metadata.namespace" {
		if k, _ := lookupKey(d.doc, "namespace", 0); k != nil {
			return at(k), true
		}
	}
	for _, key := range []string{"patches", "patchesStrategicMerge"} {
		for _, p := range reversed(l.patches(d, key)) {
			if p.root.Kind == yaml.SequenceNode {
				if loc, ok := l.json6902(p, segs, leafValue); ok {
					return loc, true
				}
				continue
			}
			if loc, ok := l.strategic(p, segs, leafValue); ok {
				return loc, true
			}
		}
	}
	return Location{}, false
}

func reversed(ps []patchDoc) []patchDoc {
	for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

func segmentsString(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.IsIdx {
			fmt.Fprintf(&b, "[%d]", s.Index)
			continue
		}
		b.WriteString(Key(s.Key))
	}
	return strings.TrimPrefix(b.String(), ".")
}

func imageRepo(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// strategic reports whether a strategic merge patch sets the field.
func (l *kustLoc) strategic(p patchDoc, segs []Segment, leafValue string) (Location, bool) {
	if p.root.Kind != yaml.MappingNode || !l.targets(p.target) {
		return Location{}, false
	}
	if p.target == nil {
		if kind := scalar(p.root, "kind"); kind != "" && kind != l.o.Kind {
			return Location{}, false
		}
		if name := ValueAt(p.root, []Segment{{Key: "metadata"}, {Key: "name"}}); name != nil && !strings.Contains(l.o.Name, name.Value) {
			return Location{}, false
		}
	}
	m, exact := follow(p.root, l.o.Node, segs)
	if !exact || len(segs) == 0 {
		return Location{}, false
	}
	if leafValue != "" {
		if pv := valueAfter(p.root, l.o.Node, segs); pv == nil || pv.Kind != yaml.ScalarNode || pv.Value != leafValue {
			return Location{}, false
		}
	}
	return p.pos(m), true
}

// valueAfter returns the value node at segs in src, following like follow.
func valueAfter(src, built *yaml.Node, segs []Segment) *yaml.Node {
	if len(segs) == 0 {
		return deref(src)
	}
	m, exact := follow(src, built, segs)
	if !exact {
		return nil
	}
	if segs[len(segs)-1].IsIdx {
		return deref(m)
	}
	parent := valueAfter(src, built, segs[:len(segs)-1])
	_, v := lookupKey(parent, segs[len(segs)-1].Key, 0)
	return deref(v)
}

// json6902 reports whether an add or replace operation sets the field.
func (l *kustLoc) json6902(p patchDoc, segs []Segment, leafValue string) (Location, bool) {
	if p.root.Kind != yaml.SequenceNode || !l.targets(p.target) {
		return Location{}, false
	}
	for i := len(p.root.Content) - 1; i >= 0; i-- {
		op := deref(p.root.Content[i])
		if op == nil || op.Kind != yaml.MappingNode {
			continue
		}
		if kind := scalar(op, "op"); kind != "add" && kind != "replace" {
			continue
		}
		ptr := strings.Split(strings.TrimPrefix(scalar(op, "path"), "/"), "/")
		if len(ptr) > len(segs) {
			continue
		}
		ok, appended := true, false
		for j, tok := range ptr {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			s := segs[j]
			switch {
			case s.IsIdx && tok == "-":
				appended = true
			case s.IsIdx:
				n, err := strconv.Atoi(tok)
				ok = ok && err == nil && n == s.Index
			default:
				ok = ok && tok == s.Key
			}
		}
		if !ok {
			continue
		}
		vk, vv := lookupKey(op, "value", 0)
		if vk == nil {
			continue
		}
		rest := segs[len(ptr):]
		built := ValueAt(l.o.Node, segs[:len(ptr)])
		marker, exact := vk, true
		target := deref(vv)
		if len(rest) > 0 {
			marker, exact = follow(vv, built, rest)
			target = valueAfter(vv, built, rest)
		}
		if !exact {
			continue
		}
		if leafValue != "" && (target == nil || target.Kind != yaml.ScalarNode || target.Value != leafValue) {
			continue
		}
		loc := p.pos(marker)
		loc.Approx = loc.Approx || appended
		return loc, true
	}
	return Location{}, false
}
