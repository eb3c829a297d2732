package render

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A replacementEntry is one replacement of a kustomization, inline or
// from a `replacements: - path:` file, with where it is written.
type replacementEntry struct {
	node *yaml.Node // the mapping with source and targets
	at   func(*yaml.Node) Pos
}

// replacementEntries returns the replacements of d in the order
// kustomize runs them.
func (l *kustLoc) replacementEntries(d *kustDir) []replacementEntry {
	var out []replacementEntry
	for _, it := range items(d.doc, "replacements") {
		if _, v := lookupKey(it, "path", 0); v != nil && v.Kind == yaml.ScalarNode {
			f := l.g.k.files.get(filepath.Join(d.dir, v.Value))
			at := func(n *yaml.Node) Pos { return Pos{File: f.rel, Line: max(n.Line, 1), Column: max(n.Column, 1)} }
			for _, doc := range f.documents() {
				rs := []*yaml.Node{doc}
				if doc.Kind == yaml.SequenceNode {
					rs = doc.Content
				}
				for _, r := range rs {
					if r = deref(r); r != nil && r.Kind == yaml.MappingNode {
						out = append(out, replacementEntry{r, at})
					}
				}
			}
			continue
		}
		out = append(out, replacementEntry{it, func(n *yaml.Node) Pos { return l.g.k.at(d, n) }})
	}
	return out
}

// replacement returns where the value of the field at segs came from
// when a replacement of d put it there: the source object's field, with
// the target's own line and the replacement as related locations.
func (l *kustLoc) replacement(d *kustDir, segs []Segment, leafValue string) (Location, bool) {
	if leafValue == "" || l.g.following > 8 {
		return Location{}, false // a cycle of replacements
	}
	rs := l.replacementEntries(d)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		_, src := lookupKey(r.node, "source", 0)
		src = deref(src)
		if src == nil || src.Kind != yaml.MappingNode || !l.replacementTargets(r.node, segs) {
			continue
		}
		so, node, value := l.replacementSource(src)
		if so == nil || value == "" || !strings.Contains(leafValue, value) {
			continue
		}
		entry := r.at(r.node)
		if k, _ := lookupKey(r.node, "source", 0); k != nil {
			entry = r.at(k)
		}
		return l.sourceLocation(so, node, entry, "replacement", segs), true
	}
	return Location{}, false
}

// sourceLocation is where a value brought from the field node of object so
// (by a replacement or a var) is edited: that field, where a file writes
// it, with entry (the replacement or var, named by what) and the target's
// own line as related locations; else entry itself, for a source no file
// writes (a generated name).
func (l *kustLoc) sourceLocation(so *Object, node *yaml.Node, entry Pos, what string, segs []Segment) Location {
	var loc Location
	if so.Locator != nil {
		l.g.following++
		loc = so.Locator(node)
		l.g.following--
	}
	var related []Related
	if loc.File == "" || loc.Approx {
		loc = Location{Pos: entry}
	} else {
		related = append(related, Related{File: entry.File, Line: entry.Line, Column: entry.Column,
			Message: fmt.Sprintf("%s: %s:%d", what, entry.File, entry.Line)})
	}
	if base, exact := l.basePos(segs); exact && base.File != "" {
		related = append(related, Related{File: base.File, Line: base.Line, Column: base.Column,
			Message: fmt.Sprintf("target: %s:%d", base.File, base.Line)})
	}
	loc.Related = related
	return loc
}

// replacementTargets reports whether a target of the replacement selects
// the object and names the field at segs.
func (l *kustLoc) replacementTargets(r *yaml.Node, segs []Segment) bool {
	for _, t := range items(r, "targets") {
		_, sel := lookupKey(t, "select", 0)
		if sel = deref(sel); sel == nil || !l.targets(sel) || !sameNamespace(sel, l.o) {
			continue
		}
		rejected := false
		for _, rej := range items(t, "reject") {
			if l.targets(rej) && sameNamespace(rej, l.o) {
				rejected = true
			}
		}
		if rejected {
			continue
		}
		for _, fp := range list(t, "fieldPaths") {
			if fieldPathNames(l.o.Node, splitFieldPath(fp.Value), segs) {
				return true
			}
		}
	}
	return false
}

func sameNamespace(sel *yaml.Node, o *Object) bool {
	ns := scalar(sel, "namespace")
	return ns == "" || ns == o.Namespace
}

// replacementSource finds the built object a replacement's source
// selects, the node of its field, and the value it gives (after the
// source's delimiter options).
func (l *kustLoc) replacementSource(src *yaml.Node) (*Object, *yaml.Node, string) {
	fp := scalar(src, "fieldPath")
	if fp == "" {
		fp = "metadata.name"
	}
	toks := splitFieldPath(fp)
	for _, o := range l.g.objs {
		if !selectsObject(src, o) {
			continue
		}
		node, v := resolveFieldPath(o.Node, toks)
		if node == nil || v == nil || v.Kind != yaml.ScalarNode {
			continue
		}
		value := v.Value
		if opts := deref(ValueAt(src, []Segment{{Key: "options"}})); opts != nil {
			if delim := scalar(opts, "delimiter"); delim != "" {
				parts := strings.Split(value, delim)
				i, _ := strconv.Atoi(scalar(opts, "index"))
				if i < 0 || i >= len(parts) {
					continue
				}
				value = parts[i]
			}
		}
		return o, node, value
	}
	return nil, nil, ""
}

// selectsObject matches a replacement source's kind, name (as written or
// as built, prefix and suffix added), namespace, group and version.
func selectsObject(sel *yaml.Node, o *Object) bool {
	if k := scalar(sel, "kind"); k != "" && k != o.Kind {
		return false
	}
	if n := scalar(sel, "name"); n != "" && n != o.Name && !strings.Contains(o.Name, n) {
		return false
	}
	group, version := "", o.APIVersion
	if i := strings.LastIndex(o.APIVersion, "/"); i >= 0 {
		group, version = o.APIVersion[:i], o.APIVersion[i+1:]
	}
	if g := scalar(sel, "group"); g != "" && g != group {
		return false
	}
	if v := scalar(sel, "version"); v != "" && v != version {
		return false
	}
	return sameNamespace(sel, o)
}

// splitFieldPath splits a kustomize field path at dots outside brackets:
// spec.containers.[name=app].image; a bracket glued to a name (a var's
// ports[0]) is a token of its own, an index when it is a number.
func splitFieldPath(fp string) []string {
	var out []string
	add := func(tok string) {
		if i := strings.Index(tok, "["); i > 0 && strings.HasSuffix(tok, "]") {
			out = append(out, tok[:i])
			tok = tok[i:]
			if _, err := strconv.Atoi(tok[1 : len(tok)-1]); err == nil {
				tok = tok[1 : len(tok)-1]
			}
		}
		out = append(out, tok)
	}
	depth, start := 0, 0
	for i, r := range fp {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				add(fp[start:i])
				start = i + 1
			}
		}
	}
	add(fp[start:])
	return out
}

// itemMatches reports whether a list item fits a field path token:
// [key=value], [=value] for a scalar item, * or an index.
func itemMatches(tok string, item *yaml.Node, index int) bool {
	item = deref(item)
	if tok == "*" {
		return true
	}
	if strings.HasPrefix(tok, "[") && strings.HasSuffix(tok, "]") {
		k, v, ok := strings.Cut(tok[1:len(tok)-1], "=")
		if !ok || item == nil {
			return false
		}
		if k == "" {
			return item.Kind == yaml.ScalarNode && item.Value == v
		}
		return scalar(item, k) == v
	}
	n, err := strconv.Atoi(tok)
	return err == nil && n == index
}

// fieldPathNames reports whether the field path toks names the field at
// segs of the object n.
func fieldPathNames(n *yaml.Node, toks []string, segs []Segment) bool {
	if len(toks) != len(segs) {
		return false
	}
	cur := deref(n)
	for i, tok := range toks {
		s := segs[i]
		if cur == nil {
			return false
		}
		if s.IsIdx {
			if cur.Kind != yaml.SequenceNode || s.Index >= len(cur.Content) || !itemMatches(tok, cur.Content[s.Index], s.Index) {
				return false
			}
			cur = deref(cur.Content[s.Index])
			continue
		}
		if tok != "*" && tok != s.Key {
			return false
		}
		_, v := lookupKey(cur, s.Key, 0)
		cur = deref(v)
	}
	return true
}

// resolveFieldPath returns the key node (or list item) and the value at
// a field path of n, taking the first list item that matches.
func resolveFieldPath(n *yaml.Node, toks []string) (marker, value *yaml.Node) {
	cur := deref(n)
	for _, tok := range toks {
		if cur == nil {
			return nil, nil
		}
		if cur.Kind == yaml.SequenceNode {
			found := false
			for j, it := range cur.Content {
				if itemMatches(tok, it, j) {
					marker, cur, found = it, deref(it), true
					break
				}
			}
			if !found {
				return nil, nil
			}
			continue
		}
		k, v := lookupKey(cur, tok, 0)
		if k == nil {
			return nil, nil
		}
		marker, cur = k, deref(v)
	}
	return marker, cur
}

// variable returns where a legacy var substituted into the field at segs
// was taken from: the base writes $(NAME) there, and the var's object
// and field give the value. Vars of every kustomization of the build
// apply, after all transformers.
func (l *kustLoc) variable(segs []Segment, leafValue string) (Location, bool) {
	if l.base == nil || leafValue == "" || l.g.following > 8 {
		return Location{}, false
	}
	written := valueAfter(l.base.Node, l.o.Node, segs)
	if written == nil || written.Kind != yaml.ScalarNode || !strings.Contains(written.Value, "$(") {
		return Location{}, false
	}
	for _, d := range l.g.k.closure(l.g.root) {
		for _, v := range items(d.doc, "vars") {
			name := scalar(v, "name")
			if name == "" || !strings.Contains(written.Value, "$("+name+")") {
				continue
			}
			_, ref := lookupKey(v, "objref", 0)
			if ref = deref(ref); ref == nil {
				continue
			}
			sel := &yaml.Node{Kind: yaml.MappingNode}
			for _, k := range []string{"kind", "name", "namespace"} {
				if x := scalar(ref, k); x != "" {
					sel.Content = append(sel.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Value: x})
				}
			}
			fp := scalar(deref(ValueAt(v, []Segment{{Key: "fieldref"}})), "fieldpath")
			if fp == "" {
				fp = "metadata.name"
			}
			sel.Content = append(sel.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "fieldPath"}, &yaml.Node{Kind: yaml.ScalarNode, Value: fp})
			so, node, value := l.replacementSource(sel)
			if so == nil || value == "" || !strings.Contains(leafValue, value) {
				continue
			}
			entry := l.g.k.at(d, v)
			if k, _ := lookupKey(v, "name", 0); k != nil {
				entry = l.g.k.at(d, k)
			}
			return l.sourceLocation(so, node, entry, "var "+name, segs), true
		}
	}
	return Location{}, false
}
