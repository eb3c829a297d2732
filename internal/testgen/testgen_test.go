package testgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// readTree returns the files under dir by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func generate(t *testing.T, n int, seed int64) (string, int64) {
	t.Helper()
	dir := t.TempDir()
	size, err := testgen.Tree(dir, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return dir, size
}

func TestDeterministic(t *testing.T) {
	const n = 150
	dirA, sizeA := generate(t, n, 42)
	dirB, sizeB := generate(t, n, 42)
	a, b := readTree(t, dirA), readTree(t, dirB)
	if len(a) != n {
		t.Fatalf("wrote %d files, want %d", len(a), n)
	}
	if sizeA != sizeB {
		t.Errorf("same seed: %d bytes, then %d", sizeA, sizeB)
	}
	var total int64
	for name, data := range a {
		total += int64(len(data))
		if other, ok := b[name]; !ok {
			t.Errorf("%s: written by the first run only", name)
		} else if !bytes.Equal(data, other) {
			t.Errorf("%s: contents differ between runs with the same seed", name)
		}
	}
	if total != sizeA {
		t.Errorf("Tree reported %d bytes, files hold %d", sizeA, total)
	}

	dirC, _ := generate(t, n, 43)
	c := readTree(t, dirC)
	same := 0
	for name, data := range a {
		if bytes.Equal(data, c[name]) {
			same++
		}
	}
	if same == len(a) {
		t.Error("seeds 42 and 43 wrote the same tree")
	}
}

// TestParses: every file loads without problems and yields objects of the
// kinds the package promises, and every pod template decodes as the API
// types.
func TestParses(t *testing.T) {
	const n = 400
	dir, size := generate(t, n, 1)
	if avg := size / n; avg < 4000 || avg > 12000 {
		t.Errorf("average file size %d bytes, want about 7 KB", avg)
	}
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if set.Files != n {
		t.Errorf("Load read %d files, want %d", set.Files, n)
	}
	for _, p := range set.Problems {
		t.Errorf("%s: %s: %s", p.Pos, p.Kind, p.Message)
	}
	if len(set.Objects) <= n {
		t.Errorf("%d objects from %d files; want more objects than files", len(set.Objects), n)
	}

	kinds := map[string]int{}
	withObjects := map[string]bool{}
	for _, o := range set.Objects {
		kinds[o.Kind]++
		withObjects[o.File] = true
	}
	for _, k := range []string{"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Pod", "Service", "ConfigMap", "Secret", "Namespace"} {
		if kinds[k] == 0 {
			t.Errorf("no %s objects; got %v", k, kinds)
		}
	}

	var jsonFiles, lists, multiDoc, anchors, pssLabels int
	for name, data := range readTree(t, dir) {
		if !withObjects[name] {
			t.Errorf("%s: no objects", name)
		}
		text := string(data)
		switch {
		case strings.HasSuffix(name, ".json"):
			jsonFiles++
			if !json.Valid(data) {
				t.Errorf("%s: not valid JSON", name)
			}
		case strings.Contains(text, "\nkind: List\n"):
			lists++
		}
		if strings.Contains(text, "\n---\n") {
			multiDoc++
		}
		if strings.Contains(text, ": &") {
			anchors++
		}
		if strings.Contains(text, "pod-security.kubernetes.io/enforce:") {
			pssLabels++
		}
	}
	for what, count := range map[string]int{"JSON files": jsonFiles, "v1/List files": lists, "multi-document files": multiDoc, "files with anchors": anchors, "Pod Security labels": pssLabels} {
		if count == 0 {
			t.Errorf("no %s", what)
		}
	}

	findings, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, f := range findings {
		rules[f.Rule]++
		if f.Rule == scan.InvalidInput.ID || f.Rule == scan.SkippedInput.ID {
			t.Errorf("%s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message)
		}
	}
	// The insecure share of the tree should trip the host and privilege
	// rules, and some hardened workloads should pass every rule.
	for _, id := range []string{"privileged-container", "host-path-volume", "host-namespaces", "image-latest-tag", "dangerous-capabilities"} {
		if rules[id] == 0 {
			t.Errorf("no %s findings; got %v", id, rules)
		}
	}
	flagged := map[string]bool{}
	for _, f := range findings {
		if f.Object != nil {
			flagged[f.File+"\x00"+f.Object.Kind+"\x00"+f.Object.Name] = true
		}
	}
	clean := 0
	for _, o := range set.Objects {
		if _, ok := scan.TemplatePath(o); ok && !flagged[o.File+"\x00"+o.Kind+"\x00"+o.Name] {
			clean++
		}
	}
	if clean == 0 {
		t.Error("every workload has findings; the hardened share should pass")
	}
}
