package scan

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// A regexAllow answers an allowlist's RegexAllowed: whether one of its
// expressions matches a text. gitleaks runs each expression over the whole
// text, and an unanchored alternation over a long match (the
// generic-api-key allowlist over a base64 certificate's match) takes a
// millisecond; a regexAllow runs each branch of each expression only near
// a literal every match of the branch holds, on ASCII texts.
type regexAllow struct {
	whole    *regexp.Regexp // nil: no expressions
	branches []allowBranch  // nil: run whole
}

// An allowBranch is one branch of an expression's top alternation.
type allowBranch struct {
	re *regexp.Regexp
	// lits are lowercased literals one of which every match holds; nil
	// when none is known, and the branch runs over the whole text.
	lits []string
	// most is the longest match in characters; -1 when unbounded or when
	// the branch asserts something of its surroundings (^, $, \b), and it
	// runs over the whole text when one of lits is in it.
	most int
}

// newRegexAllow is the regexAllow of an allowlist's expressions. gitleaks'
// Validate joins them into one, "(?:" + the expressions apart by "|" +
// ")", in which a flag an expression sets holds for those after it; the
// branches are that expression's.
func newRegexAllow(res []*regexp.Regexp) *regexAllow {
	ra := &regexAllow{}
	if len(res) == 0 {
		return ra
	}
	parts := make([]string, len(res))
	for i, re := range res {
		parts[i] = re.String()
	}
	joined, err := regexp.Compile("(?:" + strings.Join(parts, "|") + ")")
	if err != nil {
		return ra
	}
	ra.whole = joined
	t, err := syntax.Parse(joined.String(), syntax.Perl)
	if err != nil {
		return ra
	}
	for t.Op == syntax.OpCapture {
		t = t.Sub[0]
	}
	subs := []*syntax.Regexp{t}
	if t.Op == syntax.OpAlternate {
		subs = t.Sub
	}
	var branches []allowBranch
	for _, s := range subs {
		bre, err := regexp.Compile(s.String())
		if err != nil {
			return ra
		}
		branches = append(branches, allowBranch{re: bre, lits: requiredLiterals(s), most: longest(s)})
	}
	ra.branches = branches
	return ra
}

// allowed is RegexAllowed(s) of the allowlist whose expressions ra holds.
func (ra *regexAllow) allowed(s string) bool {
	if s == "" || ra.whole == nil {
		return false
	}
	if ra.branches == nil || !isASCII(s) {
		return ra.whole.MatchString(s)
	}
	lower := strings.ToLower(s)
	for _, b := range ra.branches {
		if b.matches(s, lower) {
			return true
		}
	}
	return false
}

// matches reports whether the branch matches s (ASCII; lower is s
// lowercased): a match holds one of lits and is at most most characters,
// so it lies within most characters of a literal's occurrence, and a
// branch without assertions matches there as it does in s.
func (b allowBranch) matches(s, lower string) bool {
	if b.lits == nil {
		return b.re.MatchString(s)
	}
	for _, l := range b.lits {
		for off := 0; ; {
			i := strings.Index(lower[off:], l)
			if i < 0 {
				break
			}
			if b.most < 0 {
				return b.re.MatchString(s)
			}
			p := off + i
			if b.re.MatchString(s[max(0, p+len(l)-b.most):min(len(s), p+b.most)]) {
				return true
			}
			off = p + 1
		}
	}
	return false
}

// longest is the most characters a match of t spans, -1 when unbounded or
// when t asserts something of what surrounds its match.
func longest(t *syntax.Regexp) int {
	switch t.Op {
	case syntax.OpLiteral:
		return len(t.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpEmptyMatch, syntax.OpNoMatch:
		return 0
	case syntax.OpCapture, syntax.OpQuest:
		return longest(t.Sub[0])
	case syntax.OpRepeat:
		n := longest(t.Sub[0])
		if t.Max < 0 || n < 0 {
			return -1
		}
		return t.Max * n
	case syntax.OpConcat, syntax.OpAlternate:
		most := 0
		for _, s := range t.Sub {
			n := longest(s)
			if n < 0 {
				return -1
			}
			if t.Op == syntax.OpConcat {
				most += n
			} else {
				most = max(most, n)
			}
		}
		return most
	}
	return -1 // star, plus, and the assertions
}
