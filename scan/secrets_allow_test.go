package scan

import (
	"math/rand"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/config"
)

// TestRegexAllowMatchesGitleaks: for every allowlist of gitleaks' default
// configuration, global and of each rule, regexAllow.allowed answers as
// RegexAllowed does, on every line of the corpus (and the lines around
// it) and on random texts made of the literals of its expressions,
// keyword-shaped words, punctuation and long base64 runs.
func TestRegexAllowMatchesGitleaks(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	as := s.cfg.Allowlists
	for _, r := range s.cfg.Rules {
		as = append(as, r.Allowlists...)
	}
	var lines []string
	for _, b := range corpusTexts(t, corpus) {
		ls := strings.Split(string(b), "\n")
		for i := range ls {
			lines = append(lines, ls[i], strings.Join(ls[max(0, i-1):min(len(ls), i+2)], "\n"))
		}
	}
	rng := rand.New(rand.NewSource(1))
	allowed, checked := 0, 0
	for _, a := range as {
		if len(a.Regexes) == 0 {
			continue
		}
		ra := newRegexAllow(a.Regexes)
		if ra.branches == nil {
			t.Errorf("%v: no branches", a.Regexes)
		}
		check := func(text string) {
			checked++
			got, want := ra.allowed(text), a.RegexAllowed(text)
			if got != want {
				t.Errorf("%v on %q: %v, RegexAllowed %v", a.Regexes, text, got, want)
			}
			if want {
				allowed++
			}
		}
		for i, l := range lines {
			if i%41 == 0 {
				check(l)
			}
		}
		bits := allowBits(a)
		for range 1500 {
			check(randomAllowText(rng, bits))
		}
	}
	if allowed < 2000 {
		t.Errorf("%d of %d texts allowed: the comparison proves little", allowed, checked)
	}
	t.Logf("%d texts, %d allowed", checked, allowed)
}

// allowBits are the pieces randomAllowText joins for allowlist a: the
// literals its expressions' matches hold, and what surrounds values.
func allowBits(a *config.Allowlist) []string {
	bits := []string{"key", "KEY", "token", "secret", "Api", "_", "-", ".", "=", "\n", "=\n", " ", ":", "/", "${", "}", "$", "\"", "'",
		"true", "false", "null", "example", "EXAMPLE", "xxxx", "0000", "<", ">", "{{", "}}", "%", "@", "\u212a"}
	for _, re := range a.Regexes {
		tr, err := syntax.Parse(re.String(), syntax.Perl)
		if err != nil {
			continue
		}
		for _, sub := range append([]*syntax.Regexp{tr}, tr.Sub...) {
			for _, l := range requiredLiterals(sub) {
				bits = append(bits, l, strings.ToUpper(l))
			}
		}
	}
	return bits
}

func randomAllowText(rng *rand.Rand, bits []string) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var sb strings.Builder
	for range 1 + rng.Intn(8) {
		switch rng.Intn(4) {
		case 0:
			n := 1 + rng.Intn(12)
			if rng.Intn(8) == 0 {
				n = 200 + rng.Intn(1800)
			}
			for range n {
				sb.WriteByte(b64[rng.Intn(len(b64))])
			}
		default:
			sb.WriteString(bits[rng.Intn(len(bits))])
		}
	}
	return sb.String()
}
