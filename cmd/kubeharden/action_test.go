package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
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
	// Inputs the config file can also give default to empty: the config
	// then decides (TestActionConfigPrecedence).
	want := []string{"--fail-on=warning", "--sarif=kubeharden.sarif", "--category=kubeharden/",
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

// TestDockerfile checks GitHub's rules for container actions in both
// images, the one built from source and the released one the action pulls:
// no USER, no WORKDIR in the final stage, an exec-form ENTRYPOINT with an
// absolute path; and every base image pinned by digest.
func TestDockerfile(t *testing.T) {
	pinned := regexp.MustCompile(`@sha256:[0-9a-f]{64}\b`)
	for _, name := range []string{"Dockerfile", "Dockerfile.release"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, name))
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
				t.Errorf("%s: final stage sets %s", name, f[0])
			case "ENTRYPOINT":
				if !strings.HasPrefix(f[1], `["/`) {
					t.Errorf("%s: ENTRYPOINT %q: want exec form with an absolute path", name, l)
				}
			}
		}
		if !strings.Contains(final, "ENTRYPOINT") {
			t.Errorf("%s: no ENTRYPOINT in the final stage", name)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) > 1 && strings.EqualFold(f[0], "FROM") && !pinned.MatchString(f[1]) {
				t.Errorf("%s: %q: base image not pinned by digest", name, l)
			}
		}
	}
}

// readAction parses action.yml.
func readAction(t *testing.T) (action struct {
	Inputs map[string]struct{ Default string }
	Runs   struct{ Using, Image string }
}) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	return action
}

// TestActionImage: the action pulls the released image of the version in
// the code, never builds one on the runner.
func TestActionImage(t *testing.T) {
	runs := readAction(t).Runs
	if runs.Using != "docker" {
		t.Errorf("runs.using = %q, want docker", runs.Using)
	}
	const prefix = "docker://ghcr.io/kubeharden/kubeharden:"
	if !strings.HasPrefix(runs.Image, prefix) {
		t.Fatalf("runs.image = %q, want %s<version>", runs.Image, prefix)
	}
	if v := strings.TrimPrefix(runs.Image, prefix); v != releaseVersion {
		t.Errorf("runs.image pulls %q, the code's releaseVersion is %q", v, releaseVersion)
	}
}

// TestActionInputsDeclared: nothing the binary reads as an input is
// missing from action.yml (the runner sets only declared inputs, so an
// undeclared one is always empty). The reads are recorded through the
// action's entrypoint and found in the sources, for reads outside it.
func TestActionInputsDeclared(t *testing.T) {
	declared := readAction(t).Inputs
	read := map[string]bool{}
	getenv := func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read[strings.ToLower(name)] = true
		}
		return ""
	}
	actionArgs(getenv)
	actionToken(getenv)
	if !read["path"] || !read["github-token"] {
		t.Fatalf("the entrypoint read %v: the recording misses its reads", slices.Sorted(maps.Keys(read)))
	}
	literal := regexp.MustCompile(`"INPUT_([A-Za-z0-9_-]+)"|GetInput\("([^"]+)"\)`)
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != repoRoot) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			read[strings.ToLower(m[1]+m[2])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range read {
		if _, ok := declared[name]; !ok {
			t.Errorf("the binary reads input %q, which action.yml does not declare", name)
		}
	}
}

// actionEnv sets every input of action.yml to its default as INPUT_<NAME>,
// as the runner does, and the runner's variables, for a workspace at dir.
func actionEnv(t *testing.T, dir string) (summary, output string) {
	t.Helper()
	setActionInputs(t)
	summary, output = filepath.Join(t.TempDir(), "summary.md"), filepath.Join(t.TempDir(), "output")
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_WORKSPACE": dir,
		"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output, "GITHUB_EVENT_PATH": "", "GITHUB_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	return summary, output
}

// setActionInputs sets every input of action.yml to its default as
// INPUT_<NAME>, as the runner does, the job's token filled in.
func setActionInputs(t *testing.T) {
	t.Helper()
	for name, in := range readAction(t).Inputs {
		v := in.Default
		if v == "${{ github.token }}" {
			v = "ghs_theJobToken" // the runner fills the expression in
		}
		t.Setenv("INPUT_"+strings.ToUpper(name), v)
	}
}

// runWorkspace runs the CLI in-process with dir as the working directory.
func runWorkspace(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	collectSARIF(t, args, out.String())
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// TestActionConfigPrecedence: under the action's real environment (every
// input set, to its default when the workflow gives none) .kubeharden.yaml
// decides what no input sets, an input that is set beats it, and the job
// summary says where each value came from.
func TestActionConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	worker, err := os.ReadFile(filepath.Join(repoRoot, "testdata/examples/insecure/worker.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy/worker.yaml"), worker, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".kubeharden.yaml"), []byte("failOn: none\npssVersion: v1.30\nlimits:\n  objects: 500000\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	summary, output := actionEnv(t, dir)
	_, stderr, code := runWorkspace(t, dir, "action")
	sum, _ := os.ReadFile(summary)
	if code != 0 {
		t.Errorf("failOn: none in .kubeharden.yaml: exit %d, want 0\n%s", code, stderr)
	}
	for _, want := range []string{
		"| fail-on | none | config file .kubeharden.yaml |",
		"| pss-version | v1.30 | config file .kubeharden.yaml |",
		"| allowed-registries | any | default |",
		"| release-name | release-name | default |",
		"| max-objects | 500000 | config file .kubeharden.yaml |",
		"| max-documents | 10000 | default |",
	} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	if !strings.Contains(string(sum), "kubeharden passed: ") || strings.Contains(string(sum), " 0 errors") {
		t.Errorf("want a pass with errors found:\n%s", sum)
	}
	if out, _ := os.ReadFile(output); !strings.Contains(string(out), "\npass\n") {
		t.Errorf("result output is not pass:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "kubeharden.sarif")); err != nil {
		t.Errorf("no SARIF at the input's default path: %v", err)
	}

	// An input that is set beats the config file.
	t.Setenv("INPUT_FAIL-ON", "error")
	if err := os.Truncate(summary, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runWorkspace(t, dir, "action"); code != exitFindings {
		t.Errorf("fail-on input error: exit %d, want %d", code, exitFindings)
	}
	if sum, _ := os.ReadFile(summary); !strings.Contains(string(sum), "| fail-on | error | flag or input |") {
		t.Errorf("summary does not name the input:\n%s", sum)
	}

	// The config's pssVersion reaches the scan: a bad one is refused.
	t.Setenv("INPUT_FAIL-ON", "")
	if err := os.WriteFile(filepath.Join(dir, ".kubeharden.yaml"), []byte("pssVersion: v9.x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runWorkspace(t, dir, "action"); code != exitUsage {
		t.Errorf("pssVersion v9.x in the config: exit %d, want %d", code, exitUsage)
	}

	// Without a config, the defaults.
	if err := os.Remove(filepath.Join(dir, ".kubeharden.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(summary, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runWorkspace(t, dir, "action"); code != exitFindings {
		t.Errorf("no config: exit %d, want %d (fail-on defaults to error)", code, exitFindings)
	}
	sum, _ = os.ReadFile(summary)
	for _, want := range []string{"| fail-on | error | default |", "| pss-version | latest | default |"} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}
