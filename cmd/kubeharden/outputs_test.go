package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: agent
spec:
  containers:
    - name: c
      image: acme/agent:1.0
      securityContext:
        privileged: true
`

// TestOutputParentDirs: --sarif and --output create the directories they
// need; a report that cannot be written fails the run.
func TestOutputParentDirs(t *testing.T) {
	dir := t.TempDir()
	sarif, out := filepath.Join(dir, "a/b/k.sarif"), filepath.Join(dir, "c/d/report.json")
	if _, stderr, code := runCLI(t, "scan", "--sarif", sarif, "--output", out, "--format", "json", "testdata/examples/hardened"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, f := range []string{sarif, out} {
		if data, err := os.ReadFile(f); err != nil || !json.Valid(data) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		if _, _, code := runCLI(t, "scan", "--output", "/dev/full", "testdata/examples/hardened"); code != exitUsage {
			t.Errorf("a report that cannot be written: exit %d, want %d", code, exitUsage)
		}
	}
}

// TestActionsPublishWhenSARIFFails: a SARIF file that cannot be written
// still leaves the annotations, the job summary and the outputs, and the
// step fails with the error.
func TestActionsPublishWhenSARIFFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(privilegedPod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	summary, output := actionEnv(t, dir)
	t.Setenv("INPUT_SARIF-FILE", "file/k.sarif") // under a file: cannot be created
	stdout, _, code := runWorkspace(t, dir, "action")
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stdout, "file=pod.yaml,line=10,title=privileged-container") {
		t.Errorf("no annotations:\n%s", stdout)
	}
	if sum, _ := os.ReadFile(summary); !strings.Contains(string(sum), "privileged-container") {
		t.Errorf("no job summary:\n%s", sum)
	}
	out, _ := os.ReadFile(output)
	if !strings.Contains(string(out), "result<<") || !strings.Contains(string(out), "\nfail\n") {
		t.Errorf("no outputs:\n%s", out)
	}
	if strings.Contains(string(out), "file/k.sarif") {
		t.Errorf("the sarif-file output names a file that was not written:\n%s", out)
	}
}

// TestVendorScanned: a vendor/ directory of manifests is scanned; Go's
// module vendor directory and node_modules/ are not, and the text report
// and the job summary say so.
func TestVendorScanned(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"deploy/vendor/agent.yaml":       privilegedPod,
		"vendor/modules.txt":             "# golang.org/x/text v0.3.0\n",
		"vendor/golang.org/x/pod.yaml":   privilegedPod,
		"web/node_modules/pkg/pod.yaml":  privilegedPod,
		"deploy/vendor/README.unrelated": "",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, code := runWorkspace(t, dir, "scan", ".")
	if code != exitFindings || !strings.Contains(out, "deploy/vendor/agent.yaml:10:") || strings.Contains(out, "golang.org") || strings.Contains(out, "node_modules/pkg") {
		t.Errorf("exit %d; want the privileged Pod under deploy/vendor/ only:\n%s", code, out)
	}
	for _, want := range []string{"Not scanned: ", "vendor (Go's module vendor directory (it holds modules.txt))", "web/node_modules (npm packages)"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	summary, _ := actionEnv(t, dir)
	runWorkspace(t, dir, "scan", ".")
	sum, _ := os.ReadFile(summary)
	for _, want := range []string{"**Directories not scanned:**", "- vendor: Go's module vendor directory (it holds modules.txt)", "- web/node\\_modules: npm packages"} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("job summary lacks %q:\n%s", want, sum)
		}
	}
}
