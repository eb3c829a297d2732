package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestActionInputs: every input of action.yml reaches the scan, and the
// action's command line is what the inputs say.
func TestActionInputs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Description string
		Inputs      map[string]struct{ Default string }
		Outputs     map[string]any
		Runs        struct {
			Using, Image string
			Args         []string
		}
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	// GitHub Marketplace refuses a description of 125 characters or more.
	if n := len(action.Description); n == 0 || n >= 125 {
		t.Errorf("description of %d characters: %q", n, action.Description)
	}
	if action.Runs.Using != "docker" || !slices.Equal(action.Runs.Args, []string{"action"}) {
		t.Errorf("runs = %+v", action.Runs)
	}
	// The token is read apart, never put on the command line.
	handled := map[string]bool{"path": true, "github-token": true}
	for _, in := range actionInputs {
		handled[in.input] = true
	}
	env := map[string]string{}
	for name, in := range action.Inputs {
		if !handled[name] {
			t.Errorf("input %q is not passed to the scan", name)
		}
		env["INPUT_"+strings.ToUpper(name)] = in.Default
	}
	for _, out := range []string{"sarif-file", "findings", "errors", "warnings", "result"} {
		if _, ok := action.Outputs[out]; !ok {
			t.Errorf("output %q not declared", out)
		}
	}
	env["INPUT_PATH"] = "deploy charts"
	env["INPUT_FAIL-ON"] = "warning"
	got := actionArgs(func(k string) string { return env[k] })
	want := []string{"--fail-on=warning", "--sarif=kubeharden.sarif", "--category=kubeharden/", "--pss-version=latest",
		"--github-review=true", "--review-filter=added", "--fail-scope=all", "--", "deploy", "charts"}
	if !slices.Equal(got, want) {
		t.Errorf("args = %q, want %q", got, want)
	}
	if action.Inputs["github-token"].Default != "${{ github.token }}" {
		t.Errorf("github-token defaults to %q", action.Inputs["github-token"].Default)
	}
	env["INPUT_GITHUB-TOKEN"] = "ghs_fromTheInput"
	env["GITHUB_TOKEN"] = "ghs_fromTheEnvironment"
	if tok := actionToken(func(k string) string { return env[k] }); tok != "ghs_fromTheInput" || slices.ContainsFunc(got, func(a string) bool { return strings.Contains(a, "ghs_") }) {
		t.Errorf("token %q; args %q", tok, got)
	}
}

// TestActionRuns: the entrypoint scans the workspace as the runner sets it up.
func TestActionRuns(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("INPUT_PATH", "testdata/examples/hardened")
	t.Setenv("INPUT_SARIF-FILE", filepath.Join(dir, "k.sarif"))
	t.Setenv("INPUT_FAIL-ON", "error")
	if _, _, code := runCLI(t, "action"); code != 0 {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "k.sarif")); err != nil {
		t.Error(err)
	}
}

// TestDockerfile checks GitHub's rules for container actions: no USER, no
// WORKDIR in the final stage, an exec-form ENTRYPOINT with an absolute path.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(data), "\nFROM ")
	final := stages[len(stages)-1]
	for _, l := range strings.Split(final, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "USER", "WORKDIR":
			t.Errorf("final stage sets %s", f[0])
		case "ENTRYPOINT":
			if !strings.HasPrefix(f[1], `["/`) {
				t.Errorf("ENTRYPOINT %q: want exec form with an absolute path", l)
			}
		}
	}
	if !strings.Contains(final, "ENTRYPOINT") {
		t.Error("no ENTRYPOINT in the final stage")
	}
}
