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
// turns it off; this test then says so, and genericMayFind must be
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
		t.Fatalf("gitleaks' generic-api-key is no longer %s: derive genericMayFind from the new expression", genericAPIKeyRegex)
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
// of its keywords in the match passes genericMayFind without a bound on
// the value, and wherever gitleaks would report the match (its secret's
// entropy above the rule's threshold), one passes it with the rule's
// bound: the windows the prefilter drops hold no match, and the keywords
// it passes over no finding. Checked on random text built from the
// expression's own parts and on a generated tree of manifests.
func TestGenericPrefilterSound(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	rule := s.cfg.Rules["generic-api-key"]
	re, distinct := rule.Regex, minDistinct(rule.Entropy)
	if distinct != 12 {
		t.Fatalf("minDistinct(%v) = %d, want 12", rule.Entropy, distinct)
	}
	reportable := 0
	check := func(text []byte) (matches int) {
		lower := bytes.ToLower(text)
		if wholeText(text, lower) {
			return 0 // windows() searches the whole text
		}
		hits := s.keywords.Match(lower)
		passes := func(m []int, distinct int) bool {
			for _, h := range hits {
				start, end := int(h.Pos()), int(h.Pos())+len(h.Match())
				if start >= m[0] && end <= m[1] && genericMayFind(text, end, distinct) {
					return true
				}
			}
			return false
		}
		for _, m := range re.FindAllIndex(text, -1) {
			matches++
			if !passes(m, 0) {
				t.Errorf("the prefilter rejects every keyword of a match: %q", text[m[0]:m[1]])
			}
			secret, _ := ruleSecret(re, rule.SecretGroup, strings.Trim(string(text[m[0]:m[1]]), "\n"))
			if shannonEntropy(secret) > rule.Entropy-entropySlack {
				reportable++
				if !passes(m, distinct) {
					t.Errorf("the prefilter rejects every keyword of a match with a secret of entropy %.2f: %q", shannonEntropy(secret), text[m[0]:m[1]])
				}
			}
		}
		return matches
	}
	parts := []string{"key", "api", "API", "Api", "token", "secret", "passwd", "password", "auth", "access", "creds", "credential",
		"_", "-", ".", " ", "\t", "\n", "'", "\"", "`", "=", ">", ":", "::", "|", "?", ",", ";", "\\n", "+", "/",
		"abcdefghij", "ABCD1234", "x9Kq", "0123456789", "zz", "Q", "é", "tOken", "Zx8Qw3Rt", "p+q/r=", "=="}
	r := rand.New(rand.NewPCG(1, 2))
	total := 0
	for range 20000 {
		var b strings.Builder
		for range 4 + r.IntN(24) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		total += check([]byte(b.String()))
	}
	if total < 1000 || reportable < 200 {
		t.Fatalf("only %d matches, %d with a secret gitleaks reports, in the random texts: they test little", total, reportable)
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
	t.Logf("%d matches in random texts, %d in the generated tree, %d with a secret gitleaks reports, each with a keyword the prefilter keeps", total, tree, reportable)
}
