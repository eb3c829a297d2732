package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	junit "github.com/joshdk/go-junit"
	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/scan"
)

// The CI formats' structures as their consumers read them, written from
// the formats' documentation rather than taken from package report.
type (
	junitDoc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	checkstyleDoc struct {
		XMLName xml.Name `xml:"checkstyle"`
		Version string   `xml:"version,attr"`
		Files   []struct {
			Name   string `xml:"name,attr"`
			Errors []struct {
				Line     int    `xml:"line,attr"`
				Column   int    `xml:"column,attr"`
				Severity string `xml:"severity,attr"`
				Message  string `xml:"message,attr"`
				Source   string `xml:"source,attr"`
			} `xml:"error"`
		} `xml:"file"`
	}
	codeQuality []struct {
		Description string `json:"description"`
		CheckName   string `json:"check_name"`
		Fingerprint string `json:"fingerprint"`
		Severity    string `json:"severity"`
		Location    struct {
			Path  string `json:"path"`
			Lines struct {
				Begin int `json:"begin"`
			} `json:"lines"`
		} `json:"location"`
	}
)

// ciGoldens are the CI formats' golden files over testdata/examples.
var ciGoldens = map[string]string{"junit": "examples.junit.xml", "gitlab": "examples.gitlab.json", "checkstyle": "examples.checkstyle.xml"}

// TestCIFormatsGolden writes each CI format over the examples with
// --format, twice (same bytes), and all three beside each other with
// --report in one run, into directories the run creates.
func TestCIFormatsGolden(t *testing.T) {
	dir := t.TempDir()
	args := []string{"scan", "--format", "json"}
	for format := range ciGoldens {
		args = append(args, "--report", fmt.Sprintf("%s=%s/%s/report", format, dir, format))
	}
	_, stderr, code := runCLI(t, append(args, "testdata/examples")...)
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for format, name := range ciGoldens {
		first, _, code := runCLI(t, "scan", "--format", format, "testdata/examples")
		if code != exitFindings {
			t.Errorf("%s: exit %d", format, code)
		}
		second, _, _ := runCLI(t, "scan", "testdata/examples", "--format", format)
		if first != second {
			t.Errorf("%s: two runs differ", format)
		}
		golden(t, name, first)
		if b, err := os.ReadFile(filepath.Join(dir, format, "report")); err != nil || string(b) != first {
			t.Errorf("--report %s=FILE: %v; the file differs from --format %s", format, err, format)
		}
	}
}

// A ciFinding is what the CI formats are checked against, as the JSON
// report has it.
type ciFinding struct {
	Rule, Severity, File, Fingerprint string
	Line, Column                      int
	Suppressed                        *struct{ Kind string }
	Folded                            []struct{ Rule, Fingerprint string } `json:"folded,omitempty"`
}

func readFindings(t *testing.T, b []byte) []ciFinding {
	t.Helper()
	var rep struct{ Findings []ciFinding }
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}

// TestCIFormatsCount parses each CI report of the examples, a third of
// whose findings a baseline accepts, and checks that it holds every
// finding once: JUnit a case for each (failing at --fail-on, skipped when
// accepted), Checkstyle and Code Quality an entry for each one not
// accepted, at its file and line.
func TestCIFormatsCount(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "cmd/kubeharden/testdata/examples.json"))
	if err != nil {
		t.Fatal(err)
	}
	all := readFindings(t, b)
	var accepted []ciFinding
	for i, f := range all {
		if i%3 == 0 {
			accepted = append(accepted, f)
		}
	}
	dir := t.TempDir()
	base, _ := json.Marshal(map[string]any{"findings": accepted})
	if err := os.WriteFile(filepath.Join(dir, "baseline.json"), base, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, failOn := range []string{"error", "note", "none"} {
		args := []string{"scan", "--baseline", filepath.Join(dir, "baseline.json"), "--fail-on", failOn, "--format", "json",
			"--output", filepath.Join(dir, "report.json")}
		for format := range ciGoldens {
			args = append(args, "--report", format+"="+filepath.Join(dir, format))
		}
		runCLI(t, append(args, "testdata/examples")...)
		read := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		findings := readFindings(t, read("report.json"))
		var open []ciFinding
		failing := 0
		threshold, _ := parseFailOn(failOn)
		for _, f := range findings {
			sev, _ := scan.ParseSeverity(f.Severity)
			if f.Suppressed == nil {
				open = append(open, f)
				if threshold != 0 && sev >= threshold {
					failing++
				}
			}
		}
		if len(findings) != len(all) || len(open) != len(all)-len(accepted) || failing == 0 && failOn != "none" {
			t.Fatalf("fail-on %s: %d findings, %d accepted, %d failing: the examples changed", failOn, len(findings), len(findings)-len(open), failing)
		}
		accept := len(accepted)

		var j junitDoc
		if err := xml.Unmarshal(read("junit"), &j); err != nil {
			t.Fatal(err)
		}
		cases, failures, skipped := 0, 0, 0
		for _, s := range j.Suites {
			sf, ss := 0, 0
			for _, c := range s.Cases {
				if c.Classname != s.Name {
					t.Errorf("junit: case %q of suite %s has classname %s", c.Name, s.Name, c.Classname)
				}
				if c.Failure != nil {
					sf++
				}
				if c.Skipped != nil {
					ss++
				}
			}
			if s.Tests != len(s.Cases) || s.Failures != sf || s.Skipped != ss {
				t.Errorf("junit: suite %s counts %d/%d/%d, has %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), sf, ss)
			}
			cases, failures, skipped = cases+len(s.Cases), failures+sf, skipped+ss
		}
		if j.Tests != len(all) || cases != len(all) || j.Failures != failing || failures != failing || j.Skipped != accept || skipped != accept || j.Errors != 0 {
			t.Errorf("fail-on %s: junit counts %d tests (%d cases), %d failures (%d), %d skipped (%d); want %d, %d, %d",
				failOn, j.Tests, cases, j.Failures, failures, j.Skipped, skipped, len(all), failing, accept)
		}

		suites, err := junit.Ingest(read("junit"))
		if err != nil {
			t.Fatal(err)
		}
		var tot junit.Totals
		for _, s := range suites {
			s.Aggregate()
			tot.Tests, tot.Failed, tot.Skipped, tot.Passed, tot.Error = tot.Tests+s.Totals.Tests, tot.Failed+s.Totals.Failed,
				tot.Skipped+s.Totals.Skipped, tot.Passed+s.Totals.Passed, tot.Error+s.Totals.Error
		}
		if tot.Tests != len(all) || tot.Failed != failing || tot.Skipped != accept || tot.Passed != len(all)-failing-accept || tot.Error != 0 {
			t.Errorf("fail-on %s: go-junit reads %+v; want %d tests, %d failed, %d skipped", failOn, tot, len(all), failing, accept)
		}

		var cs checkstyleDoc
		if err := xml.Unmarshal(read("checkstyle"), &cs); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range cs.Files {
			for _, e := range f.Errors {
				got = append(got, fmt.Sprintf("%s:%d:%d %s %s", f.Name, e.Line, e.Column, e.Severity, e.Source))
			}
		}
		var want []string
		for _, f := range open {
			want = append(want, fmt.Sprintf("%s:%d:%d %s %s", f.File, f.Line, f.Column, strings.Replace(f.Severity, "note", "info", 1), f.Rule))
		}
		if cs.Version != "4.3" || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("checkstyle %s:\n%s\nwant\n%s", cs.Version, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		var cq codeQuality
		if err := json.Unmarshal(read("gitlab"), &cq); err != nil {
			t.Fatal(err)
		}
		got, want = nil, nil
		for _, is := range cq {
			got = append(got, fmt.Sprintf("%s:%d %s %s", is.Location.Path, is.Location.Lines.Begin, is.CheckName, is.Fingerprint))
			if !strings.Contains("blocker critical major minor info", is.Severity) || is.Description == "" {
				t.Errorf("code quality: severity %q, description %q", is.Severity, is.Description)
			}
		}
		for _, f := range open {
			want = append(want, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Fingerprint))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("code quality:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestCIFormatsWellFormed runs xmllint over the JUnit and Checkstyle
// golden files. CI installs it (.ci/run); elsewhere the test is skipped
// without it.
func TestCIFormatsWellFormed(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is not installed: .ci/run installs libxml2-utils")
		}
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils)")
	}
	for _, name := range []string{ciGoldens["junit"], ciGoldens["checkstyle"]} {
		out, err := exec.Command(xmllint, "--noout", filepath.Join(repoRoot, "cmd/kubeharden/testdata", name)).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("xmllint %s: %v\n%s", name, err, out)
		}
	}
	// A file xmllint must refuse, so that a pass means something.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(bad, []byte("<testsuites><testsuite></testsuites>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(xmllint, "--noout", bad).Run(); err == nil {
		t.Error("xmllint accepted a malformed file")
	}
}

// TestGitLabFingerprints: Code Quality fingerprints are unique, the same
// on the next run, and the same after lines are inserted above the
// findings, while the lines move.
func TestGitLabFingerprints(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"namespace.yaml", "worker.yaml"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, "testdata/examples/insecure", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scanFPs := func() (fps []string, lines map[string]int) {
		out, stderr, _ := runWorkspace(t, dir, "scan", "--format", "gitlab", ".")
		var cq codeQuality
		if err := json.Unmarshal([]byte(out), &cq); err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		lines = map[string]int{}
		for _, is := range cq {
			if _, dup := lines[is.Fingerprint]; dup {
				t.Errorf("fingerprint %s twice", is.Fingerprint)
			}
			lines[is.Fingerprint] = is.Location.Lines.Begin
			fps = append(fps, is.Fingerprint)
		}
		return fps, lines
	}
	first, before := scanFPs()
	again, _ := scanFPs()
	if len(first) < 15 || strings.Join(first, " ") != strings.Join(again, " ") {
		t.Fatalf("two runs: %d and %d fingerprints, or they differ", len(first), len(again))
	}
	worker := filepath.Join(dir, "worker.yaml")
	b, _ := os.ReadFile(worker)
	if err := os.WriteFile(worker, append([]byte("# owned by the platform team\n# see the runbook\n\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	edited, after := scanFPs()
	if len(edited) != len(first) {
		t.Fatalf("%d fingerprints after the edit, %d before", len(edited), len(first))
	}
	moved := 0
	for fp, line := range before {
		l, ok := after[fp]
		switch {
		case !ok:
			t.Errorf("fingerprint %s (line %d) lost after inserting lines", fp, line)
		case l == line+3:
			moved++
		case l != line:
			t.Errorf("fingerprint %s: line %d -> %d", fp, line, l)
		}
	}
	if moved == 0 {
		t.Error("no finding moved: the edit proved nothing")
	}
}

// TestReportFlag: --report refuses what is not FORMAT=FILE before it
// scans, and --format text still goes to stdout beside it.
func TestReportFlag(t *testing.T) {
	for _, bad := range []string{"junit", "xml=out.xml", "gitlab="} {
		err := run(context.Background(), []string{"scan", "--report", bad, "testdata/examples/hardened"}, nil, io.Discard, io.Discard)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(ee.msg, "FORMAT=FILE") {
			t.Errorf("--report %s: %v, want a usage error", bad, err)
		}
	}
	file := filepath.Join(t.TempDir(), "a", "b", "junit.xml")
	out, _, code := runCLI(t, "scan", "--report", "junit="+file, "testdata/examples/hardened")
	if code != 0 || !strings.Contains(out, "0 errors") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), `<testsuites name="kubeharden" tests="0"`) {
		t.Errorf("report: %v %s", err, b)
	}
}

// TestGitLabPathsFromProjectRoot: in GitLab CI, files are named from the
// project directory, as Code Quality needs, also when the scan runs in a
// subdirectory.
func TestGitLabPathsFromProjectRoot(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "")
	t.Setenv("GITLAB_CI", "true")
	t.Setenv("CI_PROJECT_DIR", repoRoot)
	out, _, _ := runWorkspace(t, filepath.Join(repoRoot, "testdata/examples"), "scan", "--format", "gitlab", "insecure")
	var cq codeQuality
	if err := json.Unmarshal([]byte(out), &cq); err != nil || len(cq) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, is := range cq {
		if !strings.HasPrefix(is.Location.Path, "testdata/examples/insecure/") {
			t.Errorf("path %q is not from the project root", is.Location.Path)
		}
	}
}

// TestGitLabTemplate reads templates/gitlab-ci.yml as GitLab would: a
// spec header declaring the inputs, then the job. Every input it uses is
// declared and every declared one used; the script names only flags
// `kubeharden scan` has, and, run with the inputs' defaults, writes the
// reports the artifacts name; the image is kubeharden's and has the shell
// GitLab runs the script in.
func TestGitLabTemplate(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "templates/gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var header struct {
		Spec struct {
			Inputs map[string]struct {
				Description string
				Default     *string
				Options     []string
			}
		}
	}
	var jobs map[string]struct {
		Stage string
		Image struct {
			Name       string
			Entrypoint []string
		}
		Script    []string
		Artifacts struct {
			When    string
			Paths   []string
			Reports map[string]string
		}
	}
	if err := dec.Decode(&header); err != nil {
		t.Fatalf("spec header: %v", err)
	}
	if err := dec.Decode(&jobs); err != nil {
		t.Fatalf("jobs: %v", err)
	}
	inputs := header.Spec.Inputs
	job, ok := jobs["kubeharden"]
	if !ok || len(jobs) != 1 || len(inputs) == 0 {
		t.Fatalf("want one job, kubeharden, and inputs: %d jobs, %d inputs", len(jobs), len(inputs))
	}

	body := string(data[bytes.Index(data, []byte("\n---\n")):])
	used := map[string]bool{}
	inputRef := regexp.MustCompile(`\$\[\[\s*inputs\.([a-z0-9_-]+)\s*\]\]`)
	for _, m := range inputRef.FindAllStringSubmatch(body, -1) {
		used[m[1]] = true
		if _, ok := inputs[m[1]]; !ok {
			t.Errorf("input %q is used but not declared", m[1])
		}
	}
	for name, in := range inputs {
		if !used[name] {
			t.Errorf("input %q is declared but not used", name)
		}
		if in.Default == nil || in.Description == "" {
			t.Errorf("input %q lacks a default or a description", name)
		}
	}
	for _, o := range inputs["fail-on"].Options {
		if _, err := parseFailOn(o); err != nil {
			t.Errorf("fail-on option %q: %v", o, err)
		}
	}
	interpolate := func(s string) string {
		return inputRef.ReplaceAllStringFunc(s, func(m string) string {
			if d := inputs[inputRef.FindStringSubmatch(m)[1]].Default; d != nil {
				return *d
			}
			return m
		})
	}
	if image := interpolate(job.Image.Name); !strings.HasPrefix(image, "ghcr.io/kubeharden/kubeharden:") {
		t.Errorf("image %q", image)
	}
	if len(job.Image.Entrypoint) != 1 || job.Image.Entrypoint[0] != "" {
		t.Errorf("entrypoint %q: the image's entrypoint must be cleared for GitLab's shell", job.Image.Entrypoint)
	}
	if job.Artifacts.When != "always" || job.Artifacts.Reports["junit"] == "" || job.Artifacts.Reports["codequality"] == "" {
		t.Errorf("artifacts %+v: want junit and codequality reports, kept when the job fails", job.Artifacts)
	}
	// The released image (Dockerfile.release) and a source build
	// (Dockerfile) both end on distroless' debug variant, which has a shell.
	for _, name := range []string{"Dockerfile.release", "Dockerfile"} {
		dockerfile, _ := os.ReadFile(filepath.Join(repoRoot, name))
		froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(string(dockerfile), -1)
		if len(froms) == 0 || !strings.HasPrefix(froms[len(froms)-1][1], "gcr.io/distroless/") || !strings.Contains(froms[len(froms)-1][1], ":debug") {
			t.Errorf("the base of %s, %v, has no shell for GitLab to run the script in", name, froms)
		}
	}

	flags := listedScanFlags(t)
	if len(job.Script) != 1 {
		t.Fatalf("script %q: want one command", job.Script)
	}
	args := strings.Fields(interpolate(job.Script[0]))
	if args[0] != "kubeharden" || args[1] != "scan" {
		t.Fatalf("script %q", job.Script[0])
	}
	for _, a := range args[2:] {
		if a == "--" {
			break
		}
		if name, ok := strings.CutPrefix(a, "--"); ok && !flags[strings.SplitN(name, "=", 2)[0]] {
			t.Errorf("the script names --%s, which kubeharden scan does not have", name)
		}
	}

	dir := t.TempDir()
	for _, name := range []string{"namespace.yaml", "worker.yaml"} {
		b, _ := os.ReadFile(filepath.Join(repoRoot, "testdata/examples/insecure", name))
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GITLAB_CI", "true")
	t.Setenv("CI_PROJECT_DIR", dir)
	t.Setenv("GITHUB_ACTIONS", "")
	if _, stderr, code := runWorkspace(t, dir, args[1:]...); code != exitFindings {
		t.Errorf("the template's command exits %d, want %d (fail-on error): %s", code, exitFindings, stderr)
	}
	suites, err := junit.IngestFile(filepath.Join(dir, job.Artifacts.Reports["junit"]))
	if err != nil || len(suites) != 2 {
		t.Errorf("junit report: %v, %d suites", err, len(suites))
	}
	var cq codeQuality
	b, _ := os.ReadFile(filepath.Join(dir, job.Artifacts.Reports["codequality"]))
	if err := json.Unmarshal(b, &cq); err != nil || len(cq) == 0 || cq[0].Location.Path != "namespace.yaml" {
		t.Errorf("code quality report: %v, %d issues", err, len(cq))
	}
	for _, p := range job.Artifacts.Paths {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("artifact path: %v", err)
		}
	}
}

// listedScanFlags are the flags `kubeharden scan -h` lists.
func listedScanFlags(t *testing.T) map[string]bool {
	t.Helper()
	_, help, _ := runCLI(t, "scan", "-h")
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z-]+)`).FindAllStringSubmatch(help, -1) {
		flags[m[1]] = true
	}
	if !flags["report"] || !flags["fail-on"] {
		t.Fatalf("cannot read the flags from scan -h:\n%s", help)
	}
	return flags
}

// TestCIDocs: the scan commands docs/ci.md gives to copy name only flags
// kubeharden scan has, and --report only formats it writes.
func TestCIDocs(t *testing.T) {
	flags := listedScanFlags(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs/ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	commands, inCode := 0, false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		fields := strings.Fields(strings.Trim(strings.TrimSpace(line), `'"`))
		i := slices.Index(fields, "scan")
		if !inCode || i < 0 {
			continue
		}
		commands++
		args := fields[i+1:]
		for j, a := range args {
			if a == "--" {
				break
			}
			name, ok := strings.CutPrefix(a, "--")
			if !ok {
				continue
			}
			if !flags[name] {
				t.Errorf("docs/ci.md: --%s is no scan flag: %s", name, line)
			}
			if name == "report" && j+1 < len(args) {
				format, file, _ := strings.Cut(args[j+1], "=")
				if _, ok := ciGoldens[format]; !ok || file == "" {
					t.Errorf("docs/ci.md: --report %s: want a CI format=FILE", args[j+1])
				}
			}
		}
	}
	if commands < 5 {
		t.Errorf("found %d scan commands in docs/ci.md, want one for every system", commands)
	}
}
