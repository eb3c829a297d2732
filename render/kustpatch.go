package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A patchDoc is one patch document, in a patch file or inline in a
// kustomization, with the offset of inline text.
type patchDoc struct {
	file            string
	root            *yaml.Node
	lineOff, colOff int
	approx          bool
	at              Pos
	target          *yaml.Node
}

func (p patchDoc) pos(n *yaml.Node) Location {
	if p.approx {
		return Location{Pos: p.at, Approx: true}
	}
	return Location{Pos: Pos{File: p.file, Line: n.Line + p.lineOff, Column: n.Column + p.colOff}}
}

// patches returns the patch documents of d in the order kustomize
// applies them.
func (l *kustLoc) patches(d *kustDir, key string) []patchDoc {
	var out []patchDoc
	add := func(file string, docs []*yaml.Node, target *yaml.Node, off patchDoc) {
		for _, doc := range docs {
			p := off
			p.file, p.root, p.target = file, doc, target
			out = append(out, p)
		}
	}
	fromFile := func(n *yaml.Node, target *yaml.Node) {
		f := l.g.k.files.get(filepath.Join(d.dir, n.Value))
		add(f.rel, f.documents(), target, patchDoc{})
	}
	fromInline := func(n *yaml.Node, target *yaml.Node) {
		off := patchDoc{at: l.g.k.at(d, n)}
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			off.lineOff = n.Line
			off.colOff = inlineIndent(l.g.k.cache, d.file, n.Line+1)
		} else {
			off.approx = true
		}
		add(d.rel, parseDocs([]byte(n.Value)), target, off)
	}
	switch key {
	case "patchesStrategicMerge":
		for _, n := range list(d.doc, key) {
			if inline(n.Value) {
				fromInline(n, nil)
			} else {
				fromFile(n, nil)
			}
		}
	default:
		for _, it := range items(d.doc, key) {
			_, target := lookupKey(it, "target", 0)
			if _, v := lookupKey(it, "path", 0); v != nil && v.Kind == yaml.ScalarNode {
				fromFile(v, target)
			}
			if _, v := lookupKey(it, "patch", 0); v != nil && v.Kind == yaml.ScalarNode {
				fromInline(v, target)
			}
		}
	}
	return out
}

// inlineIndent is the indentation of line of file: the column offset of
// a block scalar's content.
func inlineIndent(c *fileCache, file string, line int) int {
	data, err := c.read(file)
	if err != nil {
		return 0
	}
	l := LineAt(data, line)
	return len(l) - len(bytes.TrimLeft(l, " "))
}

// LineAt returns line n (1-based) of text, without its newline; nil past
// the end.
func LineAt(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(text, '\n')
		if j < 0 {
			return nil
		}
		text = text[j+1:]
	}
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	return text
}

// targets reports whether a patch selector (kind, name regex, namespace)
// selects o; label and annotation selectors are taken as matching.
func (l *kustLoc) targets(sel *yaml.Node) bool {
	sel = deref(sel)
	if sel == nil {
		return true
	}
	match := func(field, value string) bool {
		want := scalar(sel, field)
		if want == "" {
			return true
		}
		re, err := regexp.Compile("^(?:" + want + ")$")
		if err != nil {
			return want == value
		}
		return re.MatchString(value) || strings.Contains(value, want)
	}
	group, version := "", l.o.APIVersion
	if i := strings.LastIndex(l.o.APIVersion, "/"); i >= 0 {
		group, version = l.o.APIVersion[:i], l.o.APIVersion[i+1:]
	}
	return match("kind", l.o.Kind) && match("name", l.o.Name) && match("group", group) && match("version", version)
}

// contribution returns where kustomization d sets the field at segs of
// the object, if it does: a patch line or a transformer entry.
func (l *kustLoc) contribution(d *kustDir, segs []Segment, v *yaml.Node) (Location, bool) {
	at := func(n *yaml.Node) Location { return Location{Pos: l.g.k.at(d, n)} }
	leafValue := ""
	if v != nil && v.Kind == yaml.ScalarNode {
		leafValue = v.Value
	}
	path := segmentsString(segs)
	// Later transformers win; kustomize runs them in this order:
	// patchesStrategicMerge, patches, namespace, namePrefix, nameSuffix,
	// labels, annotations, patchesJson6902, replicas, images, replacements.
	if loc, ok := l.replacement(d, segs, leafValue); ok {
		return loc, true
	}
	if strings.HasSuffix(path, ".image") && leafValue != "" {
		imgs := items(d.doc, "images")
		for i := len(imgs) - 1; i >= 0; i-- {
			it := imgs[i]
			repo := imageRepo(leafValue)
			if repo != scalar(it, "name") && repo != scalar(it, "newName") {
				continue
			}
			for _, key := range []string{"digest", "newTag", "newName"} {
				if k, _ := lookupKey(it, key, 0); k != nil {
					return at(k), true
				}
			}
			return at(it), true
		}
	}
	if path == "spec.replicas" {
		for _, it := range items(d.doc, "replicas") {
			if n := scalar(it, "name"); n != "" && strings.Contains(l.o.Name, n) {
				if k, _ := lookupKey(it, "count", 0); k != nil {
					return at(k), true
				}
				return at(it), true
			}
		}
	}
	for _, p := range reversed(l.patches(d, "patchesJson6902")) {
		if loc, ok := l.json6902(p, segs, leafValue); ok {
			return loc, true
		}
	}
	if len(segs) >= 2 && segs[len(segs)-2].Key == "annotations" {
		if k, _ := lookupKey(ValueAt(d.doc, []Segment{{Key: "commonAnnotations"}}), segs[len(segs)-1].Key, 0); k != nil {
			return at(k), true
		}
	}
	if len(segs) >= 2 && (segs[len(segs)-2].Key == "labels" || segs[len(segs)-2].Key == "matchLabels" || segs[len(segs)-2].Key == "selector") {
		key := segs[len(segs)-1].Key
		if k, _ := lookupKey(ValueAt(d.doc, []Segment{{Key: "commonLabels"}}), key, 0); k != nil {
			return at(k), true
		}
		for _, it := range items(d.doc, "labels") {
			if k, _ := lookupKey(ValueAt(it, []Segment{{Key: "pairs"}}), key, 0); k != nil {
				return at(k), true
			}
		}
	}
	if path == "metadata.name" {
		for _, key := range []string{"nameSuffix", "namePrefix"} {
			if k, _ := lookupKey(d.doc, key, 0); k != nil {
				return at(k), true
			}
		}
	}
	if path == "metadata.namespace" {
		if k, _ := lookupKey(d.doc, "namespace", 0); k != nil {
			return at(k), true
		}
	}
	for _, key := range []string{"patches", "patchesStrategicMerge"} {
		for _, p := range reversed(l.patches(d, key)) {
			if p.root.Kind == yaml.SequenceNode {
				if loc, ok := l.json6902(p, segs, leafValue); ok {
					return loc, true
				}
				continue
			}
			if loc, ok := l.strategic(p, segs, leafValue); ok {
				return loc, true
			}
		}
	}
	return Location{}, false
}

func reversed(ps []patchDoc) []patchDoc {
	for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

func segmentsString(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.IsIdx {
			fmt.Fprintf(&b, "[%d]", s.Index)
			continue
		}
		b.WriteString(Key(s.Key))
	}
	return strings.TrimPrefix(b.String(), ".")
}

func imageRepo(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// strategic reports whether a strategic merge patch sets the field.
func (l *kustLoc) strategic(p patchDoc, segs []Segment, leafValue string) (Location, bool) {
	if p.root.Kind != yaml.MappingNode || !l.targets(p.target) {
		return Location{}, false
	}
	if p.target == nil {
		if kind := scalar(p.root, "kind"); kind != "" && kind != l.o.Kind {
			return Location{}, false
		}
		if name := ValueAt(p.root, []Segment{{Key: "metadata"}, {Key: "name"}}); name != nil && !strings.Contains(l.o.Name, name.Value) {
			return Location{}, false
		}
	}
	m, exact := follow(p.root, l.o.Node, segs)
	if !exact || len(segs) == 0 {
		return Location{}, false
	}
	if leafValue != "" {
		if pv := valueAfter(p.root, l.o.Node, segs); pv == nil || pv.Kind != yaml.ScalarNode || pv.Value != leafValue {
			return Location{}, false
		}
	}
	return p.pos(m), true
}

// valueAfter returns the value node at segs in src, following like follow.
func valueAfter(src, built *yaml.Node, segs []Segment) *yaml.Node {
	if len(segs) == 0 {
		return deref(src)
	}
	m, exact := follow(src, built, segs)
	if !exact {
		return nil
	}
	if segs[len(segs)-1].IsIdx {
		return deref(m)
	}
	parent := valueAfter(src, built, segs[:len(segs)-1])
	_, v := lookupKey(parent, segs[len(segs)-1].Key, 0)
	return deref(v)
}

// json6902 reports whether an add or replace operation sets the field.
func (l *kustLoc) json6902(p patchDoc, segs []Segment, leafValue string) (Location, bool) {
	if p.root.Kind != yaml.SequenceNode || !l.targets(p.target) {
		return Location{}, false
	}
	for i := len(p.root.Content) - 1; i >= 0; i-- {
		op := deref(p.root.Content[i])
		if op == nil || op.Kind != yaml.MappingNode {
			continue
		}
		if kind := scalar(op, "op"); kind != "add" && kind != "replace" {
			continue
		}
		ptr := strings.Split(strings.TrimPrefix(scalar(op, "path"), "/"), "/")
		if len(ptr) > len(segs) {
			continue
		}
		ok, appended := true, false
		for j, tok := range ptr {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			s := segs[j]
			switch {
			case s.IsIdx && tok == "-":
				appended = true
			case s.IsIdx:
				n, err := strconv.Atoi(tok)
				ok = ok && err == nil && n == s.Index
			default:
				ok = ok && tok == s.Key
			}
		}
		if !ok {
			continue
		}
		vk, vv := lookupKey(op, "value", 0)
		if vk == nil {
			continue
		}
		rest := segs[len(ptr):]
		built := ValueAt(l.o.Node, segs[:len(ptr)])
		marker, exact := vk, true
		target := deref(vv)
		if len(rest) > 0 {
			marker, exact = follow(vv, built, rest)
			target = valueAfter(vv, built, rest)
		}
		if !exact {
			continue
		}
		if leafValue != "" && (target == nil || target.Kind != yaml.ScalarNode || target.Value != leafValue) {
			continue
		}
		loc := p.pos(marker)
		loc.Approx = loc.Approx || appended
		return loc, true
	}
	return Location{}, false
}
