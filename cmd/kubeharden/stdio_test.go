package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLibrariesPrintNothing runs kubeharden as a process on overlays that
// use fields kustomize deprecates (it prints a note to the process's
// standard error for each build): standard error stays empty, and standard
// output holds the report alone.
func TestLibrariesPrintNothing(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"base/kustomization.yaml": "commonLabels: {team: shop}\nresources: [deploy.yaml]\n",
		"base/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext: {privileged: true}
`,
		"overlays/a/kustomization.yaml": "resources: [../../base]\npatchesStrategicMerge: []\nnamePrefix: a-\n",
		"overlays/b/kustomization.yaml": "bases: [../../base]\nnamePrefix: b-\n",
	}
	writeTree(t, dir, files)
	cmd := exec.Command(os.Args[0], "scan", "--format", "json", dir)
	cmd.Env = []string{"KUBEHARDEN_TEST_MAIN=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
		t.Fatalf("scan: %v, want exit %d; standard error:\n%s", err, exitFindings, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("standard error is not empty:\n%s", stderr.String())
	}
	var rep struct {
		Findings []struct{ Rule, File string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("standard output is not the JSON report alone: %v\n%s", err, stdout.String())
	}
	privileged := 0
	for _, f := range rep.Findings {
		if f.Rule == "privileged-container" {
			privileged++
		}
	}
	if privileged == 0 {
		t.Errorf("no privileged-container finding among %d: the overlays were not built", len(rep.Findings))
	}
}
