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

// memoryFloor is the least soft memory limit a scan runs with: under it
// the collector percentage alone paces the collector.
const memoryFloor = 400 << 20

// gcSettings is what the tuner sets for a live heap: the collector
// percentage and the soft limit on all the memory the Go runtime holds.
type gcSettings struct {
	percent int
	limit   int64
}

// gcSettingsFor returns the settings for a live heap of live bytes: the
// percentage of gcPercentFor, and a limit on all the memory the runtime
// holds of half again what is live, at least memoryFloor. The percentage
// bounds the heap; the limit bounds the rest as well: the unused room in
// the heap's spans and the freed pages not yet returned to the system, of
// which a scan that keeps part of every object among what it frees has
// much (150-200 MB beside a 470 MB heap). Near the limit the collector
// runs sooner and the runtime returns free pages at once: the
// 20,000-file generated tree, whose live heap ends near 250-300 MB, peaks
// at 460-475 MB of RSS instead of 610-690 MB, for 0.5-1.4 s more of its
// 18-19 s (the collector starts more often once the limit, not the
// percentage, paces it). A limit tied to the live heap, unlike a fixed
// one, cannot have the collector run without end when a larger input
// keeps more.
func gcSettingsFor(live uint64) gcSettings {
	return gcSettings{percent: gcPercentFor(live), limit: int64(max(memoryFloor, live+live/2))}
}

// tuneGC sets the collector's percentage and the soft memory limit from
// the live heap at the start and after every collection (settingsFor,
// gcSettingsFor in kubeharden), each unless the environment sets it (GOGC,
// GOMEMLIMIT), and returns a function that stops it.
func tuneGC(getenv func(string) string, settingsFor func(uint64) gcSettings) (stop func()) {
	percent, limit := getenv("GOGC") == "", getenv("GOMEMLIMIT") == ""
	if !percent && !limit {
		return func() {}
	}
	var current gcSettings
	apply := func(live uint64) {
		next := settingsFor(live)
		if percent && next.percent != current.percent {
			debug.SetGCPercent(next.percent)
		}
		if limit && next.limit != current.limit {
			debug.SetMemoryLimit(next.limit)
		}
		current = next
	}
	// Before the first collection nothing is live.
	apply(0)
	return afterEachGC(func() { apply(liveHeap()) })
}

// afterEachGC calls f after every collection, one call at a time (in the
// runtime's finalizer goroutine), until the returned function is called.
func afterEachGC(f func()) (stop func()) {
	var stopped atomic.Bool
	var arm func()
	arm = func() {
		// A sentinel nothing refers to: its finalizer runs once the
		// collection after this one has found it unreachable.
		s := new(gcSentinel)
		runtime.SetFinalizer(s, func(*gcSentinel) {
			if stopped.Load() {
				return
			}
			f()
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
