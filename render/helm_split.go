package render

import (
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// helmSep is the document separator of Helm's manifest splitter
// (releaseutil.SplitManifests, which `helm template` and install use): a
// `---` at the start of a line, whatever follows it on that line. Where
// `{{- ... -}}` trimming glues it to the next text ("---apiVersion: v1",
// "---# comment"), Helm still splits there; a YAML parser does not.
var helmSep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// A helmDoc is one document of a rendered template, as Helm splits it:
// its text, trimmed of surrounding white space, and where that text starts
// in the rendered file (1-based line and column).
type helmDoc struct {
	text         string
	line, column int
}

// splitHelm splits a rendered template into documents exactly as Helm's
// SplitManifests does, remembering where each starts.
func splitHelm(text string) []helmDoc {
	start := len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
	body := strings.TrimSpace(text)
	var docs []helmDoc
	from := 0
	add := func(end int) {
		d := body[from:end]
		lead := len(d) - len(strings.TrimLeftFunc(d, unicode.IsSpace))
		d = strings.TrimSpace(d)
		if d == "" {
			return
		}
		at := start + from + lead
		before := text[:at]
		docs = append(docs, helmDoc{text: d, line: strings.Count(before, "\n") + 1,
			column: at - strings.LastIndexByte(before, '\n')})
	}
	for _, m := range helmSep.FindAllStringIndex(body, -1) {
		add(m[0])
		from = m[1]
	}
	add(len(body))
	return docs
}

// parseHelm reads the objects of a rendered template as Helm splits it,
// with node positions in the rendered file. A document that is not YAML
// gives a problem; the documents after it are still read.
func parseHelm(file, text string) ([]*Object, []Problem) {
	var objs []*Object
	var probs []Problem
	for _, d := range splitHelm(text) {
		// Leading line breaks keep the lines of the rendered file.
		o, ps := Parse(file, []byte(strings.Repeat("\n", d.line-1)+d.text))
		for _, x := range o {
			shiftColumns(x.Node, d.line, d.column-1)
		}
		objs = append(objs, o...)
		probs = append(probs, ps...)
	}
	return objs, probs
}

// shiftColumns moves the nodes on line right by n columns: the document
// started there, after the separator glued to it.
func shiftColumns(n *yaml.Node, line, by int) {
	if n == nil || by == 0 {
		return
	}
	if n.Line == line {
		n.Column += by
	}
	for _, c := range n.Content {
		shiftColumns(c, line, by)
	}
}
