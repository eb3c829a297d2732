package parallel

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

func TestForEachKeepsOrder(t *testing.T) {
	out := make([]int, 100)
	if err := ForEach(context.Background(), len(out), func(i int) { out[i] = i * i }); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i*i {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
}

// TestForEachLimits: no more calls run at once than there are cores.
func TestForEachLimits(t *testing.T) {
	var mu sync.Mutex
	running, most := 0, 0
	err := ForEach(context.Background(), 200, func(int) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		for range 1000 {
			runtime.Gosched()
		}
		mu.Lock()
		running--
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if most > runtime.GOMAXPROCS(0) {
		t.Errorf("%d calls at once, GOMAXPROCS is %d", most, runtime.GOMAXPROCS(0))
	}
}

// TestForEachStopsWhenCancelled: every call but the first waits for the
// first, which cancels; the calls already handed out then run, no more.
func TestForEachStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	err := ForEach(ctx, 1000, func(i int) {
		if i == 0 {
			cancel()
			close(first)
		}
		<-first
		mu.Lock()
		calls++
		mu.Unlock()
	})
	if err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if limit := runtime.GOMAXPROCS(0) + 1; calls > limit {
		t.Errorf("%d calls after the cancel, want at most %d", calls, limit)
	}
	if err := ForEach(ctx, 10, func(int) { t.Error("a call after the cancel") }); err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
