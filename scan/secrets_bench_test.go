package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
)

func benchTexts(b *testing.B) (map[string][]byte, int) {
	b.Helper()
	dir := b.TempDir()
	if _, err := testgen.Tree(dir, 2000, 1); err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{}
	n := 0
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			files[p] = data
			n += len(data)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return files, n
}

// BenchmarkSecretsWindows is secret detection as the scanner runs it, on one
// core, over the generated 2,000-file tree.
func BenchmarkSecretsWindows(b *testing.B) {
	s, _ := defaultSecrets()
	files, n := benchTexts(b)
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for p, t := range files {
			s.findLeaks(p, t)
		}
	}
}

// BenchmarkSecretsWholeFiles is gitleaks' own way, a fragment a file.
func BenchmarkSecretsWholeFiles(b *testing.B) {
	s, _ := defaultSecrets()
	files, n := benchTexts(b)
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for p, t := range files {
			s.findLeaksWhole(p, t)
		}
	}
}
