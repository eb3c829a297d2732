package render

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

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
