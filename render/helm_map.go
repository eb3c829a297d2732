package render

import (
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/kubeharden/kubeharden/render/internal/helmengine"
)

// Positions in rendered output are found by rendering a second time with
// instrumented templates: before every text node and every output action
// of each parsed template, a string-constant action is inserted that
// prints a marker naming the node. Where a marker lands in the output says
// which node wrote the bytes that follow it. The markers are stripped and
// the result compared, line by line, with the plain render; only lines
// that match are mapped exactly.

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
	marks   []mark
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
			p = &parsedTemplate{root: tr, set: set}
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
func (in *instrumentation) instrumentOne(name, src string) (string, bool) {
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
	s := in.sources[name]
	add := func(m mark, at int, text string) {
		m.name = name
		m.line, m.col = s.pos(m.offset)
		id := len(in.marks)
		in.marks = append(in.marks, m)
		ins = append(ins, insertion{at, strings.Replace(text, "ID", string(markOpen)+strconv.Itoa(id)+string(markClose), 1)})
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
				add(mark{offset: off, text: string(n.Text), isText: true}, off, `{{"ID"}}`)
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
				add(mk, d, text)
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
		for _, at := range unprintedIncludes(t.Root, nil) {
			if at >= 0 && strings.HasPrefix(src[at:], "include") {
				ins = append(ins, insertion{at, strings.TrimSuffix(helmengine.UnmarkedInclude, "include")})
			}
		}
	}
	if len(ins) == 0 {
		return "", false
	}
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].offset < ins[j].offset })
	var b strings.Builder
	last := 0
	for _, x := range ins {
		b.WriteString(src[last:x.offset])
		b.WriteString(x.text)
		last = x.offset
	}
	b.WriteString(src[last:])
	return b.String(), true
}

// unprintedIncludes appends to at the offsets of the include calls under
// n whose output is not printed as it is (printedInclude).
func unprintedIncludes(n parse.Node, at []int) []int {
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
				at = append(at, int(a.Pos))
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

// A scope is what dot holds: the root context, a .Values path, or
// something else.
type scope struct {
	root   bool
	values []string // when not root: the .Values path dot holds, nil if unknown
}

type tplWalker struct {
	vars      map[string][]string
	fallbacks map[string][][]string
	// roots lists the .Values paths a template merges into .Values itself
	// (`set $ "Values" (mergeOverwrite $.Values.defaults $.Values)`): their
	// keys are read as .Values keys by the templates rendered after it.
	roots [][]string
}

func (w *tplWalker) visit(n parse.Node, sc scope, f func(parse.Node, scope)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			w.visit(c, sc, f)
		}
	case *parse.TextNode:
		f(n, sc)
	case *parse.ActionNode:
		w.setValues(n.Pipe, sc)
		if n.Pipe != nil && len(n.Pipe.Decl) == 1 {
			if p := w.pipeValues(n.Pipe, sc); p != nil {
				w.vars[n.Pipe.Decl[0].Ident[0]] = p
				w.fallbacks[n.Pipe.Decl[0].Ident[0]] = w.pipeFallback(n.Pipe, sc)
			}
		}
		f(n, sc)
	case *parse.IfNode:
		w.visit(n.List, sc, f)
		w.visit(n.ElseList, sc, f)
	case *parse.WithNode:
		inner := scope{}
		if p := w.pipeValues(n.Pipe, sc); p != nil {
			inner.values = p
		}
		w.visit(n.List, inner, f)
		w.visit(n.ElseList, sc, f)
	case *parse.RangeNode:
		inner := sc
		if p := w.pipeValues(n.Pipe, sc); p != nil {
			item := append(append([]string{}, p...), "*")
			switch len(n.Pipe.Decl) {
			case 0:
				inner = scope{values: item}
			case 1:
				w.vars[n.Pipe.Decl[0].Ident[0]] = item
				inner = scope{values: item}
			case 2:
				w.vars[n.Pipe.Decl[1].Ident[0]] = item
				inner = scope{values: item}
			}
		} else {
			inner = scope{}
		}
		w.visit(n.List, inner, f)
		w.visit(n.ElseList, sc, f)
	}
}

// pipeValues returns the .Values path a pipeline's value is read from,
// when its first command passes one value through: `.Values.x`,
// `toYaml .Values.x`, `default "d" .Values.x`. Pipelines that build a
// value from several (printf, include, dict) have none.
func (w *tplWalker) pipeValues(p *parse.PipeNode, sc scope) []string {
	if p == nil || len(p.Cmds) == 0 {
		return nil
	}
	args := p.Cmds[0].Args
	if len(args) == 1 {
		return w.argValues(args[0], sc)
	}
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	switch id.Ident {
	case "toYaml", "toJson", "toPrettyJson", "toRawJson", "quote", "squote", "toString", "int", "int64", "float64", "b64enc", "trim", "lower", "upper", "tpl":
		return w.argValues(args[1], sc)
	case "default", "required", "indent", "nindent":
		return w.argValues(args[len(args)-1], sc)
	}
	if ms := w.mergeValues(args, sc); len(ms) > 0 {
		return ms[0]
	}
	return nil
}

// setValues records the values paths a `set $ "Values" (merge ...)`
// makes part of .Values.
func (w *tplWalker) setValues(p *parse.PipeNode, sc scope) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 4 {
		return
	}
	args := p.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok || id.Ident != "set" {
		return
	}
	root := false
	switch a := args[1].(type) {
	case *parse.VariableNode:
		root = len(a.Ident) == 1 && a.Ident[0] == "$"
	case *parse.DotNode:
		root = sc.root
	}
	key, ok := args[2].(*parse.StringNode)
	inner, isPipe := args[3].(*parse.PipeNode)
	if !root || !ok || key.Text != "Values" || !isPipe || len(inner.Cmds) != 1 {
		return
	}
	for _, v := range w.mergeValues(inner.Cmds[0].Args, sc) {
		if len(v) > 0 {
			w.roots = append(w.roots, v)
		}
	}
}

// mergeValues returns the .Values paths of a merge's maps, the one whose
// keys win first: `merge a b` keeps a's, `mergeOverwrite a b` takes b's.
func (w *tplWalker) mergeValues(args []parse.Node, sc scope) [][]string {
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok || len(args) < 3 {
		return nil
	}
	var ps [][]string
	switch id.Ident {
	case "merge", "mustMerge":
		for _, a := range args[1:] {
			if p := w.argValues(a, sc); p != nil {
				ps = append(ps, p)
			}
		}
	case "mergeOverwrite", "mustMergeOverwrite":
		for i := len(args) - 1; i >= 1; i-- {
			if p := w.argValues(args[i], sc); p != nil {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// hasDefault reports whether a pipeline has a literal default written in
// the template: `x | default "d"`, `default "d" x`. A default from
// elsewhere (.Chart.AppVersion) leaves the empty values key the place to
// set the value.
func hasDefault(p *parse.PipeNode) bool {
	if p == nil {
		return false
	}
	for i, c := range p.Cmds {
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || id.Ident != "default" {
			continue
		}
		var d parse.Node
		switch {
		case i == 0 && len(c.Args) == 3:
			d = c.Args[1]
		case i > 0 && len(c.Args) == 2:
			d = c.Args[1]
		}
		switch d.(type) {
		case *parse.StringNode, *parse.NumberNode, *parse.BoolNode:
			return true
		}
	}
	return false
}

// pipePrintf returns the format and argument values paths of a pipeline
// that builds its value with printf: `printf "%s:%s" .Values.a .Values.b`.
func (w *tplWalker) pipePrintf(p *parse.PipeNode, sc scope) (string, [][]string) {
	if p == nil || len(p.Cmds) == 0 || len(p.Cmds[0].Args) < 3 {
		return "", nil
	}
	args := p.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok || id.Ident != "printf" {
		return "", nil
	}
	f, ok := args[1].(*parse.StringNode)
	if !ok {
		return "", nil
	}
	ps := make([][]string, len(args)-2)
	found := false
	for i, a := range args[2:] {
		ps[i] = w.argValues(a, sc)
		found = found || ps[i] != nil
	}
	if !found {
		return "", nil
	}
	return f.Text, ps
}

// pipeFallback returns the .Values path the value comes from when the one
// pipeValues names is empty: `.Values.a | default .Values.b`,
// `default .Values.b .Values.a`.
func (w *tplWalker) pipeFallback(p *parse.PipeNode, sc scope) [][]string {
	if p == nil || len(p.Cmds) == 0 {
		return nil
	}
	var out [][]string
	args := p.Cmds[0].Args
	// The value passed through: the only argument, or a wrapper's.
	inner := args[0]
	if id, ok := args[0].(*parse.IdentifierNode); ok && len(args) >= 2 {
		inner = nil
		switch id.Ident {
		case "toYaml", "toJson", "toPrettyJson", "toRawJson", "quote", "squote", "toString", "tpl":
			inner = args[1]
		case "default", "required", "indent", "nindent":
			inner = args[len(args)-1]
		}
		if ms := w.mergeValues(args, sc); len(ms) > 1 {
			out = append(out, ms[1:]...)
		}
	}
	switch a := inner.(type) {
	case *parse.VariableNode:
		if len(a.Ident) == 1 {
			out = append(out, w.fallbacks[a.Ident[0]]...)
		}
	case *parse.PipeNode:
		out = append(out, w.pipeFallback(a, sc)...)
	}
	if id, ok := args[0].(*parse.IdentifierNode); ok && id.Ident == "default" && len(args) == 3 {
		if v := w.argValues(args[1], sc); v != nil {
			out = append(out, v)
		}
	}
	for _, c := range p.Cmds[1:] {
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "default" && len(c.Args) == 2 {
			if v := w.argValues(c.Args[1], sc); v != nil {
				out = append(out, v)
			}
		}
	}
	return out
}

func (w *tplWalker) argValues(a parse.Node, sc scope) []string {
	switch a := a.(type) {
	case *parse.FieldNode:
		if sc.root {
			if len(a.Ident) >= 1 && a.Ident[0] == "Values" {
				return append([]string{}, a.Ident[1:]...)
			}
			return nil
		}
		if sc.values != nil {
			return append(append([]string{}, sc.values...), a.Ident...)
		}
	case *parse.DotNode:
		if sc.values != nil {
			return append([]string{}, sc.values...)
		}
	case *parse.VariableNode:
		if len(a.Ident) == 0 {
			return nil
		}
		if a.Ident[0] == "$" {
			if len(a.Ident) >= 2 && a.Ident[1] == "Values" {
				return append([]string{}, a.Ident[2:]...)
			}
			return nil
		}
		if p, ok := w.vars[a.Ident[0]]; ok {
			return append(append([]string{}, p...), a.Ident[1:]...)
		}
	case *parse.PipeNode:
		return w.pipeValues(a, sc)
	}
	return nil
}

// A fileMap maps the plain render of one template file to the marks that
// wrote each byte.
type fileMap struct {
	text  string  // the plain render
	mark  []int32 // per byte: the mark that wrote it, -1 for none
	start []int32 // per byte: where that mark's output began
	lines []int   // line starts of text
	same  []bool  // per line: the line was found in the instrumented render
	// diverged marks a file the markers changed: its lines were lined up
	// by content, so its positions are approximate.
	diverged bool
}

// mapFile strips the markers from an instrumented render and lines the
// result up with the plain render.
func (in *instrumentation) mapFile(marked, plain string) *fileMap {
	if marked == "" {
		return nil
	}
	var b strings.Builder
	var marks, starts []int32
	cur, curStart := int32(-1), int32(0)
	for i := 0; i < len(marked); {
		r, w := utf8.DecodeRuneInString(marked[i:])
		if r == markOpen {
			if j := strings.IndexRune(marked[i:], markClose); j > 0 {
				if id, err := strconv.Atoi(marked[i+w : i+j]); err == nil && id < len(in.marks) {
					cur, curStart = int32(id), int32(b.Len())
					i += j + utf8.RuneLen(markClose)
					continue
				}
			}
		}
		b.WriteString(marked[i : i+w])
		for k := 0; k < w; k++ {
			marks = append(marks, cur)
			starts = append(starts, curStart)
		}
		i += w
	}
	stripped := b.String()
	if stripped == plain {
		m := &fileMap{text: plain, mark: marks, start: starts, lines: lineStarts(plain)}
		m.same = make([]bool, len(m.lines))
		for i := range m.same {
			m.same[i] = true
		}
		return m
	}
	pl, sl := strings.Split(plain, "\n"), strings.Split(stripped, "\n")
	// Renders that differ only in scalar values (a checksum of an included
	// file, a random name) have the same shape: every line keeps its
	// indentation and key, so every line is mapped.
	var pairs []int
	diverged := false
	if len(pl) == len(sl) {
		pairs = make([]int, len(pl))
		for i := range pl {
			pairs[i] = i
			if pl[i] != sl[i] && lineShape(pl[i]) != lineShape(sl[i]) {
				pairs = nil
				break
			}
		}
	}
	if pairs == nil {
		// Otherwise line up equal lines (longest common subsequence) and
		// map those, approximately.
		diverged = true
		if pairs = alignLines(pl, sl); pairs == nil {
			return nil
		}
	}
	m := &fileMap{text: plain, diverged: diverged, lines: lineStarts(plain), same: make([]bool, len(pl)),
		mark: make([]int32, len(plain)), start: make([]int32, len(plain))}
	for i := range m.mark {
		m.mark[i] = -1
	}
	sstarts := lineStarts(stripped)
	for pi, si := range pairs {
		if si < 0 {
			continue
		}
		m.same[pi] = true
		po, so := m.lines[pi], sstarts[si]
		shift := int32(po - so)
		for k := 0; k < len(pl[pi]); k++ {
			sk := so + min(k, max(len(sl[si])-1, 0))
			if sk >= len(marks) {
				break
			}
			m.mark[po+k] = marks[sk]
			m.start[po+k] = max(starts[sk]+shift, 0)
		}
	}
	return m
}

// lineShape is what a line of YAML says about structure: its indentation,
// sequence dashes and key.
func lineShape(l string) string {
	rest := strings.TrimLeft(l, " ")
	for strings.HasPrefix(rest, "- ") {
		rest = strings.TrimLeft(rest[2:], " ")
	}
	shape := l[:len(l)-len(rest)]
	if i := strings.Index(rest, ": "); i >= 0 && !strings.ContainsAny(rest[:i], "\"'{[") {
		shape += rest[:i+1]
	} else if strings.HasSuffix(rest, ":") {
		shape += rest
	}
	return shape
}

func lineStarts(s string) []int {
	ls := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			ls = append(ls, i+1)
		}
	}
	return ls
}

// alignLines pairs each line of a with an equal line of b (or -1) along a
// longest common subsequence; nil when the files are too large to align.
func alignLines(a, b []string) []int {
	if len(a)*len(b) > 4_000_000 {
		return nil
	}
	n, m := len(a), len(b)
	dp := make([][]int32, n+1)
	for i := range dp {
		dp[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	pairs := make([]int, n)
	for i := range pairs {
		pairs[i] = -1
	}
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case a[i] == b[j]:
			pairs[i] = j
			i++
			j++
		case dp[i+1][j] >= dp[i][j+1]:
			i++
		default:
			j++
		}
	}
	return pairs
}

func (m *fileMap) sameLines() int {
	n := 0
	for _, s := range m.same {
		if s {
			n++
		}
	}
	return n
}

// offset returns the byte offset of a 1-based line and character column,
// and whether that line rendered the same way with markers.
func (m *fileMap) offset(line, col int) (int, bool) {
	if line < 1 || line > len(m.lines) {
		return 0, false
	}
	off := m.lines[line-1]
	for c := 1; c < col && off < len(m.text) && m.text[off] != '\n'; c++ {
		_, w := utf8.DecodeRuneInString(m.text[off:])
		off += w
	}
	return off, m.same[line-1] && off < len(m.mark)
}

// origin returns the mark that wrote the byte at off and the position in
// the template that byte comes from.
func (in *instrumentation) origin(m *fileMap, off int) (id int, line, col int, ok bool) {
	id = int(m.mark[off])
	if id < 0 {
		return -1, 0, 0, false
	}
	mk := in.marks[id]
	if !mk.isText {
		return id, mk.line, mk.col, true
	}
	// A text node's output may have been re-indented (include | nindent):
	// count lines within its output and line up the text after the indent.
	start := int(m.start[off])
	seg := m.text[start:off]
	k := strings.Count(seg, "\n")
	srcLine := 0 // offset within mk.text of the k-th line
	for i := 0; i < k; i++ {
		j := strings.IndexByte(mk.text[srcLine:], '\n')
		if j < 0 {
			return id, mk.line, mk.col, true
		}
		srcLine += j + 1
	}
	var srcOff int
	if k == 0 {
		srcOff = off - start
	} else {
		ls := strings.LastIndexByte(m.text[:off], '\n') + 1
		outIndent := len(m.text[ls:]) - len(strings.TrimLeft(m.text[ls:], " "))
		srcRest := mk.text[srcLine:]
		srcIndent := len(srcRest) - len(strings.TrimLeft(srcRest, " "))
		srcOff = srcLine + srcIndent + max(0, off-ls-outIndent)
	}
	srcOff = min(srcOff, len(mk.text))
	line, col = in.sources[mk.name].pos(mk.offset + srcOff)
	return id, line, col, true
}

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
	mk := l.in.marks[id]
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
	file, _ := fileOf(l.srcs, l.in.marks[id].name)
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
		if id, tpos, ok := l.markAt(info.value); ok && id != kid && l.in.marks[id].values != nil && l.blockFrom(info.value, id) {
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
	if mk := l.in.marks[id]; mk.values != nil && known {
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
	if _, archived := fileOf(l.srcs, l.in.marks[id].name); archived {
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
		mk := l.in.marks[id]
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
	return l.valuesAt(id, l.in.marks[id].values, rel, l.hints(n, rel), tpos, item)
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
	mk := l.in.marks[id]
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
	src, name := sourceOf(l.srcs, l.in.marks[id].name)
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
