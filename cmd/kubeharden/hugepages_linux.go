//go:build linux

package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Transparent huge pages for the Go heap.
//
// A scan's heap grows to about 100 MB for 2,000 files and 400 MB for
// 20,000, and the first write to each 4 KB page of it is a page fault: on
// the 2-core virtual machine the benchmarks run on, 28,000 faults and 15 %
// of the 2,000-file scan's CPU (perf: exc_page_fault), 160,000 faults and
// 3.5 s of CPU for 20,000 files. Linux backs memory with 2 MB pages, one
// fault each, where its mode (/sys/kernel/mm/transparent_hugepage/enabled)
// is "always", or is "madvise" (Ubuntu's default, so GitHub's runners')
// and the memory is advised MADV_HUGEPAGE. The Go runtime advises none of
// its heap, and maps the heap in 4 MB pieces as it grows, each a new
// mapping without the advice. So under "madvise" kubeharden has the
// runtime map heapReserve bytes of heap at the start, returns them to the
// system unwritten, advises the heap's mappings, and advises them again
// after every collection, for what the heap grows by past the reserve. On
// the generated trees: 4,500 faults instead of 28,000 and a scan of
// 0.8–0.95 s instead of 1.05–1.2 s for 2,000 files; 12,000–24,000 faults
// instead of 160,000 and 9.2–10.7 s instead of 11–14 s for 20,000; 5–10 MB more
// peak RSS (a 2 MB page is resident whole). GODEBUG=disablethp=1, the Go
// runtime's own switch, turns it off.

// heapReserve is the heap the runtime maps at the start: what a scan
// within the 500 MB its benchmarks allow can hold, so that the heap of a
// scan of 20,000 files is advised as it is first written (with 384 MB the
// last 40 MB of that heap, among them the findings' array, was written
// before the collection after which it would have been advised: 35,000
// faults instead of 12,000–24,000). Mapped memory nobody wrote to holds
// no RAM.
const heapReserve = 512 << 20

// adviseHugePages starts the advice where the system's mode asks for it,
// and returns a function that stops it.
func adviseHugePages(getenv func(string) string) (stop func()) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) || thpDisabled(getenv("GODEBUG")) {
		return func() {}
	}
	at := heapAddress()
	if reservable() {
		at = reserveHeap(heapReserve)
		// The reserve is garbage now: collect it, and return its pages
		// to the system, so that neither the collector's pacing nor the
		// soft memory limit counts them.
		debug.FreeOSMemory()
	}
	a := newHeapAdvisor(at)
	a.advise()
	return afterEachGC(a.advise)
}

// heapAddress returns an address in the Go heap.
//
//go:noinline
func heapAddress() uintptr {
	return uintptr(unsafe.Pointer(new([4096]byte)))
}

// reservable reports whether mapping memory the program does not use is
// harmless: not where the system commits to all memory mapped
// (vm.overcommit_memory 2), nor where the address space is limited.
func reservable() bool {
	if b, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || strings.TrimSpace(string(b)) == "2" {
		return false
	}
	var l unix.Rlimit
	return unix.Getrlimit(unix.RLIMIT_AS, &l) == nil && l.Cur == unix.RLIM_INFINITY
}

// thpDisabled reports whether a GODEBUG value turns transparent huge pages
// off (the last setting of a key wins, as in the runtime).
func thpDisabled(godebug string) bool {
	off := false
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}

// reserveHeap has the runtime map at least n bytes of heap, and returns an
// address in it. It allocates the heap in pieces it drops, each of the
// chunk the runtime maps at a time: the runtime zeroes an allocation that
// starts in memory used before, and one allocation of n bytes starting
// among pages freed at the heap's end would be written all over (32,000
// page faults for 128 MB, in some runs), where of the pieces only the
// first can be.
//
//go:noinline
func reserveHeap(n int) uintptr {
	pieces := make([][]byte, 0, n/reservePiece)
	for range n / reservePiece {
		pieces = append(pieces, make([]byte, reservePiece))
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(pieces[len(pieces)-1])))
}

// reservePiece is the size of reserveHeap's pieces: the runtime grows the
// heap by 4 MB chunks.
const reservePiece = 4 << 20

// A heapAdvisor advises the Go heap's mappings MADV_HUGEPAGE.
type heapAdvisor struct {
	// at is an address in the heap; lo the start of its mapping, from the
	// first reading of the process's mappings.
	at, lo uint64
	// advised holds the mappings advised so far, end by start.
	advised map[uint64]uint64
}

func newHeapAdvisor(at uintptr) *heapAdvisor {
	return &heapAdvisor{at: uint64(at), advised: map[uint64]uint64{}}
}

// advise advises the heap's mappings not advised before.
func (a *heapAdvisor) advise() {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	if a.lo == 0 {
		for _, m := range anonMappings(maps) {
			if m.lo <= a.at && a.at < m.hi {
				a.lo = m.lo
			}
		}
		if a.lo == 0 {
			return
		}
	}
	for _, m := range heapMappings(maps, a.lo) {
		if a.advised[m.lo] == m.hi {
			continue
		}
		// The heap's mappings are whole pages; an error leaves the
		// mapping as it was.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(m.lo), uintptr(m.hi-m.lo), unix.MADV_HUGEPAGE)
		a.advised[m.lo] = m.hi
	}
}

// A mapping is a range of the address space, [lo, hi).
type mapping struct{ lo, hi uint64 }

// anonMappings returns the private, writable mappings of no file in the
// text of /proc/self/maps.
func anonMappings(maps []byte) []mapping {
	var ms []mapping
	for line := range bytes.Lines(maps) {
		f := bytes.Fields(line)
		// address perms offset dev inode [path]
		if len(f) != 5 || string(f[1]) != "rw-p" || string(f[4]) != "0" {
			continue
		}
		l, h, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(string(l), 16, 64)
		hi, err2 := strconv.ParseUint(string(h), 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		ms = append(ms, mapping{lo, hi})
	}
	return ms
}

// heapSpan is how far past its first mapping the Go heap is looked for:
// the runtime grows the heap upwards from where it starts (a random place
// under 2^46 on 64-bit Linux), while the other anonymous mappings (the
// runtime's own, thread stacks) lie near the top of the address space.
const heapSpan = 1 << 40

// heapMappings returns the anonymous mappings of the heap that starts at
// lo, of at least one huge page.
func heapMappings(maps []byte, lo uint64) []mapping {
	var ms []mapping
	for _, m := range anonMappings(maps) {
		if m.lo >= lo && m.lo-lo < heapSpan && m.hi-m.lo >= 2<<20 {
			ms = append(ms, m)
		}
	}
	return ms
}
