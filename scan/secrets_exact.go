package scan

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
)

// genericAPIKey is gitleaks' generic-api-key expression. Its matches start
// at most 50 characters of [\w.-] before one of its keywords; on a long
// line (a base64 certificate under tls.key) gitleaks' search tries every
// position and takes milliseconds, and detectRule runs it twice, then the
// expression again on each match and the match allowlist on it.
const genericAPIKey = `(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

// genericKeywords are the starts of the expression's keywords, lowercased:
// every match holds one, 0 to 50 characters of [\w.-] after its start.
var genericKeywords = []string{"access", "auth", "api", "cred", "key", "passw", "secret", "token"}

// An exactRule does what a rule's own gitleaks detector does with a
// fragment (DetectContext with one rule, no keywords and no decoding, and
// its detectRule), for a rule with the generic-api-key expression, the
// paths and commits it cannot match aside: it finds the matches by trying
// the expression anchored only where a keyword allows one, and takes each
// match's secret from one anchored run on the match.
// TestExactRuleMatchesGitleaks compares it with the detector on every
// window of the corpus and a generated tree, and on random texts.
type exactRule struct {
	rule       config.Rule
	global     []*config.Allowlist
	configPath string
	anchored   *regexp.Regexp
	regexes    map[*config.Allowlist]*regexAllow // each allowlist's RegexAllowed
	stops      map[*config.Allowlist]*stopWords  // each allowlist's ContainsStopWord, if it has stop words
}

// newExactRule returns the exactRule for rd, nil when rd's rule or detector
// is not one it reproduces.
func newExactRule(rd *ruleDetector) *exactRule {
	d := rd.d
	r, ok := d.Config.Rules[rd.id]
	if !ok || r.Regex == nil || r.Regex.String() != genericAPIKey || r.Path != nil || r.SkipReport ||
		len(r.RequiredRules) > 0 || len(r.Keywords) > 0 || len(d.Config.Rules) != 1 ||
		d.MaxDecodeDepth != 0 || d.MaxTargetMegaBytes != 0 || d.IgnoreGitleaksAllow {
		return nil
	}
	x := &exactRule{rule: r, global: d.Config.Allowlists, configPath: d.Config.Path,
		anchored: regexp.MustCompile(`^(?:` + genericAPIKey + `)`), regexes: map[*config.Allowlist]*regexAllow{},
		stops: map[*config.Allowlist]*stopWords{}}
	for _, a := range append(slices.Clip(x.global), r.Allowlists...) {
		x.regexes[a] = newRegexAllow(a.Regexes)
		if len(a.StopWords) > 0 {
			x.stops[a] = newStopWords(a.StopWords)
		}
	}
	return x
}

// detect returns what the rule's detector's Detect returns for the
// fragment, as leaks; ok is false when it cannot tell (a letter the
// expression folds to a keyword's, an entropy too close to the threshold to
// know gitleaks' rounding), and the detector must run.
func (x *exactRule) detect(file, raw string, startLine int) (out []leak, ok bool) {
	if strings.Contains(raw, "\u212a") || strings.Contains(raw, "\u017f") {
		return nil, false // K (Kelvin) and ſ match k and s
	}
	if file != "" && file == x.configPath || pathOrCommitAllowed(file, x.global) || pathOrCommitAllowed(file, x.rule.Allowlists) {
		return nil, true
	}
	var newlines []int
	for _, m := range x.findAll(raw) {
		secret := strings.Trim(raw[m[0]:m[1]], "\n")
		m[1] = m[0] + len(secret)
		if newlines == nil {
			newlines = newlineOffsets(raw)
		}
		loc := gitleaksLocation(newlines, raw, m[0], m[1])
		loc.endLineIndex = max(loc.endLineIndex, m[1])
		line := raw[loc.startLineIndex:loc.endLineIndex]
		if strings.Contains(line, "gitleaks:allow") {
			continue
		}
		value := secret
		if groups := x.anchored.FindStringSubmatch(secret); len(groups) >= 2 {
			if x.rule.SecretGroup > 0 {
				if len(groups) <= x.rule.SecretGroup {
					continue
				}
				value = groups[x.rule.SecretGroup]
			} else if i := firstNonEmpty(groups[1:]); i >= 0 {
				value = groups[1+i]
			}
		}
		if x.rule.Entropy != 0 {
			e := shannonEntropy(value)
			if math.Abs(e-x.rule.Entropy) <= entropySlack {
				return nil, false
			}
			if e <= x.rule.Entropy {
				continue
			}
		}
		if x.findingAllowed(file, value, secret, line, x.global) || x.findingAllowed(file, value, secret, line, x.rule.Allowlists) {
			continue
		}
		l := startLine + loc.startLine
		out = append(out, leak{rule: x.rule.RuleID, description: x.rule.Description, line: l,
			column: column(l, startLine, loc.startColumn), secret: value})
	}
	return out, true
}

func firstNonEmpty(ss []string) int {
	for i, s := range ss {
		if s != "" {
			return i
		}
	}
	return -1
}

// findAll returns the expression's matches in raw, as FindAllStringIndex
// does: a match starts at most 50 characters of [\w.-] before a keyword,
// so only those starts are tried, in order, each anchored, the next search
// starting where a match ends.
func (x *exactRule) findAll(raw string) [][]int {
	var out [][]int
	pos, last := 0, -1 // where the search goes on; the last start tried
	for k := 0; k < len(raw); k++ {
		if !keywordAt(raw, k) {
			continue
		}
		lo := k
		for lo > 0 && k-lo < 50 && wordDotDash(raw[lo-1]) {
			lo--
		}
		for s := max(lo, last+1); s <= k; s++ {
			last = s
			if s < pos {
				continue
			}
			if m := x.anchored.FindStringIndex(raw[s:]); m != nil {
				out = append(out, []int{s, s + m[1]})
				pos = s + m[1]
			}
		}
	}
	return out
}

// keywordAt reports whether one of genericKeywords starts at raw[k],
// ASCII letters in any case.
func keywordAt(raw string, k int) bool {
	switch raw[k] | 0x20 {
	case 'a', 'c', 'k', 'p', 's', 't':
	default:
		return false
	}
	for _, w := range genericKeywords {
		if len(raw)-k >= len(w) && strings.EqualFold(raw[k:k+len(w)], w) {
			return true
		}
	}
	return false
}

// wordDotDash reports whether c is in [\w.-].
func wordDotDash(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c == '-'
}

func newlineOffsets(raw string) []int {
	out := []int{}
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\n' {
			out = append(out, i)
		}
	}
	return out
}

// A gitleaksSpot is what gitleaks' location computes of a match: its line
// within the fragment (from 0), its column as gitleaks counts it, and the
// bytes of the line gitleaks gives the allowlists.
type gitleaksSpot struct {
	startLine, startColumn       int
	startLineIndex, endLineIndex int
}

// gitleaksLocation is gitleaks' location for the match [start, end) of raw,
// whose newlines are at the given offsets, with its quirks: a line's
// offsets start at the newline before it, and a match after the last
// newline gets the fragment from its start.
func gitleaksLocation(newlines []int, raw string, start, end int) gitleaksSpot {
	if len(newlines) == 0 {
		newlines = []int{len(raw)}
	}
	var loc gitleaksSpot
	prev, set := 0, false
	for n, nl := range newlines {
		if prev <= start && start < nl {
			set = true
			loc.startLine, loc.startColumn = n, start-prev+1
			loc.startLineIndex, loc.endLineIndex = prev, nl
		}
		if prev < end && end <= nl {
			loc.endLineIndex = nl
		}
		prev = nl
	}
	if !set {
		loc.startColumn = start - prev + 1
		loc.startLine = len(newlines)
		i := end
		for i < len(raw) && raw[i] != '\n' && raw[i] != '\r' {
			i++
		}
		loc.endLineIndex = i
	}
	return loc
}

// pathOrCommitAllowed is gitleaks' checkCommitOrPathAllowed for a fragment
// of file without a commit.
func pathOrCommitAllowed(file string, as []*config.Allowlist) bool {
	if file == "" {
		return false
	}
	for _, a := range as {
		commit, _ := a.CommitAllowed("")
		path := a.PathAllowed(file)
		if a.MatchCondition != config.AllowlistMatchAnd {
			if commit || path {
				return true
			}
			continue
		}
		if len(a.Regexes) > 0 || len(a.StopWords) > 0 {
			continue // checked with each finding
		}
		if (len(a.Commits) == 0 || commit) && (len(a.Paths) == 0 || path) {
			return true
		}
	}
	return false
}

// findingAllowed is gitleaks' checkFindingAllowed for a finding of secret
// (the secret group's value) in match on line, in file, without a commit,
// with the allowlists' expressions and stop words searched faster
// (regexAllow, stopWords).
func (x *exactRule) findingAllowed(file, secret, match, line string, as []*config.Allowlist) bool {
	for _, a := range as {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = match
		case "line":
			target = line
		}
		regex := x.regexes[a].allowed(target)
		stop := false
		if sw := x.stops[a]; sw != nil {
			stop = sw.in(secret)
		}
		if a.MatchCondition != config.AllowlistMatchAnd {
			if regex || stop {
				return true
			}
			continue
		}
		if len(a.Commits) > 0 {
			if c, _ := a.CommitAllowed(""); !c {
				continue
			}
		}
		if len(a.Paths) > 0 && !a.PathAllowed(file) {
			continue
		}
		if (len(a.Regexes) == 0 || regex) && (len(a.StopWords) == 0 || stop) {
			return true
		}
	}
	return false
}

// detectFragment is the rule's detector on one fragment, as leaks.
func (rd *ruleDetector) detectFragment(file, raw string, startLine int) []leak {
	var out []leak
	//lint:ignore SA1019 gitleaks v8 has no other call that takes a path and a start line; v9 replaces detect.Fragment with sources.Fragment
	for _, f := range rd.d.Detect(detect.Fragment{Raw: raw, FilePath: file, StartLine: startLine}) {
		out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: column(f.StartLine, startLine, f.StartColumn), secret: f.Secret})
	}
	return out
}
