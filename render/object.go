// Package render turns files on disk into Kubernetes objects that remember
// the file, line and column a human edits for every field.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// A Pos is a place in a file: a path relative to the working directory,
// slash-separated, and a 1-based line and column.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// A Source says how an object was produced: "file" for plain manifests,
// "helm" or "kustomize" for rendered ones.
type Source struct {
	Kind     string `json:"kind"`
	Chart    string `json:"chart,omitempty"`    // helm: the chart directory
	ValueSet string `json:"valueSet,omitempty"` // helm: the named value set
	Root     string `json:"root,omitempty"`     // kustomize: the built kustomization
	// ValueSets and Roots list every value set or overlay a finding was
	// seen through, when there is more than one.
	ValueSets []string `json:"valueSets,omitempty"`
	Roots     []string `json:"roots,omitempty"`
}

// A Related location is the other side of a mapping: the template line
// beside the values line, the base line beside the patch line.
type Related struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// A Location is where a finding on a field is reported.
type Location struct {
	Pos
	Related []Related
	// Approx marks a position a renderer could not map exactly.
	Approx bool
}

// A Locator maps a node of rendered YAML (the key node of the deepest
// existing field) to the place a human edits. Renderers set one on the
// objects they produce; plain files need none.
type Locator func(n *yaml.Node) Location

// An Object is one Kubernetes object with the YAML node tree it came from.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string // as written; empty when the manifest sets none
	// DefaultNamespace is where the object lands when it names none: a
	// Helm release's namespace; empty means the cluster's "default".
	DefaultNamespace string
	Name             string
	File             string // relative to the working directory, slash-separated
	Source           Source

	// Node is the mapping node of the object; every field path resolves
	// against it. It is nil once the object is frozen (Freeze): Tree
	// returns the tree either way.
	Node *yaml.Node
	// Locator, when set, maps rendered nodes to source positions.
	Locator Locator
	// Removed, when set, says where a renderer's input removed a field the
	// object lacks (a patch deleting it): parent is the key node of its
	// nearest existing parent, as Locator gets it, and missing the path
	// below it. A Locator sees only the parent, which other missing fields
	// share.
	Removed func(parent *yaml.Node, missing []Segment) (Location, bool)
	// PartLocator, when set, maps the bytes [from, to) of a rendered
	// scalar's value to the source that wrote them: a value built from
	// several sources (an image from a registry, a repository and a tag)
	// has one place to edit per part. ok is false when it cannot tell.
	PartLocator func(n *yaml.Node, from, to int) (loc Location, ok bool)
	// Generated holds the paths of the values a chart generates when it is
	// rendered (randAlphaNum, genCA): they change from render to render and
	// are in no file.
	Generated map[string]bool

	value map[string]any
	// frozen, when set, is the tree in place of Node (Freeze).
	frozen *frozenTree
}

// Ref names an object the way a finding reports it.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Ref returns the object's identity.
func (o *Object) Ref() Ref {
	return Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// Pos returns the position of the field at path, or of its nearest existing
// parent when the field is missing, mapped through the renderer's Locator;
// exact reports which, and is false for a position a renderer estimated.
func (o *Object) Pos(path string) (pos Pos, exact bool) {
	segs, err := ParsePath(path)
	if err != nil {
		segs = nil
	}
	if t := o.frozenReads(); t != nil {
		pos, exact := o.frozenPos(t, segs)
		return pos, exact && err == nil
	}
	root := o.Tree()
	m, exact := Resolve(root, segs)
	if m == nil {
		m = root
	}
	if o.Locator != nil {
		if l := o.Locator(m); l.File != "" {
			return Pos{File: l.File, Line: max(l.Line, 1), Column: max(l.Column, 1)}, exact && err == nil && !l.Approx
		}
	}
	if m == nil { // no tree (DropTree)
		return Pos{File: o.File, Line: 1, Column: 1}, false
	}
	return Pos{File: o.File, Line: max(m.Line, 1), Column: max(m.Column, 1)}, exact && err == nil
}

// Locate returns where a finding on the field at path is reported: the
// field, or its nearest existing parent, mapped through the renderer's
// Locator when the object was rendered.
func (o *Object) Locate(path string) Location {
	segs, err := ParsePath(path)
	if err != nil {
		segs = nil
	}
	if t := o.frozenReads(); t != nil {
		pos, _ := o.frozenPos(t, segs)
		return Location{Pos: pos}
	}
	root := o.Tree()
	m, exact := Resolve(root, segs)
	if m == nil {
		m = root
	}
	if !exact && o.Removed != nil {
		n := len(segs)
		for n > 0 {
			if _, ok := Resolve(root, segs[:n-1]); ok {
				break
			}
			n--
		}
		if n > 0 {
			if l, ok := o.Removed(m, segs[n-1:]); ok && l.File != "" {
				l.Line, l.Column = max(l.Line, 1), max(l.Column, 1)
				return l
			}
		}
	}
	if o.Locator != nil {
		if l := o.Locator(m); l.File != "" {
			l.Line, l.Column = max(l.Line, 1), max(l.Column, 1)
			return l
		}
	}
	if m == nil { // no tree (DropTree)
		return Location{Pos: Pos{File: o.File, Line: 1, Column: 1}, Approx: true}
	}
	return Location{Pos: Pos{File: o.File, Line: max(m.Line, 1), Column: max(m.Column, 1)}}
}

// LocatePart is Locate for a finding on the bytes [from, to) of the
// scalar value at path (the tag of an image reference), where the
// renderer can tell which source wrote them.
func (o *Object) LocatePart(path string, from, to int) Location {
	if o.PartLocator != nil {
		if segs, err := ParsePath(path); err == nil {
			if m, exact := Resolve(o.Tree(), segs); m != nil && exact {
				if l, ok := o.PartLocator(m, from, to); ok && l.File != "" {
					l.Line, l.Column = max(l.Line, 1), max(l.Column, 1)
					return l
				}
			}
		}
	}
	return o.Locate(path)
}

// Has reports whether the field at path is present.
func (o *Object) Has(path string) bool {
	segs, err := ParsePath(path)
	if err != nil {
		return false
	}
	if t := o.frozenReads(); t != nil {
		_, exact := t.resolve(segs)
		return exact
	}
	_, exact := Resolve(o.Tree(), segs)
	return exact
}

// Value returns the object as generic data, with aliases and merge keys
// expanded, as the API server receives it: kubectl converts YAML to JSON
// with sigs.k8s.io/yaml, whose scalars follow YAML 1.1 (`yes`, `on` and
// `off` are booleans), not the YAML 1.2 of the node tree. Numbers are
// json.Number.
func (o *Object) Value() map[string]any {
	if o.value != nil {
		return o.value
	}
	value := map[string]any{}
	root := o.Tree()
	if root == nil {
		return value
	}
	if m, err := apiValue(root); err == nil {
		value = m
	} else {
		// An alias to an anchor outside the object (an item of a List)
		// does not survive re-encoding; read it as YAML 1.2.
		var v any
		if err := root.Decode(&v); err == nil {
			if m, ok := normalize(v).(map[string]any); ok {
				value = m
			}
		}
	}
	if o.frozen == nil { // a frozen object is kept small
		o.value = value
	}
	return value
}

// Forget drops the value Value caches; the next call converts the node
// tree again. A scan forgets an object once the checks that read all of
// it are done.
func (o *Object) Forget() { o.value = nil }

// apiValueReference converts a node tree to the JSON data kubectl sends
// for it the way kubectl does: written out as YAML, read by
// sigs.k8s.io/yaml into JSON. It is the reference apiValue is held to.
func apiValueReference(n *yaml.Node) (map[string]any, error) {
	text, err := yaml.Marshal(n)
	if err != nil {
		return nil, err
	}
	j, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a mapping")
	}
	return m, nil
}

// String returns a value at path as text, or "" when it is missing or not a scalar.
func (o *Object) String(path string) string {
	segs, err := ParsePath(path)
	if err != nil {
		return ""
	}
	if t := o.frozenReads(); t != nil {
		if i := t.valueAt(segs); i != none && t.kind(i) == yaml.ScalarNode {
			return t.nodes[i].value
		}
		return ""
	}
	n := ValueAt(o.Tree(), segs)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// normalize turns the maps yaml.v3 decodes with non-string keys into
// string-keyed maps so that the value can be written as JSON.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	}
	return v
}

// EffectiveNamespace is the namespace a namespaced object is applied in.
func (o *Object) EffectiveNamespace() string {
	switch {
	case o.Namespace != "":
		return o.Namespace
	case o.DefaultNamespace != "":
		return o.DefaultNamespace
	}
	return "default"
}
