package scan

import (
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/testgen"
)

func genericRule(t *testing.T) *ruleDetector {
	t.Helper()
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range s.byKeyword["key"] {
		if rd.id == "generic-api-key" {
			if rd.exact == nil {
				t.Fatal("generic-api-key has no exactRule: gitleaks' rule or its detector changed; check newExactRule's conditions against gitleaks' detectRule")
			}
			return rd
		}
	}
	t.Fatal("no generic-api-key rule")
	return nil
}

// TestExactRuleMatchesGitleaks: on every generic-api-key window of the
// corpus and a generated tree (whose Secrets hold long base64 lines), and
// on random texts made of keywords, operators, quotes, line breaks, stop
// words, allow comments and base64, the exactRule's matches are the
// expression's (FindAllStringIndex) and its leaks the rule detector's.
func TestExactRuleMatchesGitleaks(t *testing.T) {
	rd := genericRule(t)
	s, _ := defaultSecrets()
	files := corpusTexts(t, corpus)
	gen := t.TempDir()
	if _, err := testgen.Tree(gen, 200, 3); err != nil {
		t.Fatal(err)
	}
	for p, b := range corpusTexts(t, gen) {
		files[p] = b
	}
	check := func(file, raw string, line int) (decided bool, found int) {
		got, ok := rd.exact.detect(file, raw, line)
		if !ok {
			return false, 0
		}
		if got, want := rd.exact.findAll(raw), rd.re.FindAllStringIndex(raw, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s:%d: matches %v, FindAllStringIndex %v in %q", file, line, got, want, raw)
		}
		if want := rd.detectFragment(file, raw, line); !slices.Equal(got, want) {
			t.Errorf("%s:%d: leaks %v, gitleaks %v in %q", file, line, got, want, raw)
		}
		return true, len(got)
	}
	windows, decided, found := 0, 0, 0
	for p, b := range files {
		perRule, _ := s.windows(b)
		for _, w := range perRule[rd] {
			windows++
			d, n := check(p, string(b[w.start:w.end]), w.line)
			if d {
				decided++
			}
			found += n
		}
	}
	if decided < windows*9/10 || found < 20 {
		t.Errorf("%d windows, %d decided, %d leaks: the comparison proves little", windows, decided, found)
	}
	t.Logf("%d files: %d windows, %d decided, %d leaks", len(files), windows, decided, found)

	rng := rand.New(rand.NewSource(1))
	randomDecided, randomFound := 0, 0
	for range 10000 {
		raw := randomSecretText(rng)
		d, n := check("random.yaml", raw, 1+rng.Intn(5))
		if d {
			randomDecided++
		}
		randomFound += n
	}
	if randomDecided < 5000 || randomFound < 1500 {
		t.Errorf("random texts: %d decided, %d leaks: the comparison proves little", randomDecided, randomFound)
	}
	t.Logf("random texts: %d decided, %d leaks", randomDecided, randomFound)
}

var secretBits = []string{"key", "KEY", "Key", "api", "Api", "aPi", "API", "token", "Secret", "password", "passwd",
	"creds", "credential", "access", "auth", "accessor", "key_id", "keyring", ": ", ":", "=", ":=", "::=", "=>", "?=", ",",
	"||", ">", " ", "  ", "\t", "\n", "\n", "'", "\"", "`", ";", `\n`, `\r`, "-", ".", "_", "/", "+", "==",
	"gitleaks:allow", "example", "000000", "aaaaaa", "\u212a", "ſ", "é", "\r", "# ", "tls.", "data:\n  "}

func randomSecretText(rng *rand.Rand) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	pick := func(ss ...string) string { return ss[rng.Intn(len(ss))] }
	var sb strings.Builder
	if rng.Intn(2) == 0 {
		// Lines shaped like assignments, most of them found.
		for range 1 + rng.Intn(4) {
			sb.WriteString(pick("", "  ", "- ", "# ", "tls.", "my_", "x-", "gitleaks:allow "))
			sb.WriteString(pick("key", "api", "Api", "API", "aPi", "token", "secret", "password", "passwd", "creds", "credential", "access", "auth", "key_id", "accessor"))
			sb.WriteString(pick("", "", "_value", " name", "-1", "\t"))
			sb.WriteString(pick(": ", ":", "=", " = ", ":=", "=>", "?=", ",", "||", ">", "::=", ": '", `: "`, "=`", ":\n  "))
			for range []int{8, 12, 20, 40, 160, 400}[rng.Intn(6)] {
				sb.WriteByte(b64[rng.Intn(len(b64))])
			}
			sb.WriteString(pick("", "==", "=", "example", "000000", "-x.y"))
			sb.WriteString(pick("\n", "\n", "'\n", `"`+"\n", ";", " ", `\n`, `\r`, "\r\n", "", "+/"))
		}
		return sb.String()
	}
	for range 1 + rng.Intn(14) {
		if rng.Intn(3) == 0 {
			n := 1 + rng.Intn(30)
			if rng.Intn(10) == 0 {
				n = 100 + rng.Intn(300)
			}
			for range n {
				sb.WriteByte(b64[rng.Intn(len(b64))])
			}
			continue
		}
		sb.WriteString(secretBits[rng.Intn(len(secretBits))])
	}
	return sb.String()
}
