package render

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// TestFreezeKeepsTree: a frozen object reads as it did: its thawed tree
// has the nodes of the original (all but comments), and every field the
// checks decode or locate gives what it gave before, for every plain
// object of the corpus, the testdata and a generated tree.
func TestFreezeKeepsTree(t *testing.T) {
	set := loadGeneratedCorpus(t)
	frozen, aliased := 0, 0
	for _, o := range set.Objects {
		name := fmt.Sprintf("%s %s/%s", o.File, o.Kind, o.Name)
		orig := o.Node
		type reading struct {
			v   any
			err string
			loc Location
			has bool
		}
		read := func() []reading {
			var rs []reading
			for _, tg := range decodeTargets {
				v := tg.new()
				err := o.Decode(tg.path, v)
				rs = append(rs, reading{v, fmt.Sprint(err), o.Locate(tg.path), o.Has(tg.path)})
			}
			return rs
		}
		before := read()
		o.Forget()
		if !o.Freeze(nil) {
			if o.Locator == nil && o.PartLocator == nil && o.Removed == nil {
				t.Errorf("%s: a plain object was not frozen", name)
			}
			continue
		}
		frozen++
		if o.Node != nil {
			t.Fatalf("%s: frozen, but Node is kept", name)
		}
		if msg := sameTree(orig, o.Tree(), map[*yaml.Node]*yaml.Node{}, ""); msg != "" {
			t.Errorf("%s: thawed tree differs: %s", name, msg)
		}
		if len(o.frozen.aliases) > 0 {
			aliased++
		}
		after := read()
		for i, tg := range decodeTargets {
			if !reflect.DeepEqual(before[i], after[i]) {
				t.Errorf("%s: %s reads %+v frozen, %+v before", name, tg.path, after[i], before[i])
			}
		}
		if o.value != nil {
			t.Errorf("%s: a frozen object keeps its decoded value", name)
		}
	}
	if frozen < 2500 || aliased == 0 {
		t.Fatalf("froze %d objects, %d with aliases; want the corpus's thousands and some aliases", frozen, aliased)
	}
	t.Logf("%d objects frozen, %d with aliases", frozen, aliased)
}

// sameTree compares the nodes of a and b but their comments; seen maps
// a's nodes to b's, for the aliases.
func sameTree(a, b *yaml.Node, seen map[*yaml.Node]*yaml.Node, at string) string {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value ||
		a.Line != b.Line || a.Column != b.Column || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("at %s: %+v, want %+v", at, *b, *a)
	}
	seen[a] = b
	for i := range a.Content {
		if msg := sameTree(a.Content[i], b.Content[i], seen, fmt.Sprintf("%s/%d", at, i)); msg != "" {
			return msg
		}
	}
	if (a.Alias == nil) != (b.Alias == nil) || a.Alias != nil && seen[a.Alias] != b.Alias {
		return fmt.Sprintf("at %s: the alias points elsewhere", at)
	}
	return ""
}

// TestFreezeRefuses: a tree Freeze cannot keep whole stays as it is.
func TestFreezeRefuses(t *testing.T) {
	parse := func(src string) *yaml.Node {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Content[0]
	}
	list := parse("items:\n- &a {x: 1}\n- {y: *a}\n")
	outside := &Object{Node: list.Content[1].Content[1]} // {y: *a}, its anchor in the other item
	located := &Object{Node: parse("a: 1\n"), Locator: func(*yaml.Node) Location { return Location{} }}
	tagged := "a: [" // more tags than a frozen tree can number
	for i := range 300 {
		tagged += fmt.Sprintf("!t%d 1, ", i)
	}
	many := &Object{Node: parse(tagged + "]\n")}
	// A column or a child count past what a frozen node holds.
	wide := &Object{Node: parse(strings.Repeat(" ", 1<<16) + "{a: 1}\n")}
	long := &yaml.Node{Kind: yaml.SequenceNode}
	for range 1 << 16 {
		long.Content = append(long.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "x"})
	}
	crowded := &Object{Node: &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "items"}, long}}}
	for name, o := range map[string]*Object{"alias to outside": outside, "located": located, "too many tags": many,
		"column past 16 bits": wide, "children past 16 bits": crowded} {
		node := o.Node
		if o.Freeze(nil) || o.Node != node || o.Tree() != node {
			t.Errorf("%s: frozen", name)
		}
	}
	if size := unsafe.Sizeof(frozenNode{}); size != 32 {
		t.Errorf("a frozen node takes %d bytes, want 32", size)
	}
	edge := &Object{Node: parse(strings.Repeat(" ", 1<<16-2) + "a\n")} // column 65,535
	if !edge.Freeze(nil) {
		t.Error("a tree at column 65,535 was not frozen")
	} else if pos, _ := edge.Pos(""); pos.Column != 1<<16-1 || edge.String("") != "a" {
		t.Errorf("the scalar at column 65,535 reads at column %d", pos.Column)
	}
	inside := &Object{Node: parse("a: &x {k: v}\nb: *x\nc: !custom 1\n")}
	if !inside.Freeze(nil) {
		t.Fatal("a tree with its own anchor and a custom tag was not frozen")
	}
	if got := inside.String("b.k"); got != "v" {
		t.Errorf("b.k through the alias reads %q, want v", got)
	}
	if tag := ValueAt(inside.Tree(), []Segment{{Key: "c"}}).Tag; tag != "!custom" {
		t.Errorf("the custom tag thaws as %q", tag)
	}
}

// TestDropTree: an object without its tree reads as empty and is located
// at the start of its file.
func TestDropTree(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("kind: Pod\nspec:\n  x: 1\n"), &doc); err != nil {
		t.Fatal(err)
	}
	o := &Object{Kind: "Pod", File: "p.yaml", Node: doc.Content[0], Locator: func(*yaml.Node) Location { return Location{} }}
	o.DropTree()
	if o.Tree() != nil || o.Locator != nil || o.Has("spec") || o.String("spec.x") != "" || len(o.Value()) != 0 {
		t.Error("a dropped tree still reads")
	}
	if l := o.Locate("spec.x"); l.File != "p.yaml" || l.Line != 1 || l.Column != 1 || !l.Approx {
		t.Errorf("located at %+v", l)
	}
	if p, exact := o.Pos("spec"); p.Line != 1 || exact {
		t.Errorf("pos %v %v", p, exact)
	}
}

// TestFrozenReadsMatchThawed: Has, String, Pos and Locate read a frozen
// tree as Resolve and ValueAt read the thawed one: at every node of every
// frozen object of the corpus, the testdata and a generated tree, every
// key of the object looked up there (merged ones too), indices past the
// end, and through anchors, aliases and merge keys.
func TestFrozenReadsMatchThawed(t *testing.T) {
	set := loadGeneratedCorpus(t)
	extra, err := Parse("merge.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: m
  labels: &labels {app: a, tier: web}
data:
  base: &base {a: "1", b: "2", nested: {c: "3"}}
  over: {<<: *base, b: "two"}
  many: {<<: [*base, {d: "4"}], e: "5"}
  alias: *base
  list: [*labels, {x: y}, *base]
  tagged: !!str 12
  empty: []
`))
	if err != nil {
		t.Fatal(err)
	}
	objs := append(set.Objects, extra...)
	frozen, compared, merged := 0, 0, 0
	for _, o := range objs {
		o.Forget()
		if !o.Freeze(nil) {
			continue
		}
		frozen++
		ft := o.frozen
		root := ft.thaw()
		keys := map[string]bool{"missing": true}
		var collect func(n *yaml.Node)
		collect = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode && len(keys) < 64 {
				keys[n.Value] = true
			}
			for _, c := range n.Content {
				collect(c)
			}
		}
		collect(root)
		same := func(a *yaml.Node, b int32) bool {
			if a == nil || b == none {
				return a == nil && b == none
			}
			n := &ft.nodes[b]
			return a.Kind == yaml.Kind(n.kind) && a.Value == n.value && a.Line == int(n.line) && a.Column == int(n.column)
		}
		var walk func(n *yaml.Node, segs []Segment, depth int)
		walk = func(n *yaml.Node, segs []Segment, depth int) {
			compared++
			m1, e1 := Resolve(root, segs)
			m2, e2 := ft.resolve(segs)
			if !same(m1, m2) || e1 != e2 {
				t.Fatalf("%s %s/%s at %v: Resolve %+v %v, frozen %d %v", o.File, o.Kind, o.Name, segs, m1, e1, m2, e2)
			}
			if v1, v2 := ValueAt(root, segs), ft.valueAt(segs); !same(v1, v2) {
				t.Fatalf("%s %s/%s at %v: ValueAt %+v, frozen %d", o.File, o.Kind, o.Name, segs, v1, v2)
			}
			if n == nil || depth > 12 {
				return
			}
			n = deref(n)
			if n == nil {
				return
			}
			switch n.Kind {
			case yaml.MappingNode:
				for k := range keys {
					kn, v := lookupKey(n, k, 0)
					if kn != nil && !slices.ContainsFunc(n.Content, func(c *yaml.Node) bool { return c == kn }) {
						merged++
					}
					walk(v, append(slices.Clip(segs), Segment{Key: k}), depth+1)
				}
			case yaml.SequenceNode:
				for i := range len(n.Content) + 2 {
					var item *yaml.Node
					if i < len(n.Content) {
						item = n.Content[i]
					}
					walk(item, append(slices.Clip(segs), Segment{Index: i, IsIdx: true}), depth+1)
				}
			default:
				walk(nil, append(slices.Clip(segs), Segment{Key: "missing"}), depth+1)
			}
		}
		walk(root, nil, 0)
		// The Object's readers, through a path string.
		for _, p := range []string{"metadata.name", "metadata.labels.app", "data.over.a", "data.list[2].b", "spec.template.spec.containers[0].image", "nope[3]", "a..b"} {
			segs, err := ParsePath(p)
			if err != nil {
				segs = nil
			}
			m, exact := Resolve(root, segs)
			if m == nil {
				m = root
			}
			wantPos, wantExact := Pos{File: o.File, Line: max(m.Line, 1), Column: max(m.Column, 1)}, exact && err == nil
			if pos, exact := o.Pos(p); pos != wantPos || exact != wantExact {
				t.Errorf("%s %s: Pos(%s) = %v %v, want %v %v", o.File, o.Name, p, pos, exact, wantPos, wantExact)
			}
			if loc := o.Locate(p); loc.Pos != wantPos || loc.Approx || loc.Related != nil {
				t.Errorf("%s %s: Locate(%s) = %+v, want %v", o.File, o.Name, p, loc, wantPos)
			}
			if got := o.Has(p); got != wantExact {
				t.Errorf("%s %s: Has(%s) = %v", o.File, o.Name, p, got)
			}
			want := ""
			if v := ValueAt(root, segs); err == nil && v != nil && v.Kind == yaml.ScalarNode {
				want = v.Value
			}
			if got := o.String(p); got != want {
				t.Errorf("%s %s: String(%s) = %q, want %q", o.File, o.Name, p, got, want)
			}
		}
	}
	if frozen < 100 || compared < 10000 || merged == 0 {
		t.Errorf("%d frozen objects, %d places compared, %d merged keys: the test reads too little", frozen, compared, merged)
	}
}
