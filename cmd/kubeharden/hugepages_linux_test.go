package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHeapMappings reads the heap's mappings from a text of
// /proc/self/maps: the private writable anonymous mappings from the heap's
// first on, of a huge page or more, and none of a file, of another
// permission, or far above the heap.
func TestHeapMappings(t *testing.T) {
	maps := []byte(`00400000-02a6b000 r-xp 00000000 fd:01 123 /usr/bin/kubeharden
048ca000-0692b000 rw-p 00000000 00:00 0 
12ca4f800000-12ca53800000 rw-p 00000000 00:00 0 
12ca53800000-12ca5c400000 rw-p 00000000 00:00 0 
12ca5c400000-12ca60000000 ---p 00000000 00:00 0 
12ca60000000-12ca60400000 rw-p 00000000 00:00 0 
12ca60400000-12ca60401000 rw-p 00000000 00:00 0 
12ca60600000-12ca60a00000 rw-p 00001000 fd:01 7 /tmp/data
7f8b9c000000-7f8b9c400000 rw-p 00000000 00:00 0 
7ffd1c2a4000-7ffd1c2c5000 rw-p 00000000 00:00 0                          [stack]
garbage
`)
	got := heapMappings(maps, 0x12ca53800000)
	want := []mapping{{0x12ca53800000, 0x12ca5c400000}, {0x12ca60000000, 0x12ca60400000}}
	if !slices.Equal(got, want) {
		t.Errorf("heapMappings = %x, want %x", got, want)
	}
	if n := len(anonMappings(maps)); n != 6 {
		t.Errorf("anonMappings found %d mappings, want 6", n)
	}
}

// TestThpDisabled reads GODEBUG's disablethp as the runtime does: the last
// setting wins.
func TestThpDisabled(t *testing.T) {
	for v, want := range map[string]bool{
		"":                           false,
		"disablethp=1":               true,
		"gctrace=1, disablethp=1":    true,
		"disablethp=1,disablethp=0":  false,
		"disablethp=0":               false,
		"xdisablethp=1":              false,
		"madvdontneed=1,disablethp=": false,
	} {
		if got := thpDisabled(v); got != want {
			t.Errorf("thpDisabled(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestHeapAdvisor advises the process's heap: the mapping of a heap object
// carries the huge page flag (hg in /proc/self/smaps) afterwards, and a
// reserve of 256 MB adds no more than a few MB of resident memory, even
// when the heap ends in freed pages.
func TestHeapAdvisor(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages:", err)
	}
	// Pages written and freed at the heap's end, where a reserve of one
	// allocation would start and be zeroed all over.
	dirty(64, 128<<10)
	runtime.GC()
	before := residentAnon(t)
	at := reserveHeap(256 << 20)
	if grown := residentAnon(t) - before; grown > 32<<20 {
		t.Errorf("reserving 256 MB of heap made %d MB resident", grown>>20)
	}
	debug.FreeOSMemory()
	a := newHeapAdvisor(at)
	a.advise()
	if len(a.advised) == 0 {
		t.Fatal("advised no mapping")
	}
	// An object allocated now lies in the reserve, which is advised.
	obj := new([1 << 20]byte)
	if flags := vmFlags(t, uintptr(unsafe.Pointer(obj))); !slices.Contains(flags, "hg") {
		t.Errorf("the heap's mapping has flags %v, without hg", flags)
	}
	// Advising again advises nothing new.
	n := len(a.advised)
	a.advise()
	if len(a.advised) < n {
		t.Errorf("advised %d mappings, then %d", n, len(a.advised))
	}
}

// dirty allocates n objects of size bytes, writes them and drops them.
//
//go:noinline
func dirty(n, size int) {
	junk := make([][]byte, 0, n)
	for range n {
		b := make([]byte, size)
		b[0] = 1
		junk = append(junk, b)
	}
	runtime.KeepAlive(junk)
}

// residentAnon returns the process's resident anonymous memory.
func residentAnon(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssAnon in /proc/self/status")
	return 0
}

// vmFlags returns the VmFlags of the mapping holding address at.
func vmFlags(t *testing.T, at uintptr) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			lo, hi, _ := strings.Cut(f[0], "-")
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && l <= uint64(at) && uint64(at) < h
			continue
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.Fields(v)
		}
	}
	t.Fatalf("no mapping holds %#x", at)
	return nil
}
