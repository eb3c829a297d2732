// Package wanttest reads the expectations that fixtures carry inline, on
// the offending line: `# want: rule-id [rule-id...]`, or
// `# want[set]: rule-id...` for a finding only the chart value set named
// set brings. The scan harness and render's value-set tests share it.
package wanttest

import (
	"regexp"
	"strings"
)

var wantRE = regexp.MustCompile(`#\s*want(?:\[([a-z0-9-]+)\])?:\s*(.*)$`)

// Parse returns the rule ids a want comment on line expects and the value
// set it is limited to ("" for every set); ok is false when line has no
// want comment.
func Parse(line string) (set string, rules []string, ok bool) {
	m := wantRE.FindStringSubmatch(line)
	if m == nil {
		return "", nil, false
	}
	return m[1], strings.Fields(m[2]), true
}

// ForSet returns the rule ids line expects when the value set named set is
// rendered: those of `# want:` and of `# want[set]:`.
func ForSet(line, set string) []string {
	s, rules, ok := Parse(line)
	if !ok || (s != "" && s != set) {
		return nil
	}
	return rules
}
