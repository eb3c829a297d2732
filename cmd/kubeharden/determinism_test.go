package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// TestCorpusDeterministic: every chart and kustomization of the shared
// corpus (its repositories that hold any, realworld/ included), scanned
// twice in-process, gives byte-identical JSON. Charts generate values at
// render time (randAlphaNum, genCA, test pods named at random) that must
// never reach the output.
//
// It scans 13 repositories twice: about 40 s of CPU (-short skips it).
func TestCorpusDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the corpus twice")
	}
	corpus := filepath.Join(repoRoot, "..", "shared", "corpus")
	var repos []string
	for _, pattern := range []string{"*", "realworld/*"} {
		ms, err := filepath.Glob(filepath.Join(corpus, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			rel, _ := filepath.Rel(corpus, m)
			if rel == "realworld" || rel == "expected-render" || !rendersAnything(m) {
				continue
			}
			repos = append(repos, filepath.ToSlash(rel))
		}
	}
	if len(repos) < 10 {
		t.Fatalf("only %d repositories with charts or kustomizations: %q", len(repos), repos)
	}
	t.Chdir(corpus)
	scan := func() []byte {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"scan", "--format", "json"}, repos...), strings.NewReader(""), &out, io.Discard)
		if ee := (*exitError)(nil); err != nil && (!errors.As(err, &ee) || ee.code != exitFindings) {
			t.Fatalf("scan %q: %v", repos, err)
		}
		return out.Bytes()
	}
	first, second := scan(), scan()
	if !bytes.Equal(first, second) {
		a, b := strings.Split(string(first), "\n"), strings.Split(string(second), "\n")
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				t.Fatalf("two scans differ at line %d of the JSON:\n%s\n%s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("two scans differ in length: %d and %d lines", len(a), len(b))
	}
}

// rendersAnything reports whether a Helm chart or a kustomization lies
// under dir.
func rendersAnything(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		name := d.Name()
		if name == "Chart.yaml" || slices.Contains(render.KustomizationNames, name) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
