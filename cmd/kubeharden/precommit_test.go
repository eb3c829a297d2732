package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestPreCommitHooks: .pre-commit-hooks.yaml is a manifest pre-commit
// accepts (every hook has id, name, entry and language; ids unique), with
// a hook built by Go and one running the released image, both on YAML,
// JSON and chart files only.
func TestPreCommitHooks(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&hooks); err != nil {
		t.Fatal(err)
	}
	// The keys pre-commit's manifest schema knows.
	known := map[string]bool{"id": true, "name": true, "entry": true, "language": true, "alias": true, "files": true,
		"exclude": true, "types": true, "types_or": true, "exclude_types": true, "additional_dependencies": true,
		"args": true, "always_run": true, "fail_fast": true, "pass_filenames": true, "description": true,
		"language_version": true, "log_file": true, "require_serial": true, "stages": true, "verbose": true,
		"minimum_pre_commit_version": true}
	byID := map[string]map[string]any{}
	for _, h := range hooks {
		for k := range h {
			if !known[k] {
				t.Errorf("hook %v: unknown key %q", h["id"], k)
			}
		}
		for _, k := range []string{"id", "name", "entry", "language", "files"} {
			if s, _ := h[k].(string); s == "" {
				t.Errorf("hook %v: no %s", h["id"], k)
			}
		}
		id, _ := h["id"].(string)
		if byID[id] != nil {
			t.Errorf("hook id %q twice", id)
		}
		byID[id] = h
	}
	for id, want := range map[string][2]string{
		"kubeharden":        {"golang", "kubeharden scan"},
		"kubeharden-docker": {"docker_image", "ghcr.io/kubeharden/kubeharden:" + releaseVersion + " scan"},
	} {
		h := byID[id]
		if h == nil {
			t.Errorf("no hook %q", id)
			continue
		}
		if h["language"] != want[0] || h["entry"] != want[1] {
			t.Errorf("hook %s: language %v, entry %v; want %s, %q", id, h["language"], h["entry"], want[0], want[1])
		}
		// pre-commit matches files with Python's re.search; this pattern
		// means the same to Go's regexp.
		files, err := regexp.Compile(h["files"].(string))
		if err != nil {
			t.Fatalf("hook %s: files: %v", id, err)
		}
		for _, f := range []string{"deploy/app.yaml", "k8s/app.yml", "list.json", "charts/web/Chart.yaml",
			"charts/web/values-prod.yaml", "charts/web/templates/_helpers.tpl", "charts/web/Chart.lock",
			"charts/web/.helmignore", "charts/web/values.schema.json", "overlays/prod/Kustomization", "Chart.lock"} {
			if !files.MatchString(f) {
				t.Errorf("hook %s: files pattern misses %s", id, f)
			}
		}
		for _, f := range []string{"main.go", "README.md", "yaml/notes.txt", "Chart.lock.bak", "docs/kustomization.md"} {
			if files.MatchString(f) {
				t.Errorf("hook %s: files pattern takes %s", id, f)
			}
		}
	}
}

// TestGoInstallable: `go install github.com/kubeharden/kubeharden/cmd/kubeharden@latest`
// (and the pre-commit golang hook, which runs go install in a clone) refuse
// a go.mod with replace or exclude directives.
func TestGoInstallable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "module github.com/kubeharden/kubeharden\n") {
		t.Errorf("go.mod does not declare module github.com/kubeharden/kubeharden")
	}
	if m := regexp.MustCompile(`(?m)^\s*(replace|exclude)\b.*`).FindAllString(string(data), -1); len(m) > 0 {
		t.Errorf("go.mod has directives go install ...@latest refuses: %q", m)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "go.work")); err == nil {
		t.Error("a go.work file: builds in the repository would not be what go install builds")
	}
}
