package scan

import (
	"fmt"
	"regexp"
	"slices"
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

// stashStopWords takes the stop words out of vc's allowlists before
// gitleaks translates it, each list replaced by a placeholder word that
// withoutStopwordTries puts it back for: gitleaks would build the
// automaton (about 15 ms and 8.7 MB for its default configuration) only
// for it to be dropped.
func stashStopWords(vc *config.ViperConfig) map[string][]string {
	stash := map[string][]string{}
	take := func(words *[]string) {
		if len(*words) > 0 {
			p := fmt.Sprintf("%s%d\x00", stashedPrefix, len(stash)) // lower case: gitleaks lowers stop words
			stash[p] = *words
			*words = []string{p}
		}
	}
	// The deprecated single allowlists ([allowlist], [rules.allowlist]) keep
	// theirs: withoutStopwordTries drops the automaton built for them.
	for i := range vc.Rules {
		for _, a := range vc.Rules[i].Allowlists {
			if a != nil {
				take(&a.StopWords)
			}
		}
	}
	for _, a := range vc.Allowlists {
		if a != nil {
			take(&a.StopWords)
		}
	}
	return stash
}

// stashedPrefix starts a placeholder stop word (stashStopWords).
const stashedPrefix = "\x00kubeharden stop words "

// withoutStopwordTries replaces each allowlist of cfg that has stop words
// with one that accepts the same findings and has no stop-word automaton,
// with the stop words stash holds for its placeholder.
func withoutStopwordTries(cfg config.Config, stash map[string][]string) (config.Config, error) {
	var err error
	light := func(as []*config.Allowlist) {
		for i, a := range as {
			if a == nil || len(a.StopWords) == 0 {
				continue
			}
			words := a.StopWords
			if len(words) == 1 && stash[words[0]] != nil {
				words = lowerUnique(stash[words[0]])
			}
			b, ok := rebuiltAllowlist(a, a.Paths, words)
			if !ok || slices.ContainsFunc(b.StopWords, func(w string) bool { return strings.HasPrefix(w, stashedPrefix) }) {
				err = fmt.Errorf("gitleaks configuration: an allowlist's stop words could not be restored")
				continue
			}
			as[i] = b
		}
	}
	light(cfg.Allowlists)
	for _, r := range cfg.Rules {
		light(r.Allowlists)
	}
	return cfg, err
}

// lowerUnique is words lowercased, each once, as gitleaks validates them
// (in the order first written, where gitleaks' is a map's).
func lowerUnique(words []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if w = strings.ToLower(w); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// rebuiltAllowlist is a's conditions with paths in place of a's paths,
// validated as gitleaks validates them, but for the stop words, which are
// added after (lowercased and unique, as gitleaks' validation leaves
// them): gitleaks then tests them one by one. ok is false when the
// allowlist would have no condition.
func rebuiltAllowlist(a *config.Allowlist, paths []*regexp.Regexp, stopWords []string) (*config.Allowlist, bool) {
	b := &config.Allowlist{Description: a.Description, MatchCondition: a.MatchCondition, Commits: a.Commits,
		Paths: paths, RegexTarget: a.RegexTarget, Regexes: a.Regexes}
	if len(b.Commits) > 0 || len(b.Paths) > 0 || len(b.Regexes) > 0 {
		if b.Validate() != nil {
			return nil, false
		}
	} else if len(stopWords) == 0 {
		return nil, false
	}
	b.StopWords = stopWords
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
