package render

import (
	"gopkg.in/yaml.v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// fromKyaml copies a node tree kustomize built (kyaml's yaml.v3 fork) into
// this package's yaml.v3 nodes, as parsing kustomize's output would give
// them, without writing and parsing that text: every node gets the tag a
// parser resolves (kustomize leaves it empty on nodes it creates), and no
// line (relines gives the fields theirs). Comments are dropped: checks
// never read them. Aliases (kustomize expands them) are followed.
func fromKyaml(n *kyaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	for n.Kind == kyaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == kyaml.DocumentNode && len(n.Content) == 1 {
		return fromKyaml(n.Content[0])
	}
	out := &yaml.Node{
		Kind:  yaml.Kind(n.Kind),
		Style: yaml.Style(n.Style),
		Tag:   n.ShortTag(),
		Value: n.Value,
	}
	if len(n.Content) > 0 {
		out.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			out.Content[i] = fromKyaml(c)
		}
	}
	return out
}

// A pathLink places one key node or list item of a built object: the key
// node or item above it (nil at the top) and, for an item, its index.
type pathLink struct {
	up    *yaml.Node
	index int32 // -1 for a key node
}

// linkPaths records the link of every key node and list item under n.
func linkPaths(n, up *yaml.Node, into map[*yaml.Node]pathLink) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			into[n.Content[i]] = pathLink{up: up, index: -1}
			linkPaths(n.Content[i+1], n.Content[i], into)
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			into[it] = pathLink{up: up, index: int32(i)}
			linkPaths(it, it, into)
		}
	}
}

// pathOf returns the field path of a key node or list item of the
// object; nil for the object itself or a node it does not hold.
func (l *kustLoc) pathOf(n *yaml.Node) []Segment {
	if _, ok := l.links[n]; !ok {
		return nil
	}
	depth := 0
	for c := n; c != nil; c = l.links[c].up {
		depth++
	}
	segs := make([]Segment, depth)
	for c := n; c != nil; c = l.links[c].up {
		depth--
		if lk := l.links[c]; lk.index >= 0 {
			segs[depth] = Segment{Index: int(lk.index), IsIdx: true}
		} else {
			segs[depth] = Segment{Key: c.Value}
		}
	}
	return segs
}
