package render

import (
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template/parse"
	"unicode/utf8"

	"github.com/kubeharden/kubeharden/render/internal/helmengine"
	"helm.sh/helm/v3/pkg/chart"
)

// Positions in rendered output are found by rendering with instrumented
// templates: before every text node and every output action of each
// parsed template, a string-constant action is inserted that prints a
// marker naming the node. Where a marker lands in the output says which
// node wrote the bytes that follow it. The output without the markers is
// the plain render (template code never sees a marker); only lines that
// match it are mapped exactly.

const (
	markOpen  = '\uE000'
	markClose = '\uE001'
)

// A mark is one instrumented template node.
type mark struct {
	name   string // template file, as Helm names it (ChartFullPath/templates/...)
	offset int    // byte offset of the node in the original template text
	text   string // a text node's text; empty for actions
	isText bool
	values []string // the .Values path an action reads; "*" is a range index
	// fallback lists the .Values paths read, in order, when values is
	// empty or does not set the field: a `default`'s, the weaker maps of a
	// merge.
	fallback [][]string
	// hasDefault marks a pipeline with a `default`: when no values path
	// sets it, the template's own default wrote the value.
	hasDefault bool
	// printf holds the format and the .Values path of each argument of a
	// `printf` pipeline (nil for an argument that is no values read).
	printf     string
	printfArgs [][]string
	line       int
	col        int
}

type tplSource struct {
	data  string
	lines []int // offsets of line starts
}

func newTplSource(data string) *tplSource {
	s := &tplSource{data: data, lines: []int{0}}
	for i := 0; i < len(data); i++ {
		if data[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// pos returns the 1-based line and column (in characters) of a byte offset.
func (s *tplSource) pos(off int) (int, int) {
	off = max(0, min(off, len(s.data)))
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return i + 1, utf8.RuneCountInString(s.data[s.lines[i]:off]) + 1
}

// An instrumentation holds the marks of a chart tree whose templates are
// temporarily replaced by instrumented copies.
type instrumentation struct {
	marks   markList
	sources map[string]*tplSource
	saved   []savedTemplate
	defines bool
	// unsafe lists the named templates whose output some template
	// inspects or transforms; markers in them would change the render.
	unsafe map[string]bool
	// roots holds, per chart (chartOfTemplate), the .Values paths its
	// templates merge into .Values (tplWalker.roots).
	roots map[string][][]string
	trees *templateTrees
}

// A markList holds marks in blocks of markBlock: a chart's templates make
// hundreds of thousands, and adding one never copies the others.
type markList struct {
	blocks [][]mark
	n      int
}

const markBlock = 1024

// add appends m and returns its id.
func (l *markList) add(m mark) int {
	if l.n%markBlock == 0 {
		l.blocks = append(l.blocks, make([]mark, 0, markBlock))
	}
	b := &l.blocks[len(l.blocks)-1]
	*b = append(*b, m)
	l.n++
	return l.n - 1
}

// at returns the mark with id, which add returned.
func (l *markList) at(id int) *mark { return &l.blocks[id/markBlock][id%markBlock] }

func (l *markList) len() int { return l.n }

// chartOfTemplate returns the chart part of a template's name.
func chartOfTemplate(name string) string {
	if i := strings.LastIndex(name, "/templates/"); i >= 0 {
		return name[:i]
	}
	return name
}

type savedTemplate struct {
	f             *chart.File
	plain, marked []byte
}

// A rendering is the output of one instrumented render.
type rendering struct {
	inst *instrumentation
	out  map[string]string
	err  error
}

// apply puts the instrumented templates in place.
func (in *instrumentation) apply() {
	for _, s := range in.saved {
		s.f.Data = s.marked
	}
}

// restore puts the original templates back.
func (in *instrumentation) restore() {
	for _, s := range in.saved {
		s.f.Data = s.plain
	}
}

// A parsedTemplate is a template file's parse trees: its own and those
// of the templates it defines, by name.
type parsedTemplate struct {
	root *parse.Tree
	set  map[string]*parse.Tree
	// own says the trees were parsed here, not taken from the engine's
	// cache: they may be changed into the trees of the marked text.
	own bool
}

// templateTrees parses each template of a chart tree once for all the
// instrumentations of one render, by the template's full name, taking
// the trees the engine parsed for the plain render when it has them.
type templateTrees struct {
	parsed map[string]*parsedTemplate // nil for a template that does not parse
	engine *helmengine.TreeCache
}

func (tt *templateTrees) get(name, src string) *parsedTemplate {
	if p, ok := tt.parsed[name]; ok {
		return p
	}
	var p *parsedTemplate
	if set := tt.engine.Parsed(name, src); set[name] != nil {
		p = &parsedTemplate{root: set[name], set: set}
	} else {
		tr := parse.New(name)
		tr.Mode = parse.SkipFuncCheck
		set := map[string]*parse.Tree{}
		if _, err := tr.Parse(src, "", "", set); err == nil {
			p = &parsedTemplate{root: tr, set: set, own: true}
		}
	}
	if tt.parsed == nil {
		tt.parsed = map[string]*parsedTemplate{}
	}
	tt.parsed[name] = p
	return p
}

// instrument replaces the templates of ch and its dependencies with
// instrumented copies (marking named templates' bodies too when defines
// is set); restore puts the originals back and apply the copies again.
func instrument(ch *chart.Chart, defines bool, trees *templateTrees) *instrumentation {
	in := &instrumentation{sources: map[string]*tplSource{}, defines: defines, trees: trees}
	if defines {
		in.unsafe = unsafeDefines(ch, trees)
	}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			name := path.Join(c.ChartFullPath(), t.Name)
			in.sources[name] = newTplSource(string(t.Data))
			if out, ok := in.instrumentOne(name, string(t.Data)); ok {
				in.saved = append(in.saved, savedTemplate{f: t, plain: t.Data, marked: []byte(out)})
				t.Data = []byte(out)
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	return in
}

// unsafeDefines returns the named templates that are used other than by
// printing them (`{{ include "x" . | nindent 4 }}`, `{{ template "x" . }}`),
// and those they use in turn.
func unsafeDefines(ch *chart.Chart, trees *templateTrees) map[string]bool {
	uses := map[string][]string{} // define -> the defines its body uses
	unsafe := map[string]bool{}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			p := trees.get(path.Join(c.ChartFullPath(), t.Name), string(t.Data))
			if p == nil {
				continue
			}
			tr := p.root
			visit := func(name string, t *parse.Tree) {
				if t.Root == nil {
					return
				}
				u := &useCollector{unsafe: unsafe}
				u.node(t.Root)
				if name != "" && t != tr {
					uses[name] = append(uses[name], u.names...)
				}
			}
			visit("", tr)
			for name, t := range p.set {
				if t != tr {
					visit(name, t)
				}
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	queue := make([]string, 0, len(unsafe))
	for n := range unsafe {
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, u := range uses[n] {
			if !unsafe[u] {
				unsafe[u] = true
				queue = append(queue, u)
			}
		}
	}
	return unsafe
}

// A useCollector records the named templates a tree uses.
type useCollector struct {
	names  []string
	unsafe map[string]bool
}

func (u *useCollector) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			u.node(c)
		}
	case *parse.ActionNode:
		if name, rest, ok := printedInclude(n.Pipe); ok {
			u.names = append(u.names, name)
			for _, a := range rest {
				u.arg(a)
			}
			return
		}
		u.pipe(n.Pipe)
	case *parse.TemplateNode:
		u.names = append(u.names, n.Name)
		u.pipe(n.Pipe)
	case *parse.IfNode:
		u.pipe(n.Pipe)
		u.node(n.List)
		u.node(n.ElseList)
	case *parse.WithNode:
		u.pipe(n.Pipe)
		u.node(n.List)
		u.node(n.ElseList)
	case *parse.RangeNode:
		u.pipe(n.Pipe)
		u.node(n.List)
		u.node(n.ElseList)
	}
}

// pipe records every include in a pipeline whose value is not printed as is.
func (u *useCollector) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		if len(c.Args) >= 2 {
			if id, ok := c.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "include" || id.Ident == "template") {
				if s, ok := c.Args[1].(*parse.StringNode); ok {
					u.names = append(u.names, s.Text)
					u.unsafe[s.Text] = true
				}
			}
		}
		for _, a := range c.Args {
			u.arg(a)
		}
	}
}

func (u *useCollector) arg(a parse.Node) {
	switch a := a.(type) {
	case *parse.PipeNode:
		u.pipe(a)
	case *parse.ChainNode:
		u.arg(a.Node)
	}
}

// printedInclude reports whether a pipeline prints an include as is, only
// indented: `include "x" ARGS | nindent N`. It returns the remaining args.
func printedInclude(p *parse.PipeNode) (string, []parse.Node, bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 || len(p.Cmds[0].Args) < 2 {
		return "", nil, false
	}
	args := p.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok || id.Ident != "include" {
		return "", nil, false
	}
	name, ok := args[1].(*parse.StringNode)
	if !ok {
		return "", nil, false
	}
	for _, c := range p.Cmds[1:] {
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || (id.Ident != "indent" && id.Ident != "nindent") {
			return "", nil, false
		}
	}
	return name.Text, args[2:], true
}

type insertion struct {
	offset int
	text   string
}

// instrumentOne returns the template text with markers inserted.
func (in *instrumentation) instrumentOne(name, src string) (out string, ok bool) {
	p := in.trees.get(name, src)
	if p == nil {
		return "", false
	}
	tr := p.root
	trees := []*parse.Tree{tr}
	for _, t := range p.set {
		if t != tr && in.defines && !in.unsafe[t.Name] {
			trees = append(trees, t)
		}
	}
	var ins []insertion
	// What the insertions do to the parse trees: a marker action before a
	// node, an include renamed.
	before := map[parse.Node][]string{}
	var renamed []*parse.IdentifierNode
	s := in.sources[name]
	add := func(m mark, at int, text string, n parse.Node) {
		m.name = name
		m.line, m.col = s.pos(m.offset)
		id := in.marks.add(m)
		marker := string(markOpen) + strconv.Itoa(id) + string(markClose)
		ins = append(ins, insertion{at, strings.Replace(text, "ID", marker, 1)})
		before[n] = append(before[n], marker)
	}
	for _, t := range trees {
		if t.Root == nil {
			continue
		}
		w := &tplWalker{vars: map[string][]string{}, fallbacks: map[string][][]string{}}
		w.visit(t.Root, scope{root: true}, func(n parse.Node, sc scope) {
			switch n := n.(type) {
			case *parse.TextNode:
				off := int(n.Pos)
				if off < 0 || off+len(n.Text) > len(src) || src[off:off+len(n.Text)] != string(n.Text) {
					return
				}
				add(mark{offset: off, text: string(n.Text), isText: true}, off, `{{"ID"}}`, n)
			case *parse.ActionNode:
				if n.Pipe == nil || len(n.Pipe.Decl) > 0 {
					return
				}
				d := strings.LastIndex(src[:min(int(n.Pos), len(src))], "{{")
				if d < 0 {
					return
				}
				text := `{{"ID"}}`
				if strings.HasPrefix(src[d:], "{{- ") || strings.HasPrefix(src[d:], "{{-\t") || strings.HasPrefix(src[d:], "{{-\n") {
					text = `{{- "ID"}}`
				}
				mk := mark{offset: d, values: w.pipeValues(n.Pipe, sc), fallback: w.pipeFallback(n.Pipe, sc), hasDefault: hasDefault(n.Pipe)}
				mk.printf, mk.printfArgs = w.pipePrintf(n.Pipe, sc)
				add(mk, d, text, n)
			}
		})
		if len(w.roots) > 0 {
			if in.roots == nil {
				in.roots = map[string][][]string{}
			}
			c := chartOfTemplate(name)
			in.roots[c] = append(in.roots[c], w.roots...)
		}
	}
	// Every include whose output is not printed as it is returns it
	// unmarked (helmengine.UnmarkedInclude), so that what the code sees
	// (a checksum, fromYaml, a comparison) is what it sees unmarked.
	seen := map[*parse.Tree]bool{}
	for _, t := range p.set {
		if seen[t] || t.Root == nil {
			continue
		}
		seen[t] = true
		for _, id := range unprintedIncludes(t.Root, nil) {
			if at := int(id.Pos); at >= 0 && strings.HasPrefix(src[at:], "include") {
				ins = append(ins, insertion{at, strings.TrimSuffix(helmengine.UnmarkedInclude, "include")})
				renamed = append(renamed, id)
			}
		}
	}
	if len(ins) == 0 {
		return "", false
	}
	defer func() {
		if p.own && in.trees.engine != nil {
			// The engine is handed the trees of the marked text, made from
			// these, instead of parsing it again.
			for _, t := range p.set {
				insertMarkers(t.Root, before)
			}
			for _, id := range renamed {
				id.Ident = helmengine.UnmarkedInclude
			}
			in.trees.engine.Seed(name, out, p.set)
		}
	}()
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].offset < ins[j].offset })
	var b strings.Builder
	size := len(src)
	for _, x := range ins {
		size += len(x.text)
	}
	b.Grow(size)
	last := 0
	for _, x := range ins {
		b.WriteString(src[last:x.offset])
		b.WriteString(x.text)
		last = x.offset
	}
	b.WriteString(src[last:])
	return b.String(), true
}

// insertMarkers puts, before each node of the lists under n that before
// names, an action printing each of its markers: the trees the parser
// makes of the text with those actions written in.
func insertMarkers(n parse.Node, before map[parse.Node][]string) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		var out []parse.Node
		for _, c := range n.Nodes {
			for _, m := range before[c] {
				out = append(out, markerAction(c.Position(), m))
			}
			out = append(out, c)
			insertMarkers(c, before)
		}
		n.Nodes = out
	case *parse.IfNode:
		insertMarkers(n.List, before)
		insertMarkers(n.ElseList, before)
	case *parse.RangeNode:
		insertMarkers(n.List, before)
		insertMarkers(n.ElseList, before)
	case *parse.WithNode:
		insertMarkers(n.List, before)
		insertMarkers(n.ElseList, before)
	}
}

// markerAction is the action {{"marker"}} at pos.
func markerAction(pos parse.Pos, marker string) *parse.ActionNode {
	str := &parse.StringNode{NodeType: parse.NodeString, Pos: pos, Quoted: strconv.Quote(marker), Text: marker}
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{str}}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{cmd}}}
}

// unprintedIncludes appends to at the include calls under n whose output
// is not printed as it is (printedInclude).
func unprintedIncludes(n parse.Node, at []*parse.IdentifierNode) []*parse.IdentifierNode {
	var pipe func(p *parse.PipeNode)
	var arg func(a parse.Node)
	pipe = func(p *parse.PipeNode) {
		if p == nil {
			return
		}
		for _, c := range p.Cmds {
			for _, a := range c.Args {
				arg(a)
			}
		}
	}
	arg = func(a parse.Node) {
		switch a := a.(type) {
		case *parse.IdentifierNode:
			if a.Ident == "include" {
				at = append(at, a)
			}
		case *parse.PipeNode:
			pipe(a)
		case *parse.ChainNode:
			arg(a.Node)
		}
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				at = unprintedIncludes(c, at)
			}
		}
	case *parse.ActionNode:
		if _, rest, ok := printedInclude(n.Pipe); ok {
			for _, a := range rest {
				arg(a)
			}
			for _, c := range n.Pipe.Cmds[1:] {
				for _, a := range c.Args {
					arg(a)
				}
			}
		} else {
			pipe(n.Pipe)
		}
	case *parse.TemplateNode:
		pipe(n.Pipe)
	case *parse.IfNode:
		pipe(n.Pipe)
		at = unprintedIncludes(n.List, at)
		at = unprintedIncludes(n.ElseList, at)
	case *parse.WithNode:
		pipe(n.Pipe)
		at = unprintedIncludes(n.List, at)
		at = unprintedIncludes(n.ElseList, at)
	case *parse.RangeNode:
		pipe(n.Pipe)
		at = unprintedIncludes(n.List, at)
		at = unprintedIncludes(n.ElseList, at)
	}
	return at
}

// unmark removes the markers from rendered text.
func unmark(s string) string {
	if !strings.ContainsRune(s, markOpen) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexRune(s, markOpen)
		if i < 0 {
			break
		}
		j := strings.IndexRune(s[i:], markClose)
		if j < 0 || strings.Trim(s[i+len(string(markOpen)):i+j], "0123456789") != "" || j == len(string(markOpen)) {
			b.WriteString(s[:i+len(string(markOpen))])
			s = s[i+len(string(markOpen)):]
			continue
		}
		b.WriteString(s[:i])
		s = s[i+j+len(string(markClose)):]
	}
	b.WriteString(s)
	return b.String()
}
