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

// TestTakeOrdered: the findings come out stably sorted by rank, put in
// order where they are, and the scanner keeps none.
func TestTakeOrdered(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100, 1000} {
		s := newScanner(&Config{})
		for i := range n {
			s.findings = append(s.findings, Finding{Line: i})
			s.ranks = append(s.ranks, rng.IntN(5))
		}
		want := slices.Clone(s.findings)
		ranks := slices.Clone(s.ranks)
		slices.SortStableFunc(want, func(a, b Finding) int { return ranks[a.Line] - ranks[b.Line] })
		held := s.findings
		got := s.takeOrdered()
		if !slices.EqualFunc(got, want, func(a, b Finding) bool { return a.Line == b.Line }) {
			t.Errorf("%d findings: order %v", n, got)
		}
		if n > 0 && &got[0] != &held[0] {
			t.Errorf("%d findings: copied", n)
		}
		if s.findings != nil || s.ranks != nil {
			t.Errorf("%d findings: the scanner keeps them", n)
		}
	}
}
