package scan

import (
	"bytes"
	"math"
	"slices"
	"strings"

	"github.com/kubeharden/kubeharden/render"
)

// A lineIndex keeps of the texts a scan read only the lines its steps
// read: those with an ignore comment (inline-ignores) and those that set a
// boolean a fix may flip (fixes). Every other line reads as empty, which
// neither step acts on, so a scan need not keep whole texts until its end.
type lineIndex struct {
	files map[string]*keptLines
}

// keptLines are a text's kept lines: line nums[i] is text[ends[i-1]:ends[i]],
// one string for all, not one a line.
type keptLines struct {
	nums, ends []int32
	text       string
}

func newLineIndex() *lineIndex { return &lineIndex{files: map[string]*keptLines{}} }

// add indexes texts; a later text of a file replaces an earlier one.
func (x *lineIndex) add(texts []render.Text) {
	var b strings.Builder
	for _, t := range texts {
		k := &keptLines{}
		data := t.Data
		b.Reset()
		for n := 1; len(data) > 0; n++ {
			line := data
			if j := bytes.IndexByte(data, '\n'); j >= 0 {
				line, data = data[:j], data[j+1:]
			} else {
				data = nil
			}
			if keepLine(line) && n <= math.MaxInt32 && b.Len()+len(line) <= math.MaxInt32 {
				b.Write(line)
				k.nums, k.ends = append(k.nums, int32(n)), append(k.ends, int32(b.Len()))
			}
		}
		k.text = b.String()
		x.files[t.File] = k
	}
}

// keepLine says whether a step may act on line: it carries an ignore
// comment, or may set a boolean a fix flips (boolLineRE, of a field some
// rule's Flips names).
func keepLine(line []byte) bool {
	return bytes.Contains(line, []byte(IgnoreComment)) || bytes.Contains(line, []byte("gitleaks:allow")) ||
		bytes.IndexByte(line, ':') >= 0 && (bytes.Contains(line, []byte("rue")) || bytes.Contains(line, []byte("RUE")) ||
			bytes.Contains(line, []byte("alse")) || bytes.Contains(line, []byte("ALSE"))) && flipFields[string(lineKey(line))]
}

// lineKey returns the key boolLineRE would read on line, if it matches:
// the letters after the indentation and a sequence item's dash.
func lineKey(line []byte) []byte {
	i := 0
	space := func() {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\f' || line[i] == '\v') {
			i++
		}
	}
	space()
	if i < len(line) && line[i] == '-' {
		i++
		space()
	}
	j := i
	for j < len(line) && ('a' <= line[j] && line[j] <= 'z' || 'A' <= line[j] && line[j] <= 'Z') {
		j++
	}
	return line[i:j]
}

// flipFields are the fields of every rule's Flips.
var flipFields = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range All {
		for f := range c.Flips {
			m[f] = true
		}
	}
	return m
}()

// at returns line n of file as render.LineAt reads it from the text, or
// "" for a line no step acts on; ok is false when no text of file was read.
func (x *lineIndex) at(file string, n int) (line string, ok bool) {
	k, ok := x.files[file]
	if !ok {
		return "", false
	}
	n = max(n, 1)
	i, found := slices.BinarySearch(k.nums, int32(min(n, math.MaxInt32)))
	if !found || int(k.nums[i]) != n {
		return "", true
	}
	from := int32(0)
	if i > 0 {
		from = k.ends[i-1]
	}
	return k.text[from:k.ends[i]], true
}
