package main

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// A workflow is the part of a GitHub Actions workflow file the tests read.
type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]string
	Jobs        map[string]struct {
		Permissions map[string]string
		RunsOn      any `yaml:"runs-on"`
		Steps       []struct {
			ID, Uses, Run, If string
			ContinueOnError   bool `yaml:"continue-on-error"`
			With, Env         map[string]string
		}
	}
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github/workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

// TestWorkflowsPinActions: every action from another repository is pinned
// by a full commit SHA, with the version it is in a comment, so that a
// moved tag cannot change what runs with a write token.
func TestWorkflowsPinActions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github/workflows/*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	uses := regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	comment := regexp.MustCompile(`^\s+# v\d+(\.\d+)*\s*$`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(data), -1) {
			if strings.HasPrefix(m[1], "./") {
				continue
			}
			if !pinned.MatchString(m[1]) || !comment.MatchString(m[2]) {
				t.Errorf("%s: uses %s%s: want owner/repo@<40 hex> # vX.Y.Z", filepath.Base(f), m[1], m[2])
			}
		}
	}
}

// TestReleaseWorkflow: a version tag runs GoReleaser with exactly the
// permissions a release needs.
func TestReleaseWorkflow(t *testing.T) {
	w := readWorkflow(t, "release.yml")
	want := map[string]string{"contents": "write", "packages": "write", "id-token": "write"}
	if !maps.Equal(w.Permissions, want) {
		t.Errorf("permissions %v, want %v", w.Permissions, want)
	}
	push, _ := w.On["push"].(map[string]any)
	if tags, _ := push["tags"].([]any); len(tags) == 0 || !strings.HasPrefix(tags[0].(string), "v") || len(w.On) != 1 {
		t.Errorf("on %v: want only pushes of v* tags", w.On)
	}
	var goreleaser, cosign bool
	for _, j := range w.Jobs {
		if j.Permissions != nil {
			t.Errorf("a job sets its own permissions %v", j.Permissions)
		}
		for _, s := range j.Steps {
			goreleaser = goreleaser || strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@") && strings.Contains(s.With["args"], "release")
			cosign = cosign || strings.HasPrefix(s.Uses, "sigstore/cosign-installer@")
		}
	}
	if !goreleaser || !cosign {
		t.Errorf("goreleaser release step %v, cosign installed %v", goreleaser, cosign)
	}
	// The workflow's tag check greps whole lines of these files.
	for file, line := range map[string]string{
		"cmd/kubeharden/version.go": `const releaseVersion = "` + releaseVersion + `"`,
		"action.yml":                "  image: docker://ghcr.io/kubeharden/kubeharden:" + releaseVersion,
	} {
		data, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Split(string(data), "\n"), line) {
			t.Errorf("%s has no line %q, which release.yml looks for", file, line)
		}
	}
}

// TestCIWorkflow: CI runs .ci/run on Linux and builds on macOS and Windows.
func TestCIWorkflow(t *testing.T) {
	w := readWorkflow(t, "ci.yml")
	if _, ok := w.On["pull_request"]; !ok {
		t.Error("ci does not run on pull requests")
	}
	if _, ok := w.On["push"]; !ok {
		t.Error("ci does not run on pushes")
	}
	var ciRun bool
	var builds []string
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			ciRun = ciRun || strings.Contains(s.Run, ".ci/run") && j.RunsOn == "ubuntu-latest"
		}
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github/workflows/ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, runner := range []string{"macos-latest", "windows-latest"} {
		if strings.Contains(string(data), runner) {
			builds = append(builds, runner)
		}
	}
	if !ciRun || len(builds) != 2 || !strings.Contains(string(data), "go build") {
		t.Errorf(".ci/run on ubuntu-latest: %v; builds on %v", ciRun, builds)
	}
}

// TestSelfTestWorkflow: the action of this repository runs on the
// examples, may fail, has its SARIF uploaded, and a later step checks that
// it failed.
func TestSelfTestWorkflow(t *testing.T) {
	w := readWorkflow(t, "self-test.yml")
	var scanID string
	var upload, checked bool
	for _, j := range w.Jobs {
		if j.Permissions["security-events"] != "write" {
			t.Errorf("job permissions %v: the SARIF upload needs security-events: write", j.Permissions)
		}
		for _, s := range j.Steps {
			switch {
			case s.Uses == "./":
				if !s.ContinueOnError || s.ID == "" || s.With["path"] != "testdata/examples" {
					t.Errorf("the action step %+v: want an id, continue-on-error and path testdata/examples", s)
				}
				scanID = s.ID
			case strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@"):
				upload = scanID != ""
			case scanID != "":
				for k, v := range s.Env {
					checked = checked || strings.Contains(v, "steps."+scanID+".outcome") && strings.Contains(s.Run, "$"+k)
				}
				checked = checked || strings.Contains(s.Run, "steps."+scanID+".outcome")
			}
		}
	}
	if scanID == "" || !upload || !checked {
		t.Errorf("action step %q, SARIF uploaded after it %v, outcome checked %v", scanID, upload, checked)
	}
}
