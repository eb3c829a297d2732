package render

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const marker = "MARKER-outside-the-tree-7f3a"

const kustDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:1.0.0
`

// tripwires make any network fetch, git clone or plugin execution fail
// the test: an HTTP proxy that fails when hit, a git and a plugin home
// whose programs leave a file behind.
func tripwires(t *testing.T) (ran string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("network request during a scan: %s %s", r.Method, r.URL)
		http.Error(w, "no", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(v, srv.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	bin := t.TempDir()
	ran = filepath.Join(t.TempDir(), "ran")
	script := "#!/bin/sh\necho \"$0 $*\" >> " + ran + "\ncat >/dev/null\n"
	for _, prog := range []string{"git", "helm"} {
		write(t, bin, prog, []byte(script))
		if err := os.Chmod(filepath.Join(bin, prog), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	home := t.TempDir()
	for _, p := range []string{"someteam.example.com/v1/chartinflator/ChartInflator"} {
		write(t, home, p, []byte(script))
		if err := os.Chmod(filepath.Join(home, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUSTOMIZE_PLUGIN_HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	return ran
}

// noRun fails when a tripwire program ran.
func noRun(t *testing.T, ran string) {
	t.Helper()
	if data, err := os.ReadFile(ran); err == nil {
		t.Errorf("a program ran during the scan: %s", data)
	}
}

// outside puts a marker file beside the scanned tree and returns the tree.
func outside(t *testing.T) (tree, out string) {
	t.Helper()
	top := t.TempDir()
	out = filepath.Join(top, "outside")
	write(t, out, "secret.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+marker+"\ndata:\n  k: "+marker+"\n"))
	write(t, out, "kustomization.yaml", []byte("resources:\n  - secret.yaml\n"))
	tree = filepath.Join(top, "repo")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	return tree, out
}

func loadTree(t *testing.T, dir string) *Set {
	t.Helper()
	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// neverRead fails when the marker appears in anything the scan produced.
func neverRead(t *testing.T, set *Set) {
	t.Helper()
	for _, o := range set.Objects {
		if o.Name == marker || strings.Contains(o.String("data.k"), marker) {
			t.Errorf("object %s/%s was read from outside the tree", o.Kind, o.Name)
		}
	}
	for _, tx := range set.Texts {
		if strings.Contains(string(tx.Data), marker) {
			t.Errorf("text of %s holds content from outside the tree", tx.File)
		}
	}
}

func problemAt(t *testing.T, set *Set, file string, line int, kind ProblemKind, text string) {
	t.Helper()
	for _, p := range set.Problems {
		if p.Pos.File == file && p.Pos.Line == line && p.Kind == kind && strings.Contains(p.Message, text) {
			return
		}
	}
	t.Errorf("no %s problem at %s:%d containing %q; problems: %+v", kind, file, line, text, set.Problems)
}

// TestKustomizeSafety: untrusted kustomizations cannot read outside the
// scanned tree, fetch, clone or run anything; each attempt is a located
// problem, and the rest of the tree is still scanned.
func TestKustomizeSafety(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		link  [2]string // a symbolic link to make: name in the tree, target outside
		file  string
		line  int
		text  string
		kind  ProblemKind
	}{
		{name: "kustomization linked out of the tree", files: map[string]string{
			"app/deployment.yaml": kustDeployment,
		}, link: [2]string{"app/kustomization.yaml", "kustomization.yaml"}, file: "app/kustomization.yaml", line: 1, text: "symbolic link", kind: Skipped},

		{name: "escaping resource path", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - ../../outside/secret.yaml\n",
		}, file: "app/kustomization.yaml", line: 2, text: "leaves the repository"},
		{name: "escaping base", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\n  - ../../outside\n",
			"app/deployment.yaml":    kustDeployment,
		}, file: "app/kustomization.yaml", line: 3, text: "leaves the repository"},
		{name: "symbolic link out of the tree", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\n  - linked.yaml\n",
			"app/deployment.yaml":    kustDeployment,
		}, link: [2]string{"app/linked.yaml", "secret.yaml"}, file: "app/kustomization.yaml", line: 3, text: "symbolic link that leaves"},
		{name: "symbolic link to a directory out of the tree", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - linked\n",
		}, link: [2]string{"app/linked", "."}, file: "app/kustomization.yaml", line: 2, text: "symbolic link that leaves"},
		{name: "remote resource", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\n  - https://example.com/manifests/app.yaml\n",
			"app/deployment.yaml":    kustDeployment,
		}, file: "app/kustomization.yaml", line: 3, text: "remote resource"},
		{name: "remote git base", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - github.com/example/repo//deploy/base?ref=v1.0.0\n",
		}, file: "app/kustomization.yaml", line: 2, text: "remote resource"},
		{name: "remote base in a base", files: map[string]string{
			"overlay/kustomization.yaml": "resources:\n  - ../base\n",
			"base/kustomization.yaml":    "resources:\n  - git@github.com:example/repo.git//base\n",
		}, file: "base/kustomization.yaml", line: 2, text: "remote resource"},
		{name: "remote patch", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\npatches:\n  - path: https://example.com/patch.yaml\n",
			"app/deployment.yaml":    kustDeployment,
		}, file: "app/kustomization.yaml", line: 4, text: "remote patch"},
		{name: "built-in transformer with a remote patch", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\ntransformers:\n  - patch.yaml\n",
			"app/deployment.yaml":    kustDeployment,
			"app/patch.yaml":         "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: https://example.com/patch.yaml\ntarget:\n  kind: Deployment\n",
		}, file: "app/kustomization.yaml", line: 4, text: "remote file"},
		{name: "exec function", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\ntransformers:\n  - fn.yaml\n",
			"app/deployment.yaml":    kustDeployment,
			"app/fn.yaml": "apiVersion: example.com/v1\nkind: Mutator\nmetadata:\n  name: m\n  annotations:\n" +
				"    config.kubernetes.io/function: |\n      exec:\n        path: ./run.sh\n",
			"app/run.sh": "#!/bin/sh\ntouch ran-exec\n",
		}, file: "app/kustomization.yaml", line: 4, text: "exec KRM function"},
		{name: "container function", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\ngenerators:\n  - |-\n    apiVersion: example.com/v1\n    kind: Gen\n    metadata:\n      name: g\n      annotations:\n        config.kubernetes.io/function: |\n          container:\n            image: example.com/gen:1\n",
			"app/deployment.yaml":    kustDeployment,
		}, file: "app/kustomization.yaml", line: 4, text: "container KRM function"},
		{name: "Helm chart not vendored", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\nhelmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 1.2.3\n",
			"app/deployment.yaml":    kustDeployment,
		}, file: "app/kustomization.yaml", line: 4, text: "not vendored at charts/redis-1.2.3/redis; kubeharden never downloads charts or runs helm, so this kustomization is not built (vendor the chart: helm pull redis --repo https://charts.example.com --version 1.2.3 --untar --untardir charts/redis-1.2.3)"},
		{name: "Helm chart home out of the tree", files: map[string]string{
			"app/kustomization.yaml": "helmGlobals:\n  chartHome: ../../outside\nhelmCharts:\n  - name: web\n",
		}, file: "app/kustomization.yaml", line: 2, text: "leaves the repository"},
		{name: "Helm chart home absolute", files: map[string]string{
			"app/kustomization.yaml": "helmGlobals:\n  chartHome: /etc\nhelmCharts:\n  - name: web\n",
		}, file: "app/kustomization.yaml", line: 2, text: "absolute path"},
		{name: "Helm values file out of the tree", files: map[string]string{
			"app/kustomization.yaml":          "helmCharts:\n  - name: web\n    valuesFile: ../../outside/secret.yaml\n",
			"app/charts/web/Chart.yaml":       "apiVersion: v2\nname: web\nversion: 1.0.0\n",
			"app/charts/web/templates/a.yaml": configMap,
		}, file: "app/kustomization.yaml", line: 3, text: "leaves the repository"},
		{name: "remote Helm values file", files: map[string]string{
			"app/kustomization.yaml":          "helmCharts:\n  - name: web\n    additionalValuesFiles:\n      - https://example.com/values.yaml\n",
			"app/charts/web/Chart.yaml":       "apiVersion: v2\nname: web\nversion: 1.0.0\n",
			"app/charts/web/templates/a.yaml": configMap,
		}, file: "app/kustomization.yaml", line: 4, text: "remote values file"},
		{name: "Helm chart with a link out of the tree", files: map[string]string{
			"app/kustomization.yaml":          "helmCharts:\n  - name: web\n",
			"app/charts/web/Chart.yaml":       "apiVersion: v2\nname: web\nversion: 1.0.0\n",
			"app/charts/web/templates/a.yaml": configMap,
		}, link: [2]string{"app/charts/web/templates/leak.yaml", "secret.yaml"}, file: "app/charts/web/templates/leak.yaml", line: 1, text: "symbolic link that leaves its Helm chart"},
		{name: "legacy plugin", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\ngenerators:\n  - chart.yaml\n",
			"app/deployment.yaml":    kustDeployment,
			"app/chart.yaml":         "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: c\n",
		}, file: "app/kustomization.yaml", line: 4, text: "legacy plugin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ran := tripwires(t)
			tree, out := outside(t)
			for name, data := range c.files {
				write(t, tree, name, []byte(data))
			}
			if c.link[0] != "" {
				if err := os.Symlink(filepath.Join(out, c.link[1]), filepath.Join(tree, c.link[0])); err != nil {
					t.Fatal(err)
				}
			}
			write(t, tree, "plain/cm.yaml", []byte(configMap))
			set := loadTree(t, tree)
			neverRead(t, set)
			if c.kind == "" {
				c.kind = Invalid
			}
			problemAt(t, set, c.file, c.line, c.kind, c.text)
			noRun(t, ran)
			if _, err := os.Stat(filepath.Join(tree, "app", "ran-exec")); err == nil {
				t.Errorf("the exec function ran")
			}
			found := false
			for _, o := range set.Objects {
				found = found || (o.Kind == "ConfigMap" && o.Name == "ok" && o.File == "plain/cm.yaml")
			}
			if !found {
				t.Errorf("the plain manifest beside the kustomization was not scanned")
			}
		})
	}
}

// TestKustomizeBuildProblems: a kustomization that does not build is a
// problem at the entry involved, with kustomize's message; the bases it
// uses are still built on their own.
func TestKustomizeBuildProblems(t *testing.T) {
	tripwires(t)
	dir := t.TempDir()
	write(t, dir, "base/kustomization.yaml", []byte("resources:\n  - deployment.yaml\n"))
	write(t, dir, "base/deployment.yaml", []byte(kustDeployment))
	write(t, dir, "missing/kustomization.yaml", []byte("resources:\n  - ../base\n  - nothere.yaml\n"))
	write(t, dir, "badpatch/kustomization.yaml", []byte("resources:\n  - ../base\npatches:\n  - path: gone.yaml\n"))
	write(t, dir, "cycle-a/kustomization.yaml", []byte("resources:\n  - ../cycle-b\n"))
	write(t, dir, "cycle-b/kustomization.yaml", []byte("resources:\n  - ../cycle-a\n"))
	write(t, dir, "charts/kustomization.yaml", []byte("resources:\n  - deployment.yaml\nhelmCharts:\n  - name: redis\n    repo: https://charts.example.com\n"))
	write(t, dir, "charts/deployment.yaml", []byte(kustDeployment))
	set := loadTree(t, dir)
	problemAt(t, set, "missing/kustomization.yaml", 3, Invalid, "nothere.yaml")
	problemAt(t, set, "badpatch/kustomization.yaml", 4, Invalid, "gone.yaml")
	problemAt(t, set, "charts/kustomization.yaml", 4, Invalid, "not vendored")
	cycle := false
	for _, p := range set.Problems {
		cycle = cycle || strings.HasPrefix(p.Pos.File, "cycle-")
	}
	if !cycle {
		t.Errorf("no problem for the cycle: %+v", set.Problems)
	}
	roots := map[string]bool{}
	for _, o := range set.Objects {
		if o.File == "charts/deployment.yaml" && o.Source.Kind == "file" {
			continue // its kustomization does not build: checked as it is
		}
		if o.Source.Kind != "kustomize" || o.File != o.Source.Root+"/deployment.yaml" {
			t.Errorf("object %s/%s from %s (%s)", o.Kind, o.Name, o.File, o.Source.Kind)
		}
		roots[o.Source.Root] = true
	}
	// base built on its own for the two overlays that fail.
	if !roots["base"] || len(roots) != 1 {
		t.Errorf("roots built: %v", roots)
	}
	for _, tx := range set.Texts {
		if tx.File == "base/kustomization.yaml" {
			return
		}
	}
	t.Errorf("kustomization.yaml text not kept for secret detection")
}

// TestKustomizeLocations: each field of a built object points at the line
// that set it: the base file, a patch, a transformer or generator entry.
func TestKustomizeLocations(t *testing.T) {
	tripwires(t)
	dir := t.TempDir()
	write(t, dir, "base/kustomization.yaml", []byte("resources:\n  - deployment.yaml\n"))
	write(t, dir, "base/deployment.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: side
          image: side:1.0.0
        - name: app
          image: app:1.0.0
          securityContext:
            runAsUser: 1000
`))
	write(t, dir, "prod/kustomization.yaml", []byte(`resources:
  - ../base
namePrefix: prod-
namespace: shop
commonLabels:
  team: payments
replicas:
  - name: web
    count: 3
patchesStrategicMerge:
  - user.yaml
configMapGenerator:
  - name: settings
    literals:
      - MODE=fast
    files:
      - app.properties
    envs:
      - extra.env
secretGenerator:
  - name: creds
    literals:
      - token=abc
    env: creds.env
`))
	write(t, dir, "prod/user.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          securityContext:
            runAsUser: 0
`))
	write(t, dir, "prod/app.properties", []byte("a=b\n"))
	write(t, dir, "prod/extra.env", []byte("# from the environment\nOTHER=x\nFROM_ENV=1\n"))
	write(t, dir, "prod/creds.env", []byte("user=u\npass=p\n"))
	set := loadTree(t, dir)
	if len(set.Problems) != 0 {
		t.Fatalf("problems: %+v", set.Problems)
	}
	byKind := map[string]*Object{}
	for _, o := range set.Objects {
		byKind[o.Kind] = o
		if o.Source.Kind != "kustomize" || o.Source.Root != "prod" {
			t.Errorf("%s source %+v", o.Kind, o.Source)
		}
	}
	// The strategic merge puts the patched container first.
	app, side := "containers[0]", "containers[1]"
	if byKind["Deployment"].String("spec.template.spec.containers[0].name") != "app" {
		app, side = side, app
	}
	for _, c := range []struct {
		kind, path, file string
		line             int
		related          string
	}{
		{"Deployment", "", "base/deployment.yaml", 1, ""},
		{"Deployment", "spec.template.spec." + app + ".image", "base/deployment.yaml", 13, ""},
		{"Deployment", "spec.template.spec." + app + ".securityContext.runAsUser", "prod/user.yaml", 11, "base: base/deployment.yaml:15"},
		{"Deployment", "spec.template.spec." + side + ".name", "base/deployment.yaml", 10, ""},
		{"Deployment", "spec.replicas", "prod/kustomization.yaml", 9, "base: base/deployment.yaml:6"},
		{"Deployment", "metadata.name", "prod/kustomization.yaml", 3, "base: base/deployment.yaml:4"},
		{"Deployment", "metadata.namespace", "prod/kustomization.yaml", 4, ""},
		{"Deployment", "metadata.labels.team", "prod/kustomization.yaml", 6, ""},
		{"ConfigMap", "", "prod/kustomization.yaml", 13, ""},
		{"ConfigMap", "data.MODE", "prod/kustomization.yaml", 15, ""},
		{"ConfigMap", `data["app.properties"]`, "prod/kustomization.yaml", 17, ""},
		{"ConfigMap", "data.FROM_ENV", "prod/extra.env", 3, ""},
		{"Secret", "data.token", "prod/kustomization.yaml", 23, ""},
		{"Secret", "data.pass", "prod/creds.env", 2, ""},
	} {
		o := byKind[c.kind]
		if o == nil {
			t.Fatalf("no %s built", c.kind)
		}
		l := o.Locate(c.path)
		if l.File != c.file || l.Line != c.line {
			t.Errorf("%s %s: at %s:%d, want %s:%d", c.kind, c.path, l.File, l.Line, c.file, c.line)
		}
		rel := ""
		if len(l.Related) > 0 {
			rel = l.Related[0].Message
		}
		if rel != c.related {
			t.Errorf("%s %s: related %q, want %q", c.kind, c.path, rel, c.related)
		}
	}
	// Built nodes carry the lines of their own file, as parsed ones do.
	for _, c := range []struct {
		kind, path string
		line       int
	}{{"ConfigMap", "data.MODE", 15}, {"Deployment", "spec.template.spec." + side + ".image", 11}, {"Deployment", "spec.replicas", 6}, {"Deployment", "metadata.namespace", 0}} {
		segs, _ := ParsePath(c.path)
		if m, _ := Resolve(byKind[c.kind].Node, segs); m.Line != c.line {
			t.Errorf("%s %s: node line %d, want %d", c.kind, c.path, m.Line, c.line)
		}
	}
	if byKind["Deployment"].File != "base/deployment.yaml" || byKind["ConfigMap"].File != "prod/kustomization.yaml" {
		t.Errorf("object files %s, %s", byKind["Deployment"].File, byKind["ConfigMap"].File)
	}
	for _, f := range []string{"prod/user.yaml", "prod/app.properties", "prod/extra.env", "prod/kustomization.yaml", "base/deployment.yaml"} {
		if !slices.ContainsFunc(set.Texts, func(tx Text) bool { return tx.File == f }) {
			t.Errorf("no text for %s", f)
		}
	}
}

// TestKustomizeSharedBase: a base built through two overlays gives two
// objects that locate a base field at the same line, told apart by their
// root, which is what merging findings across overlays keys on.
func TestKustomizeSharedBase(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "base/kustomization.yaml", []byte("resources:\n  - deployment.yaml\n"))
	write(t, dir, "base/deployment.yaml", []byte(kustDeployment))
	write(t, dir, "a/kustomization.yaml", []byte("namespace: a\nresources:\n  - ../base\n"))
	write(t, dir, "b/kustomization.yaml", []byte("namespace: b\nresources:\n  - ../base\n"))
	set := loadTree(t, dir)
	var locs []Location
	roots := map[string]bool{}
	for _, o := range set.Objects {
		locs = append(locs, o.Locate("spec.template.spec.containers[0].image"))
		roots[o.Source.Root] = true
	}
	if len(locs) != 2 || !roots["a"] || !roots["b"] || locs[0].Pos != locs[1].Pos || locs[0].Pos != (Pos{File: "base/deployment.yaml", Line: 10, Column: 11}) {
		t.Errorf("roots %v, locations %+v", roots, locs)
	}
	if set.Files != 4 {
		t.Errorf("files %d, want 4 (each read once)", set.Files)
	}
}

// TestKustomizeRepositoryRoot: scanning an overlay's directory builds it
// with its base beside it in the same repository; a path out of the
// repository is still refused.
func TestKustomizeRepositoryRoot(t *testing.T) {
	tripwires(t)
	tree, _ := outside(t)
	if err := os.Mkdir(filepath.Join(tree, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, tree, "deploy/base/kustomization.yaml", []byte("resources:\n  - deployment.yaml\n"))
	write(t, tree, "deploy/base/deployment.yaml", []byte(kustDeployment))
	write(t, tree, "deploy/prod/kustomization.yaml", []byte("resources:\n  - ../base\n  - cm.yaml\n"))
	// A link between directories of the repository is followed.
	write(t, tree, "shared/cm.yaml", []byte(configMap))
	if err := os.Symlink("../../shared/cm.yaml", filepath.Join(tree, "deploy/prod/cm.yaml")); err != nil {
		t.Fatal(err)
	}
	write(t, tree, "deploy/leak/kustomization.yaml", []byte("resources:\n  - ../../../outside\n"))
	for _, dir := range []string{"deploy/prod", "deploy/leak"} {
		set, err := Load(context.Background(), []string{dir}, Options{Dir: tree})
		if err != nil {
			t.Fatal(err)
		}
		neverRead(t, set)
		if dir == "deploy/prod" {
			files := map[string]string{}
			for _, o := range set.Objects {
				files[o.Kind] = o.File + " " + o.Source.Root
			}
			if len(set.Objects) != 2 || files["Deployment"] != "deploy/base/deployment.yaml deploy/prod" ||
				files["ConfigMap"] != "deploy/prod/cm.yaml deploy/prod" || len(set.Problems) != 0 {
				t.Errorf("%s: objects %v, problems %+v", dir, refs(set.Objects), set.Problems)
			}
			continue
		}
		problemAt(t, set, "deploy/leak/kustomization.yaml", 2, Invalid, "leaves the repository")
	}
}

// TestKustomizeValueSources: a value a replacement or a legacy var
// brings is located at its source field (a resource's line, a generator
// literal), with the replacement or var and the target as related.
func TestKustomizeValueSources(t *testing.T) {
	tripwires(t)
	dir := t.TempDir()
	write(t, dir, "base/kustomization.yaml", []byte("resources:\n  - deployment.yaml\n"))
	write(t, dir, "base/deployment.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:1.0.0
          env:
            - name: DB_HOST
              value: $(DB_HOST)
            - name: MODE
              value: slow
`))
	write(t, dir, "prod/kustomization.yaml", []byte(`resources:
  - ../base
  - db.yaml
configMapGenerator:
  - name: flags
    literals:
      - MODE=fast
vars:
  - name: DB_HOST
    objref:
      kind: ConfigMap
      name: db
      apiVersion: v1
    fieldref:
      fieldpath: data.host
replacements:
  - source:
      kind: ConfigMap
      name: db
      fieldPath: data.tag
    targets:
      - select:
          kind: Deployment
        fieldPaths:
          - spec.template.spec.containers.[name=app].image
        options:
          delimiter: ":"
          index: 1
  - source:
      kind: ConfigMap
      name: flags
      fieldPath: data.MODE
    targets:
      - select:
          kind: Deployment
        fieldPaths:
          - spec.template.spec.containers.[name=app].env.[name=MODE].value
`))
	write(t, dir, "prod/db.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: db
data:
  host: db.internal
  tag: latest
`))
	set := loadTree(t, dir)
	if len(set.Problems) != 0 {
		t.Fatalf("problems: %+v", set.Problems)
	}
	var o *Object
	for _, x := range set.Objects {
		if x.Kind == "Deployment" {
			o = x
		}
	}
	if o == nil {
		t.Fatal("no Deployment built")
	}
	for _, c := range []struct {
		path, value, at string
		related         []string
	}{
		{"spec.template.spec.containers[0].image", "app:latest", "prod/db.yaml:7",
			[]string{"replacement: prod/kustomization.yaml:17", "target: base/deployment.yaml:10"}},
		{"spec.template.spec.containers[0].env[1].value", "fast", "prod/kustomization.yaml:7",
			[]string{"replacement: prod/kustomization.yaml:29", "target: base/deployment.yaml:15"}},
		{"spec.template.spec.containers[0].env[0].value", "db.internal", "prod/db.yaml:6",
			[]string{"var DB_HOST: prod/kustomization.yaml:9", "target: base/deployment.yaml:13"}},
	} {
		if got := o.String(c.path); got != c.value {
			t.Fatalf("%s = %q, want %q", c.path, got, c.value)
		}
		l := o.Locate(c.path)
		var rel []string
		for _, r := range l.Related {
			rel = append(rel, r.Message)
		}
		if at := fmt.Sprintf("%s:%d", l.File, l.Line); at != c.at || !slices.Equal(rel, c.related) || l.Approx {
			t.Errorf("%s: at %s %q (approx %v), want %s %q", c.path, at, rel, l.Approx, c.at, c.related)
		}
	}
}

// TestKustomizeObjectsLimit: a root whose overlays multiply a base past
// the scan's object limit is stopped while kustomize accumulates it (the
// problem counts what it held then, far below the 160 objects it would
// build), one that exceeds the limit only through its generators is
// refused once built, before its positions are mapped; both are a
// located skipped problem on the root, the roots before them are
// checked and the inputs after them dropped.
func TestKustomizeObjectsLimit(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".git/HEAD", []byte("ref: refs/heads/main\n")) // the repository the roots' bases are in
	write(t, dir, "base/kustomization.yaml", []byte("resources:\n  - cms.yaml\n"))
	write(t, dir, "base/cms.yaml", []byte(configMaps(0, 10)))
	write(t, dir, "small/kustomization.yaml", []byte("namePrefix: s-\nresources:\n  - ../base\n"))
	var top strings.Builder
	top.WriteString("resources:\n")
	for i := 0; i < 4; i++ {
		write(t, dir, fmt.Sprintf("mid/m%d/kustomization.yaml", i), []byte(fmt.Sprintf("namePrefix: m%d-\nresources:\n  - ../../base\n", i)))
		var mid strings.Builder
		fmt.Fprintf(&mid, "namePrefix: t%d-\nresources:\n", i)
		for j := 0; j < 4; j++ {
			fmt.Fprintf(&mid, "  - ../../mid/m%d\n", j)
		}
		write(t, dir, fmt.Sprintf("tops/t%d/kustomization.yaml", i), []byte(mid.String()))
		fmt.Fprintf(&top, "  - ../tops/t%d\n", i)
	}
	write(t, dir, "top/kustomization.yaml", []byte(top.String()))
	var gen strings.Builder
	gen.WriteString("namePrefix: g-\nresources:\n  - ../base\nconfigMapGenerator:\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&gen, "  - name: gen-%d\n    literals:\n      - k=v\n", i)
	}
	write(t, dir, "gen/kustomization.yaml", []byte(gen.String()))
	write(t, dir, "plain.yaml", []byte(configMaps(0, 1)))

	for _, c := range []struct {
		name    string
		scan    []string
		limit   int
		root    string
		message string
		objects int
	}{
		{"stopped while built", []string{"small", "top", "plain.yaml"}, 50, "top/kustomization.yaml", "this input holds at least 41 objects (it was stopped there); it and the 1 inputs after it", 10},
		{"refused once built", []string{"small", "gen", "plain.yaml"}, 25, "gen/kustomization.yaml", "the 16 objects of this input and the 1 inputs after it", 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			set, err := Load(context.Background(), c.scan, Options{Dir: dir, Limits: Limits{Objects: c.limit}})
			if err != nil {
				t.Fatal(err)
			}
			p := onlyProblem(t, set, c.root)
			if p.Kind != Skipped || p.Pos.Line != 1 || !strings.Contains(p.Message, fmt.Sprintf("limit of %d objects", c.limit)) || !strings.Contains(p.Message, c.message) {
				t.Errorf("problem = %+v; want skipped at line 1 saying %q", p, c.message)
			}
			if len(set.Objects) != c.objects {
				t.Errorf("%d objects; want the %d of small", len(set.Objects), c.objects)
			}
			for _, o := range set.Objects {
				if o.Source.Root != "small" {
					t.Errorf("object %s of root %q checked", o.Name, o.Source.Root)
				}
			}
		})
	}
}
