package scan

import (
	"bytes"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
)

// TestPrefiltersMatchRules: every prefilter is on for its gitleaks rule as
// shipped. A gitleaks upgrade that changes an expression turns its
// prefilter off; this test then says so, and the prefilter must be derived
// again from the new expression.
func TestPrefiltersMatchRules(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]bool{}
	for _, rds := range s.byKeyword {
		for _, rd := range rds {
			if rd.id == secretManifestRule {
				t.Fatalf("%s is searched", secretManifestRule)
			}
			on[rd.id] = rd.mayMatch != nil
		}
	}
	for id, p := range prefilters {
		if !on[id] {
			t.Errorf("gitleaks' %s is no longer %s: derive its prefilter from the new expression", id, p.expr)
		}
	}
}

// TestPrefiltersSound: wherever a prefiltered rule's expression matches
// with a secret gitleaks would report (mayFind's test: an entropy above the
// rule's threshold, and no allowlist that takes it on the secret or the
// match alone), one of the rule's keywords in the match passes the
// prefilter: the windows the prefilter drops hold no reported match.
// Checked on random text built from the expressions' own parts and on a
// generated tree of manifests; the random texts hold matches the generic
// prefilter drops for their entropy and for a stop word.
func TestPrefiltersSound(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	type count struct{ matches, reported, lowEntropy, allowed int }
	counts := map[string]*count{}
	check := func(id string, text []byte) {
		lower := bytes.ToLower(text)
		if wholeText(text, lower) {
			return // windows() searches the whole text
		}
		rule := s.cfg.Rules[id]
		var rd *ruleDetector
		for _, x := range s.byKeyword[strings.ToLower(rule.Keywords[0])] {
			if x.id == id {
				rd = x
			}
		}
		c := counts[id]
		if c == nil {
			c = &count{}
			counts[id] = c
		}
		hits := s.keywords.Match(lower)
		passes := func(m []int) bool {
			for _, h := range hits {
				start, end := int(h.Pos()), int(h.Pos())+len(h.Match())
				if start >= m[0] && end <= m[1] && slices.Contains(s.byKeyword[string(h.Match())], rd) && rd.mayMatch(text, start, end) {
					return true
				}
			}
			return false
		}
		for _, m := range rule.Regex.FindAllIndex(text, -1) {
			c.matches++
			match := strings.Trim(string(text[m[0]:m[1]]), "\n")
			secret, _ := ruleSecret(rule.Regex, rule.SecretGroup, match)
			switch {
			case rule.Entropy != 0 && shannonEntropy(secret) <= rule.Entropy-entropySlack:
				c.lowEntropy++
			case slices.ContainsFunc(rd.allow, func(a allowlist) bool { return allowed(a, secret, match) }):
				c.allowed++
			default:
				c.reported++
				if !passes(m) {
					t.Errorf("%s: the prefilter rejects every keyword of a match with a reported secret (entropy %.2f): %q", id, shannonEntropy(secret), text[m[0]:m[1]])
				}
			}
		}
	}
	common := []string{"_", "-", ".", " ", "\t", "\n", "'", "\"", "`", "=", ">", ":", "::", "|", "?", ",", ";", "\\n", "+", "/",
		"abcdefghij", "ABCD1234", "x9Kq", "0123456789", "zz", "Q", "é", "Zx8Qw3Rt", "p+q/r=", "==", "aaaaaaaaaaaa"}
	own := map[string][]string{
		"generic-api-key":       {"key", "api", "API", "Api", "token", "tOken", "secret", "passwd", "password", "auth", "access", "creds", "credential", "service", "example", "tls", "Kx7Vq2Lm9Zp4"},
		"sentry-access-token":   {"sentry", "SENTRY", "sentry_auth_token: ", "Sentry.key = '", "0f3a9bc2d4e5f607", "18293a4b5c6d7e8f", "deadbeef", "0f3a9bc2d4e5f6070f3a9bc2d4e5f6070f3a9bc2d4e5f6070f3a9bc2d4e5f607"},
		"hashicorp-tf-password": {"password", "administrator_login_password", "Password", "\"", "\"", "Kx7Vq2Lm9", "=_-", "\"Kx7Vq2Lm9Zp4\""},
		"vault-service-token":   {"s.", "S.", "hvs.", "Kx7Vq2Lm9Zp4Rt8Wn3Ys6Bf", "Kx7Vq2Lm9Zp4", "s.Kx7Vq2Lm9Zp4Rt8Wn3Ys6Bfq", "hvs." + strings.Repeat("Kx7-Vq2_Lm9", 9)},
		"jwt":                   {"ey", "eyJhbGciOiJIUzI1NiIsInR5cCI6", "eyJhbGciOiJIUzI1NiI", ".ey", ".eyJzdWIiOiIxMjM0NTY3ODkw", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV"},
	}
	for i, id := range slices.Sorted(maps.Keys(prefilters)) {
		r := rand.New(rand.NewPCG(1, uint64(i)))
		for range 12000 {
			var b strings.Builder
			for range 4 + r.IntN(24) {
				parts := common
				if r.IntN(2) == 0 {
					parts = own[id]
				}
				b.WriteString(parts[r.IntN(len(parts))])
			}
			check(id, []byte(b.String()))
		}
	}
	// Texts of the semi-generic shape, each part's length around its
	// bounds: a gap of up to 20 after the keyword, three quotes, every
	// operator, five characters before the value, a value of either
	// alternative around 10, 12 and 150 characters, and a terminator or
	// not.
	semi := map[string][]string{
		"generic-api-key":       {"key", "api", "token", "secret", "password", "auth"},
		"sentry-access-token":   {"sentry"},
		"hashicorp-tf-password": {"password", "administrator_login_password"},
	}
	pick := func(r *rand.Rand, chars string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		return string(b)
	}
	const word, b64, hex = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.=-", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", "0123456789abcdefABCDEF"
	for i, id := range slices.Sorted(maps.Keys(semi)) {
		r := rand.New(rand.NewPCG(2, uint64(i)))
		for range 20000 {
			var b strings.Builder
			b.WriteString(pick(r, "ab_.-", r.IntN(3)))
			b.WriteString(semi[id][r.IntN(len(semi[id]))])
			b.WriteString(pick(r, " \tab_.-", r.IntN(23)))
			b.WriteString(pick(r, " \n'\"", r.IntN(5)))
			b.WriteString([]string{"=", ">", ":=", "::=", ":::=", "::::=", "||", ":", "=>", "?=", ",", "|", "?"}[r.IntN(13)])
			b.WriteString(pick(r, "`'\" \n=", r.IntN(7)))
			switch n := []int{9, 10, 11, 12, 13, 20, 64, 65, 149, 150, 151}[r.IntN(11)]; r.IntN(4) {
			case 0:
				b.WriteString(pick(r, word, n))
			case 1:
				b.WriteString(pick(r, b64, n) + strings.Repeat("=", r.IntN(5)))
			case 2:
				b.WriteString(pick(r, hex, n))
			default:
				b.WriteString(`"` + pick(r, word, r.IntN(23)) + `"`)
			}
			b.WriteString([]string{"", "\n", " ", ";", "`", "\\n", "\\R", "\\x", "x", "+", "@"}[r.IntN(11)])
			check(id, []byte(b.String()))
		}
	}
	dir := t.TempDir()
	if _, err := testgen.Tree(dir, 200, 3); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for id := range prefilters {
			check(id, b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, c := range counts {
		t.Logf("%s: %d matches, %d reported, each with a keyword the prefilter keeps; %d of low entropy, %d allowed", id, c.matches, c.reported, c.lowEntropy, c.allowed)
		if c.reported < 100 {
			t.Errorf("%s: only %d matches with a reported secret: the test proves little", id, c.reported)
		}
	}
	if c := counts["generic-api-key"]; c.lowEntropy < 500 || c.allowed < 500 {
		t.Errorf("generic-api-key: only %d matches of low entropy and %d allowed: the test proves little", c.lowEntropy, c.allowed)
	}
}

// TestASCIIEntropy: asciiEntropy is shannonEntropy within entropySlack.
func TestASCIIEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "aab0c1Z-_.=+/xyzQ"
	for range 5000 {
		v := make([]byte, 1+r.IntN(200))
		for i := range v {
			v[i] = alphabet[r.IntN(len(alphabet)-r.IntN(14))]
		}
		if got, want := asciiEntropy(v), shannonEntropy(string(v)); math.Abs(got-want) > entropySlack/100 {
			t.Fatalf("asciiEntropy(%q) = %v, want %v", v, got, want)
		}
	}
}
