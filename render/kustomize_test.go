package render

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	write(t, bin, "git", []byte(script))
	os.Chmod(filepath.Join(bin, "git"), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	home := t.TempDir()
	for _, p := range []string{"someteam.example.com/v1/chartinflator/ChartInflator"} {
		write(t, home, p, []byte(script))
		os.Chmod(filepath.Join(home, p), 0o755)
	}
	t.Setenv("KUSTOMIZE_PLUGIN_HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	return ran
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
	}{
		{name: "escaping resource path", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - ../../outside/secret.yaml\n",
		}, file: "app/kustomization.yaml", line: 2, text: "leaves the scanned tree"},
		{name: "escaping base", files: map[string]string{
			"app/kustomization.yaml": "resources:\n  - deployment.yaml\n  - ../../outside\n",
			"app/deployment.yaml":    kustDeployment,
		}, file: "app/kustomization.yaml", line: 3, text: "leaves the scanned tree"},
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
			problemAt(t, set, c.file, c.line, Invalid, c.text)
			if _, err := os.Stat(ran); err == nil {
				data, _ := os.ReadFile(ran)
				t.Errorf("a program ran during the scan: %s", data)
			}
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
	problemAt(t, set, "charts/kustomization.yaml", 3, Skipped, "not rendered yet")
	cycle := false
	for _, p := range set.Problems {
		cycle = cycle || strings.HasPrefix(p.Pos.File, "cycle-")
	}
	if !cycle {
		t.Errorf("no problem for the cycle: %+v", set.Problems)
	}
	roots := map[string]bool{}
	for _, o := range set.Objects {
		if o.Source.Kind != "kustomize" || o.File != o.Source.Root+"/deployment.yaml" {
			t.Errorf("object %s/%s from %s (%s)", o.Kind, o.Name, o.File, o.Source.Kind)
		}
		roots[o.Source.Root] = true
	}
	// charts built without its chart; base built on its own for the two
	// overlays that fail.
	if !roots["charts"] || !roots["base"] {
		t.Errorf("roots built: %v", roots)
	}
	for _, tx := range set.Texts {
		if tx.File == "base/kustomization.yaml" {
			return
		}
	}
	t.Errorf("kustomization.yaml text not kept for secret detection")
}
