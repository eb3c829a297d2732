package render

import (
	"path"
	"reflect"
	"sort"

	"gopkg.in/yaml.v3"
)

// A valuesFile is one values file of a value set, parsed with positions.
type valuesFile struct {
	file string // repo-relative
	node *yaml.Node
}

// A valuesContext finds the values line that supplies a .Values path.
type valuesContext struct {
	srcs map[string]*chartSource
	sets []valuesFile // the value set's files, in order
}

// A valuesLayer is one values file seen from a chart: the path of the
// chart's values inside it.
type valuesLayer struct {
	file   string
	node   *yaml.Node
	prefix []string
}

// layers lists the values files that can set a chart's values, from the
// weakest (the chart's own values.yaml) to the strongest (the last file of
// the value set).
func (vc *valuesContext) layers(c *chartSource) []valuesLayer {
	var keys []string
	var out []valuesLayer
	for s := c; s != nil; s = s.parent {
		if s.values != nil && !s.tgz {
			out = append(out, valuesLayer{file: path.Join(s.dir, "values.yaml"), node: s.values, prefix: append([]string{}, keys...)})
		}
		if s.parent != nil {
			keys = append([]string{s.key}, keys...)
		}
	}
	for _, f := range vc.sets {
		out = append(out, valuesLayer{file: f.file, node: f.node, prefix: keys})
	}
	return out
}

// resolve returns the position of the values node that sets p (a .Values
// path with "*" for range indexes, which hints fill in, innermost first)
// followed by rel, in the strongest file that sets it; exact is false when
// the range index is a guess, empty when the value is null or empty.
//
// item, when set, is the rendered list item the innermost range index
// stands for: the index is that of the values item equal to it.
func (vc *valuesContext) resolve(c *chartSource, p []string, rel []Segment, hints []int, item *yaml.Node) (pos Pos, exact, empty, found bool) {
	if c == nil {
		return Pos{}, false, false, false
	}
	ls := vc.layers(c)
	for i := len(ls) - 1; i >= 0; i-- {
		l := ls[i]
		exact := true
		cur := l.node
		var at *yaml.Node
		ok := true
		stars := 0
		for _, s := range p {
			if s == "*" {
				stars++
			}
		}
		walk := func(seg Segment) {
			if !ok {
				return
			}
			cur = deref(cur)
			if cur == nil {
				ok = false
				return
			}
			if seg.IsIdx {
				if cur.Kind != yaml.SequenceNode || seg.Index >= len(cur.Content) {
					ok = false
					return
				}
				at = cur.Content[seg.Index]
				cur = at
				return
			}
			k, v := lookupKey(cur, seg.Key, 0)
			if k == nil {
				ok = false
				return
			}
			at, cur = k, v
		}
		if len(p) == 0 || p[0] != "global" { // globals sit at the top of every file
			for _, k := range l.prefix {
				walk(Segment{Key: k})
			}
		}
		for _, k := range p {
			if k != "*" {
				walk(Segment{Key: k})
				continue
			}
			// A range index: the rendered item's index, counted from the
			// outermost range.
			stars--
			idx := -1
			if stars < len(hints) {
				idx = hints[stars]
			}
			if stars == 0 && item != nil {
				if d := deref(cur); d != nil && d.Kind == yaml.SequenceNode {
					if i := equalItem(d, item); i >= 0 {
						idx = i
					}
				}
			}
			if idx < 0 {
				ok = false
				continue
			}
			if d := deref(cur); d != nil && d.Kind == yaml.MappingNode {
				// range over a map goes in key order; the rendered item's
				// index is only a guess at the key's.
				exact = false
				keys := make([]*yaml.Node, 0, len(d.Content)/2)
				for i := 0; i+1 < len(d.Content); i += 2 {
					keys = append(keys, d.Content[i])
				}
				sort.SliceStable(keys, func(i, j int) bool { return keys[i].Value < keys[j].Value })
				if idx >= len(keys) {
					ok = false
					continue
				}
				walk(Segment{Key: keys[idx].Value})
				continue
			}
			walk(Segment{Index: idx, IsIdx: true})
		}
		for _, s := range rel {
			walk(s)
		}
		if ok && at != nil {
			v := deref(cur)
			empty := v == nil || (v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")) || (v.Kind != yaml.ScalarNode && len(v.Content) == 0)
			return Pos{File: l.file, Line: max(at.Line, 1), Column: max(at.Column, 1)}, exact, empty, true
		}
	}
	return Pos{}, false, false, false
}

// strongest makes the primary position of a value built from several
// values lines the line of the strongest values file among them: a value
// set's file (or a kustomization's inline values) over the chart's
// defaults, the one a human changed for this rendering.
func (vc *valuesContext) strongest(loc Location) Location {
	rank := func(file string) int {
		for i := len(vc.sets) - 1; i >= 0; i-- {
			if vc.sets[i].file == file {
				return i + 1
			}
		}
		return 0
	}
	best, bestRank := -1, rank(loc.File)
	for i, r := range loc.Related {
		if r.Message == alsoBuiltFrom {
			if k := rank(r.File); k > bestRank {
				best, bestRank = i, k
			}
		}
	}
	if best < 0 {
		return loc
	}
	r := loc.Related[best]
	loc.Related[best] = Related{File: loc.File, Line: loc.Line, Column: loc.Column, Message: alsoBuiltFrom}
	loc.Pos = Pos{File: r.File, Line: r.Line, Column: r.Column}
	return loc
}

// equalItem returns the index of the item of seq whose content equals n,
// or -1 when none or several do.
func equalItem(seq, n *yaml.Node) int {
	var want any
	if err := n.Decode(&want); err != nil {
		return -1
	}
	found := -1
	for i, it := range seq.Content {
		var got any
		if it.Decode(&got) == nil && reflect.DeepEqual(got, want) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}
