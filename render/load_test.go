package render

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"

// TestBadInputs: each bad input becomes one located problem and the good
// file beside it is still read.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yaml", []byte(configMap))

	// A 50 MB manifest: over the default limit, skipped without being read.
	big := bytes.Repeat([]byte("# padding line for a very large file\n"), 50<<20/37)
	write(t, dir, "big.yaml", append([]byte(configMap), big...))

	// 20,000 levels of nesting, block and flow.
	write(t, dir, "deep-block.yaml", []byte(configMap+"data:\n  "+strings.Repeat("- ", 20000)+"x\n"))
	write(t, dir, "deep-flow.yaml", []byte(configMap+"data: "+strings.Repeat("[", 50000)+strings.Repeat("]", 50000)+"\n"))

	// Binary content under a manifest name.
	write(t, dir, "image.yaml", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))

	// Malformed YAML after a good document.
	write(t, dir, "broken.yml", []byte(configMap+"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: a: b\n"))

	// An alias bomb: yaml.v3 refuses to expand it; we must not hang.
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += n + ": &" + n + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ",") + "]\n"
		prev = n
	}
	write(t, dir, "bomb.yaml", []byte(bomb))

	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	problems := map[string]Problem{}
	for _, p := range set.Problems {
		problems[p.Pos.File] = p
		if p.Pos.Line < 1 || p.Pos.Column < 1 || p.Message == "" {
			t.Errorf("problem not located: %+v", p)
		}
	}
	for file, want := range map[string]struct {
		kind ProblemKind
		line int
		text string
	}{
		"big.yaml":        {Skipped, 1, "over the 10.0 MiB limit"},
		"deep-block.yaml": {Invalid, 5, "exceeded max depth"},
		"deep-flow.yaml":  {Invalid, 5, "exceeded max depth"},
		"image.yaml":      {Skipped, 1, "binary"},
		"broken.yml":      {Invalid, 10, "mapping values are not allowed"},
	} {
		p, ok := problems[file]
		if !ok {
			t.Errorf("%s: no problem reported", file)
			continue
		}
		if p.Kind != want.kind || p.Pos.Line != want.line || !strings.Contains(p.Message, want.text) {
			t.Errorf("%s: got %s at line %d: %q; want %s at line %d containing %q", file, p.Kind, p.Pos.Line, p.Message, want.kind, want.line, want.text)
		}
	}
	names := map[string]bool{}
	for _, o := range set.Objects {
		names[o.File+"/"+o.Name] = true
	}
	for _, want := range []string{"good.yaml/ok", "broken.yml/ok", "bomb.yaml/bomb"} {
		if !names[want] {
			t.Errorf("object %s not loaded; got %v", want, names)
		}
	}
	// The bomb loads as an object but its value does not expand.
	for _, o := range set.Objects {
		if o.Name == "bomb" {
			_ = o.Value()
		}
	}
}

// TestParserErrorLines: yaml.v3 reports parser errors with a 0-based line;
// ours are 1-based.
func TestParserErrorLines(t *testing.T) {
	for _, c := range []struct {
		src  string
		line int
	}{
		{"a: 1\nb: c: d\n", 2},                 // scanner error
		{"a: 1\n---\nb: [\nc: d: e\n", 3},      // flow sequence opened on line 3
		{"a:\n  - x\n   y: z\n", 3},            // block mapping
		{"key: value\n\tbad: tab\n", 2},        // tab indentation
		{"a: {b: c\n", 1},                      // unclosed flow mapping on line 1
		{"- a\n- b\nc: d\n", 3},                // mapping after sequence
		{"a: 'unterminated\nb: c\n", 2},        // quoted scalar: yaml.v3 names where it gave up
		{"x: 1\ny: 2\nz: 3\nw: [1, 2\n", 4},    // flow sequence on line 4
		{"apiVersion: v1\nkind: [\n", 2},       // end of stream in flow
		{"a: b\n  c: d\n", 2},                  // bad indentation
		{"%YAML 1.1\n%YAML 1.1\n---\na: 1", 2}, // duplicate directive
	} {
		_, probs := Parse("f.yaml", []byte(c.src))
		if len(probs) != 1 {
			t.Errorf("%q: got %d problems", c.src, len(probs))
			continue
		}
		if probs[0].Pos.Line != c.line {
			t.Errorf("%q: line %d (%s), want %d", c.src, probs[0].Pos.Line, probs[0].Message, c.line)
		}
	}
}

// TestSymlinkOutsideTree: a link that leaves the repository is not read.
func TestSymlinkOutsideTree(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "secret.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: outside\n"))
	dir := t.TempDir()
	write(t, dir, "inside.yaml", []byte(configMap))
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if err := os.Symlink("inside.yaml", filepath.Join(dir, "alias.yaml")); err != nil {
		t.Fatal(err)
	}
	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range set.Objects {
		if o.Name == "outside" {
			t.Errorf("read %s through a link that leaves the tree", o.File)
		}
	}
	if len(set.Problems) != 1 || set.Problems[0].Pos.File != "link.yaml" || !strings.Contains(set.Problems[0].Message, "leaves the repository") {
		t.Errorf("problems = %+v", set.Problems)
	}
	if len(set.Objects) != 2 {
		t.Errorf("want the file and the in-tree link, got %d objects", len(set.Objects))
	}
}

func TestPaths(t *testing.T) {
	src := `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    example.com/key: v
base: &base
  inherited: 1
spec:
  <<: *base
  containers:
    - name: a
      securityContext:
        privileged: true
`
	objs, probs := Parse("p.yaml", []byte(src))
	if len(probs) > 0 || len(objs) != 1 {
		t.Fatalf("%v %v", objs, probs)
	}
	o := objs[0]
	for _, c := range []struct {
		path  string
		line  int
		col   int
		exact bool
	}{
		{"spec.containers[0].securityContext.privileged", 14, 9, true},
		{"spec.containers[0].securityContext.runAsNonRoot", 13, 7, false},
		{"spec.containers[3].image", 11, 3, false},
		{`metadata.annotations["example.com/key"]`, 6, 5, true},
		{"spec.inherited", 8, 3, true},
		{"nothing.here", 1, 1, false},
		{"", 1, 1, true},
	} {
		pos, exact := o.Pos(c.path)
		if pos.Line != c.line || pos.Column != c.col || exact != c.exact {
			t.Errorf("%s: got %d:%d exact=%v, want %d:%d exact=%v", c.path, pos.Line, pos.Column, exact, c.line, c.col, c.exact)
		}
	}
	if got := Join("metadata.annotations", Key("a.b/c")); got != `metadata.annotations["a.b/c"]` {
		t.Errorf("Key: %s", got)
	}
	segs, err := ParsePath(`a["x]y"][2].b`)
	if err != nil || len(segs) != 4 || segs[1].Key != "x]y" || segs[2].Index != 2 {
		t.Errorf("ParsePath: %+v %v", segs, err)
	}
}

// TestHelmReleaseNamespace: objects a chart renders without a namespace
// land in the release namespace, as helm install -n puts them.
func TestHelmReleaseNamespace(t *testing.T) {
	set, err := Load(context.Background(), []string{"../testdata/helm/secrets"}, Options{Helm: HelmOptions{Namespace: "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) == 0 {
		t.Fatal("nothing rendered")
	}
	for _, o := range set.Objects {
		if o.Namespace != "" {
			t.Errorf("%s/%s: namespace %q written by the template", o.Kind, o.Name, o.Namespace)
		}
		if got := o.EffectiveNamespace(); got != "shop" {
			t.Errorf("%s/%s lands in %q, want the release namespace shop", o.Kind, o.Name, got)
		}
	}
}

// TestSkippedDirs: vendor/ is read unless it is Go's module vendor
// directory; node_modules/, .git/ and excluded directories are not; each
// directory passed over is listed with its reason.
func TestSkippedDirs(t *testing.T) {
	dir := t.TempDir()
	pod := func(name string) []byte {
		return []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n    - name: c\n      image: x\n")
	}
	write(t, dir, "deploy/vendor/pod.yaml", pod("vendored"))
	write(t, dir, "vendor/modules.txt", []byte("# golang.org/x/text v0.3.0\n"))
	write(t, dir, "vendor/golang.org/x/text/pod.yaml", pod("go-module"))
	write(t, dir, "web/node_modules/pkg/pod.yaml", pod("npm"))
	write(t, dir, ".git/pod.yaml", pod("git"))
	write(t, dir, "old/pod.yaml", pod("old"))
	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir, Exclude: []string{"old"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range set.Objects {
		names = append(names, o.Ref().Name)
	}
	if strings.Join(names, ",") != "vendored" {
		t.Errorf("objects read: %q, want only the one under deploy/vendor/", names)
	}
	var skipped []string
	for _, s := range set.Skipped {
		skipped = append(skipped, s.Dir+": "+s.Reason)
	}
	want := []string{
		".git: git's own data",
		"old: excluded by the configuration",
		"vendor: Go's module vendor directory (it holds modules.txt)",
		"web/node_modules: npm packages",
	}
	if strings.Join(skipped, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(skipped, "\n"), strings.Join(want, "\n"))
	}
}

// TestNotManifests: files that parse (YAML, JSON indented with tabs) but
// hold no apiVersion and kind are counted and give no problem; a JSON
// manifest indented with tabs is read, at its lines.
func TestNotManifests(t *testing.T) {
	set, err := Load(context.Background(), []string{"."}, Options{Dir: filepath.Join("..", "testdata", "inputs", "not-kubernetes")})
	if err != nil {
		t.Fatal(err)
	}
	if set.NotManifests != 2 || len(set.Problems) != 0 || len(set.Objects) != 0 {
		t.Errorf("%d not manifests, problems %+v, %d objects; want 2, none, none", set.NotManifests, set.Problems, len(set.Objects))
	}
	objs, probs := Parse("pod.json", []byte("{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\"name\": \"p\"},\n\t\"spec\": {\"hostPID\": true}\n}\n"))
	if len(probs) != 0 || len(objs) != 1 {
		t.Fatalf("%d objects, problems %+v", len(objs), probs)
	}
	if pos, _ := objs[0].Pos("spec.hostPID"); pos.Line != 5 || pos.Column != 11 {
		t.Errorf("spec.hostPID at %s, want 5:11", pos)
	}
}
