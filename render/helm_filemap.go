package render

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// A fileMap maps the plain render of one template file to the marks that
// wrote each byte.
type fileMap struct {
	text  string  // the plain render
	mark  []int32 // per byte: the mark that wrote it, -1 for none
	start []int32 // per byte: where that mark's output began
	lines []int   // line starts of text
	same  []bool  // per line: the line was found in the instrumented render
	// diverged marks a file the markers changed: its lines were lined up
	// by content, so its positions are approximate.
	diverged bool
}

// mapFile strips the markers from an instrumented render and lines the
// result up with the plain render.
func (in *instrumentation) mapFile(marked, plain string) *fileMap {
	if marked == "" {
		return nil
	}
	var b strings.Builder
	b.Grow(len(marked))
	marks, starts := make([]int32, 0, len(marked)), make([]int32, 0, len(marked))
	cur, curStart := int32(-1), int32(0)
	copyText := func(t string) {
		b.WriteString(t)
		for range len(t) {
			marks = append(marks, cur)
			starts = append(starts, curStart)
		}
	}
	open, closeLen := utf8.RuneLen(markOpen), utf8.RuneLen(markClose)
	for i := 0; i < len(marked); {
		j := strings.IndexRune(marked[i:], markOpen)
		if j < 0 {
			copyText(marked[i:])
			break
		}
		copyText(marked[i : i+j])
		i += j
		if k := strings.IndexRune(marked[i:], markClose); k > 0 {
			if id, err := strconv.Atoi(marked[i+open : i+k]); err == nil && id < in.marks.len() {
				cur, curStart = int32(id), int32(b.Len())
				i += k + closeLen
				continue
			}
		}
		copyText(marked[i : i+open]) // not a marker: text
		i += open
	}
	stripped := b.String()
	if stripped == plain {
		m := &fileMap{text: plain, mark: marks, start: starts, lines: lineStarts(plain)}
		m.same = make([]bool, len(m.lines))
		for i := range m.same {
			m.same[i] = true
		}
		return m
	}
	pl, sl := strings.Split(plain, "\n"), strings.Split(stripped, "\n")
	// Renders that differ only in scalar values (a checksum of an included
	// file, a random name) have the same shape: every line keeps its
	// indentation and key, so every line is mapped.
	var pairs []int
	diverged := false
	if len(pl) == len(sl) {
		pairs = make([]int, len(pl))
		for i := range pl {
			pairs[i] = i
			if pl[i] != sl[i] && lineShape(pl[i]) != lineShape(sl[i]) {
				pairs = nil
				break
			}
		}
	}
	if pairs == nil {
		// Otherwise line up equal lines (longest common subsequence) and
		// map those, approximately.
		diverged = true
		if pairs = alignLines(pl, sl); pairs == nil {
			return nil
		}
	}
	m := &fileMap{text: plain, diverged: diverged, lines: lineStarts(plain), same: make([]bool, len(pl)),
		mark: make([]int32, len(plain)), start: make([]int32, len(plain))}
	for i := range m.mark {
		m.mark[i] = -1
	}
	sstarts := lineStarts(stripped)
	for pi, si := range pairs {
		if si < 0 {
			continue
		}
		m.same[pi] = true
		po, so := m.lines[pi], sstarts[si]
		shift := int32(po - so)
		for k := 0; k < len(pl[pi]); k++ {
			sk := so + min(k, max(len(sl[si])-1, 0))
			if sk >= len(marks) {
				break
			}
			m.mark[po+k] = marks[sk]
			m.start[po+k] = max(starts[sk]+shift, 0)
		}
	}
	return m
}

// lineShape is what a line of YAML says about structure: its indentation,
// sequence dashes and key.
func lineShape(l string) string {
	rest := strings.TrimLeft(l, " ")
	for strings.HasPrefix(rest, "- ") {
		rest = strings.TrimLeft(rest[2:], " ")
	}
	shape := l[:len(l)-len(rest)]
	if i := strings.Index(rest, ": "); i >= 0 && !strings.ContainsAny(rest[:i], "\"'{[") {
		shape += rest[:i+1]
	} else if strings.HasSuffix(rest, ":") {
		shape += rest
	}
	return shape
}

func lineStarts(s string) []int {
	ls := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			ls = append(ls, i+1)
		}
	}
	return ls
}

// alignLines pairs each line of a with an equal line of b (or -1) along a
// longest common subsequence; nil when the files are too large to align.
func alignLines(a, b []string) []int {
	if len(a)*len(b) > 4_000_000 {
		return nil
	}
	n, m := len(a), len(b)
	dp := make([][]int32, n+1)
	for i := range dp {
		dp[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	pairs := make([]int, n)
	for i := range pairs {
		pairs[i] = -1
	}
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case a[i] == b[j]:
			pairs[i] = j
			i++
			j++
		case dp[i+1][j] >= dp[i][j+1]:
			i++
		default:
			j++
		}
	}
	return pairs
}

func (m *fileMap) sameLines() int {
	n := 0
	for _, s := range m.same {
		if s {
			n++
		}
	}
	return n
}

// offset returns the byte offset of a 1-based line and character column,
// and whether that line rendered the same way with markers.
func (m *fileMap) offset(line, col int) (int, bool) {
	if line < 1 || line > len(m.lines) {
		return 0, false
	}
	off := m.lines[line-1]
	for c := 1; c < col && off < len(m.text) && m.text[off] != '\n'; c++ {
		_, w := utf8.DecodeRuneInString(m.text[off:])
		off += w
	}
	return off, m.same[line-1] && off < len(m.mark)
}

// origin returns the mark that wrote the byte at off and the position in
// the template that byte comes from.
func (in *instrumentation) origin(m *fileMap, off int) (id int, line, col int, ok bool) {
	id = int(m.mark[off])
	if id < 0 {
		return -1, 0, 0, false
	}
	mk := *in.marks.at(id)
	if !mk.isText {
		return id, mk.line, mk.col, true
	}
	// A text node's output may have been re-indented (include | nindent):
	// count lines within its output and line up the text after the indent.
	start := int(m.start[off])
	seg := m.text[start:off]
	k := strings.Count(seg, "\n")
	srcLine := 0 // offset within mk.text of the k-th line
	for i := 0; i < k; i++ {
		j := strings.IndexByte(mk.text[srcLine:], '\n')
		if j < 0 {
			return id, mk.line, mk.col, true
		}
		srcLine += j + 1
	}
	var srcOff int
	if k == 0 {
		srcOff = off - start
	} else {
		ls := strings.LastIndexByte(m.text[:off], '\n') + 1
		outIndent := len(m.text[ls:]) - len(strings.TrimLeft(m.text[ls:], " "))
		srcRest := mk.text[srcLine:]
		srcIndent := len(srcRest) - len(strings.TrimLeft(srcRest, " "))
		srcOff = srcLine + srcIndent + max(0, off-ls-outIndent)
	}
	srcOff = min(srcOff, len(mk.text))
	line, col = in.sources[mk.name].pos(mk.offset + srcOff)
	return id, line, col, true
}
