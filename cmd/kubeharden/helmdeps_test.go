package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelmDependenciesSetting: helm.dependencies in .kubeharden.yaml and
// --helm-dependencies turn fetching on (here a file:// dependency inside
// the repository, rendered with its parent), off leaves the finding with
// the hint, and any other value is a usage error.
func TestHelmDependenciesSetting(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"app/Chart.yaml":         "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n",
		"app/values.yaml":        "{}\n",
		"lib/Chart.yaml":         "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
		"lib/values.yaml":        "{}\n",
		"lib/templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lib\nspec:\n  containers:\n    - name: a\n      image: nginx:1.27\n      securityContext: {privileged: true}\n",
		"other/.kubeharden.yaml": "helm:\n  dependencies: fetch\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const missing = "which is not vendored"
	out, _, _ := runWorkspace(t, dir, "scan", "--format", "json", "app")
	if !strings.Contains(out, missing) || !strings.Contains(out, "--helm-dependencies fetch") {
		t.Errorf("off by default: want the missing dependency with the hint:\n%s", out)
	}
	out, _, _ = runWorkspace(t, dir, "scan", "--format", "json", "--helm-dependencies", "fetch", "app")
	if strings.Contains(out, missing) || !strings.Contains(out, `"lib/templates/pod.yaml"`) {
		t.Errorf("--helm-dependencies fetch: the dependency is still missing:\n%s", out)
	}
	out, _, _ = runWorkspace(t, dir, "scan", "--format", "json", "--config", "other/.kubeharden.yaml", "app")
	if strings.Contains(out, missing) || !strings.Contains(out, `"lib/templates/pod.yaml"`) {
		t.Errorf("helm.dependencies: fetch in the config file: the dependency is still missing:\n%s", out)
	}
	if _, stderr, code := runWorkspace(t, dir, "scan", "--helm-dependencies", "always", "app"); code != 2 {
		t.Errorf("--helm-dependencies always: exit %d, want 2 with a message:\n%s", code, stderr)
	}
}
