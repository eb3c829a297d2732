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

// gcPercentFor is the collector percentage for a live heap of live bytes.
func gcPercentFor(live uint64) int {
	if live <= gcHeadroom {
		return 100
	}
	return max(50, int(100*gcHeadroom/live))
}

// tuneGC sets the collector's percentage from the live heap after every
// collection (percentFor, gcPercentFor in kubeharden), unless the
// environment sets GOGC, and returns a function that stops it. The
// soft memory limit (setMemoryLimit) still applies.
func tuneGC(getenv func(string) string, percentFor func(uint64) int) (stop func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	var stopped atomic.Bool
	current := -2 // no percentage set yet
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
