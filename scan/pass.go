package scan

import (
	"fmt"
	"slices"
	"strings"
	"sync"

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
	cfg      *Config
	findings []Finding
	// ranks holds each finding's rank (rankProblems, rankInput,
	// rankChecks+i), which orders them as a scan of one batch would.
	ranks []int
	rank  int
	// ref is the identity of refOf, shared by its findings: an object's
	// findings are reported one after another.
	ref   *render.Ref
	refOf *render.Object
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

func (s *scanner) add(c *Check, o *render.Object, path, msg string, r *request) {
	key := findingKey{rule: c.ID, obj: o, path: path}
	if r.pos != nil {
		key.pos, key.msg = *r.pos, msg
	}
	if s.seen[key] {
		return
	}
	f := Finding{
		Rule:       c.ID,
		Checklist:  slices.Clip(c.Checklist), // shared: a step that adds an id copies it
		Severity:   c.Severity,
		PSSLevel:   c.PSSLevel,
		PSSCheck:   r.pssCheck,
		Message:    msg,
		Path:       path,
		Precision:  "exact",
		SecretKind: r.secretKind,
		Fix:        r.fix,
	}
	if o != nil {
		if s.refOf != o {
			ref := o.Ref()
			s.ref, s.refOf = &ref, o
		}
		f.Object = s.ref
		f.Message = describe(o) + ": " + msg
		if why, ok := s.suppressed(o, c.ID); ok {
			f.Suppressed = &Suppression{Kind: "annotation", Justification: why}
		}
	}
	switch {
	case r.pos != nil:
		f.File, f.Line, f.Column = r.pos.File, r.pos.Line, r.pos.Column
	default:
		var loc render.Location
		if r.part != nil {
			loc = o.LocatePart(path, r.part[0], r.part[1])
		} else {
			loc = o.Locate(path)
		}
		f.File, f.Line, f.Column = loc.File, loc.Line, loc.Column
		f.Related = loc.Related
		if loc.Approx {
			f.Precision = "approx"
		}
		if o.Source.Kind != "" && o.Source.Kind != "file" {
			src := o.Source
			f.Source = &src
		}
	}
	if len(r.related) > 0 {
		f.Related = append(slices.Clip(f.Related), r.related...)
	}
	f.Fingerprint = r.fingerprint
	if f.Fingerprint == "" {
		file := f.File // a text finding's; an object's fingerprint ignores it
		if o != nil {
			file = o.File
		}
		f.Fingerprint = Fingerprint(c.ID, f.Object, file, path)
	}
	s.seen[key] = true
	s.findings = append(s.findings, f)
	s.ranks = append(s.ranks, s.rank)
}

// takeOrdered returns the findings by rank, in the order found within one,
// and leaves the scanner none. They are put in order where they are: a
// scan of many files holds a hundred thousand findings, and a copy would
// hold them twice.
func (s *scanner) takeOrdered() []Finding {
	fs, ranks := s.findings, s.ranks
	s.findings, s.ranks = nil, nil
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return ranks[a] - ranks[b] })
	// fs[i] takes fs[idx[i]], one cycle of the permutation at a time.
	for start := range idx {
		if idx[start] < 0 {
			continue
		}
		held := fs[start]
		i := start
		for {
			from := idx[i]
			idx[i] = -1
			if from == start {
				fs[i] = held
				break
			}
			fs[i] = fs[from]
			i = from
		}
	}
	return slices.Clip(fs)
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
