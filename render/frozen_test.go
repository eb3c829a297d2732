package render

import (
	"fmt"
	"reflect"
	"testing"

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
	for name, o := range map[string]*Object{"alias to outside": outside, "located": located, "too many tags": many} {
		node := o.Node
		if o.Freeze(nil) || o.Node != node || o.Tree() != node {
			t.Errorf("%s: frozen", name)
		}
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
