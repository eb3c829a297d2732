package scan

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// TestPrefetch: the secret search Prefetch starts while a chart renders is
// the one the Files rule reports from, and the findings are those of a
// scan without it.
func TestPrefetch(t *testing.T) {
	ctx := context.Background()
	dir := "../testdata/helm/secrets"
	set, err := render.Load(ctx, []string{dir}, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(ctx, set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Start(All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	prefetched := 0
	set, err = render.Load(ctx, []string{dir}, render.Options{
		Prefetch: func(ts []render.Text) { prefetched += len(ts); sc.Prefetch(ts) },
		Each: func(b render.Batch) error {
			n := 0
			sc.s.prefetch.Range(func(any, any) bool { n++; return true })
			if len(b.Texts) > 0 && n == 0 {
				t.Error("a batch with texts came with no search prefetched")
			}
			return sc.Add(ctx, b)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sc.Finish(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	if prefetched == 0 {
		t.Fatal("Load prefetched no text of the chart")
	}
	left := 0
	sc.s.prefetch.Range(func(any, any) bool { left++; return true })
	if left != 0 {
		t.Errorf("%d prefetched searches were not taken by the Files rule", left)
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("with prefetch: %d findings, want the %d of a scan without", len(got), len(want))
	}
}

// TestTakeOrdered: the findings come out stably sorted by rank, each made
// from its record, and the scanner keeps none.
func TestTakeOrdered(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100, 1000} {
		s := newScanner(&Config{})
		for i := range n {
			s.recs.add(record{check: HostNamespaces, line: i, rank: int32(rng.IntN(5))})
		}
		var want []record
		for _, c := range s.recs.chunks {
			want = append(want, c...)
		}
		if len(want) != n || s.recs.n != n || (n > 8 && len(s.recs.chunks) < 2) {
			t.Fatalf("%d records: the log holds %d (n %d) in %d chunks", n, len(want), s.recs.n, len(s.recs.chunks))
		}
		slices.SortStableFunc(want, func(a, b record) int { return int(a.rank - b.rank) })
		got := s.takeOrdered()
		if !slices.EqualFunc(got, want, func(a Finding, b record) bool { return a.Line == b.line && a.Rule == HostNamespaces.ID }) {
			t.Errorf("%d findings: order %v", n, got)
		}
		if s.recs.n != 0 || s.recs.chunks != nil {
			t.Errorf("%d findings: the scanner keeps them", n)
		}
	}
}
