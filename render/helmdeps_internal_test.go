package render

import (
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
)

// TestLockDigestCorpus: the Chart.lock of every chart in the corpus, made
// by helm, has the digest lockDigest computes, so a lock is never refused
// for a difference in hashing.
func TestLockDigestCorpus(t *testing.T) {
	var n int
	if err := filepath.WalkDir("../../shared/corpus", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "Chart.lock" {
			return nil
		}
		ch, err := loader.LoadDir(filepath.Dir(p))
		if err != nil || ch.Lock == nil {
			return nil
		}
		n++
		if got, err := lockDigest(ch); err != nil || got != ch.Lock.Digest {
			t.Errorf("%s: digest %s, helm wrote %s (%v)", p, got, ch.Lock.Digest, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Skip("no Chart.lock in ../../shared/corpus")
	}
}

// LockDigest lets the external tests write a Chart.lock helm would.
var LockDigest = lockDigest
