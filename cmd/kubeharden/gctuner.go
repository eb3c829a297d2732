package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// gcHeadroom is the live heap up to which the collector runs at its
// default percentage (100: the heap grows to twice what is live before it
// collects). A scan's live heap grows with what the cross-object rules
// keep of each object and with the findings: about 300 MB on the
// 20,000-file generated tree, which the default lets grow to 600 MB.
// Past gcHeadroom the heap may grow by gcHeadroom, or by half of what is
// live, whichever is more: the 20,000-file tree peaked at 720–730 MB of
// RSS instead of 920–930 MB, in the same time within the machine's noise
// (GOGC=50 throughout cost 10 % more CPU), and a scan of a few thousand
// files, whose live heap stays under it, runs as before.
const gcHeadroom = 160 << 20

// gcFloor is the heap a scan may grow to before a collection whatever is
// live, and gcMaxPercent the most a small live heap may grow by. A scan's
// live heap grows from a few MB, and the default percentage collects at
// 4, 8, 16 MB and so on: the 2,000-file generated tree, whose live heap
// stays under 50 MB, ran 23 collections, and runs 17 with the floor, in
// about 7 % less CPU (3.0 -> 2.8 s) for 10 MB more peak RSS (166 -> 177
// MB); a small repository peaks higher (testdata/: 104 -> 128 MB).
const (
	gcFloor      = 80 << 20
	gcMaxPercent = 300
)

// gcPercentFor is the collector percentage for a live heap of live bytes.
func gcPercentFor(live uint64) int {
	switch {
	case live > gcHeadroom:
		return max(50, int(100*gcHeadroom/live))
	case 2*live >= gcFloor:
		return 100
	case live == 0:
		return gcMaxPercent
	}
	return min(gcMaxPercent, int(100*(gcFloor-live)/live))
}

// tuneGC sets the collector's percentage from the live heap at the start
// and after every collection (percentFor, gcPercentFor in kubeharden), unless the
// environment sets GOGC, and returns a function that stops it. The
// soft memory limit (setMemoryLimit) still applies.
func tuneGC(getenv func(string) string, percentFor func(uint64) int) (stop func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	var stopped atomic.Bool
	// Before the first collection nothing is live.
	current := percentFor(0)
	debug.SetGCPercent(current)
	var arm func()
	arm = func() {
		// A sentinel nothing refers to: its finalizer runs once the
		// collection after this one has found it unreachable.
		s := new(gcSentinel)
		runtime.SetFinalizer(s, func(*gcSentinel) {
			if stopped.Load() {
				return
			}
			if p := percentFor(liveHeap()); p != current {
				debug.SetGCPercent(p)
				current = p
			}
			arm()
		})
	}
	arm()
	return func() { stopped.Store(true) }
}

// A gcSentinel is large enough to have a heap object of its own (the Go
// runtime batches smaller pointer-free objects, whose finalizers may
// never run).
type gcSentinel struct{ _ [32]byte }

// liveHeap is the heap the last collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
