/*
Copyright The Helm Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package helmengine is Helm's template engine (helm.sh/helm/v3/pkg/engine
// at v3.22.0, the version go.mod requires) with one change: a rendering may
// write at most MaxBytes. Helm's own engine writes each template into an
// unbounded strings.Builder, so a template looping two million times holds
// gigabytes before Render returns; here the write past the limit fails and
// text/template stops executing. The cluster client (lookup against a live
// cluster) is left out: kubeharden never reaches a cluster, and lookup
// returns nothing, as with Helm's engine without a client.
//
// Keep it in step with Helm when go.mod moves: copy engine.go, funcs.go and
// files.go again and reapply the changes marked "kubeharden:".
package helmengine

import (
	stderrors "errors"
	"fmt"
	"log"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/pkg/errors"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// Engine is an implementation of the Helm rendering implementation for templates.
type Engine struct {
	// If strict is enabled, template rendering will fail if a template references
	// a value that was not passed in.
	Strict bool
	// In LintMode, some 'required' template values may be missing, so don't fail
	LintMode bool
	// EnableDNS tells the engine to allow DNS lookups when rendering templates
	EnableDNS bool
	// kubeharden: MaxBytes, when positive, bounds what one Render writes:
	// the templates' output together, and the output of each include or
	// tpl call. Past it, Render returns an error that Exceeded recognizes.
	MaxBytes int64
	// kubeharden: Trees, when set, keeps the parse trees of the templates
	// between Renders: a template whose name and text are those of one
	// parsed before is not parsed again.
	Trees *TreeCache
	// kubeharden: Unmark, when set, removes the position markers a caller
	// put in the templates from text: from what each tpl call returns and
	// what include returns inside it, and from what UnmarkedInclude
	// returns, so that no code a template runs sees a marker.
	Unmark func(string) string
	// kubeharden: Now, when set, is the clock sprig's now reads, so that a
	// render prints the same time on every run.
	Now func() time.Time
}

// kubeharden: UnmarkedInclude is include for a call whose output is not
// printed as it is: with Engine.Unmark set, it returns it unmarked.
const UnmarkedInclude = "kubeharden_unmarked_include"

// kubeharden: a TreeCache holds the parse trees of template files, by
// name and text. Trees are only read once parsed, so Renders share them.
type TreeCache struct {
	mu sync.Mutex
	m  map[[2]string]map[string]*parse.Tree
	// seeded holds trees a caller built for a text (Seed): they are used
	// once every function they call is known, and the text is parsed
	// otherwise, for its error.
	seeded map[[2]string]map[string]*parse.Tree
}

// Seed gives the trees a file's text parses to, built by the caller (a
// copy of another text's trees with nodes added), so that a Render does
// not parse the text. The parser checks that every function a template
// calls exists; the trees are checked the same way when first used, and
// the text is parsed instead when they call one that does not.
func (c *TreeCache) Seed(name, text string, trees map[string]*parse.Tree) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seeded == nil {
		c.seeded = map[[2]string]map[string]*parse.Tree{}
	}
	c.seeded[[2]string{name, text}] = trees
}

// builtinNames are text/template's builtin functions, which a template
// may call without a FuncMap naming them (the parser checks that a name
// maps to something not nil).
var builtinNames = func() map[string]any {
	m := map[string]any{}
	for _, n := range strings.Fields("and call html index slice js len not or print printf println urlquery eq ge gt le lt ne") {
		m[n] = true
	}
	return m
}()

// Parsed returns the trees of a file a Render parsed with this cache, by
// template name, or nil.
func (c *TreeCache) Parsed(name, text string) map[string]*parse.Tree {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[[2]string{name, text}]
}

// trees returns the trees Template.Parse would add for a file, parsed
// once per cache; nil when it does not parse, for Template.Parse to
// report the error as it words it.
func (c *TreeCache) trees(name, text string, funcs template.FuncMap) map[string]*parse.Tree {
	if c == nil {
		return nil
	}
	key := [2]string{name, text}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[key]; ok {
		return t
	}
	if t, ok := c.seeded[key]; ok {
		delete(c.seeded, key)
		if callsKnown(t, funcs) {
			if c.m == nil {
				c.m = map[[2]string]map[string]*parse.Tree{}
			}
			c.m[key] = t
			return t
		}
	}
	t, err := parse.Parse(name, text, "", "", funcs, builtinNames)
	if err != nil {
		return nil
	}
	if c.m == nil {
		c.m = map[[2]string]map[string]*parse.Tree{}
	}
	c.m[key] = t
	return t
}

// callsKnown reports whether every function the trees call is in funcs or
// a builtin, as the parser requires.
func callsKnown(trees map[string]*parse.Tree, funcs template.FuncMap) bool {
	ok := true
	var node func(n parse.Node)
	node = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					node(c)
				}
			}
		case *parse.ActionNode:
			node(n.Pipe)
		case *parse.IfNode:
			node(n.Pipe)
			node(n.List)
			node(n.ElseList)
		case *parse.RangeNode:
			node(n.Pipe)
			node(n.List)
			node(n.ElseList)
		case *parse.WithNode:
			node(n.Pipe)
			node(n.List)
			node(n.ElseList)
		case *parse.TemplateNode:
			node(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					node(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				node(a)
			}
		case *parse.ChainNode:
			node(n.Node)
		case *parse.IdentifierNode:
			if funcs[n.Ident] == nil && builtinNames[n.Ident] == nil {
				ok = false
			}
		}
	}
	for _, t := range trees {
		node(t.Root)
	}
	return ok
}

// kubeharden: ErrTooLarge is the error of a write past Engine.MaxBytes.
var ErrTooLarge = stderrors.New("rendered output over the limit")

// kubeharden: a limitedBuilder is a strings.Builder that refuses to grow
// past its limit: a template's output, or one include's.
type limitedBuilder struct {
	strings.Builder
	total *int64 // bytes written by every builder sharing it; nil for none
	limit int64
	hit   *bool // set when a write is refused
}

func (b *limitedBuilder) Write(p []byte) (int, error) {
	if b.limit > 0 {
		n := int64(b.Len() + len(p))
		if b.total != nil {
			n = *b.total + int64(len(p))
		}
		if n > b.limit {
			*b.hit = true
			return 0, ErrTooLarge
		}
		if b.total != nil {
			*b.total = n
		}
	}
	return b.Builder.Write(p)
}

func (b *limitedBuilder) WriteString(s string) (int, error) {
	return b.Write([]byte(s))
}

// kubeharden: a limiter holds one Render's limit and whether it was hit.
type limiter struct {
	limit, total int64
	hit          bool
	unmark       func(string) string // Engine.Unmark
	inTpl        int                 // the depth of tpl calls being run
}

// builder returns a builder of one include or tpl call.
func (l *limiter) builder() *limitedBuilder {
	return &limitedBuilder{limit: l.limit, hit: &l.hit}
}

// Exceeded reports whether err is a Render that stopped at MaxBytes.
func Exceeded(err error) bool {
	var e *tooLarge
	return stderrors.As(err, &e)
}

type tooLarge struct{ err error }

func (e *tooLarge) Error() string { return e.err.Error() }
func (e *tooLarge) Unwrap() error { return e.err }

// Render takes a chart, optional values, and value overrides, and attempts to render the Go templates.
//
// Render can be called repeatedly on the same engine.
//
// This will look in the chart's 'templates' data (e.g. the 'templates/' directory)
// and attempt to render the templates there using the values passed in.
//
// Values are scoped to their templates. A dependency template will not have
// access to the values set for its parent. If chart "foo" includes chart "bar",
// "bar" will not have access to the values for "foo".
//
// Values should be prepared with something like `chartutils.ReadValues`.
//
// Values are passed through the templates according to scope. If the top layer
// chart includes the chart foo, which includes the chart bar, the values map
// will be examined for a table called "foo". If "foo" is found in vals,
// that section of the values will be passed into the "foo" chart. And if that
// section contains a value named "bar", that value will be passed on to the
// bar chart during render time.
func (e Engine) Render(chrt *chart.Chart, values chartutil.Values) (map[string]string, error) {
	tmap := allTemplates(chrt, values)
	lim := &limiter{limit: e.MaxBytes, unmark: e.Unmark}
	out, err := e.render(tmap, lim)
	if lim.hit { // kubeharden: whatever error text/template made of the refused write
		return nil, &tooLarge{err}
	}
	return out, err
}

// renderable is an object that can be rendered.
type renderable struct {
	// tpl is the current template.
	tpl string
	// vals are the values to be supplied to the template.
	vals chartutil.Values
	// namespace prefix to the templates of the current chart
	basePath string
}

const warnStartDelim = "HELM_ERR_START"
const warnEndDelim = "HELM_ERR_END"
const recursionMaxNums = 1000

var warnRegex = regexp.MustCompile(warnStartDelim + `((?s).*)` + warnEndDelim)

func warnWrap(warn string) string {
	return warnStartDelim + warn + warnEndDelim
}

// 'include' needs to be defined in the scope of a 'tpl' template as
// well as regular file-loaded templates.
func includeFun(t *template.Template, includedNames map[string]int, lim *limiter, unmarked bool) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		buf := lim.builder() // kubeharden: was a strings.Builder
		if v, ok := includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", errors.Wrapf(fmt.Errorf("unable to execute template"), "rendering template has a nested reference name: %s", name)
			}
			includedNames[name]++
		} else {
			includedNames[name] = 1
		}
		err := t.ExecuteTemplate(buf, name, data)
		includedNames[name]--
		if lim.unmark != nil && (unmarked || lim.inTpl > 0) { // kubeharden
			return lim.unmark(buf.String()), err
		}
		return buf.String(), err
	}
}

// As does 'tpl', so that nested calls to 'tpl' see the templates
// defined by their enclosing contexts.
func tplFun(parent *template.Template, includedNames map[string]int, strict bool, lim *limiter) func(string, interface{}) (string, error) {
	return func(tpl string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", errors.Wrapf(err, "cannot clone template")
		}

		// Re-inject the missingkey option, see text/template issue https://github.com/golang/go/issues/43022
		// We have to go by strict from our engine configuration, as the option fields are private in Template.
		// TODO: Remove workaround (and the strict parameter) once we build only with golang versions with a fix.
		if strict {
			t.Option("missingkey=error")
		} else {
			t.Option("missingkey=zero")
		}

		// Re-inject 'include' so that it can close over our clone of t;
		// this lets any 'define's inside tpl be 'include'd.
		t.Funcs(template.FuncMap{
			"include": includeFun(t, includedNames, lim, false),
			"tpl":     tplFun(t, includedNames, strict, lim),
		})

		// We need a .New template, as template text which is just blanks
		// or comments after parsing out defines just adds new named
		// template definitions without changing the main template.
		// https://pkg.go.dev/text/template#Template.Parse
		// Use the parent's name for lack of a better way to identify the tpl
		// text string. (Maybe we could use a hash appended to the name?)
		t, err = t.New(parent.Name()).Parse(tpl)
		if err != nil {
			return "", errors.Wrapf(err, "cannot parse template %q", tpl)
		}

		buf := lim.builder() // kubeharden: was a strings.Builder
		lim.inTpl++
		err = t.Execute(buf, vals)
		lim.inTpl--
		if err != nil {
			return "", errors.Wrapf(err, "error during tpl function execution for %q", tpl)
		}

		// See comment in renderWithReferences explaining the <no value> hack.
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if lim.unmark != nil { // kubeharden
			out = lim.unmark(out)
		}
		return out, nil
	}
}

// initFunMap creates the Engine's FuncMap and adds context-specific functions.
func (e Engine) initFunMap(t *template.Template, lim *limiter) template.FuncMap {
	funcMap := funcMap()
	includedNames := make(map[string]int)

	// Add the template-rendering functions here so we can close over t.
	funcMap["include"] = includeFun(t, includedNames, lim, false)
	if e.Unmark != nil { // kubeharden
		funcMap[UnmarkedInclude] = includeFun(t, includedNames, lim, true)
	}
	funcMap["tpl"] = tplFun(t, includedNames, e.Strict, lim)

	// Add the `required` function here so we can use lintMode
	funcMap["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			if e.LintMode {
				// Don't fail on missing required values when linting
				log.Printf("[INFO] Missing required value: %s", warn)
				return "", nil
			}
			return val, errors.New(warnWrap(warn))
		} else if _, ok := val.(string); ok {
			if val == "" {
				if e.LintMode {
					// Don't fail on missing required values when linting
					log.Printf("[INFO] Missing required value: %s", warn)
					return "", nil
				}
				return val, errors.New(warnWrap(warn))
			}
		}
		return val, nil
	}

	// Override sprig fail function for linting and wrapping message
	funcMap["fail"] = func(msg string) (string, error) {
		if e.LintMode {
			// Don't fail when linting
			log.Printf("[INFO] Fail: %s", msg)
			return "", nil
		}
		return "", errors.New(warnWrap(msg))
	}

	if e.Now != nil { // kubeharden
		funcMap["now"] = e.Now
	}

	// kubeharden: no cluster connection, so lookup stays funcMap's
	// placeholder, which returns nothing.

	// When DNS lookups are not enabled override the sprig function and return
	// an empty string.
	if !e.EnableDNS {
		funcMap["getHostByName"] = func(_ string) string {
			return ""
		}
	}

	t.Funcs(funcMap)
	return funcMap // kubeharden: for TreeCache's parse
}

// render takes a map of templates/values and renders them.
func (e Engine) render(tpls map[string]renderable, lim *limiter) (rendered map[string]string, err error) {
	// Basically, what we do here is start with an empty parent template and then
	// build up a list of templates -- one for each file. Once all of the templates
	// have been parsed, we loop through again and execute every template.
	//
	// The idea with this process is to make it possible for more complex templates
	// to share common blocks, but to make the entire thing feel like a file-based
	// template engine.
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("rendering template failed: %v", r)
		}
	}()
	t := template.New("gotpl")
	if e.Strict {
		t.Option("missingkey=error")
	} else {
		// Not that zero will attempt to add default values for types it knows,
		// but will still emit <no value> for others. We mitigate that later.
		t.Option("missingkey=zero")
	}

	funcs := e.initFunMap(t, lim)

	// We want to parse the templates in a predictable order. The order favors
	// higher-level (in file system) templates over deeply nested templates.
	keys := sortTemplates(tpls)

	for _, filename := range keys {
		r := tpls[filename]
		// kubeharden: what Template.Parse does, with trees parsed before.
		if trees := e.Trees.trees(filename, r.tpl, funcs); trees != nil {
			nt := t.New(filename)
			for name, tree := range trees {
				if _, err := nt.AddParseTree(name, tree); err != nil {
					return map[string]string{}, cleanupParseError(filename, err)
				}
			}
			continue
		}
		if _, err := t.New(filename).Parse(r.tpl); err != nil {
			return map[string]string{}, cleanupParseError(filename, err)
		}
	}

	rendered = make(map[string]string, len(keys))
	for _, filename := range keys {
		// Don't render partials. We don't care out the direct output of partials.
		// They are only included from other templates.
		if strings.HasPrefix(path.Base(filename), "_") {
			continue
		}
		// At render time, add information about the template that is being rendered.
		vals := tpls[filename].vals
		vals["Template"] = chartutil.Values{"Name": filename, "BasePath": tpls[filename].basePath}
		// kubeharden: was a strings.Builder; the templates share one limit.
		buf := &limitedBuilder{total: &lim.total, limit: lim.limit, hit: &lim.hit}
		if err := t.ExecuteTemplate(buf, filename, vals); err != nil {
			return map[string]string{}, cleanupExecError(filename, err)
		}

		// Work around the issue where Go will emit "<no value>" even if Options(missing=zero)
		// is set. Since missing=error will never get here, we do not need to handle
		// the Strict case.
		rendered[filename] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}

	return rendered, nil
}

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		// This might happen if a non-templating error occurs
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	// The first token is "template"
	// The second token is either "filename:lineno" or "filename:lineNo:columnNo"
	location := tokens[1]
	// The remaining tokens make up a stacktrace-like chain, ending with the relevant error
	errMsg := tokens[len(tokens)-1]
	return fmt.Errorf("parse error at (%s): %s", string(location), errMsg)
}

func cleanupExecError(filename string, err error) error {
	if _, isExecError := err.(template.ExecError); !isExecError {
		return err
	}

	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		// This might happen if a non-templating error occurs
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}

	// The first token is "template"
	// The second token is either "filename:lineno" or "filename:lineNo:columnNo"
	location := tokens[1]

	parts := warnRegex.FindStringSubmatch(tokens[2])
	if len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", string(location), parts[1])
	}

	return err
}

func sortTemplates(tpls map[string]renderable) []string {
	keys := make([]string, len(tpls))
	i := 0
	for key := range tpls {
		keys[i] = key
		i++
	}
	sort.Sort(sort.Reverse(byPathLen(keys)))
	return keys
}

type byPathLen []string

func (p byPathLen) Len() int      { return len(p) }
func (p byPathLen) Swap(i, j int) { p[j], p[i] = p[i], p[j] }
func (p byPathLen) Less(i, j int) bool {
	a, b := p[i], p[j]
	ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
	if ca == cb {
		return strings.Compare(a, b) == -1
	}
	return ca < cb
}

// allTemplates returns all templates for a chart and its dependencies.
//
// As it goes, it also prepares the values in a scope-sensitive manner.
func allTemplates(c *chart.Chart, vals chartutil.Values) map[string]renderable {
	templates := make(map[string]renderable)
	recAllTpls(c, templates, vals)
	return templates
}

// recAllTpls recurses through the templates in a chart.
//
// As it recurses, it also sets the values to be appropriate for the template
// scope.
func recAllTpls(c *chart.Chart, templates map[string]renderable, vals chartutil.Values) map[string]interface{} {
	subCharts := make(map[string]interface{})
	chartMetaData := struct {
		chart.Metadata
		IsRoot bool
	}{*c.Metadata, c.IsRoot()}

	next := map[string]interface{}{
		"Chart":        chartMetaData,
		"Files":        newFiles(c.Files),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(chartutil.Values),
		"Subcharts":    subCharts,
	}

	// If there is a {{.Values.ThisChart}} in the parent metadata,
	// copy that into the {{.Values}} for this template.
	if c.IsRoot() {
		next["Values"] = vals["Values"]
	} else if vs, err := vals.Table("Values." + c.Name()); err == nil {
		next["Values"] = vs
	}

	for _, child := range c.Dependencies() {
		subCharts[child.Name()] = recAllTpls(child, templates, next)
	}

	newParentID := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil {
			continue
		}
		if !isTemplateValid(c, t.Name) {
			continue
		}
		templates[path.Join(newParentID, t.Name)] = renderable{
			tpl:      string(t.Data),
			vals:     next,
			basePath: path.Join(newParentID, "templates"),
		}
	}

	return next
}

// isTemplateValid returns true if the template is valid for the chart type
func isTemplateValid(ch *chart.Chart, templateName string) bool {
	if isLibraryChart(ch) {
		return strings.HasPrefix(filepath.Base(templateName), "_")
	}
	return true
}

// isLibraryChart returns true if the chart is a library chart
func isLibraryChart(c *chart.Chart) bool {
	return strings.EqualFold(c.Metadata.Type, "library")
}
