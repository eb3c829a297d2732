package render

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// nodeInfo places a node of a rendered object in its tree.
type nodeInfo struct {
	parent *yaml.Node // the key node or sequence item that holds it
	seg    Segment
	value  *yaml.Node // for key nodes: the value
}

func indexTree(root *yaml.Node) map[*yaml.Node]nodeInfo {
	idx := map[*yaml.Node]nodeInfo{}
	var walk func(n, owner *yaml.Node, depth int)
	walk = func(n, owner *yaml.Node, depth int) {
		if n == nil || depth > 200 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				idx[k] = nodeInfo{parent: owner, seg: Segment{Key: k.Value}, value: v}
				walk(v, k, depth+1)
			}
		case yaml.SequenceNode:
			for i, it := range n.Content {
				idx[it] = nodeInfo{parent: owner, seg: Segment{Index: i, IsIdx: true}, value: it}
				walk(it, it, depth+1)
			}
		}
	}
	walk(root, nil, 0)
	return idx
}

// A helmLocator maps the nodes of one rendered object to template and
// values lines.
type helmLocator struct {
	obj   *Object
	name  string // the rendered template, as Helm names it
	chart *chartSource
	srcs  map[string]*chartSource
	in    *instrumentation
	m     *fileMap
	vctx  *valuesContext
	once  sync.Once
	idx   map[*yaml.Node]nodeInfo
	tfile string
}

func newHelmLocator(o *Object, name string, srcs map[string]*chartSource, in *instrumentation, m *fileMap, vctx *valuesContext) Locator {
	file, _ := fileOf(srcs, name)
	c, _ := sourceOf(srcs, name)
	l := &helmLocator{obj: o, name: name, chart: c, srcs: srcs, in: in, m: m, vctx: vctx, tfile: file}
	o.PartLocator = l.locatePart
	return l.locate
}

// locatePart maps the bytes [from, to) of a scalar field's value to the
// action or text that wrote them: of `{{ .Values.repo }}:{{ .Values.tag }}`,
// the tag's values line for a finding on the tag.
func (l *helmLocator) locatePart(key *yaml.Node, from, to int) (loc Location, ok bool) {
	l.once.Do(func() { l.idx = indexTree(l.obj.Node) })
	defer func() {
		if r := recover(); r != nil {
			loc, ok = Location{}, false
		}
	}()
	info, known := l.idx[key]
	if !known || l.m == nil || info.value == nil || info.value.Kind != yaml.ScalarNode {
		return Location{}, false
	}
	v := info.value
	if from < 0 || to > len(v.Value) || from > to || len(v.Value) == 0 {
		return Location{}, false
	}
	col := v.Column
	if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	off, same := l.m.offset(v.Line, col)
	// Only a value rendered as is (no escapes, folding) can be cut in parts.
	if !same || !strings.HasPrefix(l.m.text[off:], v.Value) {
		return Location{}, false
	}
	at := off + from
	if from == to { // an absent part: the byte before where it would be
		at = off + max(from-1, 0)
	}
	id, line, c, ok := l.in.origin(l.m, at)
	if !ok {
		return Location{}, false
	}
	mk := *l.in.marks.at(id)
	file, archived := fileOf(l.srcs, mk.name)
	if archived {
		return Location{}, false
	}
	tpos := Pos{File: file, Line: line, Column: c}
	p := mk.values
	if mk.printf != "" {
		p = printfArg(mk, l.m, at)
	}
	if p != nil || len(mk.fallback) > 0 {
		if vl, ok := l.valuesAt(id, p, nil, l.hints(key, nil), tpos, nil); ok {
			vl.Approx = vl.Approx || l.m.diverged
			return vl, true
		}
	}
	if mk.name != l.name {
		// A helper elsewhere (bitnami's common.images.image) built the
		// part from its arguments: the field's own position, often the
		// include line, is the place to edit, not the library's line.
		return Location{}, false
	}
	// Template text, a literal of a printf format, a template default.
	return Location{Pos: tpos, Approx: l.m.diverged}, true
}

// printfArg returns the .Values path of the printf argument that wrote
// the byte at off, by matching the mark's output against its format.
func printfArg(mk mark, m *fileMap, off int) []string {
	start := int(m.start[off])
	end := start
	for end < len(m.mark) && m.mark[end] == m.mark[off] && m.text[end] != '\n' {
		end++
	}
	var re strings.Builder
	var verbs int
	f := mk.printf
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) {
			switch f[i+1] {
			case 's', 'v', 'd':
				re.WriteString("(.*?)")
				verbs++
				i++
				continue
			case '%':
				re.WriteString("%")
				i++
				continue
			}
			return nil // verbs with flags or widths are not followed
		}
		re.WriteString(regexp.QuoteMeta(f[i : i+1]))
	}
	if verbs != len(mk.printfArgs) {
		return nil
	}
	// Quotes around the printed value (| quote) are outside the format.
	rx, err := regexp.Compile(`^["']?` + re.String() + `["']?$`)
	if err != nil {
		return nil
	}
	g := rx.FindStringSubmatchIndex(m.text[start:end])
	for i := 0; i < verbs && g != nil; i++ {
		if s, e := g[2+2*i], g[3+2*i]; s >= 0 && off-start >= s && off-start < max(e, s+1) {
			return mk.printfArgs[i]
		}
	}
	return nil
}

// markAt returns the mark that wrote the first byte of a node, and where
// in the template that byte comes from.
func (l *helmLocator) markAt(n *yaml.Node) (id int, pos Pos, ok bool) {
	if l.m == nil || n == nil {
		return -1, Pos{}, false
	}
	col := n.Column
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle)) != 0 {
		col++ // the quote is often template text; the value follows it
	}
	off, same := l.m.offset(n.Line, col)
	if !same {
		return -1, Pos{}, false
	}
	id, line, c, ok := l.in.origin(l.m, off)
	if !ok {
		return -1, Pos{}, false
	}
	file, _ := fileOf(l.srcs, l.in.marks.at(id).name)
	return id, Pos{File: file, Line: line, Column: c}, true
}

func (l *helmLocator) locate(n *yaml.Node) (loc Location) {
	l.once.Do(func() { l.idx = indexTree(l.obj.Node) })
	defer func() {
		// A mapping bug must cost precision, never the scan.
		if r := recover(); r != nil {
			loc = Location{Pos: Pos{File: l.tfile, Line: 1, Column: 1}, Approx: true}
		}
	}()
	loc = l.find(n)
	if l.m != nil && l.m.diverged {
		loc.Approx = true
	}
	return loc
}

func (l *helmLocator) find(n *yaml.Node) Location {
	info, known := l.idx[n]
	// A field whose value an action read from .Values: the values line.
	if known && info.value != nil && info.value != n {
		kid, _, _ := l.markAt(n)
		if id, tpos, ok := l.markAt(info.value); ok && id != kid && l.in.marks.at(id).values != nil && l.blockFrom(info.value, id) {
			if loc, ok := l.valuesLocation(id, nil, n, tpos, nil); ok {
				if info.value.Kind == yaml.ScalarNode {
					loc.Related = append(loc.Related, l.otherValues(n, info.value, id, loc.Pos)...)
					loc = l.vctx.strongest(loc)
				}
				return loc
			}
		}
	}
	id, tpos, ok := l.markAt(n)
	if !ok {
		return l.approx(n)
	}
	// A field inside a block an action dumped from .Values (toYaml).
	if mk := l.in.marks.at(id); mk.values != nil && known {
		rel := []Segment{info.seg}
		top := n
		for p := info.parent; p != nil; {
			pid, _, ok := l.markAt(p)
			if !ok || pid != id {
				break
			}
			pi := l.idx[p]
			rel = append([]Segment{pi.seg}, rel...)
			top, p = p, pi.parent
		}
		// `range .Values.list` + `- {{ toYaml . }}`: the dumped block is a
		// whole list item, found among the values' items by its content
		// (items written before it make its rendered index no guide).
		var item *yaml.Node
		if len(rel) > 1 && rel[0].IsIdx && len(mk.values) > 0 && mk.values[len(mk.values)-1] == "*" {
			item, rel = top, rel[1:]
		}
		if loc, ok := l.valuesLocation(id, rel, n, tpos, item); ok {
			return loc
		}
	}
	if _, archived := fileOf(l.srcs, l.in.marks.at(id).name); archived {
		// Lines inside a chart archive cannot be edited in place.
		return Location{Pos: Pos{File: tpos.File, Line: 1, Column: 1}, Approx: true, Related: []Related{l.renderedBy(id, tpos)}}
	}
	return Location{Pos: tpos}
}

// alsoBuiltFrom is the message of the related locations otherValues adds.
const alsoBuiltFrom = "the value is also built from this line"

// otherValues lists the other values lines a scalar is built from, as in
// image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}".
func (l *helmLocator) otherValues(key, v *yaml.Node, first int, primary Pos) []Related {
	off, ok := l.m.offset(v.Line, v.Column)
	if !ok {
		return nil
	}
	seen := map[int]bool{first: true}
	done := map[Pos]bool{primary: true}
	var rs []Related
	for ; off < len(l.m.text) && l.m.text[off] != '\n'; off++ {
		id := int(l.m.mark[off])
		if id < 0 || seen[id] {
			continue
		}
		seen[id] = true
		mk := *l.in.marks.at(id)
		if mk.values == nil {
			continue
		}
		loc, ok := l.valuesLocation(id, nil, key, Pos{}, nil)
		if !ok || done[loc.Pos] {
			continue
		}
		done[loc.Pos] = true
		rs = append(rs, Related{File: loc.File, Line: loc.Line, Column: loc.Column, Message: alsoBuiltFrom})
	}
	return rs
}

// blockFrom reports whether a value node was written by one mark as a
// whole: a scalar, or a block whose every entry the same action wrote.
func (l *helmLocator) blockFrom(v *yaml.Node, id int) bool {
	if v.Kind == yaml.ScalarNode || len(v.Content) == 0 {
		return true
	}
	for _, c := range v.Content {
		if cid, _, ok := l.markAt(c); !ok || cid != id {
			return false
		}
	}
	return true
}

// valuesLocation points at the values line that supplies the field the
// mark's action reads, with the template line as related.
func (l *helmLocator) valuesLocation(id int, rel []Segment, n *yaml.Node, tpos Pos, item *yaml.Node) (Location, bool) {
	return l.valuesAt(id, l.in.marks.at(id).values, rel, l.hints(n, rel), tpos, item)
}

// hints lists the indexes of the sequence items that hold n, innermost
// first, less those inside rel (a block an action dumped).
func (l *helmLocator) hints(n *yaml.Node, rel []Segment) []int {
	var hints []int
	for p := n; p != nil; {
		pi, ok := l.idx[p]
		if !ok {
			break
		}
		if pi.seg.IsIdx {
			hints = append(hints, pi.seg.Index)
		}
		p = pi.parent
	}
	// The range index is an item outside the dumped block.
	nrel := 0
	for _, s := range rel {
		if s.IsIdx {
			nrel++
		}
	}
	if nrel <= len(hints) {
		hints = hints[nrel:]
	}
	return hints
}

// valuesAt is valuesLocation for the .Values path p that mark id reads.
func (l *helmLocator) valuesAt(id int, p []string, rel []Segment, hints []int, tpos Pos, item *yaml.Node) (Location, bool) {
	mk := *l.in.marks.at(id)
	vpos, exact, empty, ok := l.vctx.resolve(l.chart, p, rel, hints, item)
	for _, f := range mk.fallback {
		if ok && !empty {
			break
		}
		if p, e, em, o := l.vctx.resolve(l.chart, f, rel, hints, item); o && !em {
			vpos, exact, empty, ok = p, e, em, o
		}
	}
	if !ok {
		// A value the chart merged into .Values from elsewhere in its
		// values (istio's _internal_defaults_do_not_set).
		for _, r := range l.in.roots[chartOfTemplate(mk.name)] {
			for _, q := range append([][]string{p}, mk.fallback...) {
				if ok && !empty {
					break
				}
				if len(q) == 0 {
					continue
				}
				q2 := append(append([]string{}, r...), q...)
				if p, e, em, o := l.vctx.resolve(l.chart, q2, rel, hints, item); o {
					vpos, exact, empty, ok = p, e, em, o
				}
			}
		}
	}
	if !ok || (empty && mk.hasDefault) {
		// Unset: the template's default wrote the value.
		return Location{}, false
	}
	return Location{Pos: vpos, Approx: !exact, Related: []Related{l.renderedBy(id, tpos)}}, true
}

// renderedBy is the template side of a values position.
func (l *helmLocator) renderedBy(id int, tpos Pos) Related {
	src, name := sourceOf(l.srcs, l.in.marks.at(id).name)
	msg := "rendered by " + name + ":" + strconv.Itoa(tpos.Line)
	if src != nil && src.tgz {
		msg += " in " + src.dir
	}
	return Related{File: tpos.File, Line: tpos.Line, Column: tpos.Column, Message: msg}
}

// approx guesses a template line for a node whose render could not be
// mapped: the first template line that writes the same key, else line 1.
func (l *helmLocator) approx(n *yaml.Node) Location {
	loc := Location{Pos: Pos{File: l.tfile, Line: 1, Column: 1}, Approx: true}
	s := l.in.sources[l.name]
	if s == nil || n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
		return loc
	}
	for i, start := range s.lines {
		end := len(s.data)
		if i+1 < len(s.lines) {
			end = s.lines[i+1]
		}
		line := s.data[start:end]
		t := strings.TrimLeft(strings.TrimLeft(line, " "), "- ")
		if strings.HasPrefix(t, n.Value+":") {
			loc.Line, loc.Column = i+1, len(line)-len(t)+1
			return loc
		}
	}
	return loc
}
