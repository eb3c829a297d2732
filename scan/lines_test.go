package scan

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// TestLineIndex: a kept line reads as written, any other as empty, and a
// file no text was read of as unknown.
func TestLineIndex(t *testing.T) {
	text := "spec:\n  hostPID: true\n  replicas: 3\n  - privileged: False # was true\n  x: y # kubeharden:ignore (why)\n" +
		"  enabled: true\n  automountServiceAccountToken: false\r\n\n  hostNetwork:true\n  -hostIPC: true"
	x := newLineIndex()
	x.add([]render.Text{{File: "a.yaml", Data: []byte(text)}, {File: "empty.yaml"}})
	want := map[int]string{2: "  hostPID: true", 4: "  - privileged: False # was true", 5: "  x: y # kubeharden:ignore (why)",
		7: "  automountServiceAccountToken: false\r", 9: "  hostNetwork:true", 10: "  -hostIPC: true"}
	for n := -1; n <= 12; n++ {
		got, ok := x.at("a.yaml", n)
		if !ok || got != want[max(n, 1)] {
			t.Errorf("line %d = %q, %v; want %q", n, got, ok, want[max(n, 1)])
		}
	}
	if got, ok := x.at("empty.yaml", 1); !ok || got != "" {
		t.Errorf("empty.yaml: %q, %v", got, ok)
	}
	if _, ok := x.at("b.yaml", 1); ok {
		t.Error("b.yaml was not read")
	}
}

// TestKeepLineSound: every line a fix may be made of (boolLineRE, a field
// some rule flips) is kept, on the lines of the fixtures and the corpus
// and on each flipped field written every way boolLineRE reads.
func TestKeepLineSound(t *testing.T) {
	var lines []string
	for f := range flipFields {
		for _, pre := range []string{"", "  ", "\t", "- ", "  -   ", " -\t"} {
			for _, v := range []string{"true", "false", "True", "FALSE"} {
				for _, post := range []string{"", "  # note", " #"} {
					lines = append(lines, pre+f+": "+v+post, pre+f+" :\t"+v+post)
				}
			}
		}
	}
	for _, dir := range []string{"../testdata", "../../shared/corpus"} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
				return nil
			}
			data, _ := os.ReadFile(path)
			for _, l := range bytes.Split(data, []byte("\n")) {
				if bytes.Contains(l, []byte("rue")) || bytes.Contains(l, []byte("alse")) || bytes.Contains(l, []byte("RUE")) || bytes.Contains(l, []byte("ALSE")) {
					lines = append(lines, string(l))
				}
			}
			return nil
		})
	}
	fixable, dropped := 0, 0
	for _, l := range lines {
		m := boolLineRE.FindStringSubmatch(l)
		switch {
		case m != nil && flipFields[m[2]]:
			fixable++
			if !keepLine([]byte(l)) {
				t.Errorf("%q is not kept; a fix may be made of it", l)
			}
		case !keepLine([]byte(l)):
			dropped++
		}
	}
	if fixable < 1000 || dropped == 0 {
		t.Errorf("%d fixable lines, %d dropped: the test reads too few", fixable, dropped)
	}
}
