package scan_test

import (
	"context"
	"log"
	"os"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// The benchmarks read a generated tree the size of a large monorepo's
// deploy folder: 2,000 files, 14 MB and 3,799 objects. Run them with
// scripts/bench, or:
//
//	go test ./scan/ -run '^$' -bench 'Load|Scan' -benchmem
const (
	benchFiles = 2000
	benchSeed  = 1
)

// benchTree writes the tree into a temporary directory and returns it with
// its size in bytes. It stops the timer while it works; callers reset it.
func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	dir := b.TempDir()
	size, err := testgen.Tree(dir, benchFiles, benchSeed)
	if err != nil {
		b.Fatal(err)
	}
	return dir, size
}

func load(b *testing.B, dir string) *render.Set {
	b.Helper()
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if len(set.Problems) > 0 {
		b.Fatalf("generated tree has problems, first: %s: %s", set.Problems[0].Pos, set.Problems[0].Message)
	}
	return set
}

func run(b *testing.B, set *render.Set) []scan.Finding {
	b.Helper()
	fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return fs
}

// report adds the per-object time and the size of the input to the result.
func report(b *testing.B, objects int, size int64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(objects), "ns/object")
	b.ReportMetric(float64(objects), "objects")
	b.ReportMetric(float64(size)/1e6, "MB")
}

// BenchmarkLoad measures reading and parsing the tree.
func BenchmarkLoad(b *testing.B) {
	dir, size := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	var set *render.Set
	for range b.N {
		set = load(b, dir)
	}
	b.StopTimer()
	report(b, len(set.Objects), size)
}

// fresh returns a set with copies of the objects of set. render.Object
// caches its decoded value, so scanning the same objects twice would
// measure a warm cache that a real scan, which loads and scans once,
// never has.
func fresh(set *render.Set) *render.Set {
	out := *set
	out.Objects = make([]*render.Object, len(set.Objects))
	for i, o := range set.Objects {
		c := *o
		out.Objects[i] = &c
	}
	return &out
}

// BenchmarkScan measures the checks alone on objects loaded beforehand,
// each iteration on objects no scan has seen.
func BenchmarkScan(b *testing.B) {
	dir, size := benchTree(b)
	b.StopTimer()
	set := load(b, dir)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s := fresh(set)
		b.StartTimer()
		run(b, s)
	}
	b.StopTimer()
	report(b, len(set.Objects), size)
}

// BenchmarkLoadAndScan measures what `kubeharden scan` does with the tree.
func BenchmarkLoadAndScan(b *testing.B) {
	dir, size := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	objects := 0
	for range b.N {
		set := load(b, dir)
		run(b, set)
		objects = len(set.Objects)
	}
	b.StopTimer()
	report(b, objects, size)
}

// kubePrometheusStack is the largest chart of the corpus, dependencies vendored.
const kubePrometheusStack = "../../shared/corpus/prometheus-community-helm-charts/charts/kube-prometheus-stack"

// BenchmarkHelmRender renders kube-prometheus-stack with the Helm library
// and nothing else of ours: the baseline for BenchmarkHelmRenderAndScan.
func BenchmarkHelmRender(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		set, err := render.Load(context.Background(), []string{kubePrometheusStack}, render.Options{})
		if err != nil || len(set.Objects) == 0 {
			b.Fatalf("render: %v, %d objects", err, len(set.Objects))
		}
		b.ReportMetric(float64(len(set.Objects)), "objects")
	}
}

// BenchmarkHelmRenderAndScan renders kube-prometheus-stack and runs every rule.
func BenchmarkHelmRenderAndScan(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		set, err := render.Load(context.Background(), []string{kubePrometheusStack}, render.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := scan.Run(context.Background(), set, scan.All, scan.Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// kustomizeRepos are the corpus repositories with kustomize trees.
var kustomizeRepos = []string{"../../shared/corpus/podinfo", "../../shared/corpus/microservices-demo/kustomize",
	"../../shared/corpus/kustomize/examples", "../../shared/corpus/ingress-nginx/deploy"}

// BenchmarkKustomizeBuildAndScan builds every kustomize root of the corpus
// repositories and runs every rule (render's BenchmarkKustomizeCorpus
// times the builds alone and krusty alone).
func BenchmarkKustomizeBuildAndScan(b *testing.B) {
	quietStderr(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		set, err := render.Load(context.Background(), kustomizeRepos, render.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := scan.Run(context.Background(), set, scan.All, scan.Config{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(set.Objects)), "objects")
	}
}

// quietStderr points os.Stderr and the standard logger at the null device
// for the benchmark, as the kubeharden binary does (cmd/kubeharden's main
// and isolateStdio): kustomize prints a note to either for every build of a
// kustomization with a deprecated field or an unused var, which go test
// would interleave with the benchmark's result line.
func quietStderr(b *testing.B) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	stderr, logs := os.Stderr, log.Writer()
	os.Stderr = null
	log.SetOutput(null)
	b.Cleanup(func() {
		os.Stderr = stderr
		log.SetOutput(logs)
		if err := null.Close(); err != nil {
			b.Error(err)
		}
	})
}
