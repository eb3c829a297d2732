package scan

import (
	"math"
	"slices"
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
)

// Most of the cost of secret detection is a few gitleaks rules whose
// keywords are on every other line of a manifest: the generic rule's (key,
// secret, token, auth, api...), vault-service-token's "s.", jwt's "ey",
// sentry's and the Terraform password rule's. Go's regexp runs their
// expressions at about a microsecond a byte. Each expression can match only
// where its keyword is followed by a few characters of a known shape, and
// the generic rule reports a match only when the value's entropy is above
// its threshold: a prefilter tests that by hand at each keyword, so that
// the expression runs only around the keywords where it can find
// something.
//
// A prefilter is derived from one expression, gitleaks v8.30.1's: a
// repository's .gitleaks.toml, or a newer gitleaks, with another
// expression for the rule gets none (TestPrefiltersMatchRules notices the
// upgrade). Every expression here matches within one line starting on its
// keyword's: [\w.-] precedes the keyword of the semi-generic ones, and the
// others start with theirs.
//
// The text holds neither a ſ nor a Kelvin sign (see wholeText), the only
// characters outside ASCII that the expressions' case-insensitive classes
// match: every character they match is a byte, and keyword offsets in the
// lowercased text are offsets in the text.

// A prefilter reports whether the rule's expression can match, with a
// secret gitleaks reports, starting at or around the keyword at
// text[start:end]: false is a proof that no match holding this keyword
// is reported.
type prefilter func(text []byte, start, end int) bool

// prefilterFor is the prefilter of rule id, nil when its expression is not
// the one a prefilter was derived from. allow are the allowlists that drop
// a match on any one of their conditions (matchAllowlists): a value that
// holds one's stop word is not reported.
func prefilterFor(id string, r config.Rule, allow []allowlist) prefilter {
	if r.Regex == nil {
		return nil
	}
	p, ok := prefilters[id]
	if !ok || r.Regex.String() != p.expr {
		return nil
	}
	var stops []*stopWords
	for _, a := range allow {
		if a.stop != nil {
			stops = append(stops, a.stop)
		}
	}
	return p.make(r.Entropy, stops)
}

var prefilters = map[string]struct {
	expr string
	make func(entropy float64, stops []*stopWords) prefilter
}{
	"generic-api-key": {genericAPIKeyRegex, func(entropy float64, stops []*stopWords) prefilter {
		return func(text []byte, _, end int) bool {
			return semiGenericMayFind(text, end, func(text []byte, j int) bool { return genericValueAt(text, j, entropy, stops) })
		}
	}},
	"sentry-access-token": {
		`(?i)[\w.-]{0,50}?(?:sentry)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([a-f0-9]{64})(?:[\x60'"\s;]|\\[nr]|$)`,
		func(float64, []*stopWords) prefilter {
			return func(text []byte, _, end int) bool {
				return semiGenericMayFind(text, end, func(text []byte, j int) bool { return run(text, j, 64, isHex) == 64 })
			}
		},
	},
	"hashicorp-tf-password": {
		`(?i)[\w.-]{0,50}?(?:administrator_login_password|password)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}("[a-z0-9=_\-]{8,20}")(?:[\x60'"\s;]|\\[nr]|$)`,
		func(float64, []*stopWords) prefilter {
			return func(text []byte, _, end int) bool {
				return semiGenericMayFind(text, end, func(text []byte, j int) bool {
					if j >= len(text) || text[j] != '"' {
						return false
					}
					n := run(text, j+1, 21, func(c byte) bool { return isAlnum(c) || c == '=' || c == '_' || c == '-' })
					return n >= 8 && n <= 20 && j+1+n < len(text) && text[j+1+n] == '"'
				})
			}
		},
	},
	"vault-service-token": {
		`\b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24})))(?:[\x60'"\s;]|\\[nr]|$)`,
		func(float64, []*stopWords) prefilter {
			return func(text []byte, start, _ int) bool {
				if !wordStart(text, start) {
					return false
				}
				if hasPrefix(text, start, "hvs.") {
					return run(text, start+4, 90, func(c byte) bool { return isWord(c) || c == '-' }) == 90
				}
				return hasPrefix(text, start, "s.") && run(text, start+2, 24, isAlnum) == 24
			}
		},
	},
	"jwt": {
		`\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,}\.(?:[a-zA-Z0-9\/\\_-]{10,}={0,2})?)(?:[\x60'"\s;]|\\[nr]|$)`,
		func(float64, []*stopWords) prefilter {
			return func(text []byte, start, _ int) bool {
				if !wordStart(text, start) || !hasPrefix(text, start, "ey") {
					return false
				}
				n := run(text, start+2, len(text), isAlnum) // occurrences start runs: they scan apart
				return n >= 17 && hasPrefix(text, start+2+n, ".ey")
			}
		},
	},
}

// genericAPIKeyRegex is gitleaks v8.30.1's generic-api-key.
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

func isHex(c byte) bool {
	return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c >= '0' && c <= '9'
}

// run is the length of the run of bytes in class from i, counted up to
// most: a prefilter that counts further than it needs can be made to read
// a long line once for each of its keywords.
func run(text []byte, i, most int, class func(byte) bool) int {
	n := 0
	for n < most && i+n < len(text) && class(text[i+n]) {
		n++
	}
	return n
}

func hasPrefix(text []byte, i int, p string) bool {
	return i+len(p) <= len(text) && string(text[i:i+len(p)]) == p
}

// wordStart reports whether \b holds before text[i], a word character.
func wordStart(text []byte, i int) bool { return i == 0 || !isWord(text[i-1]) }

// semiGenericMayFind reports whether an expression of gitleaks'
// semi-generic shape can match with its keyword ending at end of text:
// after the keyword, `[ \t\w.-]{0,20}`, `[\s'"]{0,3}`, an operator,
// `[\x60'"\s=]{0,5}` and a value valueAt accepts at its first byte
// (case-insensitive). Every way of splitting the text between the parts
// is tried, so a false answer is a proof that no match starting at this
// keyword has a value valueAt accepts.
func semiGenericMayFind(text []byte, end int, valueAt func(text []byte, j int) bool) bool {
	for a := end; a <= end+20 && a <= len(text); a++ {
		for b := a; b <= a+3 && b <= len(text); b++ {
			if operatorThenValue(text, b, valueAt) {
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

// operatorThenValue reports whether an operator of the semi-generic shape
// starts at i and a value can follow it.
func operatorThenValue(text []byte, i int, valueAt func(text []byte, j int) bool) bool {
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
		if i+n <= len(text) && validOperator(text[i:i+n]) && valueFollows(text, i+n, valueAt) {
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
// starts.
func valueFollows(text []byte, i int, valueAt func(text []byte, j int) bool) bool {
	for j := i; j <= i+5 && j <= len(text); j++ {
		if valueAt(text, j) {
			return true
		}
		if j < len(text) && !(isSpace(text[j]) || text[j] == '`' || text[j] == '\'' || text[j] == '"' || text[j] == '=') {
			return false
		}
	}
	return false
}

// genericValueAt reports whether a value of the generic expression that
// gitleaks reports can start at j: `[\w.=-]{10,150}` or
// `[a-z0-9][a-z0-9+/]{11,}={0,3}`, followed by `[\x60'"\s;]`, `\\[nr]`
// or the end, with an entropy above threshold and no stop word of stops in
// it. Neither alternative's characters are a terminator, so a value is
// its whole run from j (the second alternative's with the '='s after
// it): each alternative has one value at j, if any.
func genericValueAt(text []byte, j int, threshold float64, stops []*stopWords) bool {
	if j >= len(text) {
		return false
	}
	reported := func(v []byte) bool {
		return terminates(text, j+len(v)) && (threshold <= 0 || asciiEntropy(v) > threshold-entropySlack) &&
			!slices.ContainsFunc(stops, func(sw *stopWords) bool { return sw.in(string(v)) })
	}
	word := run(text, j, 151, func(c byte) bool { return isWord(c) || c == '.' || c == '=' || c == '-' })
	if word >= 10 && word <= 150 && reported(text[j:j+word]) {
		return true
	}
	if !isAlnum(text[j]) {
		return false
	}
	b64 := run(text, j, len(text), func(c byte) bool { return isAlnum(c) || c == '+' || c == '/' })
	pad := run(text, j+b64, 4, func(c byte) bool { return c == '=' })
	return b64 >= 12 && pad <= 3 && reported(text[j:j+b64+pad])
}

// terminates reports whether what ends the generic expression,
// `(?:[\x60'"\s;]|\\[nr]|$)` case-insensitive, can start at i.
func terminates(text []byte, i int) bool {
	if i == len(text) {
		return true
	}
	switch c := text[i]; {
	case isSpace(c), c == '`', c == '\'', c == '"', c == ';':
		return true
	case c == '\\':
		return i+1 < len(text) && strings.IndexByte("nNrR", text[i+1]) >= 0
	}
	return false
}

// asciiEntropy is shannonEntropy of v, an ASCII string.
func asciiEntropy(v []byte) float64 {
	var counts [128]int
	for _, c := range v {
		counts[c&0x7f]++
	}
	inv, e := 1/float64(len(v)), 0.0
	for _, n := range counts {
		if n > 0 {
			f := float64(n) * inv
			e -= f * math.Log2(f)
		}
	}
	return e
}
