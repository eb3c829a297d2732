package render

import (
	"math"
	"sync"

	"gopkg.in/yaml.v3"
)

// A frozen tree is an object's node tree kept in compact form once no one
// changes it: a scan keeps every object's pruned tree to the end for the
// rules that read several objects, and a yaml.Node weighs 152 bytes, most
// of them comments, anchors and 64-bit positions a kept tree does not
// need. Readers get the tree back through Object.Tree.
type frozenTree struct {
	nodes []frozenNode // nodes[0] is the root
	kids  []int32      // the children of each node, by index into nodes
	// tags holds the tags of this tree that are not in commonTags.
	tags []string
	// anchors and aliases, by node index; nil in most trees.
	anchors map[int32]string
	aliases map[int32]int32
}

// A frozenNode is a yaml.Node without comments, anchor and alias.
type frozenNode struct {
	value  string
	line   int32
	first  int32 // kids[first : first+count]
	column uint16
	count  uint16
	kind   uint8
	style  uint8
	tag    uint8 // index into commonTags, or len(commonTags) + index into tags
}

// commonTags are the tags yaml.v3 resolves plain scalars and collections
// to; a tree's other tags are kept beside it.
var commonTags = [...]string{"", "!!str", "!!map", "!!seq", "!!int", "!!bool", "!!null", "!!float", "!!merge", "!!timestamp", "!!binary"}

// Freeze replaces o's node tree with its frozen form, sharing strings
// through intern (nil to keep them as they are), and reports whether it
// did: objects a renderer locates keep their nodes, which their locators
// find by address, and trees too large for the compact form stay as they
// are. Freeze is for trees no one changes any more.
func (o *Object) Freeze(intern func(string) string) bool {
	if o.Node == nil || o.frozen != nil || o.Locator != nil || o.PartLocator != nil || o.Removed != nil {
		return false
	}
	t, ok := freeze(o.Node, intern)
	if !ok {
		return false
	}
	o.frozen, o.Node = t, nil
	return true
}

func freeze(root *yaml.Node, intern func(string) string) (*frozenTree, bool) {
	nodes, edges := 0, 0
	var count func(n *yaml.Node)
	count = func(n *yaml.Node) {
		nodes++
		edges += len(n.Content)
		for _, ch := range n.Content {
			count(ch)
		}
	}
	count(root)
	if nodes >= math.MaxInt32 || edges >= math.MaxInt32 {
		return nil, false
	}
	if intern == nil {
		intern = func(s string) string { return s }
	}
	t := &frozenTree{nodes: make([]frozenNode, 0, nodes), kids: make([]int32, 0, edges)}
	// The anchored nodes by address, and the alias nodes' targets, in
	// most trees none.
	var index map[*yaml.Node]int32
	var alias map[int32]*yaml.Node
	ok := true
	var add func(n *yaml.Node) int32
	add = func(n *yaml.Node) int32 {
		i := int32(len(t.nodes))
		t.nodes = append(t.nodes, frozenNode{value: intern(n.Value), kind: uint8(n.Kind), style: uint8(n.Style)})
		f := &t.nodes[i]
		if uint32(n.Kind) > math.MaxUint8 || uint32(n.Style) > math.MaxUint8 ||
			n.Line < 0 || n.Line > math.MaxInt32 || n.Column < 0 || n.Column > math.MaxUint16 || len(n.Content) > math.MaxUint16 {
			ok = false
		}
		f.line, f.column = int32(n.Line), uint16(n.Column)
		tag, known := t.tagIndex(n.Tag, intern)
		f.tag, ok = tag, ok && known
		if n.Anchor != "" {
			if t.anchors == nil {
				t.anchors = map[int32]string{}
			}
			if index == nil {
				index = map[*yaml.Node]int32{}
			}
			t.anchors[i] = n.Anchor
			index[n] = i
		}
		if n.Alias != nil {
			if alias == nil {
				alias = map[int32]*yaml.Node{}
			}
			alias[i] = n.Alias
		}
		first := int32(len(t.kids))
		t.kids = t.kids[:len(t.kids)+len(n.Content)] // within the capacity counted
		for k, ch := range n.Content {
			t.kids[first+int32(k)] = add(ch)
		}
		t.nodes[i].first, t.nodes[i].count = first, uint16(len(n.Content))
		return i
	}
	add(root)
	if alias != nil {
		t.aliases = make(map[int32]int32, len(alias))
	}
	for i, target := range alias {
		to, in := index[target]
		if !in {
			return nil, false // an alias to a node outside the tree
		}
		t.aliases[i] = to
	}
	return t, ok
}

// tagIndex returns the index a node records for tag, and false when the
// tree has too many tags to record another.
func (t *frozenTree) tagIndex(tag string, intern func(string) string) (uint8, bool) {
	for i, c := range commonTags {
		if c == tag {
			return uint8(i), true
		}
	}
	for i, c := range t.tags {
		if c == tag {
			return uint8(len(commonTags) + i), true
		}
	}
	if len(commonTags)+len(t.tags) > math.MaxUint8 {
		return 0, false
	}
	t.tags = append(t.tags, intern(tag))
	return uint8(len(commonTags) + len(t.tags) - 1), true
}

// thaw builds the tree again, in one allocation of nodes and one of
// child pointers.
func (t *frozenTree) thaw() *yaml.Node {
	slab := make([]yaml.Node, len(t.nodes))
	refs := make([]*yaml.Node, len(t.kids))
	for i := range t.nodes {
		f, n := &t.nodes[i], &slab[i]
		n.Kind, n.Style, n.Value = yaml.Kind(f.kind), yaml.Style(f.style), f.value
		n.Line, n.Column = int(f.line), int(f.column)
		if int(f.tag) < len(commonTags) {
			n.Tag = commonTags[f.tag]
		} else {
			n.Tag = t.tags[int(f.tag)-len(commonTags)]
		}
		if f.count > 0 {
			end := f.first + int32(f.count)
			n.Content = refs[f.first:end:end]
			for k, kid := range t.kids[f.first:end] {
				n.Content[k] = &slab[kid]
			}
		}
	}
	for i, a := range t.anchors {
		slab[i].Anchor = a
	}
	for i, to := range t.aliases {
		slab[i].Alias = &slab[to]
	}
	return &slab[0]
}

// DropTree releases o's node tree, frozen or not, its decoded value and
// the renderer's locators, which hold the rendered nodes: o keeps its
// identity, file and source, and reads as an empty object located at the
// start of its file.
func (o *Object) DropTree() {
	o.Node, o.frozen, o.value = nil, nil, nil
	o.Locator, o.PartLocator, o.Removed, o.Generated = nil, nil, nil, nil
}

// thawed keeps the trees thawed last: the rules that read an object read
// several of its fields in a row, and each would otherwise build the tree
// again.
var thawed struct {
	sync.Mutex
	next  int
	trees [8]struct {
		t    *frozenTree
		root *yaml.Node
	}
}

// Tree returns o's node tree: Node, or the tree Freeze kept. A thawed tree
// is shared with other readers and must not be changed.
func (o *Object) Tree() *yaml.Node {
	t := o.frozen
	if t == nil {
		return o.Node
	}
	thawed.Lock()
	defer thawed.Unlock()
	for _, e := range thawed.trees {
		if e.t == t {
			return e.root
		}
	}
	root := t.thaw()
	e := &thawed.trees[thawed.next]
	e.t, e.root = t, root
	thawed.next = (thawed.next + 1) % len(thawed.trees)
	return root
}

// The readers of a frozen tree below answer Has, String, Pos and Locate
// as Resolve, ValueAt, lookupKey and deref answer them on the thawed tree
// (TestFrozenReadsMatchThawed), without thawing it: the cross-object rules
// ask a few fields of every object, each rule in turn, and a thawed tree
// is every node of the object made again.

// none is the index of no node.
const none = -1

// kind returns the kind of node i.
func (t *frozenTree) kind(i int32) yaml.Kind { return yaml.Kind(t.nodes[i].kind) }

// children returns the children of node i.
func (t *frozenTree) children(i int32) []int32 {
	n := &t.nodes[i]
	return t.kids[n.first : n.first+int32(n.count)]
}

// merge reports whether node i carries the merge key's tag.
func (t *frozenTree) merge(i int32) bool {
	tag := int(t.nodes[i].tag)
	if tag < len(commonTags) {
		return commonTags[tag] == "!!merge"
	}
	return t.tags[tag-len(commonTags)] == "!!merge"
}

// deref returns the node a document or alias node stands for.
func (t *frozenTree) deref(i int32) int32 {
	for i != none {
		switch t.kind(i) {
		case yaml.DocumentNode:
			kids := t.children(i)
			if len(kids) == 0 {
				return none
			}
			i = kids[0]
		case yaml.AliasNode:
			to, ok := t.aliases[i]
			if !ok {
				return none
			}
			i = to
		default:
			return i
		}
	}
	return none
}

// lookupKey finds key in mapping m, honouring merge keys: the key node and
// the value node.
func (t *frozenTree) lookupKey(m int32, key string, depth int) (k, v int32) {
	m = t.deref(m)
	if m == none || t.kind(m) != yaml.MappingNode || depth > 32 {
		return none, none
	}
	kids := t.children(m)
	k, v = none, none
	for i := 0; i+1 < len(kids); i += 2 {
		if kn := kids[i]; t.kind(kn) == yaml.ScalarNode && t.nodes[kn].value == key && !t.merge(kn) {
			k, v = kn, kids[i+1]
		}
	}
	if k != none {
		return k, v
	}
	for i := 0; i+1 < len(kids); i += 2 {
		if kn := kids[i]; t.kind(kn) != yaml.ScalarNode || !t.merge(kn) {
			continue
		}
		src := t.deref(kids[i+1])
		if src == none {
			continue
		}
		if t.kind(src) == yaml.SequenceNode {
			for _, s := range t.children(src) {
				if k, v := t.lookupKey(s, key, depth+1); k != none {
					return k, v
				}
			}
			continue
		}
		if k, v := t.lookupKey(src, key, depth+1); k != none {
			return k, v
		}
	}
	return none, none
}

// resolve is Resolve from the root: the node marking the deepest existing
// step, and whether every step existed.
func (t *frozenTree) resolve(segs []Segment) (marker int32, exact bool) {
	cur := t.deref(0)
	marker = cur
	for _, s := range segs {
		if cur == none {
			return marker, false
		}
		if s.IsIdx {
			kids := t.children(cur)
			if t.kind(cur) != yaml.SequenceNode || s.Index < 0 || s.Index >= len(kids) {
				return marker, false
			}
			item := kids[s.Index]
			marker = item
			cur = t.deref(item)
			if cur != item && cur != none && t.kind(item) == yaml.AliasNode {
				marker = cur
			}
			continue
		}
		k, v := t.lookupKey(cur, s.Key, 0)
		if k == none {
			return marker, false
		}
		marker = k
		cur = t.deref(v)
	}
	return marker, true
}

// valueAt is ValueAt from the root.
func (t *frozenTree) valueAt(segs []Segment) int32 {
	cur := t.deref(0)
	for _, s := range segs {
		if cur == none {
			return none
		}
		if s.IsIdx {
			kids := t.children(cur)
			if t.kind(cur) != yaml.SequenceNode || s.Index < 0 || s.Index >= len(kids) {
				return none
			}
			cur = t.deref(kids[s.Index])
			continue
		}
		_, v := t.lookupKey(cur, s.Key, 0)
		if v == none {
			return none
		}
		cur = t.deref(v)
	}
	return cur
}

// frozenReads returns o's frozen tree when its readers may read it without
// thawing it: no renderer maps its nodes.
func (o *Object) frozenReads() *frozenTree {
	if o.frozen != nil && o.Locator == nil && o.Removed == nil {
		return o.frozen
	}
	return nil
}

// frozenPos is the position Pos and Locate give for path in frozen tree t.
func (o *Object) frozenPos(t *frozenTree, segs []Segment) (Pos, bool) {
	m, exact := t.resolve(segs)
	if m == none {
		m = 0
	}
	n := &t.nodes[m]
	return Pos{File: o.File, Line: max(int(n.line), 1), Column: max(int(n.column), 1)}, exact
}
