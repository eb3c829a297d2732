package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSARIFGoldenAndDeterministic(t *testing.T) {
	first, _, code := runCLI(t, "scan", "--format", "sarif", "testdata/examples")
	if code != exitFindings {
		t.Errorf("exit %d", code)
	}
	second, _, _ := runCLI(t, "scan", "--format", "sarif", "testdata/examples")
	if first != second {
		t.Error("two runs over the same input gave different SARIF")
	}
	golden(t, "examples.sarif", first)

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string
						ShortDescription *struct{ Text string }
						Properties       map[string]any
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn, EndLine, EndColumn int }
					}
				}
				PartialFingerprints map[string]string
			}
			AutomationDetails struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(first), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.AutomationDetails.ID != "kubeharden/" {
		t.Errorf("category %q", run.AutomationDetails.ID)
	}
	ids := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if ids[r.ID] || r.ShortDescription == nil || r.ShortDescription.Text == "" {
			t.Errorf("rule %s duplicated or without a description", r.ID)
		}
		ids[r.ID] = true
		if _, ok := r.Properties["security-severity"].(string); !ok {
			t.Errorf("rule %s: security-severity must be a string", r.ID)
		}
	}
	hash := regexp.MustCompile(`^[0-9a-f]{1,16}:\d+$`)
	for _, res := range run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s has ruleIndex %d", res.RuleID, res.RuleIndex)
		}
		loc := res.Locations[0].PhysicalLocation
		if loc.Region.StartLine < 1 || loc.Region.StartColumn < 1 || loc.Region.EndColumn <= loc.Region.StartColumn || strings.HasPrefix(loc.ArtifactLocation.URI, "/") {
			t.Errorf("bad location %+v", loc)
		}
		if !hash.MatchString(res.PartialFingerprints["primaryLocationLineHash"]) || res.PartialFingerprints["kubeharden/v1"] == "" {
			t.Errorf("fingerprints %v", res.PartialFingerprints)
		}
	}
}

// TestFingerprintSurvivesEdits: lines inserted above a finding move it
// down; its stable fingerprint stays.
func TestFingerprintSurvivesEdits(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot, "testdata/examples/insecure/worker.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "worker.yaml")
	fingerprints := func() map[string]int {
		out, _, _ := runCLI(t, "scan", "--format", "json", path)
		var rep struct {
			Findings []struct {
				Rule, Fingerprint string
				Line              int
			}
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, f := range rep.Findings {
			m[f.Rule+"/"+f.Fingerprint] = f.Line
		}
		return m
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	before := fingerprints()
	if err := os.WriteFile(path, append([]byte("# a comment\n# and another\n\n"), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	after := fingerprints()
	if len(before) == 0 || len(before) != len(after) {
		t.Fatalf("before %d findings, after %d", len(before), len(after))
	}
	for k, line := range before {
		if after[k] != line+3 {
			t.Errorf("%s: line %d before, %d after (want the same fingerprint 3 lines down)", k, line, after[k])
		}
	}
}

// TestSARIFFileIsTruncated: --sarif replaces a longer file's content.
func TestSARIFFileIsTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.sarif")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "scan", "--sarif", path, "--format", "json", "testdata/examples/hardened")
	data, _ := os.ReadFile(path)
	if !json.Valid(data) {
		t.Error("the SARIF file kept old bytes after the new log")
	}
}

// sarifValidators finds both SARIF validators (see findValidators). Under
// CI a missing one fails the test; elsewhere the test skips and says how
// to install them.
func sarifValidators(t *testing.T) validators {
	t.Helper()
	v, missing := findValidators()
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("SARIF validator missing: %s; scripts/test installs it", missing)
		}
		t.Skipf("SARIF validator not installed (%s): run scripts/test", missing)
	}
	return v
}

// validateSARIF runs both validators over files and fails the test on any
// error or warning either reports.
func validateSARIF(t *testing.T, files ...string) {
	t.Helper()
	for _, p := range sarifValidators(t).check(files) {
		t.Error(p)
	}
	markValidated(files)
}

// TestSARIFValidates runs both validators over every kind of SARIF the
// scanner writes: the golden file, the fixtures and the real trees of the
// corpus, a baseline and each kind of accepted finding.
func TestSARIFValidates(t *testing.T) {
	sarifValidators(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if _, _, code := runCLI(t, "scan", "--format", "json", "--output", base, "testdata/examples/insecure/worker.yaml"); code != exitFindings {
		t.Fatalf("no findings to accept in a baseline: exit %d", code)
	}
	files := []string{filepath.Join(repoRoot, "cmd/kubeharden/testdata/examples.sarif")}
	for _, c := range []struct {
		name string
		args []string
		// want are the suppressions the log must hold: kind and a part
		// of the justification.
		want [][2]string
	}{
		{name: "testdata", args: []string{"testdata"}},
		{name: "corpus", args: []string{
			"../shared/corpus/podinfo", "../shared/corpus/microservices-demo", "../shared/corpus/kubernetes-goat",
			"../shared/corpus/ingress-nginx", "../shared/corpus/kustomize", "../shared/corpus/k8s-website-examples",
			"../shared/corpus/k8s-kubernetes-testdata", "../shared/corpus/kube-linter/tests",
			"../shared/corpus/prometheus-community-helm-charts/charts", "../shared/corpus/grafana-community-helm-charts/charts",
		}},
		{name: "suppressions", args: []string{"--baseline", base, "testdata/examples/insecure", "testdata/checks/readonly-root-fs/pods.yaml", "testdata/checks/plaintext-secret/deploy.yaml"},
			want: [][2]string{
				{"inSource", "JIRA-123"},                 // ignore.kubeharden.io/<rule> annotation
				{"inSource", "a revoked test token"},     // # kubeharden:ignore comment
				{"inSource", "(no reason given)"},        // # gitleaks:allow
				{"external", "accepted in the baseline"}, // baseline entry
			}},
	} {
		file := filepath.Join(dir, c.name+".sarif")
		args := append([]string{"scan", "--fail-on", "none", "--sarif", file, "--format", "json"}, c.args...)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: scan exit %d\n%s", c.name, code, stderr)
		}
		files = append(files, file)
		if len(c.want) == 0 {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var log struct {
			Runs []struct {
				Results []struct {
					Suppressions []struct{ Kind, Status, Justification string }
				}
			}
		}
		if err := json.Unmarshal(data, &log); err != nil {
			t.Fatal(err)
		}
		var got [][2]string
		for _, r := range log.Runs[0].Results {
			for _, s := range r.Suppressions {
				if s.Status != "accepted" {
					t.Errorf("suppression %+v: status %q, want accepted", s, s.Status)
				}
				got = append(got, [2]string{s.Kind, s.Justification})
			}
		}
		for _, w := range c.want {
			if !slices.ContainsFunc(got, func(g [2]string) bool { return g[0] == w[0] && strings.Contains(g[1], w[1]) }) {
				t.Errorf("%s: no suppression %q among %q", c.name, w, got)
			}
		}
	}
	validateSARIF(t, files...)
}

// TestGitHubActionsMode: annotations on stdout, the job summary and the
// outputs in the runner's files, links at the PR head commit.
func TestGitHubActionsMode(t *testing.T) {
	dir := t.TempDir()
	output, summary, event := filepath.Join(dir, "output"), filepath.Join(dir, "summary.md"), filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"head":{"sha":"0123456789abcdef0123456789abcdef01234567"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", output)
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	t.Setenv("GITHUB_EVENT_PATH", event)
	t.Setenv("GITHUB_SHA", "ffffffffffffffffffffffffffffffffffffffff")
	t.Setenv("GITHUB_REPOSITORY", "acme/shop")
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	sarif := filepath.Join(dir, "k.sarif")
	stdout, _, code := runCLI(t, "scan", "--sarif", sarif, "testdata/examples")
	if code != exitFindings {
		t.Errorf("exit %d", code)
	}
	// The text report is fenced off from the runner's command parser;
	// the token is random, the rest is golden.
	var annotations []string
	token := ""
	for _, l := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "::stop-commands::") && token == "":
			token = strings.TrimPrefix(l, "::stop-commands::")
		case token != "" && l == "::"+token+"::":
		case strings.HasPrefix(l, "::"):
			annotations = append(annotations, l)
		}
	}
	if len(token) < 32 || !strings.Contains(stdout, "\n::"+token+"::\n") {
		t.Errorf("the text report is not fenced with a random stop-commands token:\n%s", stdout)
	}
	golden(t, "examples.annotations.txt", strings.Join(annotations, "\n")+"\n")
	counts := map[string]int{}
	for _, a := range annotations {
		counts[strings.SplitN(a[2:], " ", 2)[0]]++
	}
	if counts["error"] > 10 || counts["warning"] > 10 || counts["notice"] > 10 {
		t.Errorf("over GitHub's 10 annotations per level: %v", counts)
	}
	if counts["warning"] != 3 {
		t.Errorf("3 warnings should give 3 annotations: %v", counts)
	}

	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/testdata/examples/insecure/worker.yaml#L") {
		t.Errorf("summary lacks links at the PR head:\n%s", sum)
	}
	// The duration varies; the golden file holds the rest.
	golden(t, "examples.summary.md", regexp.MustCompile(` in [0-9.]+(ms|s|µs)\.`).ReplaceAllString(string(sum), " in DURATION."))

	out, _ := os.ReadFile(output)
	for _, want := range []string{"result<<", "\nfail\n", "errors<<", "\n8\n", "warnings<<", "\n3\n", "findings<<", "\n17\n", "sarif-file<<", sarif} {
		if !strings.Contains(string(out), want) {
			t.Errorf("outputs lack %q:\n%s", want, out)
		}
	}

	// GitHub shows 10 annotations per level; a notice counts the rest.
	many := t.TempDir()
	for i := range 12 {
		pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\nspec:\n  containers:\n    - name: app\n      image: acme/app:latest\n", i)
		if err := os.WriteFile(filepath.Join(many, fmt.Sprintf("p%d.yaml", i)), []byte(pod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, _, _ = runCLI(t, "scan", many)
	counts = map[string]int{}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "::") {
			counts[strings.SplitN(l[2:], " ", 2)[0]]++
		}
	}
	if counts["warning"] != 10 || !strings.Contains(stdout, "more findings not annotated") {
		t.Errorf("12 warnings should give 10 annotations and a notice counting the rest: %v\n%s", counts, stdout)
	}
}

// TestGitHubActionsWithoutFiles: no panic when the runner's file
// variables are unset.
func TestGitHubActionsWithoutFiles(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	t.Setenv("GITHUB_EVENT_PATH", "")
	if _, _, code := runCLI(t, "scan", "testdata/examples/hardened"); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestGitHubPathsFromSubdirectory: a scan run below the workspace root
// names files from the root in every GitHub output, and SARIF still reads
// them for line hashes.
func TestGitHubPathsFromSubdirectory(t *testing.T) {
	dir := t.TempDir()
	summary, sarif := filepath.Join(dir, "summary.md"), filepath.Join(dir, "k.sarif")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", filepath.Join(dir, "output"))
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	t.Setenv("GITHUB_WORKSPACE", repoRoot)
	t.Setenv("GITHUB_REPOSITORY", "acme/shop")
	t.Setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Chdir(filepath.Join(repoRoot, "testdata"))
	var out, errb bytes.Buffer
	_ = run(context.Background(), []string{"scan", "--sarif", sarif, "examples/insecure"}, strings.NewReader(""), &out, &errb) // the exit is not what this test checks
	if !strings.Contains(out.String(), "file=testdata/examples/insecure/worker.yaml,") {
		t.Errorf("annotations do not name files from the repository root:\n%s", out.String())
	}
	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "/blob/0123456789abcdef0123456789abcdef01234567/testdata/examples/insecure/worker.yaml#L") {
		t.Errorf("summary links do not name files from the repository root:\n%s", sum)
	}
	log, _ := os.ReadFile(sarif)
	if !strings.Contains(string(log), `"uri": "testdata/examples/insecure/worker.yaml"`) || !strings.Contains(string(log), "primaryLocationLineHash") {
		t.Errorf("SARIF does not name files from the repository root, or could not read them for line hashes")
	}
}
