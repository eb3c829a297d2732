package scan

import (
	"bytes"

	"github.com/kubeharden/kubeharden/render"
)

// A lineIndex keeps of the texts a scan read only the lines its steps
// read: those with an ignore comment (inline-ignores) and those that set a
// boolean (fixes). Every other line reads as empty, which neither step acts
// on, so a scan need not keep whole texts until its end.
type lineIndex struct {
	files map[string]map[int]string
}

func newLineIndex() *lineIndex { return &lineIndex{files: map[string]map[int]string{}} }

// add indexes texts; a later text of a file replaces an earlier one.
func (x *lineIndex) add(texts []render.Text) {
	for _, t := range texts {
		kept := map[int]string{}
		data := t.Data
		for n := 1; len(data) > 0; n++ {
			line := data
			if j := bytes.IndexByte(data, '\n'); j >= 0 {
				line, data = data[:j], data[j+1:]
			} else {
				data = nil
			}
			if keepLine(line) {
				kept[n] = string(line)
			}
		}
		x.files[t.File] = kept
	}
}

// keepLine says whether a step may act on line: it carries an ignore
// comment, or a boolean value a fix flips (boolLineRE).
func keepLine(line []byte) bool {
	return bytes.Contains(line, []byte(IgnoreComment)) || bytes.Contains(line, []byte("gitleaks:allow")) ||
		bytes.IndexByte(line, ':') >= 0 && (bytes.Contains(line, []byte("rue")) || bytes.Contains(line, []byte("RUE")) ||
			bytes.Contains(line, []byte("alse")) || bytes.Contains(line, []byte("ALSE")))
}

// at returns line n of file as render.LineAt reads it from the text, or
// "" for a line no step acts on; ok is false when no text of file was read.
func (x *lineIndex) at(file string, n int) (line string, ok bool) {
	kept, ok := x.files[file]
	if !ok {
		return "", false
	}
	return kept[max(n, 1)], true
}
