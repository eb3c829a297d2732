package scan

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/internal/testgen"
)

// heapBound is what a scan of the 20,000-file generated tree (about 140 MB
// of YAML, 38,500 objects) may hold in heap objects at any time, measured
// with the collector at GOGC 25 so that the sample is close to what is
// live. Before objects were checked and pruned batch by batch, every node
// tree and text stayed alive to the end: 3.2 GB. Batch by batch the peak
// was about 750 MB; with the kept trees frozen, the findings' identities
// shared and the findings put in order where they are, it is about 490 MB:
// the frozen trees, the typed pod specs and the findings.
const heapBound = 640 << 20

// TestScanMemoryBounded scans the 20,000-file generated tree as kubeharden
// scan does (render.Load handing each batch to a Scan) and samples the heap
// with runtime/metrics while it runs: no timing, only memory.
func TestScanMemoryBounded(t *testing.T) {
	dir := t.TempDir()
	if _, err := testgen.Tree(dir, 20000, 1); err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	before := heapObjects()

	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, heapObjects())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()

	set, fs := scanInBatches(t, dir, true)
	close(done)
	wg.Wait()
	if len(set.Objects) < 30000 || len(fs) < 50000 {
		t.Fatalf("the tree gave %d objects and %d findings: not the scan this test measures", len(set.Objects), len(fs))
	}
	used := peak - min(before, peak)
	t.Logf("%d objects, %d findings: peak heap %d MB", len(set.Objects), len(fs), used>>20)
	if used > heapBound {
		t.Errorf("peak heap %d MB, over the bound of %d MB", used>>20, heapBound>>20)
	}
}

// heapObjects is the heap memory held by objects, live or not yet swept.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
