package scan

import (
	"fmt"
	"regexp"
	"strings"
)

// A Fix is a change of one line that resolves a finding: the line as it
// should read. It is offered only where the offending value is written
// literally on the finding's line, under the field's own name, so that
// applying it changes that field and nothing else.
type Fix struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}

// boolLineRE is a block mapping line `key: true|false`, perhaps as a
// sequence item, perhaps with a comment.
var boolLineRE = regexp.MustCompile(`^(\s*(?:-\s+)?)([A-Za-z]+)(\s*:\s+)(true|false|True|False|TRUE|FALSE)(\s+#.*)?$`)

// addFixes gives the findings that a flipped boolean resolves their fix,
// but none on a line where a credential was found: the fix repeats the
// line, and a second credential on it may have escaped detection and
// redaction.
func addFixes(fs []Finding, lines *lineIndex) {
	credentials := map[string]bool{}
	for _, f := range fs {
		if f.Credential() {
			credentials[fmt.Sprintf("%s:%d", f.File, f.Line)] = true
		}
	}
	for i := range fs {
		f := &fs[i]
		if f.Precision != "exact" || f.Suppressed != nil || credentials[fmt.Sprintf("%s:%d", f.File, f.Line)] {
			continue
		}
		c := Lookup(f.Rule)
		if c == nil {
			continue
		}
		field := f.Path[strings.LastIndex(f.Path, ".")+1:]
		safe, ok := c.Flips[field]
		if !ok {
			continue
		}
		line, ok := lines.at(f.File, f.Line)
		if !ok {
			continue
		}
		m := boolLineRE.FindStringSubmatch(line)
		if m == nil || m[2] != field || strings.EqualFold(m[4], "true") == safe {
			continue
		}
		want := "false"
		if safe {
			want = "true"
		}
		f.Fix = &Fix{Line: f.Line, Text: m[1] + m[2] + m[3] + want + m[5]}
	}
}

// Credential reports whether f is a credential found in the text: its
// line holds one, which no fix or suggestion may repeat.
func (f Finding) Credential() bool {
	if c := Lookup(f.Rule); c != nil && c.HoldsCredential {
		return true
	}
	return f.SecretKind != ""
}
