package scan

import (
	"math"
	"strings"
	"unicode/utf8"
)

// gitleaks' generic rule (generic-api-key) is most of the cost of secret
// detection: its keywords (key, secret, token, auth, api...) are on every
// other line of a manifest, and Go's regexp runs its expression at about a
// microsecond a byte. Its expression can match only where a keyword is
// followed, within a few characters, by an assignment and a value of ten
// or more characters, and gitleaks reports a match only when the value's
// entropy is above the rule's threshold: genericMayFind tests both by
// hand, so that the expression runs only around the keywords where it can
// find something.

// genericAPIKeyRegex is the expression genericMayFind was derived from:
// gitleaks v8.30.1's generic-api-key. A repository's .gitleaks.toml, or a
// newer gitleaks, with another expression gets no prefilter
// (TestGenericPrefilterMatchesRule notices the upgrade).
const genericAPIKeyRegex = `(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// minDistinct is the fewest distinct characters a secret needs to have an
// entropy above threshold: gitleaks' entropy of a string of n distinct
// characters is at most log2(n) (for n of 3 or more). A threshold below
// log2(3) gives 0: no bound.
func minDistinct(threshold float64) int {
	if threshold < math.Log2(3) {
		return 0
	}
	n := 3
	for math.Log2(float64(n)) <= threshold-entropySlack {
		n++
	}
	return n
}

// genericMayFind reports whether the expression can match with its keyword
// ending at end of text, with a value of at least distinct different
// characters: after the keyword, `[ \t\w.-]{0,20}`, `[\s'"]{0,3}`, an
// operator, `[\x60'"\s=]{0,5}` and a value of `[\w.=-]{10,}` or
// `[a-z0-9][a-z0-9+/]{11,}={0,3}` (case-insensitive). Every way of
// splitting the text between the parts is tried, so a false answer is a
// proof that no match starting at this keyword has a value gitleaks
// reports. text holds neither a ſ nor a Kelvin sign (see wholeText), the
// only characters outside ASCII that the expression's case-insensitive
// classes match: every character it matches is a byte.
func genericMayFind(text []byte, end, distinct int) bool {
	for a := end; a <= end+20 && a <= len(text); a++ {
		for b := a; b <= a+3 && b <= len(text); b++ {
			if operatorThenValue(text, b, distinct) {
				return true
			}
			if b < len(text) && !(isSpace(text[b]) || text[b] == '\'' || text[b] == '"') {
				break
			}
		}
		if a < len(text) && !(isWord(text[a]) || text[a] == ' ' || text[a] == '\t' || text[a] == '.' || text[a] == '-') {
			break
		}
	}
	return false
}

// operatorThenValue reports whether an operator of the generic expression
// starts at i and a value can follow it.
func operatorThenValue(text []byte, i, distinct int) bool {
	if i >= len(text) {
		return false
	}
	var lens []int
	switch text[i] {
	case '=':
		lens = []int{1, 2} // = and =>
	case '>', ',':
		lens = []int{1}
	case ':':
		lens = []int{1, 2, 3, 4} // : and :=, ::=, :::=
	case '|', '?':
		lens = []int{2} // || and ?=
	default:
		return false
	}
	for _, n := range lens {
		if i+n <= len(text) && validOperator(text[i:i+n]) && valueFollows(text, i+n, distinct) {
			return true
		}
	}
	return false
}

func validOperator(op []byte) bool {
	switch string(op) {
	case "=", "=>", ">", ",", ":", ":=", "::=", ":::=", "||", "?=":
		return true
	}
	return false
}

// valueFollows reports whether, after at most five of [\x60'"\s=], a value
// of the generic expression starts.
func valueFollows(text []byte, i, distinct int) bool {
	for j := i; j <= i+5 && j <= len(text); j++ {
		if genericValueAt(text, j, distinct) {
			return true
		}
		if j < len(text) && !(isSpace(text[j]) || text[j] == '`' || text[j] == '\'' || text[j] == '"' || text[j] == '=') {
			return false
		}
	}
	return false
}

// genericValueAt reports whether a value of the generic expression starts
// at j and may hold distinct different characters: the value is a prefix
// of the run of either alternative's characters from j, so the run's
// distinct characters bound the value's.
func genericValueAt(text []byte, j, distinct int) bool {
	word, b64 := 0, 0
	for k := j; k < len(text) && (isWord(text[k]) || text[k] == '.' || text[k] == '=' || text[k] == '-'); k++ {
		word++
	}
	if j < len(text) && isAlnum(text[j]) {
		for k := j + 1; k < len(text) && (isAlnum(text[k]) || text[k] == '+' || text[k] == '/'); k++ {
			b64++
		}
	}
	if word < 10 && b64 < 11 {
		return false
	}
	var seen [utf8.RuneSelf]bool
	count := 0
	for k := j; count < distinct; k++ {
		if k == len(text) || !(isWord(text[k]) || strings.IndexByte(".=-+/", text[k]) >= 0) {
			return false
		}
		if !seen[text[k]] {
			seen[text[k]] = true
			count++
		}
	}
	return true
}
