package render

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"sync"
)

// Defaults of Limits. Together they keep one scan well under 1 GB of memory
// whatever a pull request adds: a chart whose template loops two million
// times, a file of a hundred thousand documents, a value set that
// multiplies a chart's objects.
const (
	DefaultMaxRenderedBytes = 64 << 20
	DefaultMaxChartObjects  = 20_000
	DefaultMaxFileDocuments = 10_000
	DefaultMaxObjects       = 200_000
)

// Limits bound what one scan renders and loads. Each limit reached is a
// Skipped problem located on the input that reached it, and the rest of the
// scan goes on. A zero field takes its default.
type Limits struct {
	// RenderedBytes bounds what one rendering of a chart (one value set)
	// may produce; a larger output is not split or parsed.
	RenderedBytes int64
	// ChartObjects bounds the objects of one rendering of a chart.
	ChartObjects int
	// FileDocuments bounds the YAML documents read from one file; those
	// after it are not parsed.
	FileDocuments int
	// Objects bounds the objects of the whole scan; the inputs after the
	// one that reaches it are not checked.
	Objects int
}

func (l Limits) withDefaults() Limits {
	if l.RenderedBytes <= 0 {
		l.RenderedBytes = DefaultMaxRenderedBytes
	}
	if l.ChartObjects <= 0 {
		l.ChartObjects = DefaultMaxChartObjects
	}
	if l.FileDocuments <= 0 {
		l.FileDocuments = DefaultMaxFileDocuments
	}
	if l.Objects <= 0 {
		l.Objects = DefaultMaxObjects
	}
	return l
}

// countDocuments counts the YAML documents of data that hold something
// besides blank lines and comments, looking only at document markers at
// the start of a line (YAML allows them nowhere else, not even inside a
// block scalar). It stops at the first document past limit and returns the
// offset and 1-based line where that document starts; offset is len(data)
// when there are at most limit documents.
func countDocuments(data []byte, limit int) (n, offset, line int) {
	start, startLine := 0, 1 // where the current document began
	content := false         // whether the current document holds anything
	for off, ln := 0, 1; off < len(data); ln++ {
		next := len(data)
		if end := bytes.IndexByte(data[off:], '\n'); end >= 0 {
			next = off + end + 1
		}
		l := bytes.TrimRight(data[off:next], "\r\n")
		has := false
		switch {
		case docMarker(l, "---"):
			content = false
			start, startLine = off, ln
			// "--- value" starts a document and holds content at once.
			rest := bytes.TrimSpace(l[3:])
			has = len(rest) > 0 && rest[0] != '#'
		case docMarker(l, "..."):
			content = false
			start, startLine = next, ln+1
		case len(l) > 0 && l[0] == '%' && !content: // a directive
		default:
			t := bytes.TrimSpace(l)
			has = len(t) > 0 && t[0] != '#'
		}
		if has && !content {
			content = true
			if n++; n > limit {
				return n, start, startLine
			}
		}
		off = next
	}
	return n, len(data), 0
}

// docMarker reports whether line begins with the document marker m followed
// by nothing, a space or a tab.
func docMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	return len(line) == len(m) || line[len(m)] == ' ' || line[len(m)] == '\t' || line[len(m)] == '\n' || line[len(m)] == '\r'
}

// parseLimited parses the first limit documents of a file; a file with more
// is a Skipped problem at the first document not read.
func parseLimited(file string, data []byte, limit int) ([]*Object, []Problem) {
	_, off, line := countDocuments(data, limit)
	if off == len(data) {
		return Parse(file, data)
	}
	objs, probs := Parse(file, data[:off])
	return objs, append(probs, Problem{Kind: Skipped, Pos: Pos{File: file, Line: max(line, 1), Column: 1},
		Message: fmt.Sprintf("has more than %d YAML documents (limits.fileDocuments, --max-documents); this one and those after it are not checked", limit)})
}

// renderLimit says whether one rendering of a chart stays within the
// limits, before its output is split or parsed: a Skipped problem when it
// does not. at is where the problem is put: the value set's values file,
// or the chart's Chart.yaml.
func renderLimit(files map[string]string, l Limits, rel, set string, at Pos) *Problem {
	var size int64
	for _, text := range files {
		size += int64(len(text))
	}
	if size > l.RenderedBytes {
		return renderedBytesProblem(l, rel, set, at, byteSize(size))
	}
	docs := 0
	for _, text := range files {
		n, _, _ := countDocuments([]byte(text), l.ChartObjects-docs)
		if docs += n; docs > l.ChartObjects {
			return chartObjectsProblem(l, rel, set, at, "more than "+strconv.Itoa(l.ChartObjects))
		}
	}
	return nil
}

func renderedBytesProblem(l Limits, rel, set string, at Pos, size string) *Problem {
	return &Problem{Kind: Skipped, Pos: at, Message: fmt.Sprintf(
		"Helm chart %s renders %s with value set %s, over the %s limit (limits.renderedBytes, --max-rendered-bytes); its objects are not checked",
		rel, size, set, byteSize(l.RenderedBytes))}
}

func chartObjectsProblem(l Limits, rel, set string, at Pos, count string) *Problem {
	return &Problem{Kind: Skipped, Pos: at, Message: fmt.Sprintf(
		"Helm chart %s renders %s objects with value set %s, over the limit of %d (limits.chartObjects, --max-chart-objects); its objects are not checked",
		rel, count, set, l.ChartObjects)}
}

// valueSetPos is where a limit a rendering reaches is reported: the last
// values file of its value set, which the set's author edits, or the
// chart's Chart.yaml.
func valueSetPos(rel string, vfiles []valuesFile) Pos {
	if n := len(vfiles); n > 0 && vfiles[n-1].file != "" {
		return Pos{File: vfiles[n-1].file, Line: 1, Column: 1}
	}
	return Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1}
}

// An objectBudget holds a scan to Limits.Objects. Inputs are offered in a
// fixed order; once one does not fit, it and every later one are dropped,
// so the same tree always drops the same inputs.
type objectBudget struct {
	limit, used int
	full        bool
	at          Pos  // the first input dropped
	objects     int  // its objects
	atLeast     bool // objects is a lower bound: the input was cut short
	after       int  // inputs dropped after it
}

// take says whether an input of n objects is checked.
func (b *objectBudget) take(n int, at Pos) bool {
	switch {
	case b.full:
		b.after++
		return false
	case b.used+n <= b.limit:
		b.used += n
		return true
	}
	b.full, b.at, b.objects = true, at, n
	return false
}

// remaining is how many more objects fit; -1 once an input did not.
func (b *objectBudget) remaining() int {
	if b.full {
		return -1
	}
	return b.limit - b.used
}

// problem is the one Skipped problem that says what the budget dropped.
func (b *objectBudget) problem() []Problem {
	if !b.full {
		return nil
	}
	if b.atLeast {
		return []Problem{{Kind: Skipped, Pos: b.at, Message: fmt.Sprintf(
			"the scan reached its limit of %d objects (limits.objects, --max-objects) here: this input holds at least %d objects (it was stopped there); it and the %d inputs after it are not checked",
			b.limit, b.objects, b.after)}}
	}
	return []Problem{{Kind: Skipped, Pos: b.at, Message: fmt.Sprintf(
		"the scan reached its limit of %d objects (limits.objects, --max-objects) here: the %d objects of this input and the %d inputs after it are not checked",
		b.limit, b.objects, b.after)}}
}

// A prefixBudget tells workers handed inputs in index order whether the
// inputs before the next one already hold more objects than remain: the
// object budget, applied in the same order, would drop that input, so it
// need not be read. Safe for concurrent use.
type prefixBudget struct {
	mu     sync.Mutex
	remain int
	counts []int // objects per input; -1 while not done
	prefix int   // inputs [0, prefix) are done
	sum    int   // their objects
}

func newPrefixBudget(n, remain int) *prefixBudget {
	b := &prefixBudget{remain: remain, counts: make([]int, n)}
	for i := range b.counts {
		b.counts[i] = -1
	}
	return b
}

// over reports whether the inputs done so far, all before any input handed
// out from now on, exceed the budget.
func (b *prefixBudget) over() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.remain < 0 || b.sum > b.remain
}

// done records that input i produced n objects.
func (b *prefixBudget) done(i, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts[i] = n
	for b.prefix < len(b.counts) && b.counts[b.prefix] >= 0 {
		b.sum += b.counts[b.prefix]
		b.prefix++
	}
}

// firstPos is where an input's objects start, for the object budget's
// problem; file when it has none.
func firstPos(objs []*Object, file string) Pos {
	if len(objs) == 0 || objs[0].Node == nil {
		return Pos{File: file, Line: 1, Column: 1}
	}
	return Pos{File: objs[0].File, Line: max(objs[0].Node.Line, 1), Column: 1}
}
