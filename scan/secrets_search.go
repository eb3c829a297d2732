package scan

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/detect/codec"
)

// A leak is one credential gitleaks found, without its value.
type leak struct {
	rule, description string
	line, column      int
	// secret is the value found: never written anywhere, only compared
	// (dropGeneric) and, once reported, kept for redaction.
	secret string
}

// findLeaks runs gitleaks over text. Rules run only on the lines around
// their keywords: gitleaks sends a whole fragment through a rule's
// expression when its keyword occurs anywhere in it, and Go's regexp makes
// that the cost of a scan. TestWindowsMatchWholeFiles proves the windows
// find what whole files do.
func (s *secrets) findLeaks(file string, text []byte) []leak {
	// gitleaks checks the global path allowlists on every fragment: check
	// them once a file.
	if s.pathAllowed(file) {
		return nil
	}
	var out []leak
	detectIn := func(rd *ruleDetector, w window) {
		if rd.path != nil && !rd.path.MatchString(file) {
			return
		}
		raw := string(text[w.start:w.end])
		if rd.exact != nil {
			if ls, ok := rd.exact.detect(file, raw, w.line); ok {
				out = append(out, ls...)
				return
			}
		} else if rd.mayMatch == nil && !rd.mayFind(raw) {
			// A prefiltered rule's windows are those where a match may
			// have a secret gitleaks reports: mayFind, which computes the
			// matches before gitleaks computes them again, would mostly
			// pass them.
			return
		}
		out = append(out, rd.detectFragment(file, raw, w.line)...)
	}
	for _, rd := range s.always {
		detectIn(rd, window{0, len(text), 1})
	}
	perRule, decoded := s.windows(text)
	for rd, ws := range perRule {
		for _, w := range ws {
			detectIn(rd, w)
		}
	}
	for _, w := range decoded {
		//lint:ignore SA1019 gitleaks v8 has no other call that takes a path and a start line; v9 replaces detect.Fragment with sources.Fragment
		for _, f := range s.all().Detect(detect.Fragment{Raw: string(text[w.start:w.end]), FilePath: file, StartLine: w.line}) {
			if f.RuleID == secretManifestRule {
				continue
			}
			out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: column(f.StartLine, w.line, f.StartColumn), secret: f.Secret})
		}
	}
	return dropGeneric(out)
}

// pathAllowed reports whether a global allowlist that needs any one of its
// conditions takes file by its path, as gitleaks' PathAllowed does.
func (s *secrets) pathAllowed(file string) bool {
	lower := strings.ToLower(file)
	return slices.ContainsFunc(s.allowedPaths, func(a pathAllowlist) bool { return a.mayMatch(file, lower) && a.PathAllowed(file) })
}

// dropGeneric does what gitleaks does within one fragment: a generic
// finding gives way to a specific rule's finding of the same secret on the
// same line.
func dropGeneric(ls []leak) []leak {
	out := ls[:0:0]
	type at struct {
		rule         string
		line, column int
	}
	seen := map[at]bool{}
	for _, l := range ls {
		if k := (at{l.rule, l.line, l.column}); seen[k] {
			continue // found by a rule's window and a decoding window
		} else {
			seen[k] = true
		}
		if isGeneric(l.rule) && slices.ContainsFunc(ls, func(o leak) bool {
			return o.line == l.line && o.rule != l.rule && !isGeneric(o.rule) && strings.Contains(o.secret, l.secret)
		}) {
			continue
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.line != b.line {
			return a.line < b.line
		}
		if a.column != b.column {
			return a.column < b.column
		}
		return a.rule < b.rule
	})
	return out
}

// findLeaksWhole is the reference: gitleaks over the whole text at once.
func (s *secrets) findLeaksWhole(file string, text []byte) []leak {
	var out []leak
	//lint:ignore SA1019 gitleaks v8 has no other call that takes a path and a start line; v9 replaces detect.Fragment with sources.Fragment
	for _, f := range s.whole().Detect(detect.Fragment{Raw: string(text), FilePath: file, StartLine: 1}) {
		if f.RuleID == secretManifestRule {
			continue
		}
		out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: column(f.StartLine, 1, f.StartColumn)})
	}
	return out
}

// column corrects gitleaks' column, which counts the preceding newline on
// every line after a fragment's first.
func column(line, fragmentLine, col int) int {
	if line > fragmentLine {
		col--
	}
	return max(col, 1)
}

// A windowScratch holds what windows needs only while it runs, for the
// next text: the text lowercased, and its line starts.
type windowScratch struct {
	lower  []byte
	starts []int
}

var windowScratchPool = sync.Pool{New: func() any { return new(windowScratch) }}

// maxScratch is the most a windowScratch keeps of a large text.
const maxScratch = 4 << 20

func (sc *windowScratch) put() {
	if cap(sc.lower) > maxScratch || 8*cap(sc.starts) > maxScratch {
		return
	}
	windowScratchPool.Put(sc)
}

// lowered is bytes.ToLower(text), in sc's buffer when text is ASCII.
func (sc *windowScratch) lowered(text []byte) []byte {
	for _, c := range text {
		if c >= utf8.RuneSelf {
			return bytes.ToLower(text)
		}
	}
	sc.lower = slices.Grow(sc.lower[:0], len(text))[:len(text)]
	for i, c := range text {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		sc.lower[i] = c
	}
	return sc.lower
}

// A window is a run of whole lines: bytes [start, end) starting at line.
type window struct{ start, end, line int }

// Context lines kept around a keyword: enough for gitleaks' expressions,
// which match within a line, plus the neighbours a value may wrap onto.
const windowContext = 1

// multilineSpan is how many lines a multi-line secret (a PEM block) may take.
const multilineSpan = 200

func (s *secrets) windows(text []byte) (map[*ruleDetector][]window, []window) {
	sc := windowScratchPool.Get().(*windowScratch)
	defer sc.put()
	lower := sc.lowered(text)
	// The keywords found: the trie's Match would allocate each.
	type hit struct{ start, end, pattern int }
	var matches []hit
	s.keywords.Walk(lower, func(end, n, pattern int64) bool {
		matches = append(matches, hit{int(end - n + 1), int(end + 1), int(pattern)})
		return true
	})
	// Line starts, to turn offsets into lines and back.
	starts := append(sc.starts[:0], 0)
	for i, c := range text {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	sc.starts = starts
	var decoded []window
	for i := range starts {
		end := len(text)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if s.hidesKeyword(text[starts[i]:end]) {
			from, to := max(i-windowContext, 0), min(i+windowContext, len(starts)-1)
			wend := len(text)
			if to+1 < len(starts) {
				wend = starts[to+1]
			}
			if n := len(decoded); n > 0 && decoded[n-1].end >= starts[from] {
				decoded[n-1].end = wend
			} else {
				decoded = append(decoded, window{start: starts[from], end: wend, line: from + 1})
			}
		}
	}
	if len(matches) == 0 {
		return nil, decoded
	}
	if wholeText(text, lower) {
		out := map[*ruleDetector][]window{}
		for _, m := range matches {
			for _, rd := range s.byPattern[m.pattern] {
				out[rd] = []window{{0, len(text), 1}}
			}
		}
		return out, decoded
	}
	lineOf := func(off int) int {
		return sort.Search(len(starts), func(i int) bool { return starts[i] > off }) - 1
	}
	type span struct{ from, to int } // 0-based line numbers, inclusive
	spans := map[*ruleDetector][]span{}
	for _, m := range matches {
		l := lineOf(m.start)
		for _, rd := range s.byPattern[m.pattern] {
			if rd.mayMatch != nil && !rd.mayMatch(text, m.start, m.end) {
				continue
			}
			to := l + windowContext
			if rd.multiline {
				to = l + multilineSpan
			}
			spans[rd] = append(spans[rd], span{max(l-rd.before, 0), min(to, len(starts)-1)})
		}
	}
	out := map[*ruleDetector][]window{}
	for rd, sp := range spans {
		sort.Slice(sp, func(i, j int) bool { return sp[i].from < sp[j].from })
		cur := sp[0]
		flush := func() {
			end := len(text)
			if cur.to+1 < len(starts) {
				end = starts[cur.to+1]
			}
			out[rd] = append(out[rd], window{start: starts[cur.from], end: end, line: cur.from + 1})
		}
		for _, x := range sp[1:] {
			if x.from <= cur.to+1 {
				cur.to = max(cur.to, x.to)
				continue
			}
			flush()
			cur = x
		}
		flush()
	}
	return out, decoded
}

// wholeText reports whether the rules with a keyword in text run on the
// whole of it, as gitleaks runs them, rather than on windows around their
// keywords: when lowercasing changed the length of a character (the Kelvin
// sign becomes a k), offsets in lower are not offsets in text; and when the
// text holds a ſ, a case-insensitive expression matches it where a keyword
// has an s (ſecret), which no search of the lowercased text finds.
func wholeText(text, lower []byte) bool {
	return len(lower) != len(text) || bytes.Contains(lower, []byte("ſ"))
}

// hidesKeyword reports whether gitleaks' decoder, at its depth, turns the
// line into text with a keyword in it. A line without a run that could be
// encoded is passed over without decoding.
func (s *secrets) hidesKeyword(line []byte) bool {
	if !mayBeEncoded(line) {
		return false
	}
	if s.decoded == nil {
		return s.decodeHidesKeyword(string(line))
	}
	if v, ok := s.decoded.Load(string(line)); ok {
		return v.(bool)
	}
	hides := s.decodeHidesKeyword(string(line))
	if s.decodedLen.Add(1) <= maxDecoded {
		s.decoded.Store(string(line), hides)
	}
	return hides
}

func (s *secrets) decodeHidesKeyword(cur string) bool {
	var segs []*codec.EncodedSegment
	dec := codec.NewDecoder()
	for depth := 0; depth < maxDecodeDepth; depth++ {
		cur, segs = dec.Decode(cur, segs)
		if len(segs) == 0 {
			return false
		}
		if len(s.keywords.MatchString(strings.ToLower(cur))) > 0 {
			return true
		}
	}
	return false
}

// mayBeEncoded is a cheap test before gitleaks' decoder, which decodes
// what its patterns match: a percent or unicode escape (a %, \u or U+
// followed by the hex digits the patterns need: `%s` in a template does not
// match), or a run of 16 characters of the base64 or hex alphabets
// (runMayDecode). TestWindowsMatchWholeFiles holds it to gitleaks' own
// results on the corpus, and TestMayBeEncoded to the decoder on every
// corpus line and the forms it decodes.
func mayBeEncoded(line []byte) bool {
	start := -1
	for i := 0; i <= len(line); i++ {
		if i < len(line) {
			k := encodedClass[line[i]]
			if k&mayEscape != 0 && escapeAt(line, i) {
				return true
			}
			if k&inRun != 0 {
				if start < 0 {
					start = i
				}
				continue
			}
		}
		if start >= 0 && runMayDecode(line[start:i]) && runDecodes(line, start, i) {
			return true
		}
		start = -1
	}
	return false
}

// The classes of a byte for mayBeEncoded: in a run of the base64
// alphabet, and the start of an escape.
const (
	inRun = 1 << iota
	mayEscape
)

var encodedClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '/', c == '+', c == '-':
			t[c] |= inRun
		}
		switch c {
		case '%', '\\', 'U':
			t[c] |= mayEscape
		}
	}
	return t
}()

// escapeAt reports whether a percent or unicode escape gitleaks' decoder
// decodes starts at line[i].
func escapeAt(line []byte, i int) bool {
	switch line[i] {
	case '%':
		return hexRun(line[i+1:], 2)
	case '\\':
		return i+1 < len(line) && (line[i+1] == 'u' || line[i+1] == 'U') && hexRun(line[i+2:], 4)
	case 'U':
		return i+1 < len(line) && line[i+1] == '+' && hexRun(line[i+2:], 4)
	}
	return false
}

// runMayDecode reports whether gitleaks' decoder may decode text from a
// whole run of the base64 alphabet its pattern matches ([\w/+-]{16,}). A run
// starting with 32 hex digits is matched by its hex pattern first, and is
// passed on. Otherwise the base64 pattern takes the whole run, and its
// decoding gives nothing when the run mixes + or / (standard alphabet
// only) with - or _ (URL alphabet only), as a URL path does
// (com/prometheus-community/helm-charts), or holds no digit, +, /, - or _
// (codec.decodeBase64's likely characters: camelCase words). All-lowercase
// words joined by hyphens (kube-prometheus-stack-operator) do not decode to
// text either, and are passed over.
func runMayDecode(r []byte) bool {
	if len(r) < 16 {
		return false
	}
	hex := 0
	for hex < len(r) && hexRun(r[hex:], 1) {
		hex++
	}
	if hex >= 32 {
		return true
	}
	var digit, upper, lower, std, url bool
	for _, c := range r {
		digit = digit || (c >= '0' && c <= '9')
		upper = upper || (c >= 'A' && c <= 'Z')
		lower = lower || (c >= 'a' && c <= 'z')
		std = std || c == '+' || c == '/'
		url = url || c == '-' || c == '_'
	}
	if std && url {
		return false
	}
	return digit || std || (upper && lower && url)
}

// runDecodes reports whether gitleaks' decoder decodes text from the run
// line[start:end] of its base64 pattern's alphabet, on a line with no
// percent or unicode escape (mayBeEncoded has returned on those). Its
// expression, leftmost first with hex before base64, matches in such a
// run at most 32 or more hex digits from the run's start
// ([0-9A-Fa-f]{32,}, as many as there are), then the rest of the run when
// 16 characters or more are left ([\w/+-]{16,}={0,2}, with up to two =
// after the run); each match is a segment only when it decodes to
// printable text (codec.decodeHex, codec.decodeBase64). Most runs that
// look encoded (digests, random keys, names with digits) decode to
// binary: their lines are not decoded at all. TestMayBeEncoded holds this
// to gitleaks' decoder on every corpus line.
func runDecodes(line []byte, start, end int) bool {
	p := start
	if hexRun(line[p:end], 32) {
		h := 32
		for p+h < end && hexRun(line[p+h:end], 1) {
			h++
		}
		if decodesHex(line[p : p+h]) {
			return true
		}
		p += h
	}
	if end-p < 16 {
		return false
	}
	v := end
	for v < len(line) && v < end+2 && line[v] == '=' {
		v++
	}
	return decodesBase64(line[p:v])
}

// decodesHex is codec.decodeHex's verdict: an even number of hex digits,
// one of them 0-9, every byte they make printable.
func decodesHex(h []byte) bool {
	if len(h)%2 != 0 || !bytes.ContainsAny(h, "0123456789") {
		return false
	}
	b := make([]byte, len(h)/2)
	if _, err := hex.Decode(b, h); err != nil {
		return false
	}
	return printableASCII(b)
}

// decodesBase64 is codec.decodeBase64's verdict: one of 0-9 + / - _, and
// a standard (padded) or URL (unpadded) decoding that is printable.
func decodesBase64(v []byte) bool {
	if !bytes.ContainsAny(v, "0123456789+/-_") {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		b := make([]byte, enc.DecodedLen(len(v)))
		if n, err := enc.Decode(b, v); err == nil && printableASCII(b[:n]) {
			return true
		}
	}
	return false
}

// printableASCII is codec's: tab to ~.
func printableASCII(b []byte) bool {
	for _, c := range b {
		if c <= '\x08' || c >= '\x7f' {
			return false
		}
	}
	return true
}

// hexRun reports whether b starts with n hex digits.
func hexRun(b []byte, n int) bool {
	if len(b) < n {
		return false
	}
	for _, c := range b[:n] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
