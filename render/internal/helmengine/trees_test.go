package helmengine

import (
	"testing"
	"text/template"
	"text/template/parse"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// TestTreeCache: renders that share parse trees print what renders that
// parse every template print, defines overridden in the same order, and
// a template that does not parse is reported in Helm's words.
func TestTreeCache(t *testing.T) {
	for _, c := range []struct {
		name string
		tpls map[string]string
	}{
		{"defines", map[string]string{
			"templates/_a.tpl": `{{ define "x" }}a{{ end }}{{ define "y" }}{{ len "ab" }}{{ end }}`,
			"templates/_b.tpl": `{{ define "x" }}b{{ end }}`,
			"templates/t.yaml": `{{ include "x" . }} {{ template "y" . }} {{ tpl "{{ include \"x\" . }}" . }} {{ eq 1 1 }} {{ .Template.Name }}`,
		}},
		{"parse error", map[string]string{
			"templates/t.yaml": "a: 1\n{{ if }}",
		}},
		{"unknown function", map[string]string{
			"templates/t.yaml": "a: {{ nosuchfunction 1 }}",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "c", Version: "0.1.0"}}
			for n, d := range c.tpls {
				ch.Templates = append(ch.Templates, &chart.File{Name: n, Data: []byte(d)})
			}
			vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "r", Namespace: "default"}, chartutil.DefaultCapabilities)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := Engine{}.Render(ch, vals)
			cached := Engine{Trees: &TreeCache{}}
			for i := range 2 { // parsed, then from the cache
				got, err := cached.Render(ch, vals)
				if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
					t.Fatalf("render %d: error %v, want %v", i, err, wantErr)
				}
				for n, w := range want {
					if got[n] != w {
						t.Errorf("render %d: %s = %q, want %q", i, n, got[n], w)
					}
				}
				if len(got) != len(want) {
					t.Errorf("render %d: %d files, want %d", i, len(got), len(want))
				}
			}
		})
	}
}

// TestTreeCacheBuiltins: every builtin function parses from the cache.
func TestTreeCacheBuiltins(t *testing.T) {
	c := &TreeCache{}
	src := `{{ and 1 (or 0 1) (not 0) (eq 1 1) (ne 1 2) (lt 1 2) (le 1 1) (gt 2 1) (ge 1 1) }}` +
		`{{ len "a" }}{{ index (list 1) 0 }}{{ slice "ab" 1 }}{{ print 1 }}{{ printf "%d" 1 }}{{ println }}` +
		`{{ html "<" }}{{ js "'" }}{{ urlquery "&" }}{{ call .F }}`
	if c.trees("t", src, template.FuncMap{"list": func(...any) []any { return nil }}) == nil {
		t.Fatal("a template calling the builtins did not parse")
	}
}

// TestTreeCacheSeed: trees seeded for a text are rendered instead of the
// text's own; trees that call a function the engine lacks are not, and
// the text's parse error is Helm's.
func TestTreeCacheSeed(t *testing.T) {
	render := func(c *TreeCache, tpl string) (string, error) {
		ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "c", Version: "0.1.0"},
			Templates: []*chart.File{{Name: "templates/t.yaml", Data: []byte(tpl)}}}
		vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "r", Namespace: "default"}, chartutil.DefaultCapabilities)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Engine{Trees: c}.Render(ch, vals)
		return out["c/templates/t.yaml"], err
	}
	seed := func(c *TreeCache, text, from string) {
		set := map[string]*parse.Tree{}
		tr := parse.New("c/templates/t.yaml")
		tr.Mode = parse.SkipFuncCheck
		if _, err := tr.Parse(from, "", "", set); err != nil {
			t.Fatal(err)
		}
		c.Seed("c/templates/t.yaml", text, set)
	}
	c := &TreeCache{}
	seed(c, "a: {{ 1 }}", "a: {{ 2 }}")
	if got, err := render(c, "a: {{ 1 }}"); err != nil || got != "a: 2" {
		t.Errorf("seeded: %q, %v; want the seeded trees' a: 2", got, err)
	}
	c = &TreeCache{}
	seed(c, "a: {{ nosuchfunction 1 }}", "a: {{ nosuchfunction 1 }}")
	_, want := render(nil, "a: {{ nosuchfunction 1 }}")
	if _, err := render(c, "a: {{ nosuchfunction 1 }}"); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("seeded with an unknown function: %v; want Helm's %v", err, want)
	}
}
