package scan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parseDirs parses the non-test Go files under dirs.
func parseDirs(t *testing.T, fset *token.FileSet, dirs ...string) []*ast.File {
	t.Helper()
	var files []*ast.File
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != dir && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// declaredChecks returns, by variable name, the ids of the rules declared
// as package-level variables: var X = &Check{ID: "..."}.
func declaredChecks(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if id, ok := checkLiteralID(v); ok && i < len(vs.Names) {
						out[vs.Names[i].Name] = id
					}
				}
			}
		}
	}
	return out
}

// checkLiteralID returns the ID of &Check{ID: "..."}.
func checkLiteralID(e ast.Expr) (string, bool) {
	u, ok := e.(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return "", false
	}
	cl, ok := u.X.(*ast.CompositeLit)
	if !ok {
		return "", false
	}
	if id, ok := cl.Type.(*ast.Ident); !ok || id.Name != "Check" {
		return "", false
	}
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "ID" {
				if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					return s, true
				}
			}
		}
	}
	return "", true
}

// unregistered returns the declared rules that registered does not know.
func unregistered(declared map[string]string, registered func(id string) *Check) []string {
	var out []string
	for name, id := range declared {
		if registered(id) == nil {
			out = append(out, name+" ("+id+")")
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryDeclaredRuleIsRegistered fails on a rule declared and added to
// no section list: it would pass every other suite, and run nowhere.
func TestEveryDeclaredRuleIsRegistered(t *testing.T) {
	declared := declaredChecks(parseDirs(t, token.NewFileSet(), "."))
	if len(declared) < len(All)-5 {
		t.Fatalf("found %d declared rules for %d registered; the parse missed them", len(declared), len(All))
	}
	for _, name := range unregistered(declared, Lookup) {
		t.Errorf("rule %s is declared but in no section list of All", name)
	}
}

func TestUnregisteredFindsARule(t *testing.T) {
	src := "package scan\n\nvar (\n\tKnown = &Check{ID: \"run-as-root\"}\n\tForgotten = &Check{ID: \"forgotten-rule\", Title: \"x\"}\n)\n"
	f, err := parser.ParseFile(token.NewFileSet(), "new.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := unregistered(declaredChecks([]*ast.File{f}), Lookup); !slices.Equal(got, []string{"Forgotten (forgotten-rule)"}) {
		t.Errorf("unregistered = %q", got)
	}
}

// sections returns the rule lists All concatenates.
func sections() map[string][]*Check {
	return map[string][]*Check{"podRules": podRules, "clusterRules": clusterRules, "secretRules": secretRules,
		"controlPlaneRules": controlPlaneRules, "inputRules": inputRules}
}

// sectionProblems returns what is wrong with the section lists and the
// registry assembled from them: a rule in no list or in two, a list the
// registry leaves out, a rule id twice.
func sectionProblems(lists map[string][]*Check, all []*Check) []string {
	var out []string
	in := map[*Check][]string{}
	for _, name := range slices.Sorted(maps.Keys(lists)) {
		for _, c := range lists[name] {
			in[c] = append(in[c], name)
		}
	}
	ids := map[string]bool{}
	for _, c := range all {
		if ids[c.ID] {
			out = append(out, "rule id "+c.ID+" twice")
		}
		ids[c.ID] = true
		if len(in[c]) != 1 {
			out = append(out, c.ID+" is in section lists "+strings.Join(in[c], ", ")+"; want exactly one")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(lists)) {
		for _, c := range lists[name] {
			if !slices.Contains(all, c) {
				out = append(out, name+" holds "+c.ID+", which the registry misses")
			}
		}
	}
	return out
}

// TestSectionLists holds All to its section lists: each rule in exactly
// one, every list's rules in All.
func TestSectionLists(t *testing.T) {
	for _, p := range sectionProblems(sections(), All) {
		t.Error(p)
	}
	var n int
	for _, l := range sections() {
		n += len(l)
	}
	if n != len(All) {
		t.Errorf("the section lists hold %d rules, All %d", n, len(All))
	}
}

func TestSectionProblemsFindsAMiss(t *testing.T) {
	a, b, c := &Check{ID: "a"}, &Check{ID: "b"}, &Check{ID: "c"}
	got := sectionProblems(map[string][]*Check{"one": {a}, "two": {a, c}}, []*Check{a, b})
	want := []string{"a is in section lists one, two; want exactly one", "b is in section lists ; want exactly one", "two holds c, which the registry misses"}
	if !slices.Equal(got, want) {
		t.Errorf("sectionProblems = %q, want %q", got, want)
	}
}

// flagNames are literals that are a rule's id and also the name of the
// component flag the rule reads; they name the flag.
var flagNames = map[string]bool{"service-account-lookup": true, "insecure-port": true}

// ruleIDLiterals returns the places in f where code names a rule by a
// string: a literal that is a registered rule's id, outside the ID field
// of the rule's own Check, or any literal compared with a Rule or ID
// field (a misspelt id compares false and fails silently).
func ruleIDLiterals(fset *token.FileSet, f *ast.File, registered func(id string) *Check) []string {
	var out []string
	allowed := map[*ast.BasicLit]bool{}
	compared := map[*ast.BasicLit]bool{}
	idField := func(e ast.Expr) bool {
		sel, ok := e.(*ast.SelectorExpr)
		return ok && (sel.Sel.Name == "Rule" || sel.Sel.Name == "ID")
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && k.Name == "ID" {
				if lit, ok := n.Value.(*ast.BasicLit); ok {
					allowed[lit] = true
				}
			}
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				for _, pair := range [][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
					if lit, ok := pair[1].(*ast.BasicLit); ok && lit.Kind == token.STRING && idField(pair[0]) {
						compared[lit] = true
					}
				}
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && idField(n.Tag) {
				for _, s := range n.Body.List {
					for _, e := range s.(*ast.CaseClause).List {
						if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							compared[lit] = true
						}
					}
				}
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		switch {
		case compared[lit] && s != "": // an empty id is a missing one
			out = append(out, fset.Position(lit.Pos()).String()+": "+lit.Value+" compared with a rule id")
		case !allowed[lit] && !flagNames[s] && registered(s) != nil:
			out = append(out, fset.Position(lit.Pos()).String()+": rule id "+lit.Value+" as a string; use the Check")
		}
		return true
	})
	return out
}

// TestNoRuleIDStrings keeps behaviour off rule id strings in scan, report
// and cmd: a rule's behaviour is a field of its Check, and code names a
// rule by its variable, which the compiler checks.
func TestNoRuleIDStrings(t *testing.T) {
	fset := token.NewFileSet()
	files := parseDirs(t, fset, ".", "../report", "../cmd")
	if len(files) < 40 {
		t.Fatalf("parsed %d files; the walk missed the packages", len(files))
	}
	for _, f := range files {
		for _, at := range ruleIDLiterals(fset, f, Lookup) {
			t.Error(at)
		}
	}
}

func TestRuleIDLiteralsFindsThem(t *testing.T) {
	src := `package scan

var X = &Check{ID: "run-as-root"}

var flips = map[string]bool{"privileged-container": true}

func f(fs []Finding, c *Check) {
	if fs[0].Rule == "privileged-containr" || c.ID != "run-as-root" {
	}
	switch fs[0].Rule {
	case "made-up":
	}
	_ = explicit("insecure-port")
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "rule.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := ruleIDLiterals(fset, f, Lookup)
	want := []string{
		`rule.go:5:29: rule id "privileged-container" as a string; use the Check`,
		`rule.go:8:19: "privileged-containr" compared with a rule id`,
		`rule.go:8:52: "run-as-root" compared with a rule id`,
		`rule.go:11:7: "made-up" compared with a rule id`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("ruleIDLiterals =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
