package scan

// gitleaks' generic rule (generic-api-key) is most of the cost of secret
// detection: its keywords (key, secret, token, auth, api...) are on every
// other line of a manifest, and Go's regexp runs its expression at about a
// microsecond a byte. Its expression can match only where a keyword is
// followed, within a few characters, by an assignment and a value of ten
// or more characters: genericMayMatch tests that by hand, so that the
// expression runs only around the keywords where it can match.

// genericAPIKeyRegex is the expression genericMayMatch was derived from:
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

// genericMayMatch reports whether the expression can match with its keyword
// ending at end of text: then `[ \t\w.-]{0,20}`, `[\s'"]{0,3}`, an operator,
// `[\x60'"\s=]{0,5}` and a value of `[\w.=-]{10,}` or `[a-z0-9][a-z0-9+/]{11,}`
// (case-insensitive). Every way of splitting the text between the parts is
// tried, so a false answer is a proof that no match starts at this keyword.
func genericMayMatch(text []byte, end int) bool {
	for a := end; a <= end+20 && a <= len(text); a++ {
		for b := a; b <= a+3 && b <= len(text); b++ {
			if operatorThenValue(text, b) {
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
func operatorThenValue(text []byte, i int) bool {
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
		if i+n <= len(text) && validOperator(text[i:i+n]) && valueFollows(text, i+n) {
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
func valueFollows(text []byte, i int) bool {
	for j := i; j <= i+5 && j <= len(text); j++ {
		if genericValueAt(text, j) {
			return true
		}
		if j < len(text) && !(isSpace(text[j]) || text[j] == '`' || text[j] == '\'' || text[j] == '"' || text[j] == '=') {
			return false
		}
	}
	return false
}

func genericValueAt(text []byte, j int) bool {
	word, b64 := 0, 0
	for k := j; k < len(text) && (isWord(text[k]) || text[k] == '.' || text[k] == '=' || text[k] == '-'); k++ {
		word++
	}
	if word >= 10 {
		return true
	}
	if j < len(text) && isAlnum(text[j]) {
		for k := j + 1; k < len(text) && (isAlnum(text[k]) || text[k] == '+' || text[k] == '/'); k++ {
			b64++
		}
	}
	return b64 >= 11
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
