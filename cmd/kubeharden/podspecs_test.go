package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPodSpecsFromConfig: .kubeharden.yaml podSpecs makes a repository's
// own kind's pod spec checked, and a malformed entry is a usage error.
func TestPodSpecsFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kh.yaml")
	if err := os.WriteFile(cfg, []byte("podSpecs:\n  - apiVersion: acme.example.com/v1\n    kind: Worker\n    path: spec.pod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, _ := runCLI(t, "scan", "--config", cfg, "--format", "json", "testdata/pods/custom/custom.yaml")
	if !strings.Contains(out, `Worker \"shop/worker\": container \"app\" is privileged`) {
		t.Errorf("the Worker's pod spec was not checked:\n%s", out)
	}
	out, _, _ = runCLI(t, "scan", "--format", "json", "testdata/pods/custom/custom.yaml")
	if strings.Contains(out, `"privileged-container"`) {
		t.Errorf("without podSpecs the Worker is read:\n%s", out)
	}
	if err := os.WriteFile(cfg, []byte("podSpecs:\n  - kind: Worker\n    path: spec.pod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"scan", "--config", cfg, "testdata/pods/custom/custom.yaml"}, strings.NewReader(""), io.Discard, io.Discard)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), "apiVersion and kind are required") {
		t.Errorf("got %v: want a usage error naming the entry", err)
	}
}
