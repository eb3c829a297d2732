package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A removal is a field, list item or set of keys a patch took out of an
// object: a finding on what is missing belongs to the patch line that
// removed it, not to the base that had it.
type removal struct {
	path []Segment // in the built object's terms
	// retain lists the keys kept at path ($patch: replace, a JSON 6902
	// add or replace of a whole mapping); every other key there was
	// removed. Nil when the removal is of path itself.
	retain []string
	// item marks the removal of items of the list at path (a list item's
	// $patch: delete, a JSON 6902 remove of an index): the list is still
	// there, with less in it.
	item bool
	at   Location
}

// removals returns what the patches of the object's layers removed from
// it, in the order kustomize applies them.
func (l *kustLoc) removals() []removal {
	if l.removed != nil {
		return *l.removed
	}
	var out []removal
	for _, d := range l.layers {
		for _, key := range []string{"patchesStrategicMerge", "patches", "patchesJson6902"} {
			for _, p := range l.patches(d, key) {
				switch {
				case p.root.Kind == yaml.SequenceNode:
					out = append(out, l.jsonRemovals(p)...)
				case key != "patchesJson6902" && l.selects(p):
					l.strategicRemovals(p, p.root, l.o.Node, nil, &out)
				}
			}
		}
	}
	l.removed = &out
	return out
}

// selects reports whether a strategic merge patch applies to the object.
func (l *kustLoc) selects(p patchDoc) bool {
	if p.root.Kind != yaml.MappingNode || !l.targets(p.target) {
		return false
	}
	if p.target == nil {
		if kind := scalar(p.root, "kind"); kind != "" && kind != l.o.Kind {
			return false
		}
		if name := ValueAt(p.root, []Segment{{Key: "metadata"}, {Key: "name"}}); name != nil && !strings.Contains(l.o.Name, name.Value) {
			return false
		}
	}
	return true
}

// strategicRemovals walks a strategic merge patch beside the built object
// (built is nil where the object no longer has the field) and records its
// deletion directives: $patch: delete and replace, and null values.
func (l *kustLoc) strategicRemovals(p patchDoc, pn, built *yaml.Node, segs []Segment, out *[]removal) {
	pn, built = deref(pn), deref(built)
	if pn == nil {
		return
	}
	at := func(n *yaml.Node) Location { return p.pos(n) }
	child := func(k string) []Segment {
		return append(segs[:len(segs):len(segs)], Segment{Key: k})
	}
	switch pn.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(pn.Content); i += 2 {
			k, v := pn.Content[i], deref(pn.Content[i+1])
			switch {
			case k.Value == "$patch" && v != nil && v.Value == "delete":
				if len(segs) > 0 {
					*out = append(*out, removal{path: segs, at: at(k)})
				}
			case k.Value == "$patch" && v != nil && v.Value == "replace":
				*out = append(*out, removal{path: segs, retain: patchKeys(pn), at: at(k)})
			case strings.HasPrefix(k.Value, "$"):
				// kustomize's merge (kyaml) ignores $retainKeys and
				// $deleteFromPrimitiveList: they remove nothing.
			case v != nil && v.Kind == yaml.ScalarNode && v.Tag == "!!null":
				*out = append(*out, removal{path: child(k.Value), at: at(k)})
			default:
				var b *yaml.Node
				if built != nil {
					_, b = lookupKey(built, k.Value, 0)
				}
				if segs == nil && (k.Value == "apiVersion" || k.Value == "kind") {
					continue
				}
				l.strategicRemovals(p, v, b, child(k.Value), out)
			}
		}
	case yaml.SequenceNode:
		if built == nil || built.Kind != yaml.SequenceNode {
			return
		}
		for _, it := range pn.Content {
			it = deref(it)
			if it == nil || it.Kind != yaml.MappingNode {
				continue
			}
			j, _ := identityIndex(built, it)
			if j < 0 {
				// An item the object lacks: a patch deleting it took it out.
				if dk, dv := lookupKey(it, "$patch", 0); dk != nil && dv.Value == "delete" {
					*out = append(*out, removal{path: segs, item: true, at: at(dk)})
				}
				continue
			}
			l.strategicRemovals(p, it, built.Content[j], append(segs[:len(segs):len(segs)], Segment{Index: j, IsIdx: true}), out)
		}
	}
}

// patchKeys are the field keys of a patch mapping, directives aside.
func patchKeys(m *yaml.Node) []string {
	keys := []string{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !strings.HasPrefix(m.Content[i].Value, "$") {
			keys = append(keys, m.Content[i].Value)
		}
	}
	return keys
}

// identityIndex finds the item of seq that item names by its merge key
// (name, containerPort, mountPath...): its index, or -1; keyed is false
// when item has none of the keys.
func identityIndex(seq, item *yaml.Node) (j int, keyed bool) {
	for _, k := range identityKeys {
		want := scalar(item, k)
		if want == "" {
			continue
		}
		for j, it := range seq.Content {
			if scalar(deref(it), k) == want {
				return j, true
			}
		}
		return -1, true
	}
	return -1, false
}

// jsonRemovals records the remove operations of a JSON 6902 patch, and
// the add and replace operations that put a whole mapping in place of
// what was there.
func (l *kustLoc) jsonRemovals(p patchDoc) []removal {
	if !l.targets(p.target) {
		return nil
	}
	var out []removal
	for _, op := range p.root.Content {
		op = deref(op)
		if op == nil || op.Kind != yaml.MappingNode {
			continue
		}
		kind := scalar(op, "op")
		if kind != "remove" && kind != "add" && kind != "replace" {
			continue
		}
		segs, lastIdx := l.pointer(scalar(op, "path"))
		if len(segs) == 0 {
			continue
		}
		mark, _ := lookupKey(op, "op", 0)
		at := p.pos(mark)
		switch {
		case kind == "remove" && lastIdx:
			out = append(out, removal{path: segs[:len(segs)-1], item: true, at: at})
		case kind == "remove":
			out = append(out, removal{path: segs, at: at})
		default:
			if _, v := lookupKey(op, "value", 0); deref(v) != nil && deref(v).Kind == yaml.MappingNode && !lastIdx {
				vk, _ := lookupKey(op, "value", 0)
				out = append(out, removal{path: segs, retain: patchKeys(deref(v)), at: p.pos(vk)})
			}
		}
	}
	return out
}

// pointer turns a JSON pointer into built-object segments: a token is an
// index where the object has a list. lastIdx reports a final index token.
func (l *kustLoc) pointer(ptr string) (segs []Segment, lastIdx bool) {
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	cur := l.o.Node
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		n, err := strconv.Atoi(tok)
		isIdx := (cur != nil && cur.Kind == yaml.SequenceNode) || (cur == nil && (err == nil || tok == "-"))
		if isIdx {
			if err != nil {
				n = 0
				if cur != nil {
					n = len(cur.Content)
				}
			}
			segs = append(segs, Segment{Index: n, IsIdx: true})
			if cur != nil && n < len(cur.Content) {
				cur = deref(cur.Content[n])
			} else {
				cur = nil
			}
			lastIdx = true
			continue
		}
		segs = append(segs, Segment{Key: tok})
		lastIdx = false
		if cur != nil {
			_, v := lookupKey(cur, tok, 0)
			cur = deref(v)
		}
	}
	return segs, lastIdx
}

// removedAt returns where a patch removed the field at prefix+missing,
// prefix being the object's nearest existing parent: the last removal
// of the field or of a parent of it, from the part that is missing.
func (l *kustLoc) removedAt(parent *yaml.Node, missing []Segment) (Location, bool) {
	prefix := l.pathOf(parent)
	full := append(prefix[:len(prefix):len(prefix)], missing...)
	rs := l.removals()
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.item || !segsHavePrefix(full, r.path) {
			continue
		}
		switch {
		case r.retain == nil && len(r.path) > len(prefix):
		case r.retain != nil && len(r.path) >= len(prefix) && len(full) > len(r.path) &&
			!full[len(r.path)].IsIdx && !slices.Contains(r.retain, full[len(r.path)].Key):
		default:
			continue
		}
		loc := r.at
		if base, exact := l.basePos(full); exact && base.File != "" {
			loc.Related = append(loc.Related, Related{File: base.File, Line: base.Line, Column: base.Column,
				Message: fmt.Sprintf("removed from base: %s:%d", base.File, base.Line)})
		}
		return loc, true
	}
	return Location{}, false
}

// removedItem returns where a patch took items out of the list at segs.
func (l *kustLoc) removedItem(segs []Segment) (Location, bool) {
	rs := l.removals()
	for i := len(rs) - 1; i >= 0; i-- {
		if r := rs[i]; r.item && len(r.path) == len(segs) && segsHavePrefix(segs, r.path) {
			return r.at, true
		}
	}
	return Location{}, false
}

func segsHavePrefix(segs, prefix []Segment) bool {
	if len(prefix) > len(segs) {
		return false
	}
	for i, s := range prefix {
		if s != segs[i] {
			return false
		}
	}
	return true
}
