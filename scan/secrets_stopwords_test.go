package scan

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// gitleaksDefaultConfig is gitleaks' default configuration as gitleaks
// itself translates it: stop-word automatons included.
func gitleaksDefaultConfig(t *testing.T) config.Config {
	t.Helper()
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		t.Fatal(err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		t.Fatal(err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// stopWordProbes are strings around the words: each word alone, inside
// others, in upper case, cut short, and random text.
func stopWordProbes(words []string, rng *rand.Rand) []string {
	probes := []string{"", "x", "ſ", "K", "İstanbul"}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=+"
	random := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(letters[rng.IntN(len(letters))])
		}
		return b.String()
	}
	for _, w := range words {
		probes = append(probes, w, random(5)+w+random(7), strings.ToUpper(w), random(3)+strings.ToUpper(w))
		if len(w) > 1 {
			probes = append(probes, w[:len(w)-1], random(4)+w[1:]+random(2))
		}
	}
	for range 2000 {
		probes = append(probes, random(8+rng.IntN(40)))
	}
	return probes
}

// TestStopWordsAsGitleaks: the stop-word index and the allowlists rebuilt
// without gitleaks' automaton answer as gitleaks' own allowlists do, for
// every allowlist of gitleaks' default configuration and strings built
// from its words.
func TestStopWordsAsGitleaks(t *testing.T) {
	orig := gitleaksDefaultConfig(t)
	light, err := readGitleaksConfig(config.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	compare := func(name string, a, b []*config.Allowlist) int {
		if len(a) != len(b) {
			t.Fatalf("%s: %d allowlists, want %d", name, len(b), len(a))
		}
		words := 0
		for i := range a {
			if len(a[i].StopWords) == 0 {
				continue
			}
			if a[i] == b[i] {
				t.Errorf("%s: allowlist %d with stop words was kept", name, i)
			}
			words += len(a[i].StopWords)
			sw := newStopWords(a[i].StopWords)
			for _, p := range stopWordProbes(a[i].StopWords, rng) {
				want, _ := a[i].ContainsStopWord(p)
				if got := sw.in(p); got != want {
					t.Errorf("%s: index says %v of %q, gitleaks %v", name, got, p, want)
				}
				if got, _ := b[i].ContainsStopWord(p); got != want {
					t.Errorf("%s: rebuilt allowlist says %v of %q, gitleaks %v", name, got, p, want)
				}
				if b[i].RegexAllowed(p) != a[i].RegexAllowed(p) || b[i].PathAllowed(p) != a[i].PathAllowed(p) {
					t.Errorf("%s: rebuilt allowlist's expressions differ on %q", name, p)
				}
			}
		}
		return words
	}
	words := compare("global", orig.Allowlists, light.Allowlists)
	for id, r := range orig.Rules {
		words += compare(id, r.Allowlists, light.Rules[id].Allowlists)
	}
	if words < 500 {
		t.Fatalf("compared %d stop words; want gitleaks' hundreds", words)
	}
}

// TestStashedStopWords: an allowlist of stop words alone, in a
// repository's configuration, gets its words back lowercased and once
// each, and no placeholder is left.
func TestStashedStopWords(t *testing.T) {
	cfg, err := readGitleaksConfig(`
[[rules]]
id = "x"
regex = '''secret=(\w+)'''
[[rules.allowlists]]
stopwords = ["Foo", "bar", "FOO"]
[[allowlists]]
regexes = ['''^z+$''']
stopwords = ["Quux"]
`)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Rules["x"].Allowlists[0]
	if !slices.Equal(a.StopWords, []string{"foo", "bar"}) {
		t.Errorf("stop words %q", a.StopWords)
	}
	for s, want := range map[string]bool{"xxFOOyy": true, "bar": true, "baz": false, "": false} {
		if got, _ := a.ContainsStopWord(s); got != want {
			t.Errorf("%q: stop word %v, want %v", s, got, want)
		}
	}
	g := cfg.Allowlists[0]
	if !slices.Equal(g.StopWords, []string{"quux"}) || !g.RegexAllowed("zzz") || g.RegexAllowed("zy") {
		t.Errorf("global allowlist %q, expressions lost", g.StopWords)
	}
}
