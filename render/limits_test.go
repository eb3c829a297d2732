package render

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCountDocuments(t *testing.T) {
	for _, c := range []struct {
		in         string
		limit      int
		n, at, off int // at, off: where the first document past limit starts; 0 and the length when none
	}{
		{"", 10, 0, 0, 0},
		{"# only a comment\n", 10, 0, 0, 0},
		{"a: 1\n", 10, 1, 0, 5},
		{"a: 1\n---\nb: 2\n---\n", 10, 2, 0, 17},
		{"---\na: 1\n---\n# c\n---\nb: 2\n", 10, 2, 0, 24},
		{"a: 1\n---\nb: 2\n---\nc: 3\n", 1, 2, 2, 5},
		{"a: |\n  ---x\n  b\n--- c\n---\nd: 1\n", 1, 2, 4, 16},
		{"a: 1\n...\nb: 2\n", 1, 2, 3, 9},
		{"%YAML 1.2\n---\na: 1\n", 10, 1, 0, 19},
		{"----\na: 1\n", 10, 1, 0, 10},
	} {
		if c.at == 0 {
			c.off = len(c.in)
		}
		n, off, at := countDocuments([]byte(c.in), c.limit)
		if n != c.n || at != c.at || off != c.off {
			t.Errorf("countDocuments(%q, %d) = %d documents, offset %d, line %d; want %d, %d, %d", c.in, c.limit, n, off, at, c.n, c.off, c.at)
		}
	}
}

func configMaps(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n", i)
	}
	return b.String()
}

// onlyProblem returns the one problem on file, failing the test unless
// there is exactly one.
func onlyProblem(t *testing.T, set *Set, file string) Problem {
	t.Helper()
	var found []Problem
	for _, p := range set.Problems {
		if p.Pos.File == file {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("problems on %s: %+v; want one (all: %+v)", file, found, set.Problems)
	}
	return found[0]
}

func countFrom(set *Set, file string) int {
	n := 0
	for _, o := range set.Objects {
		if o.File == file {
			n++
		}
	}
	return n
}

// TestFileDocumentsLimit: a file of 100,000 documents is read up to the
// limit (the default), the rest is a located skipped problem, and the file
// beside it is read in full.
func TestFileDocumentsLimit(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "many.yaml", []byte(configMaps(0, 100_000)))
	write(t, dir, "other.yaml", []byte(configMap))
	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p := onlyProblem(t, set, "many.yaml")
	if p.Kind != Skipped || p.Pos.Line != 1+DefaultMaxFileDocuments*5 || !strings.Contains(p.Message, "more than 10000 YAML documents") {
		t.Errorf("problem = %+v; want skipped at line %d", p, 1+DefaultMaxFileDocuments*5)
	}
	if n := countFrom(set, "many.yaml"); n != DefaultMaxFileDocuments {
		t.Errorf("%d objects from many.yaml; want the first %d", n, DefaultMaxFileDocuments)
	}
	if n := countFrom(set, "other.yaml"); n != 1 {
		t.Errorf("%d objects from other.yaml; want 1", n)
	}
}

// manyChart writes a chart whose template emits .Values.count ConfigMaps,
// of .Values.pad bytes of data each.
func manyChart(t *testing.T, dir string, count, pad int) {
	write(t, dir, "chart/Chart.yaml", []byte("apiVersion: v2\nname: many\nversion: 0.1.0\n"))
	write(t, dir, "chart/values.yaml", []byte(fmt.Sprintf("count: %d\npad: %d\n", count, pad)))
	write(t, dir, "chart/templates/cm.yaml", []byte(`{{- $pad := repeat (int .Values.pad) "x" }}
{{- range until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ . }}
data:
  pad: {{ $pad }}
{{- end }}
`))
	write(t, dir, "other.yaml", []byte(configMap))
}

// TestChartObjectsLimit: a template that loops past the objects limit
// (the default one) is a located problem on Chart.yaml; nothing of the
// render is kept, and the file beside the chart is read.
func TestChartObjectsLimit(t *testing.T) {
	dir := t.TempDir()
	manyChart(t, dir, DefaultMaxChartObjects+1, 1)
	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p := onlyProblem(t, set, "chart/Chart.yaml")
	if p.Kind != Skipped || p.Pos.Line != 1 || !strings.Contains(p.Message, "limits.chartObjects") {
		t.Errorf("problem = %+v; want skipped on the chart objects limit", p)
	}
	if n := countFrom(set, "chart/templates/cm.yaml"); n != 0 {
		t.Errorf("%d objects from the chart; want none", n)
	}
	if n := countFrom(set, "other.yaml"); n != 1 {
		t.Errorf("%d objects from other.yaml; want 1", n)
	}
}

// TestRenderedBytesLimit: a template emitting two million objects, and
// one rendering a gigabyte, are stopped by the rendered bytes limit (the
// default one) as they are written, with a located problem, and the heap
// never holds the gigabyte.
func TestRenderedBytesLimit(t *testing.T) {
	for _, c := range []struct {
		name       string
		count, pad int
	}{
		{"two million objects", 2_000_000, 1},
		{"a gigabyte", 1024, 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			manyChart(t, dir, c.count, c.pad)
			var set *Set
			var err error
			peak := peakHeap(func() { set, err = Load(context.Background(), []string{"."}, Options{Dir: dir}) })
			if err != nil {
				t.Fatal(err)
			}
			p := onlyProblem(t, set, "chart/Chart.yaml")
			if p.Kind != Skipped || !strings.Contains(p.Message, "over the 64.0 MiB limit (limits.renderedBytes") {
				t.Errorf("problem = %+v; want skipped on the rendered bytes limit", p)
			}
			if n := countFrom(set, "other.yaml"); n != 1 {
				t.Errorf("%d objects from other.yaml; want 1", n)
			}
			t.Logf("peak heap in use %d MiB", peak>>20)
			if peak > 400<<20 {
				t.Errorf("peak heap in use %d MiB; want under 400 MiB", peak>>20)
			}
		})
	}
}

// peakHeap runs fn and returns the most heap in use seen while it ran,
// sampled.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	stop := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	return <-result
}

// TestValueSetLimit: a value set that multiplies a chart's objects is a
// problem on its values file; the chart's other value set is rendered.
func TestValueSetLimit(t *testing.T) {
	dir := t.TempDir()
	manyChart(t, dir, 3, 1)
	write(t, dir, "chart/values-big.yaml", []byte("count: 5000\n"))
	opt := Options{Dir: dir, Limits: Limits{ChartObjects: 1000}, Helm: HelmOptions{ValueSets: map[string][]ValueSet{
		"chart": {{Name: "small"}, {Name: "big", Files: []string{"values-big.yaml"}}},
	}}}
	set, err := Load(context.Background(), []string{"."}, opt)
	if err != nil {
		t.Fatal(err)
	}
	p := onlyProblem(t, set, "chart/values-big.yaml")
	if p.Kind != Skipped || !strings.Contains(p.Message, "value set big") || !strings.Contains(p.Message, "limit of 1000") {
		t.Errorf("problem = %+v; want skipped on the chart objects limit, naming the value set", p)
	}
	if n := countFrom(set, "chart/templates/cm.yaml"); n != 3 {
		t.Errorf("%d objects from the chart; want the 3 of value set small", n)
	}
}

// TestObjectsLimit: once the scan holds its limit of objects, the input
// that does not fit and every later one are dropped, always the same
// ones, with one problem on the first.
func TestObjectsLimit(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 40; i++ {
		write(t, dir, fmt.Sprintf("f%02d.yaml", i), []byte(configMaps(0, 10)))
	}
	manyChart(t, dir, 5, 1)
	var first string
	for run := 0; run < 3; run++ {
		set, err := Load(context.Background(), []string{"."}, Options{Dir: dir, Limits: Limits{Objects: 125}})
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Objects) != 120 {
			t.Errorf("%d objects; want 120 (12 files)", len(set.Objects))
		}
		p := onlyProblem(t, set, "f12.yaml")
		if p.Kind != Skipped || p.Pos.Line != 2 || !strings.Contains(p.Message, "the 10 objects of this input and the 29 inputs after it") {
			t.Errorf("problem = %+v", p)
		}
		sameProblems(t, run, &first, set)
	}
}

// sameProblems records the problems of a Set on the first run, and on
// later runs reports any that differ from them.
func sameProblems(t *testing.T, run int, first *string, set *Set) {
	t.Helper()
	var got []string
	for _, p := range set.Problems {
		got = append(got, p.Pos.String()+" "+p.Message)
	}
	if all := strings.Join(got, "\n"); run == 0 {
		*first = all
	} else if all != *first {
		t.Errorf("run %d problems differ:\n%s\nfirst:\n%s", run, all, *first)
	}
}

// TestObjectsLimitAcrossBatches: the files are read a batch ahead of the
// one being taken, with the budget as it was before; the budget still
// drops the same files, with the same problem, and counts as not
// manifests only the files it took.
func TestObjectsLimitAcrossBatches(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 5; i++ {
		write(t, dir, fmt.Sprintf("a%02d.yaml", i), []byte("a: 1\n"))
	}
	for i := 0; i < 4*fileBatch; i++ {
		write(t, dir, fmt.Sprintf("f%03d.yaml", i), []byte(configMaps(0, 10)))
	}
	limit := 10*(fileBatch+fileBatch/2) + 5 // the budget runs out in the second batch
	fit := (limit / 10)                     // files of 10 objects that fit
	// Files that are no manifests in the third batch, read before the
	// budget ran out in the second.
	for i := 0; i < 5; i++ {
		write(t, dir, fmt.Sprintf("f%03da.yaml", 2*fileBatch+i), []byte("a: 1\n"))
	}
	var first string
	for run := 0; run < 5; run++ {
		set, err := Load(context.Background(), []string{"."}, Options{Dir: dir, Limits: Limits{Objects: limit}})
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Objects) != 10*fit {
			t.Errorf("%d objects; want %d (%d files)", len(set.Objects), 10*fit, fit)
		}
		if set.NotManifests != 5 {
			t.Errorf("%d files are not manifests; want the 5 before the budget ran out", set.NotManifests)
		}
		after := 4*fileBatch - fit - 1 + 5
		p := onlyProblem(t, set, fmt.Sprintf("f%03d.yaml", fit))
		if p.Kind != Skipped || !strings.Contains(p.Message, fmt.Sprintf("the 10 objects of this input and the %d inputs after it", after)) {
			t.Errorf("problem = %+v", p)
		}
		sameProblems(t, run, &first, set)
	}
}

// TestLoadStopsReading: when the scan refuses a batch, Load returns its
// error once the batch it was reading ahead is read: nothing reads, nor
// reports progress, after Load returns.
func TestLoadStopsReading(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3*fileBatch; i++ {
		write(t, dir, fmt.Sprintf("f%03d.yaml", i), []byte(configMaps(0, 2)))
	}
	stop := errors.New("stop")
	var returned atomic.Bool
	late := atomic.Int64{}
	_, err := Load(context.Background(), []string{"."}, Options{Dir: dir,
		Each: func(b Batch) error {
			if len(b.Objects) > 0 { // the first batch of files
				return stop
			}
			return nil
		},
		Progress: func(Stage, int, int) {
			if returned.Load() {
				late.Add(1)
			}
		}})
	returned.Store(true)
	if !errors.Is(err, stop) {
		t.Fatalf("Load: %v, want the scan's error", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := late.Load(); n > 0 {
		t.Errorf("%d files reported read after Load returned", n)
	}
}
