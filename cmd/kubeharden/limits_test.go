package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLimitsConfigAndFlags: the limits: block of .kubeharden.yaml and the
// flags over it reach the scan; a limit reached is a located
// skipped-input finding and the file beside it still has its findings.
func TestLimitsConfigAndFlags(t *testing.T) {
	dir := t.TempDir()
	var docs strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&docs, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n", i)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("many.yaml", docs.String())
	write("a-pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n")
	cfg := filepath.Join(dir, "kh.yaml")
	write("kh.yaml", "limits:\n  fileDocuments: 2\n")

	for _, c := range []struct {
		flags []string
		line  int // of the skipped-input finding on many.yaml
	}{
		{nil, 11},                               // the config's 2 documents
		{[]string{"--max-documents", "4"}, 21},  // the flag over it
		{[]string{"--max-documents", "100"}, 0}, // none
		{[]string{"--max-objects", "3", "--max-documents", "100"}, 2}, // many.yaml's 6 objects do not fit
	} {
		args := append([]string{"scan", "--config", cfg, "--format", "json", "--fail-on", "none"}, c.flags...)
		out, stderr, code := runCLI(t, append(args, dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.flags, code, stderr)
		}
		var rep struct {
			Findings []struct {
				Rule, File, Message string
				Line                int
			}
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		skipped, privileged := 0, false
		for _, f := range rep.Findings {
			switch {
			case f.Rule == "skipped-input" && strings.HasSuffix(f.File, "/many.yaml"):
				skipped = f.Line
			case f.Rule == "privileged-container" && strings.HasSuffix(f.File, "/a-pod.yaml"):
				privileged = true
			}
		}
		if skipped != c.line || !privileged {
			t.Errorf("%v: skipped-input on many.yaml at line %d, privileged-container on a-pod.yaml %v; want line %d and true\n%s", c.flags, skipped, privileged, c.line, out)
		}
	}
}

// TestMemoryLimit: a scan runs with a soft memory limit of 1 GiB, unless
// GOMEMLIMIT sets one (the runtime has applied it; it is left alone).
func TestMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("without GOMEMLIMIT the limit is %d; want 1 GiB", got)
	}
	debug.SetMemoryLimit(512 << 20) // as the runtime sets GOMEMLIMIT=512MiB
	setMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "512MiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != 512<<20 {
		t.Errorf("with GOMEMLIMIT=512MiB the limit is %d; want it kept", got)
	}
}

// TestGCPercentFor: the collector runs at 100 % up to gcHeadroom of live
// heap, then lets the heap grow by gcHeadroom or half of what is live.
func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{0, gcMaxPercent}, {10 << 20, gcMaxPercent}, {24 << 20, 233}, {32 << 20, 150}, {40 << 20, 100}, {100 << 20, 100},
		{gcHeadroom, 100}, {2 * gcHeadroom, 50}, {gcHeadroom * 5 / 4, 80}, {8 * gcHeadroom, 50}} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("live %d MB: %d %%, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestTuneGC: after a collection the tuner sets the percentage it is given
// for the live heap, and leaves the collector alone when GOGC is set or
// once stopped.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	percent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	waitFor := func(want int) bool {
		for range 200 {
			runtime.GC()
			if percent() == want {
				return true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return false
	}
	var lives []uint64
	var mu sync.Mutex
	stop := tuneGC(func(string) string { return "" }, func(live uint64) int {
		mu.Lock()
		lives = append(lives, live)
		mu.Unlock()
		if live == 0 {
			return 88 // at the start: nothing is live yet
		}
		return 77
	})
	if p := percent(); p != 88 {
		t.Errorf("the tuner set %d %% at the start, want 88", p)
	}
	if !waitFor(77) {
		t.Fatal("the tuner set no percentage after collections")
	}
	stop()
	debug.SetGCPercent(100)
	for range 5 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond)
	if p := percent(); p != 100 {
		t.Errorf("a stopped tuner set %d %%", p)
	}
	mu.Lock()
	if !slices.ContainsFunc(lives, func(l uint64) bool { return l > 0 }) {
		t.Errorf("the tuner read live heaps %v", lives)
	}
	mu.Unlock()

	stop = tuneGC(func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	}, func(uint64) int { return 33 })
	defer stop()
	if waitFor(33) {
		t.Error("the tuner ran with GOGC set")
	}
}
