package render

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parseFast parses data into the documents yaml.v3's Decoder returns for
// it, for the YAML nearly every manifest is written in, in a fraction of
// yaml.v3's time (its scanner took about a third of a plain scan's CPU).
// It reads block mappings and sequences (compact ones too); plain scalars,
// on one line or folded over several; single- and double-quoted scalars on
// one line (the common escapes and \uXXXX); literal and folded block
// scalars; one-line flow sequences of scalars and empty flow mappings;
// empty values; anchors, aliases and merge keys; comments; explicit
// document starts; documents that are one JSON object or array; CRLF line
// ends, tabs inside block scalars, and characters past ASCII. Everything
// else (tags, flow mappings with content in block YAML, multi-line quoted
// scalars, directives, document ends, other escapes, odd indentation,
// nesting past maxFastDepth) makes it return ok false, having decided
// nothing, and the caller hands the file to yaml.v3; so does anything
// yaml.v3 would reject. The nodes are those yaml.v3 makes, field for field
// and positions included, except that comments are not kept (nothing reads
// them). TestParseFastCases, TestParseFastMatchesYAML (every corpus file
// and random edits of them) and FuzzParseFast hold it to that.
func parseFast(data []byte) ([]*yaml.Node, bool) {
	p := fastPool.Get().(*fastYAML)
	defer p.release()
	if !p.split(data) {
		return nil, false
	}
	docs, ok := p.stream()
	return docs, ok && !p.bad
}

var fastPool = sync.Pool{New: func() any {
	return &fastYAML{keys: map[string]string{}, tags: map[string]string{}}
}}

// fastYAML is parseFast's state. Lines are indexed from 0; a node's Line
// is its index plus one and its Column its byte offset plus one (the text
// is ASCII, so bytes are characters).
type fastYAML struct {
	data  []byte
	start []int32 // where each line starts
	end   []int32 // where each line ends, before its '\n'
	tabs  []int32 // the lines with a tab, in order, repeated for each tab
	wide  []int32 // the lines with a character past ASCII, in order
	nl    bool    // data ends with '\n'
	bad   bool    // outside the subset: give up

	stack []*yaml.Node      // the children of the collections being read
	slab  []yaml.Node       // nodes handed out from one allocation
	ptrs  []*yaml.Node      // Content slices handed out from one allocation
	keys  map[string]string // keys read before, to share their strings
	tags  map[string]string // plainTag's results

	depth int // collections open

	anchors               map[string]*yaml.Node // as yaml.v3's, over the whole stream
	anchor                string                // the anchor the next node takes
	anchorLine, anchorCol int
}

const maxInterned = 4096

// maxFastDepth is how deep parseFast nests collections: manifests nest a
// few dozen levels; past this yaml.v3 decides (and refuses past 10,000).
const maxFastDepth = 1000

func (p *fastYAML) release() {
	p.data, p.slab, p.ptrs, p.anchors, p.anchor = nil, nil, nil, nil, ""
	clear(p.stack)
	p.stack = p.stack[:0]
	if len(p.keys) > maxInterned {
		clear(p.keys)
	}
	if len(p.tags) > maxInterned {
		clear(p.tags)
	}
	fastPool.Put(p)
}

// split finds the lines, refusing control characters but for tabs and the
// carriage return of a "\r\n", and characters past ASCII that yaml.v3 refuses or
// reads as line breaks; it notes the lines with tabs and those past ASCII.
func (p *fastYAML) split(data []byte) bool {
	p.data, p.bad, p.anchors, p.depth = data, false, nil, 0
	p.start, p.end, p.tabs, p.wide = p.start[:0], p.end[:0], p.tabs[:0], p.wide[:0]
	if len(data) >= 1<<31-1 {
		return false
	}
	s := 0
	for i, c := range data {
		switch {
		case c == '\n':
			e := i
			if e > s && data[e-1] == '\r' {
				e-- // yaml.v3 reads "\r\n" as one line break
			}
			p.start = append(p.start, int32(s))
			p.end = append(p.end, int32(e))
			s = i + 1
		case c == '\r':
			if i+1 == len(data) || data[i+1] != '\n' {
				return false
			}
		case c == '\t':
			p.tabs = append(p.tabs, int32(len(p.start)))
		case c >= 0x80:
			if n := len(p.wide); n == 0 || p.wide[n-1] != int32(len(p.start)) {
				p.wide = append(p.wide, int32(len(p.start)))
			}
		case c < ' ' || c == 0x7f:
			return false
		}
	}
	p.nl = s == len(data)
	if !p.nl {
		p.start = append(p.start, int32(s))
		p.end = append(p.end, int32(len(data)))
	}
	for _, i := range p.wide {
		for _, r := range string(p.raw(int(i))) {
			// yaml.v3 refuses invalid UTF-8 and C1 controls, and reads
			// U+0085, U+2028 and U+2029 as line breaks and U+FEFF as a
			// byte order mark.
			if r < 0xa0 && r >= 0x80 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError || r == 0xfffe || r == 0xffff {
				return false
			}
		}
	}
	return true
}

// column is the 1-based column of byte c of line i: yaml.v3 counts
// characters.
func (p *fastYAML) column(i, c int) int {
	if len(p.wide) > 0 {
		if _, found := slices.BinarySearch(p.wide, int32(i)); found {
			return utf8.RuneCount(p.raw(i)[:c]) + 1
		}
	}
	return c + 1
}

// line is line i, read for its structure: a tab in it (which YAML reads as
// separation in some places and refuses in others) gives up.
func (p *fastYAML) line(i int) []byte {
	if len(p.tabs) > 0 && p.tabbed(i) {
		p.bad = true
	}
	return p.raw(i)
}

// tabbed reports whether line i holds a tab.
func (p *fastYAML) tabbed(i int) bool {
	_, found := slices.BinarySearch(p.tabs, int32(i))
	return found
}

// raw is line i, tabs and all: for block scalars' text, comments and
// indentation.
func (p *fastYAML) raw(i int) []byte { return p.data[p.start[i]:p.end[i]] }

func (p *fastYAML) lines() int { return len(p.start) }

// indent is the number of spaces line i starts with.
func (p *fastYAML) indent(i int) int {
	l := p.raw(i)
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	return n
}

// skip returns the first line from i on that is neither blank nor a
// comment, or lines() when there is none.
func (p *fastYAML) skip(i int) int {
	for ; i < p.lines(); i++ {
		l := p.raw(i)
		n := 0
		for n < len(l) && l[n] == ' ' {
			n++
		}
		if n < len(l) && l[n] != '#' {
			return i
		}
	}
	return i
}

// marker reports whether line i starts with a document marker, "---" or
// "...", each followed by a space or the line's end.
func (p *fastYAML) marker(i int) bool {
	l := p.raw(i)
	return len(l) >= 3 && (string(l[:3]) == "---" || string(l[:3]) == "...") && (len(l) == 3 || l[3] == ' ')
}

// done reports whether line i ends the document's content: the end of the
// text or a document marker.
func (p *fastYAML) done(i int) bool { return i >= p.lines() || p.marker(i) }

// entry reports whether line i holds a sequence entry's "-" at column c.
func (p *fastYAML) entry(i, c int) bool {
	l := p.raw(i)
	return c < len(l) && l[c] == '-' && (c+1 == len(l) || l[c+1] == ' ')
}

// rest reports whether l from k on is only spaces and a comment.
func rest(l []byte, k int) bool {
	j := k
	for j < len(l) && l[j] == ' ' {
		j++
	}
	return j == len(l) || l[j] == '#' && j > k
}

func (p *fastYAML) node(kind yaml.Kind, tag string, i, c int) *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, min(2*p.lines()+4, 64))
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Kind, n.Tag, n.Line, n.Column = kind, tag, i+1, p.column(i, c)
	if p.anchor != "" {
		// An anchored node starts at its anchor, and aliases may name it
		// from its start on, as in yaml.v3.
		n.Anchor, n.Line, n.Column = p.anchor, p.anchorLine+1, p.column(p.anchorLine, p.anchorCol)
		if p.anchors == nil {
			p.anchors = map[string]*yaml.Node{}
		}
		p.anchors[p.anchor] = n
		p.anchor = ""
	}
	return n
}

// children moves the collected children from base on into an exactly
// sized Content slice.
func (p *fastYAML) children(base int) []*yaml.Node {
	n := len(p.stack) - base
	if n == 0 {
		return nil
	}
	if len(p.ptrs) < n {
		p.ptrs = make([]*yaml.Node, max(n, min(4*p.lines()+8, 2048)))
	}
	c := p.ptrs[:n:n]
	p.ptrs = p.ptrs[n:]
	copy(c, p.stack[base:])
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return c
}

func (p *fastYAML) fail() (*yaml.Node, int) {
	p.bad = true
	return nil, 0
}

func (p *fastYAML) stream() ([]*yaml.Node, bool) {
	var docs []*yaml.Node
	for i := p.skip(0); i < p.lines() && !p.bad; i = p.skip(i) {
		doc := &yaml.Node{Kind: yaml.DocumentNode}
		explicit := p.marker(i)
		if explicit {
			l := p.line(i)
			if l[0] != '-' || !rest(l, 3) {
				return nil, false // a document end, or content after "---"
			}
			doc.Line, doc.Column = i+1, 1
			i = p.skip(i + 1)
		}
		var root *yaml.Node
		if p.done(i) {
			if !explicit || i >= p.lines() && !p.nl {
				return nil, false
			}
			// An empty document: a null placed where the next token starts.
			root = p.node(yaml.ScalarNode, "!!null", i, 0)
		} else if c := p.indent(i); p.raw(i)[c] == '{' || p.raw(i)[c] == '[' {
			root, i = p.json(i, c)
			if root == nil || !p.done(i) {
				return nil, false
			}
		} else {
			root, i = p.collection(i, c)
			if root == nil || !p.done(i) {
				return nil, false
			}
		}
		if !explicit {
			doc.Line, doc.Column = root.Line, root.Column
		}
		doc.Content = []*yaml.Node{root}
		docs = append(docs, doc)
	}
	return docs, true
}

// collection reads the block mapping or sequence starting at column c of
// line i. It returns the node and the next line that is neither blank nor
// a comment, or nil when the content is not a collection.
func (p *fastYAML) collection(i, c int) (*yaml.Node, int) {
	if p.entry(i, c) {
		return p.sequence(i, c)
	}
	if k, _ := p.key(i, c, false); k >= 0 {
		return p.mapping(i, c)
	}
	return p.fail()
}

func (p *fastYAML) mapping(i, c int) (*yaml.Node, int) {
	if !p.deeper() {
		return p.fail()
	}
	defer func() { p.depth-- }()
	m := p.node(yaml.MappingNode, "!!map", i, c)
	base := len(p.stack)
	for !p.bad {
		colon, key := p.key(i, c, true)
		if colon < 0 {
			return p.fail()
		}
		var v *yaml.Node
		if v, i = p.after(i, c, colon+1, false); p.bad {
			break
		}
		p.stack = append(p.stack, key, v)
		if !p.more(i, c) {
			break
		}
	}
	if p.bad {
		return p.fail()
	}
	m.Content = p.children(base)
	return m, i
}

// after reads the node that follows a key's colon or (entry) an entry's
// dash, which ends at column at of line i, in the collection at column c:
// on the same line, or on the lines after it.
func (p *fastYAML) after(i, c, at int, entry bool) (*yaml.Node, int) {
	l := p.line(i)
	if rest(l, at) {
		return p.nested(i, c, at, !entry)
	}
	j := at
	for l[j] == ' ' {
		j++
	}
	return p.value(i, j, c, entry)
}

// more reports whether line i goes on the collection at column c: false
// at the document's end or a line indented less; a line indented more
// gives up.
func (p *fastYAML) more(i, c int) bool {
	if p.done(i) {
		return false
	}
	d := p.indent(i)
	if d > c {
		p.bad = true
	}
	return d == c
}

// deeper opens a collection, false past maxFastDepth: yaml.v3 refuses
// past 10,000 levels, and decides.
func (p *fastYAML) deeper() bool {
	p.depth++
	return p.depth <= maxFastDepth
}

func (p *fastYAML) sequence(i, c int) (*yaml.Node, int) {
	if !p.deeper() {
		return p.fail()
	}
	defer func() { p.depth-- }()
	s := p.node(yaml.SequenceNode, "!!seq", i, c)
	base := len(p.stack)
	for !p.bad {
		var v *yaml.Node
		if v, i = p.after(i, c, c+1, true); p.bad {
			break
		}
		p.stack = append(p.stack, v)
		if !p.more(i, c) {
			break
		}
		if !p.entry(i, c) {
			break // the parent mapping's next key, or its mistake
		}
	}
	if p.bad {
		return p.fail()
	}
	s.Content = p.children(base)
	return s, i
}

// nested reads the node on the lines after line i, whose text ended with a
// key's colon or an entry's dash, inside the collection at column c: a
// collection indented past c, or after a key also a sequence at c. With
// none, it is a null placed at column at of line i. It returns the node
// and the next line that is neither blank nor a comment.
func (p *fastYAML) nested(i, c, at int, key bool) (*yaml.Node, int) {
	next := p.skip(i + 1)
	if !p.done(next) {
		if d := p.indent(next); d > c {
			return p.collection(next, d)
		} else if key && d == c && p.entry(next, c) {
			return p.sequence(next, c)
		}
	}
	if p.anchor != "" {
		return p.fail()
	}
	return p.node(yaml.ScalarNode, "!!null", i, at), next
}

// value reads the node whose text starts at column j of line i, after a
// key's colon and space or (entry) an entry's dash, inside the collection
// at column c: an alias, an anchor and what it names, a compact mapping or
// sequence after a dash, or a scalar. It returns the node and the next
// line that is neither blank nor a comment.
func (p *fastYAML) value(i, j, c int, entry bool) (*yaml.Node, int) {
	l := p.line(i)
	switch l[j] {
	case '*':
		name, e := anchorName(l, j)
		target := p.anchors[name]
		if target == nil || !rest(l, e) {
			return p.fail()
		}
		n := p.node(yaml.AliasNode, "", i, j)
		n.Value, n.Alias = name, target
		return n, p.skip(i + 1)
	case '&':
		name, e := anchorName(l, j)
		if name == "" {
			return p.fail()
		}
		p.anchor, p.anchorLine, p.anchorCol = name, i, j
		if rest(l, e) {
			return p.nested(i, c, 0, !entry)
		}
		for l[e] == ' ' {
			e++
		}
		if k, _ := p.key(i, e, false); k >= 0 || p.entry(i, e) {
			return p.fail() // the anchor would name the key
		}
		j = e
	default:
		// After a dash, a compact mapping or sequence; after a key's
		// colon only a scalar (scalar refuses "a: b: c").
		if entry {
			if k, _ := p.key(i, j, false); k >= 0 || p.entry(i, j) {
				return p.collection(i, j)
			}
		}
	}
	n, next := p.scalar(i, j, c)
	return n, p.skip(next)
}

// anchorName reads the anchor or alias name after the '&' or '*' at l[j],
// which a space or the line's end must follow; "" when there is none.
func anchorName(l []byte, j int) (string, int) {
	e := j + 1
	for e < len(l) && (l[e] >= 'a' && l[e] <= 'z' || l[e] >= 'A' && l[e] <= 'Z' || l[e] >= '0' && l[e] <= '9' || l[e] == '_' || l[e] == '-') {
		e++
	}
	if e == j+1 || e < len(l) && l[e] != ' ' {
		return "", 0
	}
	return string(l[j+1 : e]), e
}

// key reads the mapping key starting at column c of line i: a plain
// scalar or a quoted one, followed by a colon and a space or the line's
// end. It returns the colon's column, or -1 when there is no such key;
// with build, also the key's node.
func (p *fastYAML) key(i, c int, build bool) (int, *yaml.Node) {
	l := p.line(i)
	switch l[c] {
	case '"', '\'':
		v, end, ok := quoted(l, c, build)
		if !ok || end >= len(l) || l[end] != ':' || end+1 < len(l) && l[end+1] != ' ' {
			return -1, nil
		}
		if !build {
			return end, nil
		}
		style := yaml.DoubleQuotedStyle
		if l[c] == '\'' {
			style = yaml.SingleQuotedStyle
		}
		k := p.node(yaml.ScalarNode, "!!str", i, c)
		k.Style, k.Value = style, v
		return end, k
	}
	if !plainStart(l, c) {
		return -1, nil
	}
	end, colon := plainEnd(l, c)
	if colon == len(l) || l[colon] != ':' || colon-c > 1000 {
		return -1, nil
	}
	if !build {
		return colon, nil
	}
	text := l[c:end]
	v, ok := p.keys[string(text)]
	if !ok {
		v = string(text)
		p.keys[v] = v
	}
	return colon, p.plain(v, i, c)
}

// plain makes the node of a plain scalar, its tag resolved as yaml.v3
// does.
func (p *fastYAML) plain(v string, i, c int) *yaml.Node {
	n := p.node(yaml.ScalarNode, p.plainTag(v), i, c)
	n.Value = v
	return n
}

// plainTag is yaml.v3's tag for the plain scalar v: "!!str" when its
// first byte starts no other kind (yaml.v3's resolveTable), else yaml.v3's
// resolution, remembered for texts that come again ("true", "80").
func (p *fastYAML) plainTag(v string) string {
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == '~', c == '<', strings.IndexByte("yYnNtTfFoO", c) >= 0:
	default:
		return "!!str"
	}
	if t, ok := p.tags[v]; ok {
		return t
	}
	t := "!!merge" // yaml.v3 tags a plain "<<" so, key or not
	if v != "<<" {
		t = (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
	}
	if len(v) <= 32 {
		p.tags[v] = t
	}
	return t
}

// plainStart reports whether a plain scalar may start at l[c] in block
// context ("-x", "?x" and ":x" included).
func plainStart(l []byte, c int) bool {
	switch l[c] {
	case '-', '?', ':':
		return c+1 < len(l) && l[c+1] != ' '
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		return false
	}
	return true
}

// plainEnd finds where the plain scalar starting at l[c] ends, trailing
// spaces left out, and where its scanning stopped: at the ": " (or ":" at
// the line's end) that stops it, at a comment's '#', or at len(l).
func plainEnd(l []byte, c int) (end, stop int) {
	k := c
	for ; k < len(l); k++ {
		if l[k] == ':' && (k+1 == len(l) || l[k+1] == ' ') || l[k] == '#' && l[k-1] == ' ' {
			break
		}
	}
	end = k
	for end > c && l[end-1] == ' ' {
		end--
	}
	return end, k
}

// scalar reads the value starting at column c of line i, inside a
// collection at column parent. It returns the node and the line after it.
func (p *fastYAML) scalar(i, c, parent int) (*yaml.Node, int) {
	l := p.line(i)
	switch l[c] {
	case '|', '>':
		return p.block(i, c, parent)
	case '"', '\'':
		v, end, ok := quoted(l, c, true)
		if !ok || !rest(l, end) {
			return p.fail()
		}
		n := p.node(yaml.ScalarNode, "!!str", i, c)
		n.Style, n.Value = yaml.DoubleQuotedStyle, v
		if l[c] == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, i + 1
	case '[':
		return p.flow(i, c)
	case '{':
		k := c + 1
		for k < len(l) && l[k] == ' ' {
			k++
		}
		if k == len(l) || l[k] != '}' || !rest(l, k+1) {
			return p.fail()
		}
		n := p.node(yaml.MappingNode, "!!map", i, c)
		n.Style = yaml.FlowStyle
		return n, i + 1
	}
	if !plainStart(l, c) {
		return p.fail()
	}
	end, stop := plainEnd(l, c)
	if stop < len(l) && l[stop] == ':' {
		return p.fail() // "a: b: c"
	}
	if stop < len(l) || i+1 == p.lines() {
		return p.plain(string(l[c:end]), i, c), i + 1
	}
	return p.multiline(i, c, end, parent)
}

// multiline reads the plain scalar starting at column c of line i, whose
// first line's text ends at end, with the lines that continue it: those
// indented past the collection at column parent, up to a comment, folded
// as libyaml's yaml_parser_scan_plain_scalar does (a line break is a
// space, each empty line a line break). It returns the node and the next line.
func (p *fastYAML) multiline(i, c, end, parent int) (*yaml.Node, int) {
	first := p.raw(i)[c:end]
	var buf []byte
	next, breaks := i+1, 0
	for k := i + 1; k < p.lines(); k++ {
		t, sp := p.raw(k), p.indent(k)
		if sp == len(t) {
			breaks++
			continue
		}
		if sp <= parent || t[sp] == '#' {
			break
		}
		t = p.line(k)
		if p.bad || !plainStart(t, sp) {
			return p.fail()
		}
		e, stop := plainEnd(t, sp)
		if stop < len(t) && t[stop] == ':' {
			return p.fail()
		}
		if buf == nil {
			buf = append(buf, first...)
		}
		if breaks == 0 {
			buf = append(buf, ' ')
		}
		for ; breaks > 0; breaks-- {
			buf = append(buf, '\n')
		}
		buf = append(buf, t[sp:e]...)
		next = k + 1
		if stop < len(t) {
			break // a comment ends it
		}
	}
	if buf == nil {
		return p.plain(string(first), i, c), next
	}
	return p.plain(string(buf), i, c), next
}

// quoted reads the single-line quoted scalar starting at l[c]; end is the
// column after its closing quote. Escapes other than the common ones are
// refused.
func quoted(l []byte, c int, build bool) (v string, end int, ok bool) {
	q := l[c]
	var buf []byte
	from := c + 1
	for k := c + 1; k < len(l); k++ {
		switch {
		case l[k] == q && q == '\'' && k+1 < len(l) && l[k+1] == '\'':
			if build {
				buf = append(append(buf, l[from:k]...), '\'')
			}
			k++
			from = k + 1
		case l[k] == q:
			if !build {
				return "", k + 1, true
			}
			if buf == nil {
				return string(l[from:k]), k + 1, true
			}
			return string(append(buf, l[from:k]...)), k + 1, true
		case l[k] == '\\' && q == '"':
			if k+1 == len(l) {
				return "", 0, false
			}
			if l[k+1] == 'u' {
				// \uXXXX: the character, as yaml.v3 reads it; a
				// surrogate half (yaml.v3 refuses it) gives up.
				if k+6 > len(l) {
					return "", 0, false
				}
				r, err := strconv.ParseUint(string(l[k+2:k+6]), 16, 32)
				if err != nil || r >= 0xd800 && r <= 0xdfff {
					return "", 0, false
				}
				if build {
					buf = utf8.AppendRune(append(buf, l[from:k]...), rune(r))
				}
				k += 5
				from = k + 1
				continue
			}
			e, known := escapes[l[k+1]]
			if !known {
				return "", 0, false
			}
			if build {
				buf = append(append(buf, l[from:k]...), e)
			}
			k++
			from = k + 1
		}
	}
	return "", 0, false
}

// escapes are the double-quoted escapes parseFast reads, as yaml.v3 does.
var escapes = map[byte]byte{
	'0': 0, 'a': '\a', 'b': '\b', 't': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r',
	'e': 0x1b, ' ': ' ', '"': '"', '\\': '\\',
}

// block reads the literal or folded scalar whose header is at column c of
// line i, inside a collection at column parent, as libyaml's
// yaml_parser_scan_block_scalar does with an indentation found from the
// content. It returns the node and the first line after the scalar.
func (p *fastYAML) block(i, c, parent int) (*yaml.Node, int) {
	l := p.line(i)
	literal := l[c] == '|'
	chomp := 0
	h := c + 1
	if h < len(l) && (l[h] == '-' || l[h] == '+') {
		chomp = 1
		if l[h] == '-' {
			chomp = -1
		}
		h++
	}
	if h < len(l) && l[h] != ' ' || !rest(l, h) {
		return p.fail() // an indentation indicator, or text after the header
	}
	// Leading empty lines; the first line with text sets the indentation.
	j, breaks, most := i+1, 0, 0
	for ; j < p.lines(); j++ {
		sp := p.indent(j)
		most = max(most, sp)
		if sp < len(p.raw(j)) {
			break
		}
		breaks++
	}
	if j == p.lines() || most > p.indent(j) || p.indent(j) <= parent || p.raw(j)[most] == '\t' {
		return p.fail() // empty, indented past its first line, or a tab in the indentation
	}
	ind := most
	var s []byte
	for ch := 0; ch < breaks; ch++ {
		s = append(s, '\n')
	}
	breaks = 0
	leadingBreak, leadingBlank := false, false
	for j < p.lines() {
		t, sp := p.raw(j), p.indent(j)
		broken := j+1 < p.lines() || p.nl // the line ends with a line break
		if sp < ind || len(t) == ind {
			if sp < len(t) {
				if t[sp] == '\t' {
					return p.fail() // a tab where indentation is expected
				}
				break // a line with text, indented less: the scalar's end
			}
			if broken {
				breaks++ // an empty line
			}
			j++
			continue
		}
		trailingBlank := t[ind] == ' ' || t[ind] == '\t'
		if !literal && leadingBreak && !leadingBlank && !trailingBlank {
			if breaks == 0 {
				s = append(s, ' ')
			}
		} else if leadingBreak {
			s = append(s, '\n')
		}
		for ; breaks > 0; breaks-- {
			s = append(s, '\n')
		}
		leadingBlank = trailingBlank
		s = append(s, t[ind:]...)
		leadingBreak = broken
		j++
	}
	if chomp != -1 && leadingBreak {
		s = append(s, '\n')
	}
	if chomp == 1 {
		for ; breaks > 0; breaks-- {
			s = append(s, '\n')
		}
	}
	n := p.node(yaml.ScalarNode, "!!str", i, c)
	n.Style, n.Value = yaml.LiteralStyle, string(s)
	if !literal {
		n.Style = yaml.FoldedStyle
	}
	return n, j
}

// flow reads the one-line flow sequence of scalars starting at column c of
// line i ("[]", `["sh", "-c"]`, "[ALL]"). Nested collections, empty
// entries, and colons, question marks (which end a plain scalar in a flow)
// and comment marks outside quotes are refused.
func (p *fastYAML) flow(i, c int) (*yaml.Node, int) {
	l := p.line(i)
	s := p.node(yaml.SequenceNode, "!!seq", i, c)
	s.Style = yaml.FlowStyle
	base := len(p.stack)
	k := c + 1
	for {
		for k < len(l) && l[k] == ' ' {
			k++
		}
		if k == len(l) {
			return p.fail()
		}
		if l[k] == ']' && len(p.stack) == base {
			k++
			break
		}
		var v *yaml.Node
		switch l[k] {
		case '"', '\'':
			text, end, ok := quoted(l, k, true)
			if !ok {
				return p.fail()
			}
			v = p.node(yaml.ScalarNode, "!!str", i, k)
			v.Style, v.Value = yaml.DoubleQuotedStyle, text
			if l[k] == '\'' {
				v.Style = yaml.SingleQuotedStyle
			}
			k = end
		default:
			if !plainStart(l, k) {
				return p.fail()
			}
			e := k
			for e < len(l) && l[e] != ',' && l[e] != ']' {
				switch l[e] {
				case '[', '{', '}', ':', '#', '?':
					return p.fail()
				}
				e++
			}
			end := e
			for l[end-1] == ' ' {
				end--
			}
			v = p.plain(string(l[k:end]), i, k)
			k = e
		}
		p.stack = append(p.stack, v)
		for k < len(l) && l[k] == ' ' {
			k++
		}
		if k == len(l) {
			return p.fail()
		}
		if l[k] == ']' {
			k++
			break
		}
		if l[k] != ',' {
			return p.fail()
		}
		k++
	}
	if !rest(l, k) {
		return p.fail()
	}
	s.Content = p.children(base)
	return s, i + 1
}

// json reads the document that is one JSON object or array starting at
// column c of line i, over as many lines as it takes: a flow collection to
// YAML, of double-quoted keys and strings (the escapes quoted reads; not
// \/, which yaml.v3 refuses), numbers,
// true, false and null, with nothing after it on its last line. It
// returns the node and the next line that is neither blank nor a comment.
func (p *fastYAML) json(i, c int) (*yaml.Node, int) {
	if len(p.tabs) > 0 {
		return p.fail()
	}
	j := &jsonCursor{p: p, line: i, col: c}
	n := j.value()
	if n == nil || p.bad {
		return p.fail()
	}
	for _, c := range p.raw(j.line)[j.col:] {
		if c != ' ' {
			return p.fail()
		}
	}
	return n, p.skip(j.line + 1)
}

// A jsonCursor is where json reads: a line and a column in it.
type jsonCursor struct {
	p         *fastYAML
	line, col int
}

// space moves past spaces and line breaks; false at the text's end.
func (j *jsonCursor) space() bool {
	for j.line < j.p.lines() {
		l := j.p.raw(j.line)
		for j.col < len(l) && l[j.col] == ' ' {
			j.col++
		}
		if j.col < len(l) {
			return true
		}
		j.line, j.col = j.line+1, 0
	}
	return false
}

func (j *jsonCursor) at() byte { return j.p.raw(j.line)[j.col] }

// value reads one JSON value where the cursor is; nil when it cannot.
func (j *jsonCursor) value() *yaml.Node {
	p := j.p
	if !j.space() || j.col == 0 && p.marker(j.line) {
		return nil
	}
	l := p.raw(j.line)
	switch c := l[j.col]; c {
	case '{', '[':
		if !p.deeper() {
			return nil
		}
		defer func() { p.depth-- }()
		n := p.node(yaml.SequenceNode, "!!seq", j.line, j.col)
		closing := byte(']')
		if c == '{' {
			n.Kind, n.Tag, closing = yaml.MappingNode, "!!map", '}'
		}
		n.Style = yaml.FlowStyle
		j.col++
		base := len(p.stack)
		for first := true; ; first = false {
			if !j.space() {
				return nil
			}
			if j.at() == closing && first {
				j.col++
				break
			}
			if c == '{' {
				k := j.key()
				if k == nil {
					return nil
				}
				p.stack = append(p.stack, k)
			}
			v := j.value()
			if v == nil {
				return nil
			}
			p.stack = append(p.stack, v)
			if !j.space() {
				return nil
			}
			if j.at() == closing {
				j.col++
				break
			}
			if j.at() != ',' {
				return nil
			}
			j.col++
		}
		n.Content = p.children(base)
		return n
	case '"':
		v, end, ok := quoted(l, j.col, true)
		if !ok {
			return nil
		}
		n := p.node(yaml.ScalarNode, "!!str", j.line, j.col)
		n.Style, n.Value = yaml.DoubleQuotedStyle, v
		j.col = end
		return n
	}
	e := j.col
	for e < len(l) && (l[e] >= '0' && l[e] <= '9' || l[e] >= 'a' && l[e] <= 'z' || l[e] == '-' || l[e] == '+' || l[e] == '.' || l[e] == 'E') {
		e++
	}
	switch text := string(l[j.col:e]); {
	case text == "true", text == "false", text == "null",
		text != "" && (text[0] == '-' || text[0] >= '0' && text[0] <= '9') && strings.Trim(text, "0123456789.eE+-") == "" && strings.ContainsAny(text, "0123456789"):
		if e < len(l) && l[e] != ' ' && l[e] != ',' && l[e] != ']' && l[e] != '}' {
			return nil
		}
		n := p.plain(text, j.line, j.col)
		j.col = e
		return n
	}
	return nil
}

// key reads a mapping's key: a double-quoted string, a colon after it on
// its line (spaces between), and moves past the colon.
func (j *jsonCursor) key() *yaml.Node {
	l := j.p.raw(j.line)
	if l[j.col] != '"' {
		return nil
	}
	v, end, ok := quoted(l, j.col, true)
	if !ok || end-j.col > 1000 {
		return nil
	}
	k := j.p.node(yaml.ScalarNode, "!!str", j.line, j.col)
	k.Style, k.Value = yaml.DoubleQuotedStyle, v
	for end < len(l) && l[end] == ' ' {
		end++
	}
	if end == len(l) || l[end] != ':' {
		return nil
	}
	j.col = end + 1
	return k
}
