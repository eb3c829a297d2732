package scan

import (
	"regexp"
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
)

// gitleaks builds an Aho-Corasick automaton of each allowlist's stop words
// with a dense table of 2 KB a state: the generic rule's 780 stop words
// take 8.7 MB, more than a scan of a few thousand files keeps of its
// objects. Without the automaton, gitleaks' ContainsStopWord tests the
// words one by one, with the same answer (whether a stop word is in the
// lowercased secret), and gitleaks asks it only of the secrets it is about
// to report. mayFind asks it of every candidate, so it has its own index
// of the words (stopWords).

// withoutStopwordTries replaces each allowlist of cfg that has stop words
// with one that accepts the same findings and has no stop-word automaton.
func withoutStopwordTries(cfg config.Config) config.Config {
	light := func(as []*config.Allowlist) {
		for i, a := range as {
			if a != nil && len(a.StopWords) > 0 {
				if b, ok := rebuiltAllowlist(a, a.Paths); ok {
					as[i] = b
				}
			}
		}
	}
	light(cfg.Allowlists)
	for _, r := range cfg.Rules {
		light(r.Allowlists)
	}
	return cfg
}

// rebuiltAllowlist is a's conditions with paths in place of a's paths,
// validated as gitleaks validates them, but for the stop words, which are
// added after (a's, lowercased and unique as a's validation left them):
// gitleaks then tests them one by one. ok is false when the allowlist
// would have no condition.
func rebuiltAllowlist(a *config.Allowlist, paths []*regexp.Regexp) (*config.Allowlist, bool) {
	b := &config.Allowlist{Description: a.Description, MatchCondition: a.MatchCondition, Commits: a.Commits,
		Paths: paths, RegexTarget: a.RegexTarget, Regexes: a.Regexes}
	if len(b.Commits) > 0 || len(b.Paths) > 0 || len(b.Regexes) > 0 {
		if b.Validate() != nil {
			return nil, false
		}
	} else if len(a.StopWords) == 0 {
		return nil, false
	}
	b.StopWords = a.StopWords
	return b, true
}

// stopWords indexes an allowlist's stop words by their first two bytes.
type stopWords struct {
	byPrefix map[[2]byte][]string
	short    []string // of fewer than two bytes
}

func newStopWords(words []string) *stopWords {
	sw := &stopWords{byPrefix: map[[2]byte][]string{}}
	for _, w := range words {
		w = strings.ToLower(w)
		if len(w) < 2 {
			sw.short = append(sw.short, w)
			continue
		}
		k := [2]byte{w[0], w[1]}
		sw.byPrefix[k] = append(sw.byPrefix[k], w)
	}
	return sw
}

// in reports what gitleaks' ContainsStopWord reports: whether one of the
// words is in s, lowercased.
func (sw *stopWords) in(s string) bool {
	if s == "" {
		return false // gitleaks: no secret, no stop word
	}
	s = strings.ToLower(s)
	for _, w := range sw.short {
		if strings.Contains(s, w) {
			return true
		}
	}
	for i := 0; i+1 < len(s); i++ {
		for _, w := range sw.byPrefix[[2]byte{s[i], s[i+1]}] {
			if strings.HasPrefix(s[i:], w) {
				return true
			}
		}
	}
	return false
}
