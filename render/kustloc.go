package render

import (
	"bytes"
	"fmt"
	"path/filepath"
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
