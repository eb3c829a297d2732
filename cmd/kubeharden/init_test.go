package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// initTestRepo writes a repository with a chart (values-prod.yaml beside
// values.yaml, and a subchart), a kustomize base and an overlay of it.
func initTestRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		".git/HEAD":                     "ref: refs/heads/trunk\n",
		"charts/web/Chart.yaml":         "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":        "replicas: 1\n",
		"charts/web/values-prod.yaml":   "replicas: 3\n",
		"charts/web/values.schema.json": "{}\n",
		"charts/web/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
		"charts/web/charts/sub/Chart.yaml":        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"charts/web/charts/sub/values-other.yaml": "x: 1\n",
		"deploy/base/kustomization.yaml":          "resources: [service.yaml]\n",
		"deploy/base/service.yaml":                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n",
		// The overlay's nested kustomization is one of its own resources.
		"deploy/overlays/prod/kustomization.yaml":         "resources:\n  - ../../base\n  - ignored\nnamespace: prod\n",
		"node_modules/chart/Chart.yaml":                   "apiVersion: v2\nname: ignored\nversion: 0.1.0\n",
		"deploy/overlays/prod/ignored/kustomization.yaml": "resources: []\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestInit: kubeharden init on a repository with a chart and an overlay
// writes a config the scan loads, whose value sets name files that exist,
// and a workflow that parses, has the permissions the action needs and
// passes actionlint; a second run changes nothing.
func TestInit(t *testing.T) {
	dir := initTestRepo(t)
	out, _, code := runWorkspace(t, dir, "init")
	if code != 0 || !strings.Contains(out, "wrote .kubeharden.yaml") || !strings.Contains(out, "wrote .github/workflows/kubeharden.yml") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	// The config, through the scan's own loader (unknown fields are errors).
	fc, err := loadConfig(filepath.Join(dir, ".kubeharden.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Helm.ValueSets) != 1 {
		t.Errorf("value sets for %d charts, want charts/web only: %+v", len(fc.Helm.ValueSets), fc.Helm.ValueSets)
	}
	sets := fc.Helm.ValueSets["charts/web"]
	var names []string
	for _, vs := range sets {
		names = append(names, vs.Name)
		for _, f := range vs.Files {
			if _, err := os.Stat(filepath.Join(dir, "charts/web", f)); err != nil {
				t.Errorf("value set %s: %v", vs.Name, err)
			}
		}
	}
	if !slices.Equal(names, []string{"default", "prod"}) || len(sets) != 2 || !slices.Equal(sets[1].Files, []string{"values-prod.yaml"}) {
		t.Errorf("value sets of charts/web: %+v", sets)
	}
	if _, err := fc.helmOptions("", "", "", "", "", nil, nil, nil); err != nil {
		t.Errorf("the scan refuses the value sets: %v", err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, ".kubeharden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg), "#   deploy/overlays/prod\n") || strings.Contains(string(cfg), "#   deploy/base\n") || strings.Contains(string(cfg), "ignored\n") {
		t.Errorf("overlays listed in the config: want deploy/overlays/prod alone:\n%s", cfg)
	}

	// The scan renders the chart with both value sets.
	report, _, code := runWorkspace(t, dir, "scan", "--format", "json", "--fail-on", "none", ".")
	if code != 0 || strings.Contains(report, `"invalid-input"`) || !strings.Contains(report, `"prod"`) {
		t.Errorf("scan with the written config: exit %d\n%s", code, report)
	}

	// The workflow.
	wfPath := filepath.Join(dir, ".github/workflows/kubeharden.yml")
	data, err := os.ReadFile(wfPath)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On   map[string]map[string][]string `yaml:"on"`
		Jobs map[string]struct {
			Permissions map[string]string
			Steps       []struct{ Uses string }
		}
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("workflow: %v\n%s", err, data)
	}
	if _, ok := wf.On["pull_request"]; !ok || !slices.Equal(wf.On["push"]["branches"], []string{"trunk"}) {
		t.Errorf("on: %v: want pull_request, and pushes to the checked-out branch trunk", wf.On)
	}
	job := wf.Jobs["kubeharden"]
	want := map[string]string{"contents": "read", "pull-requests": "write", "security-events": "write"}
	for k, v := range want {
		if job.Permissions[k] != v {
			t.Errorf("permissions %v: want %s: %s", job.Permissions, k, v)
		}
	}
	if !slices.ContainsFunc(job.Steps, func(s struct{ Uses string }) bool { return s.Uses == "kubeharden/kubeharden@v1" }) {
		t.Errorf("steps %+v: want kubeharden/kubeharden@v1", job.Steps)
	}
	actionlint(t, wfPath)

	// A second run writes nothing.
	before := snapshotTree(t, dir)
	out, _, code = runWorkspace(t, dir, "init")
	if code != 0 || strings.Contains(out, "wrote") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	if after := snapshotTree(t, dir); !bytes.Equal(before, after) {
		t.Error("the second run changed the repository")
	}
}

// TestInitKeepsFiles: a repository's own config and workflow are never
// overwritten, and a repository without charts gets a config without them.
func TestInitKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	mine := "failOn: warning\n"
	if err := os.WriteFile(filepath.Join(dir, ".kubeharden.yaml"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runWorkspace(t, dir, "init")
	if code != 0 || !strings.Contains(out, "kept .kubeharden.yaml") || !strings.Contains(out, "wrote .github/workflows/kubeharden.yml") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".kubeharden.yaml")); string(data) != mine {
		t.Errorf("the config was overwritten:\n%s", data)
	}
	empty := t.TempDir()
	if _, _, code := runWorkspace(t, empty, "init"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	fc, err := loadConfig(filepath.Join(empty, ".kubeharden.yaml"), true)
	if err != nil || len(fc.Helm.ValueSets) != 0 {
		t.Errorf("config of a repository without charts: %+v, %v", fc.Helm, err)
	}
	if _, _, code := runWorkspace(t, empty, "init", "a", "b"); code != exitUsage {
		t.Errorf("init with two directories: exit %d", code)
	}
}

// actionlint runs actionlint over a workflow when it is installed (.ci/run
// puts it on PATH); CI must have it.
func actionlint(t *testing.T, file string) {
	t.Helper()
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and actionlint is not on PATH")
		}
		t.Log("actionlint is not on PATH: the workflow is not linted")
		return
	}
	out, err := exec.Command(bin, "-no-color", file).CombinedOutput()
	if err != nil {
		t.Errorf("actionlint %s: %v\n%s", file, err, out)
	}
}

// snapshotTree is every file's path and content under dir.
func snapshotTree(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		b.WriteString(p + "\n")
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
