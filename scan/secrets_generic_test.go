package scan

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
)

// TestGenericPrefilterMatchesRule: the prefilter is on for gitleaks'
// generic rule as shipped. A gitleaks upgrade that changes the expression
// turns it off; this test then says so, and genericMayMatch must be
// derived again from the new expression.
func TestGenericPrefilterMatchesRule(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	on := false
	for _, rd := range s.byKeyword["key"] {
		if rd.id == "generic-api-key" {
			on = rd.mayMatch != nil
		}
	}
	if !on {
		t.Fatalf("gitleaks' generic-api-key is no longer %s: derive genericMayMatch from the new expression", genericAPIKeyRegex)
	}
	for _, rds := range s.byKeyword {
		for _, rd := range rds {
			if rd.id == secretManifestRule {
				t.Fatalf("%s is searched", secretManifestRule)
			}
		}
	}
}

// TestGenericPrefilterSound: wherever the generic expression matches, one
// of its keywords in the match passes genericMayMatch, so the windows the
// prefilter drops hold no match. Checked on random text built from the
// expression's own parts and on a generated tree of manifests.
func TestGenericPrefilterSound(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	re := s.d.Config.Rules["generic-api-key"].Regex
	check := func(text []byte) (matches int) {
		lower := bytes.ToLower(text)
		if len(lower) != len(text) {
			return 0
		}
		hits := s.keywords.Match(lower)
		for _, m := range re.FindAllIndex(text, -1) {
			matches++
			ok := false
			for _, h := range hits {
				start, end := int(h.Pos()), int(h.Pos())+len(h.Match())
				if start >= m[0] && end <= m[1] && genericMayMatch(lower, end) {
					ok = true
					break
				}
			}
			if !ok {
				t.Errorf("the prefilter rejects every keyword of a match: %q", text[m[0]:m[1]])
			}
		}
		return matches
	}
	parts := []string{"key", "api", "API", "Api", "token", "secret", "passwd", "password", "auth", "access", "creds", "credential",
		"_", "-", ".", " ", "\t", "\n", "'", "\"", "`", "=", ">", ":", "::", "|", "?", ",", ";", "\\n", "+", "/",
		"abcdefghij", "ABCD1234", "x9Kq", "0123456789", "zz", "Q", "é"}
	r := rand.New(rand.NewPCG(1, 2))
	total := 0
	for range 20000 {
		var b strings.Builder
		for range 4 + r.IntN(24) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		total += check([]byte(b.String()))
	}
	if total < 1000 {
		t.Fatalf("only %d matches in the random texts: they test little", total)
	}
	dir := t.TempDir()
	if _, err := testgen.Tree(dir, 200, 3); err != nil {
		t.Fatal(err)
	}
	tree := 0
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		tree += check(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if tree == 0 {
		t.Fatal("no match in the generated tree")
	}
	t.Logf("%d matches in random texts, %d in the generated tree, each with a keyword the prefilter keeps", total, tree)
}
