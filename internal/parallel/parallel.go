// Package parallel runs the work of a slice on every core and keeps the
// order of its results.
package parallel

import (
	"context"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// ForEach calls fn(i) for i in [0, n), on at most GOMAXPROCS goroutines
// at once, and returns when every call it started has returned. Indices
// are handed out in increasing order (render's prefix budgets count on
// it); fn writes its result at index i, which keeps the results in input
// order whatever the timing.
// Once ctx is done no further index is handed out and ForEach returns
// ctx's error.
func ForEach(ctx context.Context, n int, fn func(i int)) error {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			fn(i)
			return nil
		})
	}
	_ = g.Wait() // the calls return no errors
	return ctx.Err()
}
