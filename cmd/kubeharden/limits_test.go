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

// TestGCSettingsFor: the memory limit is half again the live heap, at
// least memoryFloor.
func TestGCSettingsFor(t *testing.T) {
	for _, c := range []struct {
		live  uint64
		limit int64
	}{{0, memoryFloor}, {20 << 20, memoryFloor}, {200 << 20, memoryFloor}, {memoryFloor * 2 / 3, memoryFloor},
		{300 << 20, 450 << 20}, {1 << 30, 3 << 29}} {
		got := gcSettingsFor(c.live)
		if got.percent != gcPercentFor(c.live) || got.limit != c.limit {
			t.Errorf("live %d MB: %d %%, limit %d MB; want %d %%, %d MB", c.live>>20, got.percent, got.limit>>20, gcPercentFor(c.live), c.limit>>20)
		}
	}
}

// TestTuneGC: at the start and after each collection the tuner sets the
// percentage and memory limit it is given for the live heap, leaves each
// alone when the environment sets it (GOGC, GOMEMLIMIT), and stops when
// told.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	settings := func() gcSettings {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return gcSettings{p, debug.SetMemoryLimit(-1)}
	}
	waitFor := func(want gcSettings) bool {
		for range 200 {
			runtime.GC()
			if settings() == want {
				return true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return false
	}
	start, after := gcSettings{88, 3 << 30}, gcSettings{77, 5 << 30}
	var lives []uint64
	var mu sync.Mutex
	tuner := func(live uint64) gcSettings {
		mu.Lock()
		lives = append(lives, live)
		mu.Unlock()
		if live == 0 {
			return start // at the start: nothing is live yet
		}
		return after
	}
	none := func(string) string { return "" }
	stop := tuneGC(none, tuner)
	if got := settings(); got != start {
		t.Errorf("the tuner set %+v at the start, want %+v", got, start)
	}
	if !waitFor(after) {
		t.Fatalf("the tuner set %+v after collections, want %+v", settings(), after)
	}
	stop()
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	for range 5 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond)
	if got := settings(); got != (gcSettings{100, math.MaxInt64}) {
		t.Errorf("a stopped tuner set %+v", got)
	}
	mu.Lock()
	if !slices.ContainsFunc(lives, func(l uint64) bool { return l > 0 }) {
		t.Errorf("the tuner read live heaps %v", lives)
	}
	mu.Unlock()

	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		stop = tuneGC(func(k string) string {
			if k == env {
				return "set"
			}
			return ""
		}, func(uint64) gcSettings { return gcSettings{33, 7 << 30} })
		want := gcSettings{100, 7 << 30} // GOGC set: the limit alone is tuned
		if env == "GOMEMLIMIT" {
			want = gcSettings{33, math.MaxInt64}
		}
		if !waitFor(want) {
			t.Errorf("with %s set the tuner set %+v, want %+v", env, settings(), want)
		}
		stop()
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	stop = tuneGC(func(string) string { return "set" }, func(uint64) gcSettings { return gcSettings{33, 7 << 30} })
	defer stop()
	if waitFor(gcSettings{33, 7 << 30}) || settings() != (gcSettings{100, math.MaxInt64}) {
		t.Errorf("the tuner ran with GOGC and GOMEMLIMIT set: %+v", settings())
	}
}
