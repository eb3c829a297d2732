package render

import (
	"text/template/parse"
)

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
