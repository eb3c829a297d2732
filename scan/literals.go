package scan

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// A literalFilter tells text that no expression of a list can match: every
// match of one holds one of its literals. gitleaks tests every file path
// against its global allowlist's 25 path expressions, each of which needs a
// word (node_modules, vendor/, .lock) that a manifest's path seldom holds.
type literalFilter struct {
	// any are lowercased literals one of which is in every match; nil
	// when some expression has no such set.
	any []string
}

// newLiteralFilter is the filter of res; their flags may be joined into
// one expression, as gitleaks joins them, the literals compared lowercased.
func newLiteralFilter(res []*regexp.Regexp) literalFilter {
	var f literalFilter
	for _, re := range res {
		t, err := syntax.Parse(re.String(), syntax.Perl)
		if err != nil {
			return literalFilter{}
		}
		l := requiredLiterals(t)
		if l == nil {
			return literalFilter{}
		}
		f.any = append(f.any, l...)
	}
	return f
}

// mayMatch reports whether one of the expressions may match s; lower is s
// lowercased.
func (f literalFilter) mayMatch(s, lower string) bool {
	// Case-insensitive expressions match a ſ for an s and a Kelvin sign
	// for a k, which lowercasing keeps apart: outside ASCII, no filter.
	return f.any == nil || len(lower) != len(s) || !isASCII(s) ||
		slices.ContainsFunc(f.any, func(l string) bool { return strings.Contains(lower, l) })
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// requiredLiterals returns literals, lowercased, one of which every match
// of t holds, preferring the set whose shortest literal is longest; nil
// when it finds none.
func requiredLiterals(t *syntax.Regexp) []string {
	if l, ok := exactly(t); ok && !slices.Contains(l, "") {
		return l
	}
	switch t.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return requiredLiterals(t.Sub[0])
		}
	case syntax.OpConcat:
		// Each child's literals, and those of each run of children that
		// match a few strings exactly (v(?:sidx|2): vsidx and v2).
		var best []string
		offer := func(l []string) {
			if l != nil && !slices.Contains(l, "") && (best == nil || shortest(l) > shortest(best)) {
				best = l
			}
		}
		for i, c := range t.Sub {
			offer(requiredLiterals(c))
			run := []string{""}
			for _, d := range t.Sub[i:] {
				l, ok := exactly(d)
				if !ok {
					break
				}
				if run, ok = product(run, l); !ok {
					break
				}
				offer(run)
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, s := range t.Sub {
			l := requiredLiterals(s)
			if l == nil {
				return nil
			}
			all = append(all, l...)
		}
		return all
	}
	return nil
}

// maxExact bounds the strings exactly keeps for one expression.
const maxExact = 16

// exactly returns the strings, lowercased, that t matches, when they are
// at most maxExact; a zero-width assertion matches "".
func exactly(t *syntax.Regexp) ([]string, bool) {
	switch t.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(t.Rune))}, true
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpCapture:
		return exactly(t.Sub[0])
	case syntax.OpQuest:
		l, ok := exactly(t.Sub[0])
		if !ok || len(l) == maxExact {
			return nil, false
		}
		return append(l, ""), true
	case syntax.OpAlternate:
		var all []string
		for _, s := range t.Sub {
			l, ok := exactly(s)
			if !ok || len(all)+len(l) > maxExact {
				return nil, false
			}
			all = append(all, l...)
		}
		return all, true
	case syntax.OpConcat:
		run := []string{""}
		for _, s := range t.Sub {
			l, ok := exactly(s)
			if !ok {
				return nil, false
			}
			if run, ok = product(run, l); !ok {
				return nil, false
			}
		}
		return run, true
	}
	return nil, false
}

// product is every string of a followed by every string of b, when they
// are at most maxExact.
func product(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxExact {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out, true
}

func shortest(ls []string) int {
	n := len(ls[0])
	for _, l := range ls[1:] {
		n = min(n, len(l))
	}
	return n
}
