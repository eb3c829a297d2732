package scan

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/render"
)

// A Pass is one check's view of a scan: the objects, the configuration,
// the per-scan cache and the one place findings go. The scanner behind it
// is reached only from this file (TestRulesReachNoScanner).
type Pass struct {
	Check  *Check
	Config *Config
	scan   *scanner
}

// Report records a finding of p.Check on the field at path of o. The
// message should say what is wrong with the field; Report prefixes the
// object it belongs to.
func (p *Pass) Report(o *render.Object, path string, format string, args ...any) {
	p.ReportWith(o, path, fmt.Sprintf(format, args...))
}

// ReportPart is Report for a finding on the bytes [from, to) of the
// scalar value at path (an image reference's tag): where a renderer built
// the value from several sources, the finding points at the one that
// wrote those bytes. from == to names the place of an absent part.
func (p *Pass) ReportPart(o *render.Object, path string, from, to int, format string, args ...any) {
	p.ReportWith(o, path, fmt.Sprintf(format, args...), WithPart(from, to))
}

// A ReportOption adds to a finding what its object and field path do not
// say.
type ReportOption func(*request)

// request is what a rule asks ReportWith to record.
type request struct {
	part        *[2]int
	pos         *render.Pos
	fingerprint string
	pssCheck    string
	secretKind  string
	related     []render.Related
	fix         *Fix
}

// WithPart places the finding on the bytes [from, to) of the scalar at the
// path (see ReportPart).
func WithPart(from, to int) ReportOption {
	return func(r *request) { r.part = &[2]int{from, to} }
}

// WithPos places the finding at a position of a text rather than where the
// object's locator maps the path: a credential found in the text, input
// render could not read. The object, when there is one, only names what
// holds the finding; the rendering it came from is not attached, since
// the position is the text's.
func WithPos(pos render.Pos) ReportOption {
	return func(r *request) { r.pos = &pos }
}

// WithFingerprint replaces the fingerprint of rule, object and path, for
// findings whose identity is something else (a credential's line).
func WithFingerprint(fp string) ReportOption {
	return func(r *request) { r.fingerprint = fp }
}

// WithPSSCheck names the Pod Security Standards check a finding fails.
func WithPSSCheck(name string) ReportOption {
	return func(r *request) { r.pssCheck = name }
}

// WithSecretKind names the gitleaks rule that found a credential.
func WithSecretKind(rule string) ReportOption {
	return func(r *request) { r.secretKind = rule }
}

// WithRelated adds related locations to the finding.
func WithRelated(rs ...render.Related) ReportOption {
	return func(r *request) { r.related = append(r.related, rs...) }
}

// WithFix gives the finding the one-line change that resolves it.
func WithFix(fix Fix) ReportOption {
	return func(r *request) { r.fix = &fix }
}

// ReportWith records a finding of p.Check on the field at path of o, with
// msg as written after the object's description. o may be nil only with
// WithPos; the message is then the whole message. A second finding of the
// rule on the same field of the same object (at the same position, with
// the same message, when WithPos places it) is dropped.
func (p *Pass) ReportWith(o *render.Object, path, msg string, opts ...ReportOption) {
	var r request
	for _, opt := range opts {
		opt(&r)
	}
	p.scan.add(p.Check, o, path, msg, &r)
}

// Redact keeps value out of every output of the scan: a credential a rule
// found. Values too short to be told from ordinary words are not kept.
func (p *Pass) Redact(value string) {
	p.scan.secrets.remember(value)
}

// Cache returns what build returns for key, built once per scan: what
// several rules derive from all the objects. Keys are values of
// unexported types, as for context.Context.
func (p *Pass) Cache(key any, build func() any) any {
	if v, ok := p.scan.cache[key]; ok {
		return v
	}
	v := build()
	p.scan.cache[key] = v
	return v
}

// cached is Cache, typed.
func cached[T any](p *Pass, key any, build func() T) T {
	return p.Cache(key, func() any { return build() }).(T)
}

// Pod returns the first pod spec of o, or nil when o has none or it
// cannot be decoded (the scan reports that once).
func (p *Pass) Pod(o *render.Object) *Pod {
	pods, _ := p.scan.pod(o)
	if len(pods) == 0 {
		return nil
	}
	return pods[0]
}

// Pods returns every pod spec of o: most objects have one, an Argo
// Workflow one per template that runs a container, a SparkApplication
// its driver and executors.
func (p *Pass) Pods(o *render.Object) []*Pod {
	pods, _ := p.scan.pod(o)
	return pods
}

// leaks returns gitleaks' findings in t: those Scan.Prefetch searched
// for, else a search now.
func (p *Pass) leaks(t render.Text) []leak {
	if f, ok := p.scan.prefetch.LoadAndDelete(keyOf(t)); ok {
		f := f.(*prefetched)
		<-f.done
		return f.leaks
	}
	return p.scan.secrets.findLeaks(t.File, t.Data)
}

// A prefetched search: leaks, once done is closed.
type prefetched struct {
	done  chan struct{}
	leaks []leak
}

// A textKey names one text read: its file and the bytes read, not a copy.
type textKey struct {
	file string
	data *byte
	n    int
}

func keyOf(t render.Text) textKey {
	if len(t.Data) == 0 {
		return textKey{file: t.File}
	}
	return textKey{t.File, &t.Data[0], len(t.Data)}
}

// pss is the scan's Pod Security Standards evaluator.
func (p *Pass) pss() *pssEvaluator { return p.scan.pss }

// detector is the scan's gitleaks detector, nil when no rule reads texts.
func (p *Pass) detector() *secrets { return p.scan.secrets }

type findingKey struct {
	rule string
	obj  *render.Object
	path string
	// pos and msg are set for findings placed in a text (WithPos).
	pos render.Pos
	msg string
}

type scanner struct {
	cfg *Config
	// recs holds the findings, each with its rank (rankProblems,
	// rankInput, rankChecks+i), which orders them as a scan of one batch
	// would (takeOrdered).
	recs recordLog
	rank int
	// who is the identity of whoOf, shared by its findings: an object's
	// findings are reported one after another.
	who   *subject
	whoOf *render.Object
	// finishing is set once every object was added (Scan.Finish).
	finishing bool
	seen      map[findingKey]bool
	pods      map[*render.Object]*podEntry
	pss       *pssEvaluator
	secrets   *secrets
	ignores   map[*render.Object]map[string]string
	// cache holds what cross-object rules build once (Pass.Cache).
	cache map[any]any
	// prefetch holds the secret searches Scan.Prefetch started, by
	// textKey.
	prefetch *sync.Map
}

type podEntry struct {
	pods []*Pod
	err  error
}

func newScanner(cfg *Config) *scanner {
	return &scanner{cfg: cfg, seen: map[findingKey]bool{}, pods: map[*render.Object]*podEntry{},
		ignores: map[*render.Object]map[string]string{}, cache: map[any]any{}, prefetch: &sync.Map{}}
}

func (s *scanner) pass(c *Check) *Pass { return &Pass{Check: c, Config: s.cfg, scan: s} }

// pod returns o's pod specs, decoded once per scan.
func (s *scanner) pod(o *render.Object) ([]*Pod, error) {
	if e, ok := s.pods[o]; ok {
		return e.pods, e.err
	}
	pods, err := decodePods(s.cfg, o)
	s.pods[o] = &podEntry{pods, err}
	if s.finishing {
		// The cross-object rules read the typed pod specs, kept here; the
		// generic value decoded on the way would double what a scan of
		// many workloads holds.
		o.Forget()
	}
	return pods, err
}

// A record is a finding as the scan holds it until Finish, when the
// objects' trees are gone: a scan of many files holds a couple of hundred
// thousand of them beside those trees. It keeps what the finding takes
// from its request and the object's locator, and refers to the rest (its
// check's id, checklist and severity, its object's identity and
// rendering): 128 bytes, where a Finding is 288 and a message prefix and
// fingerprint string more (record.finding).
type record struct {
	check *Check
	who   *subject // nil for a finding in a text
	msg   string   // without the object's description
	path  string
	file  string
	// pssCheck is the one rarer field kept here: most pod findings have it.
	pssCheck     string
	line, column int
	rank         int32
	approx       bool // Precision "approx"
	source       bool // the finding carries its object's Source
	fp           [16]byte
	extra        *recordExtra
}

// recordExtra holds what few findings have.
type recordExtra struct {
	fingerprint string // WithFingerprint's, which fp is not then
	secretKind  string
	related     []render.Related
	suppressed  *Suppression
	fix         *Fix
}

// A subject is an object as its findings name it.
type subject struct {
	obj    *render.Object
	ref    render.Ref
	prefix string // describe(obj)
}

func (s *scanner) add(c *Check, o *render.Object, path, msg string, r *request) {
	key := findingKey{rule: c.ID, obj: o, path: path}
	if r.pos != nil {
		key.pos, key.msg = *r.pos, msg
	}
	if s.seen[key] {
		return
	}
	rec := record{check: c, msg: msg, path: path, pssCheck: r.pssCheck, rank: int32(s.rank)}
	var extra recordExtra
	var ref *render.Ref
	if o != nil {
		if s.whoOf != o {
			s.who, s.whoOf = &subject{obj: o, ref: o.Ref(), prefix: describe(o)}, o
		}
		rec.who, ref = s.who, &s.who.ref
		if why, ok := s.suppressed(o, c.ID); ok {
			extra.suppressed = &Suppression{Kind: "annotation", Justification: why}
		}
	}
	switch {
	case r.pos != nil:
		rec.file, rec.line, rec.column = r.pos.File, r.pos.Line, r.pos.Column
	default:
		var loc render.Location
		if r.part != nil {
			loc = o.LocatePart(path, r.part[0], r.part[1])
		} else {
			loc = o.Locate(path)
		}
		rec.file, rec.line, rec.column = loc.File, loc.Line, loc.Column
		extra.related = loc.Related
		rec.approx = loc.Approx
		rec.source = o.Source.Kind != "" && o.Source.Kind != "file"
	}
	if len(r.related) > 0 {
		extra.related = append(slices.Clip(extra.related), r.related...)
	}
	extra.fingerprint, extra.secretKind, extra.fix = r.fingerprint, r.secretKind, r.fix
	if extra.fingerprint == "" {
		file := rec.file // a text finding's; an object's fingerprint ignores it
		if o != nil {
			file = o.File
		}
		rec.fp = fingerprintSum(c.ID, ref, file, path)
	}
	if extra.related != nil || extra.suppressed != nil || extra.fix != nil || extra.fingerprint != "" || extra.secretKind != "" {
		rec.extra = &extra
	}
	s.seen[key] = true
	s.recs.add(rec)
}

// A recordLog holds records in chunks of at most recordChunk: the
// findings of a large scan grow it without a copy of what it holds, nor
// the unused quarter a slice grown by append keeps.
type recordLog struct {
	chunks [][]record
	n      int
}

const recordChunk = 4096

func (l *recordLog) add(r record) {
	k := len(l.chunks)
	if k == 0 || len(l.chunks[k-1]) == cap(l.chunks[k-1]) {
		size := 8 // a worker's log holds one object's findings
		if k > 0 {
			size = min(2*cap(l.chunks[k-1]), recordChunk)
		}
		l.chunks = append(l.chunks, make([]record, 0, size))
		k++
	}
	l.chunks[k-1] = append(l.chunks[k-1], r)
	l.n++
}

// addAll adds the records of m to l.
func (l *recordLog) addAll(m *recordLog) {
	for _, c := range m.chunks {
		for i := range c {
			l.add(c[i])
		}
	}
}

// finding returns the Finding r records.
func (r *record) finding() Finding {
	c := r.check
	f := Finding{
		Rule:      c.ID,
		Checklist: slices.Clip(c.Checklist), // shared: a step that adds an id copies it
		Severity:  c.Severity,
		PSSLevel:  c.PSSLevel,
		PSSCheck:  r.pssCheck,
		Message:   r.msg,
		File:      r.file,
		Line:      r.line,
		Column:    r.column,
		Path:      r.path,
		Precision: "exact",
	}
	if r.approx {
		f.Precision = "approx"
	}
	if w := r.who; w != nil {
		f.Object = &w.ref
		f.Message = w.prefix + ": " + r.msg
		if r.source {
			src := w.obj.Source
			f.Source = &src
		}
	}
	if e := r.extra; e != nil {
		f.Fingerprint, f.SecretKind, f.Related, f.Suppressed, f.Fix = e.fingerprint, e.secretKind, e.related, e.suppressed, e.fix
	}
	if f.Fingerprint == "" {
		f.Fingerprint = hex.EncodeToString(r.fp[:])
	}
	return f
}

// takeOrdered returns the findings by rank, in the order found within one,
// and leaves the scanner none. Each is placed where it goes as it is made
// from its record: ranks are few (one a check), and a sort of a hundred
// thousand findings would move each many times.
func (s *scanner) takeOrdered() []Finding {
	recs := s.recs
	s.recs = recordLog{}
	top := int32(0)
	for _, c := range recs.chunks {
		for i := range c {
			top = max(top, c[i].rank)
		}
	}
	next := make([]int, top+1)
	for _, c := range recs.chunks {
		for i := range c {
			next[c[i].rank]++
		}
	}
	at := 0
	for r, n := range next {
		next[r], at = at, at+n
	}
	// Where each record's finding goes; then the findings are made on
	// every core, a chunk of records at a time.
	place := make([][]int32, len(recs.chunks))
	for ci, c := range recs.chunks {
		place[ci] = make([]int32, len(c))
		for i := range c {
			place[ci][i] = int32(next[c[i].rank])
			next[c[i].rank]++
		}
	}
	fs := make([]Finding, recs.n)
	_ = parallel.ForEach(context.Background(), len(recs.chunks), func(ci int) {
		c := recs.chunks[ci]
		for i := range c {
			fs[place[ci][i]] = c[i].finding()
		}
	})
	return fs
}

// SuppressPrefix starts the annotation that accepts a rule's finding on an
// object: ignore.kubeharden.io/<rule-id>: "<why>".
const SuppressPrefix = "ignore.kubeharden.io/"

// suppressed returns the justification of an ignore annotation on o for
// rule; the annotations of an object are read once.
func (s *scanner) suppressed(o *render.Object, rule string) (string, bool) {
	ann, ok := s.ignores[o]
	if !ok {
		var all map[string]string
		_ = o.Decode("metadata.annotations", &all)
		for k, v := range all {
			if strings.HasPrefix(k, SuppressPrefix) {
				if ann == nil {
					ann = map[string]string{}
				}
				ann[strings.TrimPrefix(k, SuppressPrefix)] = v
			}
		}
		s.ignores[o] = ann
	}
	why, ok := ann[rule]
	if !ok {
		return "", false
	}
	if why = strings.TrimSpace(why); why == "" {
		why = "(no reason given)"
	}
	return why, true
}
