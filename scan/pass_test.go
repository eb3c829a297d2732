package scan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// scannerReaches returns the places in f that reach past a Pass into the
// scanner (p.scan): only pass.go may.
func scannerReaches(fset *token.FileSet, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "scan" {
			out = append(out, fset.Position(sel.Pos()).String())
		}
		return true
	})
	return out
}

// TestRulesReachNoScanner holds the rules to the Pass: a finding, a
// redaction, a cached index go through its methods, never through the
// scanner behind it.
func TestRulesReachNoScanner(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range names {
		if name == "pass.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, at := range scannerReaches(fset, f) {
			t.Errorf("%s: reaches the scanner; use the Pass's methods (ReportWith, Redact, Cache)", at)
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d files; the glob missed the package", checked)
	}
}

func TestScannerReachesFindsOne(t *testing.T) {
	src := "package scan\n\nfunc f(p *Pass) {\n\tp.scan.findings = nil\n\t_ = p.Check\n}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "rule.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := scannerReaches(fset, f); !slices.Equal(got, []string{"rule.go:4:2"}) {
		t.Errorf("scannerReaches = %q, want [rule.go:4:2]", got)
	}
}

func TestReportWith(t *testing.T) {
	objs, _ := render.Parse("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwork: true\n"))
	o := objs[0]
	s := newScanner(&Config{})
	p := s.pass(HostNamespaces)
	p.ReportWith(o, "spec.hostNetwork", "shares the node's network", WithPSSCheck("hostNamespaces"),
		WithRelated(render.Related{File: "values.yaml", Line: 3, Message: "set here"}), WithFix(Fix{Line: 6, Text: "  hostNetwork: false"}))
	p.ReportWith(o, "spec.hostNetwork", "again") // the same field: dropped
	p.ReportWith(nil, "", "notes.txt: a text finding", WithPos(render.Pos{File: "notes.txt", Line: 2, Column: 5}), WithFingerprint("fp"), WithSecretKind("generic-api-key"))
	p.ReportWith(nil, "", "notes.txt: a text finding", WithPos(render.Pos{File: "notes.txt", Line: 2, Column: 5})) // the same: dropped
	p.ReportWith(nil, "", "notes.txt: another", WithPos(render.Pos{File: "notes.txt", Line: 2, Column: 5}))
	fs := s.takeOrdered()
	if len(fs) != 3 {
		t.Fatalf("%d findings, want 3: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Message != `Pod "web": shares the node's network` || f.File != "pod.yaml" || f.Line != 6 || f.PSSCheck != "hostNamespaces" ||
		len(f.Related) != 1 || f.Fix == nil || f.Fix.Line != 6 || f.Fingerprint != Fingerprint(HostNamespaces.ID, f.Object, "pod.yaml", "spec.hostNetwork") {
		t.Errorf("object finding = %+v", f)
	}
	f = fs[1]
	if f.Message != "notes.txt: a text finding" || f.File != "notes.txt" || f.Line != 2 || f.Column != 5 || f.Object != nil ||
		f.Fingerprint != "fp" || f.SecretKind != "generic-api-key" || f.Source != nil {
		t.Errorf("text finding = %+v", f)
	}
}

func TestPassCache(t *testing.T) {
	p := newScanner(&Config{}).pass(nil)
	type key struct{}
	built := 0
	for range 3 {
		if got := cached(p, key{}, func() int { built++; return 42 }); got != 42 {
			t.Fatalf("cached = %d", got)
		}
	}
	if built != 1 {
		t.Errorf("built %d times, want once per scan", built)
	}
}
