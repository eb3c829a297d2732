package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/rules.md")

// repoRoot is the repository root, found once from the package directory.
var repoRoot, _ = filepath.Abs("../..")

// runCLI runs the CLI in-process from the repository root.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runWorkspace(t, repoRoot, args...)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(repoRoot, "cmd/kubeharden/testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (run with -update to accept):\n%s", name, got)
	}
}

func TestScanExamplesGolden(t *testing.T) {
	out, _, code := runCLI(t, "scan", "--format", "json", "testdata/examples")
	if code != exitFindings {
		t.Errorf("exit code %d, want %d", code, exitFindings)
	}
	golden(t, "examples.json", out)

	out, _, _ = runCLI(t, "scan", "testdata/examples")
	golden(t, "examples.txt", out)
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

// TestJSONContract checks the fields other tools rely on.
func TestJSONContract(t *testing.T) {
	out, _, _ := runCLI(t, "scan", "--format", "json", "testdata/examples/insecure")
	var rep struct {
		Tool     struct{ Name, Version string }
		Findings []map[string]any
		Summary  struct {
			Files, Objects int
			Findings       map[string]int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Tool.Name != "kubeharden" || rep.Tool.Version == "" {
		t.Errorf("tool = %+v", rep.Tool)
	}
	if rep.Summary.Files != 2 || rep.Summary.Objects != 2 || len(rep.Findings) == 0 {
		t.Errorf("summary = %+v with %d findings", rep.Summary, len(rep.Findings))
	}
	total := 0
	for _, n := range rep.Summary.Findings {
		total += n
	}
	if total != len(rep.Findings) {
		t.Errorf("summary counts %d findings, list has %d", total, len(rep.Findings))
	}
	prev := ""
	for _, f := range rep.Findings {
		for _, k := range []string{"rule", "checklist", "severity", "message", "file", "line", "column", "object", "path", "fingerprint"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %v", k, f)
			}
		}
		file := f["file"].(string)
		if filepath.IsAbs(file) || !strings.HasPrefix(file, "testdata/examples/insecure/") {
			t.Errorf("file %q is not relative to the working directory", file)
		}
		if f["line"].(float64) < 1 || f["column"].(float64) < 1 {
			t.Errorf("position %v:%v", f["line"], f["column"])
		}
		if lvl, ok := f["pssLevel"]; ok && lvl != "baseline" && lvl != "restricted" {
			t.Errorf("pssLevel %v", lvl)
		}
		if _, ok := f["pssLevel"]; !ok && strings.HasPrefix(f["rule"].(string), "pss-") && f["rule"] != "pss-namespace-reject" {
			t.Errorf("PSS finding without pssLevel: %v", f)
		}
		key := file + "\x00" + strings.Repeat("0", 6-len(jsonNum(f["line"]))) + jsonNum(f["line"])
		if key < prev {
			t.Errorf("findings not sorted by file and line at %v", f)
		}
		prev = key
	}
}

func jsonNum(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"scan", "testdata/examples/hardened"}, 0},
		{[]string{"scan", "--fail-on", "note", "testdata/examples/hardened"}, 0},
		{[]string{"scan", "testdata/examples/insecure"}, exitFindings},
		{[]string{"scan", "--fail-on", "none", "testdata/examples/insecure"}, 0},
		{[]string{"scan", "testdata/examples/insecure", "--fail-on", "none"}, 0}, // flags after paths
		{[]string{"scan", "--fail-on", "fatal", "."}, exitUsage},
		{[]string{"scan", "--format", "xml", "."}, exitUsage},
		{[]string{"scan", "--pss-version", "v2.x", "."}, exitUsage},
		{[]string{"scan", "--kube-version", "2.0", "."}, exitUsage},
		{[]string{"scan", "--kube-version", "v1.37", "testdata/examples/hardened"}, 0},
		{[]string{"scan", "--no-such-flag"}, exitUsage},
		{[]string{"scan", "does/not/exist"}, exitUsage},
		{[]string{"explain", "no-such-rule"}, exitUsage},
		{[]string{"frobnicate"}, exitUsage},
		{nil, exitUsage},
		{[]string{"version"}, 0},
	} {
		_, _, code := runCLI(t, c.args...)
		if code != c.code {
			t.Errorf("kubeharden %s: exit %d, want %d", strings.Join(c.args, " "), code, c.code)
		}
	}
}

// TestUnreadableInputDoesNotStopTheScan: a broken file is a finding and
// the other files are still scanned.
func TestUnreadableInputDoesNotStopTheScan(t *testing.T) {
	out, _, code := runCLI(t, "scan", "--format", "json", "testdata/checks/invalid-input", "testdata/examples/insecure")
	if code != exitFindings {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{`"rule": "invalid-input"`, `"rule": "privileged-container"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestRulesAndExplain(t *testing.T) {
	out, _, code := runCLI(t, "rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range scan.All {
		if !strings.Contains(out, c.ID) {
			t.Errorf("rules lacks %s", c.ID)
		}
		ex, _, code := runCLI(t, "explain", c.ID)
		if code != 0 || !strings.Contains(ex, c.Remediation) || !strings.Contains(ex, c.Rationale) {
			t.Errorf("explain %s: exit %d\n%s", c.ID, code, ex)
		}
		for _, l := range strings.Split(c.Example, "\n") {
			if !strings.Contains(ex, "  "+l+"\n") {
				t.Errorf("explain %s lacks the example line %q", c.ID, l)
			}
		}
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kh.yaml")
	if err := os.WriteFile(cfg, []byte("allowedRegistries: [registry.acme.internal]\nfailOn: note\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCLI(t, "scan", "--config", cfg, "--format", "json", "testdata/examples/hardened")
	if code != exitFindings || !strings.Contains(out, `"rule": "image-registry"`) {
		t.Errorf("config not applied: exit %d\n%s", code, out)
	}
	if err := os.WriteFile(cfg, []byte("allowedRegistrys: [typo]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, "scan", "--config", cfg, "testdata/examples/hardened"); code != exitUsage {
		t.Errorf("unknown config key: exit %d, want %d", code, exitUsage)
	}
}

// TestRulesDoc keeps docs/rules.md equal to what the registry generates.
func TestRulesDoc(t *testing.T) {
	var b bytes.Buffer
	if err := report.RulesMarkdown(&b, scan.All); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRoot, "docs/rules.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Error("docs/rules.md is stale: run go test ./cmd/kubeharden -run TestRulesDoc -update")
	}
}

func TestHelmValueSetsFromConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "kh.yaml")
	if err := os.WriteFile(cfg, []byte("helm:\n  valueSets:\n    testdata/helm/valuesets:\n      - name: default\n      - name: prod\n        files: [values-prod.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, _ := runCLI(t, "scan", "--config", cfg, "--format", "json", "testdata/helm/valuesets")
	if !strings.Contains(out, `"file": "testdata/helm/valuesets/values-prod.yaml"`) || !strings.Contains(out, `"valueSet": "prod"`) {
		t.Errorf("the prod value set was not scanned:\n%s", out)
	}
	out, _, _ = runCLI(t, "scan", "--values", "testdata/helm/valuesets/values-prod.yaml", "--format", "json", "testdata/helm/valuesets")
	if !strings.Contains(out, `"file": "testdata/helm/valuesets/values-prod.yaml"`) {
		t.Errorf("--values not applied, or the file not named relative to the working directory:\n%s", out)
	}
	// A value set in a repository's config cannot read outside it.
	if err := os.WriteFile(cfg, []byte("helm:\n  valueSets:\n    testdata/helm/valuesets:\n      - name: evil\n        files: [../../../../etc/passwd]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, "scan", "--config", cfg, "testdata/helm/valuesets"); code != exitUsage {
		t.Errorf("values file outside the repository: exit %d, want %d", code, exitUsage)
	}
	if _, _, code := runCLI(t, "scan", "--values", "x.yaml", "testdata/examples"); code != exitUsage {
		t.Errorf("--values without a chart: exit %d", code)
	}
	// Any mix of absolute and relative paths names the same files.
	abs := func(p string) string { return filepath.Join(repoRoot, p) }
	for _, args := range [][]string{
		{abs("testdata/helm/valuesets/values-prod.yaml"), "testdata/helm/valuesets"},
		{"testdata/helm/valuesets/values-prod.yaml", abs("testdata/helm/valuesets")},
		{abs("testdata/helm/valuesets/values-prod.yaml"), abs("testdata/helm/valuesets")},
	} {
		out, stderr, code := runCLI(t, "scan", "--values", args[0], "--format", "json", args[1])
		if code == exitUsage || !strings.Contains(out, `"file": "testdata/helm/valuesets/values-prod.yaml"`) {
			t.Errorf("--values %s %s: exit %d, values not applied:\n%s%s", args[0], args[1], code, stderr, out)
		}
	}
	t.Chdir(repoRoot)
	err := run(context.Background(), []string{"scan", "--values", "testdata/helm/valuesets/nothing.yaml", "testdata/helm/valuesets"}, strings.NewReader(""), io.Discard, io.Discard)
	if ee := (*exitError)(nil); !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(ee.msg, "--values testdata/helm/valuesets/nothing.yaml") {
		t.Errorf("missing values file: %v, want a usage error naming it", err)
	}
}

// TestChartProblemsDoNotStopTheScan: a chart with a missing dependency or a
// failing required is a located finding, the plain file beside it is still
// scanned, and the exit code reflects the findings.
func TestChartProblemsDoNotStopTheScan(t *testing.T) {
	out, _, code := runCLI(t, "scan", "--format", "json", "testdata/helm/problems")
	if code != exitFindings {
		t.Errorf("exit %d, want %d", code, exitFindings)
	}
	for _, want := range []string{
		`"file": "testdata/helm/problems/missing-dep/Chart.yaml"`,
		`"file": "testdata/helm/problems/required/templates/secret.yaml"`,
		`"file": "testdata/helm/problems/plain.yaml"`,
		"helm dependency build",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

// TestConfigExcludeAndRules: exclude, rules.disable and rules.severity
// from the config file and flags; misspelt rules and bad globs are usage
// errors; the job summary shows what the configuration turned off.
func TestConfigExcludeAndRules(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kh.yaml")
	if err := os.WriteFile(cfg, []byte("exclude: [testdata/examples/insecure/namespace.yaml]\nrules:\n  disable: [serviceaccount-token-automount]\n  severity:\n    image-digest: error\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	all, _, _ := runCLI(t, "scan", "--format", "json", "testdata/examples")
	out, _, _ := runCLI(t, "scan", "--config", cfg, "--format", "json", "testdata/examples")
	var before, after struct {
		Findings []struct {
			Rule, File, Severity string
			Folded               []struct{ Rule string }
		}
	}
	if err := json.Unmarshal([]byte(all), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &after); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range before.Findings {
		seen[f.Rule] = true
		seen["file "+f.File] = true
		for _, p := range f.Folded {
			seen[p.Rule] = true
		}
	}
	if !seen["serviceaccount-token-automount"] || !seen["image-digest"] || !seen["file testdata/examples/insecure/namespace.yaml"] {
		t.Fatalf("the examples no longer trip what the config turns off: %v", seen)
	}
	digests := 0
	for _, f := range after.Findings {
		if f.File == "testdata/examples/insecure/namespace.yaml" {
			t.Errorf("excluded file scanned: %+v", f)
		}
		if f.Rule == "serviceaccount-token-automount" || slices.ContainsFunc(f.Folded, func(p struct{ Rule string }) bool { return p.Rule == "serviceaccount-token-automount" }) {
			t.Errorf("disabled rule reported: %+v", f)
		}
		if f.Rule == "image-digest" {
			digests++
			if f.Severity != "error" {
				t.Errorf("image-digest severity %s, want error", f.Severity)
			}
		}
	}
	if digests == 0 {
		t.Errorf("no image-digest finding left to check the severity of")
	}
	summary := filepath.Join(dir, "summary.md")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", filepath.Join(dir, "output"))
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	runCLI(t, "scan", "--config", cfg, "testdata/examples")
	t.Setenv("GITHUB_ACTIONS", "")
	sum, _ := os.ReadFile(summary)
	for _, want := range []string{"rules disabled: serviceaccount-token-automount", "severity of image-digest: error", "paths excluded: testdata/examples/insecure/namespace.yaml"} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("job summary lacks %q:\n%s", want, sum)
		}
	}
	// Flags do the same.
	out, _, _ = runCLI(t, "scan", "--format", "json", "--exclude", "testdata/examples/insecure/**", "--disable", "serviceaccount-token-automount,image-digest", "testdata/examples")
	if strings.Contains(out, "testdata/examples/insecure/") || strings.Contains(out, `"rule": "image-digest"`) {
		t.Errorf("--exclude or --disable not applied:\n%s", out)
	}
	for _, bad := range [][]string{{"--disable", "no-such-rule"}, {"--exclude", "a/[b"}} {
		if _, stderr, code := runCLI(t, append(append([]string{"scan"}, bad...), "testdata/examples")...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", bad, code, exitUsage, stderr)
		}
	}
	if err := os.WriteFile(cfg, []byte("rules:\n  severity:\n    image-digest: critical\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, "scan", "--config", cfg, "testdata/examples"); code != exitUsage {
		t.Errorf("unknown severity: exit %d, want %d", code, exitUsage)
	}
}

// TestProgress: nothing for a short scan or off a terminal; then a line a
// stage, rewritten in place, no more often than progressEvery, and cleared
// at the end.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	if newProgress(&buf) != nil {
		t.Fatal("progress on a buffer, which is not a terminal")
	}
	clock := time.Unix(0, 0)
	p := &progress{w: &buf, now: func() time.Time { return clock }, start: clock}
	p.update(render.StageFiles, 1, 10)
	if buf.Len() != 0 {
		t.Fatalf("progress within the first %s: %q", progressDelay, buf.String())
	}
	clock = clock.Add(progressDelay)
	p.update(render.StageFiles, 2, 10)
	p.update(render.StageFiles, 3, 10) // too soon after the last line
	clock = clock.Add(progressEvery)
	p.update(render.StageFiles, 10, 10)
	p.update(render.StageCharts, 3, 3) // a stage's last count always shows
	p.checking(42)
	p.done()
	want := "\r\x1b[Kreading files: 2/10\r\x1b[Kreading files: 10/10\r\x1b[Krendering charts: 3/3\r\x1b[Kchecking 42 objects\r\x1b[K"
	if buf.String() != want {
		t.Errorf("progress wrote %q, want %q", buf.String(), want)
	}
}

// TestBaselineCLI: findings in a baseline are accepted (JSON, SARIF,
// text), new ones still fail; a baseline named by the config file stays
// inside the working directory.
func TestBaselineCLI(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if _, _, code := runCLI(t, "scan", "--format", "json", "--output", base, "testdata/examples/insecure/worker.yaml"); code != exitFindings {
		t.Fatalf("the worker has no failing finding to accept: exit %d", code)
	}
	if _, _, code := runCLI(t, "scan", "--baseline", base, "testdata/examples/insecure/worker.yaml"); code != 0 {
		t.Errorf("every finding is in the baseline: exit %d, want 0", code)
	}
	out, _, code := runCLI(t, "scan", "--baseline", base, "--fail-on", "note", "--format", "json", "testdata/examples/insecure")
	if code != exitFindings {
		t.Errorf("namespace.yaml's findings are not in the baseline: exit %d", code)
	}
	var rep struct {
		Findings []struct {
			File       string
			Suppressed *struct{ Kind string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var open, accepted int
	for _, f := range rep.Findings {
		switch {
		case f.File == "testdata/examples/insecure/worker.yaml" && (f.Suppressed == nil || f.Suppressed.Kind != "baseline"):
			t.Errorf("worker finding not accepted: %+v", f)
		case f.File == "testdata/examples/insecure/worker.yaml":
			accepted++
		case f.Suppressed == nil:
			open++
		}
	}
	if accepted == 0 || open == 0 {
		t.Errorf("%d accepted, %d open: want both", accepted, open)
	}
	sarif, _, _ := runCLI(t, "scan", "--baseline", base, "--format", "sarif", "testdata/examples/insecure/worker.yaml")
	if !strings.Contains(sarif, `"kind": "external"`) {
		t.Errorf("SARIF lacks external suppressions for the baseline")
	}
	text, _, _ := runCLI(t, "scan", "--baseline", base, "testdata/examples/insecure/worker.yaml")
	if !strings.Contains(text, "accepted (ignore annotations or comments, or the baseline)") {
		t.Errorf("text summary does not count the accepted findings:\n%s", text)
	}
	cfg := filepath.Join(dir, "kh.yaml")
	if err := os.WriteFile(cfg, []byte("baseline: "+base+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, "scan", "--config", cfg, "testdata/examples"); code != exitUsage {
		t.Errorf("config baseline outside the working directory: exit %d, want %d", code, exitUsage)
	}
	if err := os.WriteFile(base, []byte(`{"runs": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, "scan", "--baseline", base, "testdata/examples"); code != exitUsage {
		t.Errorf("a baseline that is not a JSON report: exit %d, want %d", code, exitUsage)
	}
}

// TestNotManifestsCounted: files that are no Kubernetes manifest are
// counted in the footer and the JSON summary, and fail nothing.
func TestNotManifestsCounted(t *testing.T) {
	out, _, code := runCLI(t, "scan", "testdata/inputs/not-kubernetes")
	if code != 0 || !strings.Contains(out, "2 files not Kubernetes manifests, not checked") {
		t.Errorf("exit %d, footer:\n%s", code, out)
	}
	out, _, _ = runCLI(t, "scan", "--format", "json", "testdata/inputs/not-kubernetes")
	if !strings.Contains(out, `"notManifests": 2`) {
		t.Errorf("JSON summary without notManifests:\n%s", out)
	}
}
