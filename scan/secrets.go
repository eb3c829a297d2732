package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/detect/codec"
	"github.com/zricethezav/gitleaks/v8/logging"
	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/render"
)

var (
	defaultDetector     *secrets
	defaultDetectorErr  error
	defaultDetectorOnce sync.Once
)

// secrets is a gitleaks detector with the keyword index that finds where
// its rules can match.
type secrets struct {
	d        *detect.Detector
	keywords ahocorasick.Trie
	// byKeyword lists, for each keyword, the one-rule detectors of the rules
	// that have it; each runs only on the lines around its keywords. Their
	// global allowlists lack the paths, which findLeaks checks once a file.
	byKeyword map[string][]*ruleDetector
	// always are the rules without keywords, run on the whole text.
	always []*ruleDetector
	// all runs every rule, on lines whose decoded form (base64, hex,
	// percent or unicode escapes) holds a keyword the raw text hides.
	all *detect.Detector
	// decoded caches hidesKeyword's verdict by line within one scan:
	// templates and values repeat lines, and decoding is a quarter of the
	// search. nil means no cache.
	decoded *sync.Map
	// found collects, for one scan, every value detected, so that no
	// output of the scan repeats one (see redact); nil keeps nothing.
	found *sync.Map
}

// forScan returns the detector with a cache of its own for one scan.
func (s *secrets) forScan() *secrets {
	c := *s
	c.decoded = &sync.Map{}
	c.found = &sync.Map{}
	return &c
}

// minRedacted is the shortest value redact replaces: shorter ones are
// words that occur everywhere, not credentials.
const minRedacted = 8

// redact replaces every detected value in the findings' messages: a
// kustomize or Helm error, or a message naming a field's value, may quote
// the text that holds a credential.
func (s *secrets) redact(fs []Finding) {
	if s == nil || s.found == nil {
		return
	}
	var values []string
	s.found.Range(func(k, _ any) bool {
		values = append(values, k.(string))
		return true
	})
	if len(values) == 0 {
		return
	}
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, "[redacted]")
	}
	r := strings.NewReplacer(pairs...)
	for i := range fs {
		fs[i].Message = r.Replace(fs[i].Message)
		for j := range fs[i].Related {
			fs[i].Related[j].Message = r.Replace(fs[i].Related[j].Message)
		}
		if sp := fs[i].Suppressed; sp != nil {
			sp.Justification = r.Replace(sp.Justification)
		}
		if fx := fs[i].Fix; fx != nil {
			fx.Text = r.Replace(fx.Text) // a comment on the line may hold one
		}
	}
}

type ruleDetector struct {
	id        string
	d         *detect.Detector
	multiline bool
	// mayMatch, when set, tells whether the rule's expression can match
	// with a keyword ending at end of the (lowercased) text; a keyword
	// where it cannot opens no window.
	mayMatch func(text []byte, end int) bool
}

// secretManifestRule is gitleaks' rule for Secret manifests. secret-manifest
// reports those, knowing SOPS and sealed forms, so its leaks are dropped;
// it is not searched at all, for its expression spans 300 lines.
const secretManifestRule = "kubernetes-secret-yaml"

func newSecrets(cfg config.Config) *secrets {
	d := detect.NewDetector(cfg)
	d.MaxDecodeDepth = 5 // gitleaks' own default
	s := &secrets{d: d}
	s.keywords = *ahocorasick.NewTrieBuilder().AddStrings(slices.Collect(maps.Keys(cfg.Keywords))).Build()
	wcfg := cfg
	wcfg.Allowlists = nil
	for _, a := range cfg.Allowlists {
		if a.MatchCondition != config.AllowlistMatchAnd && len(a.Paths) > 0 {
			b := &config.Allowlist{Description: a.Description, MatchCondition: a.MatchCondition, Commits: a.Commits,
				RegexTarget: a.RegexTarget, Regexes: a.Regexes, StopWords: a.StopWords}
			if err := b.Validate(); err == nil {
				a = b
			}
		}
		wcfg.Allowlists = append(wcfg.Allowlists, a)
	}
	s.all = detect.NewDetector(wcfg)
	s.all.MaxDecodeDepth = d.MaxDecodeDepth
	s.byKeyword = map[string][]*ruleDetector{}
	for id, r := range cfg.Rules {
		if id == secretManifestRule {
			continue
		}
		one := wcfg
		one.Rules = map[string]config.Rule{id: r}
		one.OrderedRules = []string{id}
		one.Keywords = map[string]struct{}{}
		for _, k := range r.Keywords {
			one.Keywords[strings.ToLower(k)] = struct{}{}
		}
		// Raw text only: decoded text is the decoding windows' work.
		rd := &ruleDetector{id: id, d: detect.NewDetector(one)}
		rd.multiline = r.Regex != nil && (strings.Contains(r.Regex.String(), `[\s\S`) || strings.Contains(r.Regex.String(), `(?s`))
		if id == "generic-api-key" && r.Regex != nil && r.Regex.String() == genericAPIKeyRegex {
			rd.mayMatch = genericMayMatch
		}
		if len(r.Keywords) == 0 {
			s.always = append(s.always, rd)
		}
		for k := range one.Keywords {
			s.byKeyword[k] = append(s.byKeyword[k], rd)
		}
	}
	sort.Slice(s.always, func(i, j int) bool { return s.always[i].id < s.always[j].id })
	return s
}

// quietGitleaks keeps gitleaks' logger, which can print matches, silent.
func quietGitleaks() { logging.Logger = zerolog.Nop() }

// defaultSecrets is gitleaks with its default rules, built once: building
// compiles a few hundred expressions.
func defaultSecrets() (*secrets, error) {
	defaultDetectorOnce.Do(func() {
		quietGitleaks()
		cfg, err := readGitleaksConfig(config.DefaultConfig)
		if err != nil {
			defaultDetectorErr = err
			return
		}
		defaultDetector = newSecrets(cfg)
	})
	return defaultDetector, defaultDetectorErr
}

var gitleaksConfigMu sync.Mutex

// readGitleaksConfig reads gitleaks' TOML format. gitleaks resolves
// [extend] with its global viper, so reads are serialised. An extend.path
// would read any file on the machine; content of a pull request must not
// reach outside the repository, so it is refused.
func readGitleaksConfig(text string) (config.Config, error) {
	gitleaksConfigMu.Lock()
	defer gitleaksConfigMu.Unlock()
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(text)); err != nil {
		return config.Config{}, err
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, err
	}
	if vc.Extend.Path != "" || vc.Extend.URL != "" {
		return config.Config{}, fmt.Errorf("[extend] path and url are not supported (they read outside the repository); use useDefault = true")
	}
	return vc.Translate()
}

// loadSecrets builds the detector of a repository's .gitleaks.toml.
func loadSecrets(path string) (*secrets, error) {
	if path == "" {
		return defaultSecrets()
	}
	quietGitleaks()
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := readGitleaksConfig(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Path = path
	return newSecrets(cfg), nil
}

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
	for _, a := range s.d.Config.Allowlists {
		if a.MatchCondition != config.AllowlistMatchAnd && a.PathAllowed(file) {
			return nil
		}
	}
	var out []leak
	detectIn := func(rd *ruleDetector, w window) {
		//lint:ignore SA1019 gitleaks v8 has no other call that takes a path and a start line; v9 replaces detect.Fragment with sources.Fragment
		for _, f := range rd.d.Detect(detect.Fragment{Raw: string(text[w.start:w.end]), FilePath: file, StartLine: w.line}) {
			out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: column(f.StartLine, w.line, f.StartColumn), secret: f.Secret})
		}
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
		for _, f := range s.all.Detect(detect.Fragment{Raw: string(text[w.start:w.end]), FilePath: file, StartLine: w.line}) {
			if f.RuleID == secretManifestRule {
				continue
			}
			out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: column(f.StartLine, w.line, f.StartColumn), secret: f.Secret})
		}
	}
	return dropGeneric(out)
}

// remember keeps a reported value (gitleaks' or credential-literal's) for
// redact. credential-literal and gitleaks' generic rule report only values
// plausibleSecret accepts, so ordinary words never enter the set.
func (s *secrets) remember(value string) {
	if v := strings.TrimSpace(value); s != nil && s.found != nil && len(v) >= minRedacted {
		s.found.Store(v, true)
	}
}

// referenceRE matches the fields that name a Secret, a ConfigMap or one of
// their keys: gitleaks' generic rule takes `key: k8svaultapikey` for a
// credential, but it is the name of one.
var referenceRE = regexp.MustCompile(`(?:KeyRef|secretRef|configMapRef)\.(?:key|name)$|\.secretName$|\.(?:secret|configMap)\.items\[\d+\]\.(?:key|path)$`)

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
	for _, f := range s.d.Detect(detect.Fragment{Raw: string(text), FilePath: file, StartLine: 1}) {
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

// A window is a run of whole lines: bytes [start, end) starting at line.
type window struct{ start, end, line int }

// Context lines kept around a keyword: enough for gitleaks' expressions,
// which match within a line, plus the neighbours a value may wrap onto.
const windowContext = 1

// multilineSpan is how many lines a multi-line secret (a PEM block) may take.
const multilineSpan = 200

func (s *secrets) windows(text []byte) (map[*ruleDetector][]window, []window) {
	lower := bytes.ToLower(text)
	matches := s.keywords.Match(lower)
	// Line starts, to turn offsets into lines and back.
	starts := []int{0}
	for i, c := range text {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
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
	lineOf := func(off int) int {
		return sort.Search(len(starts), func(i int) bool { return starts[i] > off }) - 1
	}
	type span struct{ from, to int } // 0-based line numbers, inclusive
	spans := map[*ruleDetector][]span{}
	for _, m := range matches {
		l := lineOf(int(m.Pos()))
		for _, rd := range s.byKeyword[string(m.Match())] {
			if rd.mayMatch != nil && !rd.mayMatch(lower, int(m.Pos())+len(m.Match())) {
				continue
			}
			to := l + windowContext
			if rd.multiline {
				to = l + multilineSpan
			}
			spans[rd] = append(spans[rd], span{max(l-windowContext, 0), min(to, len(starts)-1)})
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
	s.decoded.Store(string(line), hides)
	return hides
}

func (s *secrets) decodeHidesKeyword(cur string) bool {
	var segs []*codec.EncodedSegment
	dec := codec.NewDecoder()
	for depth := 0; depth < s.d.MaxDecodeDepth; depth++ {
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

// mayBeEncoded is a cheap test before gitleaks' decoder: a percent or
// unicode escape, or a run of 16 characters of the base64 or hex alphabets
// that mixes classes as encoded data does (a digit, + or /, or both cases);
// all-lowercase words joined by hyphens (kube-prometheus-stack-operator)
// do not decode to text. TestWindowsMatchWholeFiles holds it to gitleaks'
// own results on the corpus.
func mayBeEncoded(line []byte) bool {
	run := 0
	var digit, upper, lower, sym bool
	for i, c := range line {
		switch {
		case c == '%' || (c == '\\' && i+1 < len(line) && (line[i+1] == 'u' || line[i+1] == 'U')) || (c == 'U' && i+1 < len(line) && line[i+1] == '+'):
			return true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '/', c == '+', c == '-':
			run++
			digit = digit || (c >= '0' && c <= '9')
			upper = upper || (c >= 'A' && c <= 'Z')
			lower = lower || (c >= 'a' && c <= 'z')
			sym = sym || c == '+' || c == '/'
			if run >= 16 && (digit || sym || (upper && lower)) {
				return true
			}
		default:
			run, digit, upper, lower, sym = 0, false, false, false, false
		}
	}
	return false
}

// lineKey returns the YAML key written on a line, or "".
var keyOnLine = regexp.MustCompile(`^\s*(?:-\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]`)

// objectAt finds the object of file whose document holds line, and the
// path of the deepest field written on that line.
func objectAt(objs []*render.Object, line int) (*render.Object, string) {
	var best *render.Object
	for _, o := range objs {
		if o.Node.Line <= line && (best == nil || o.Node.Line > best.Node.Line) {
			best = o
		}
	}
	if best == nil {
		return nil, ""
	}
	return best, pathOnLine(best.Node, line, "")
}

// pathOnLine walks n for the last key written on line.
func pathOnLine(n *yaml.Node, line int, prefix string) string {
	found := ""
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := render.Join(prefix, render.Key(k.Value))
			if k.Line == line || (k.Line < line && v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && line <= k.Line+strings.Count(v.Value, "\n")+1) {
				found = p
			}
			if k.Line <= line {
				if sub := pathOnLine(v, line, p); sub != "" {
					found = sub
				}
			}
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			if it.Line <= line {
				if sub := pathOnLine(it, line, fmt.Sprintf("%s[%d]", prefix, i)); sub != "" {
					found = sub
				}
			}
		}
	}
	return found
}

// secretFingerprint identifies a credential finding without hashing the
// credential, which a short password would make guessable.
func secretFingerprint(gitleaksRule, file, path string, line int) string {
	h := sha256.Sum256([]byte("plaintext-secret\x00" + gitleaksRule + "\x00" + file + "\x00" + path + fmt.Sprintf("\x00%d", line)))
	if path != "" {
		h = sha256.Sum256([]byte("plaintext-secret\x00" + gitleaksRule + "\x00" + file + "\x00" + path))
	}
	return hex.EncodeToString(h[:16])
}

func plaintextSecrets(p *Pass, set *render.Set) {
	d := p.detector()
	if d == nil {
		return
	}
	// Objects are found by the lines of their own file; rendered objects'
	// nodes carry lines of the rendered output, not of the file.
	byFile := map[string][]*render.Object{}
	for _, o := range set.Objects {
		if o.Source.Kind == "file" {
			byFile[o.File] = append(byFile[o.File], o)
		}
	}
	// gitleaks is the cost of a scan: search the texts on every core, then
	// report in order.
	leaks := make([][]leak, len(set.Texts))
	_ = parallel.ForEach(context.Background(), len(set.Texts), func(ti int) {
		t := set.Texts[ti]
		if !excluded(p.Config.SecretsExclude, t.File) && !onlyCRDs(byFile[t.File]) {
			leaks[ti] = d.findLeaks(t.File, t.Data)
		}
	})
	reported := map[string]bool{} // file:line of each finding, which renderedSecrets does not repeat
	for ti, t := range set.Texts {
		if excluded(p.Config.SecretsExclude, t.File) || onlyCRDs(byFile[t.File]) {
			continue
		}
		type hit struct {
			leak
			o      *render.Object
			path   string
			how    string
			column int
		}
		// One finding a line: a specific rule beats gitleaks' generic one,
		// and a decoded Secret value beats its base64 text.
		best := map[int]hit{}
		offer := func(h hit) {
			if cur, ok := best[h.line]; !ok || (isGeneric(cur.rule) && !isGeneric(h.rule)) {
				best[h.line] = h
			}
		}
		for _, o := range byFile[t.File] {
			if o.Kind != "Secret" || group(o.APIVersion) != "" || encrypted(o) {
				continue
			}
			var data map[string]string
			if o.Decode("data", &data) != nil {
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(data)) {
				raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data[k]))
				if err != nil || len(raw) == 0 {
					continue
				}
				path := render.Join("data", render.Key(k))
				pos, _ := o.Pos(path)
				for _, l := range d.findLeaks(t.File, []byte(k+": "+string(raw))) {
					if isGeneric(l.rule) && !plausibleLeak([]byte(k+": "+string(raw)), l.secret) {
						continue
					}
					l.line = pos.Line
					offer(hit{leak: l, o: o, path: path, how: "base64-decoded ", column: pos.Column})
				}
			}
		}
		for _, l := range leaks[ti] {
			if l.rule == secretManifestRule {
				continue // secret-manifest reports Secret manifests, knowing SOPS and sealed forms
			}
			o, path := objectAt(byFile[t.File], l.line)
			if o != nil && encrypted(o) {
				continue // ciphertext looks random to gitleaks
			}
			if o != nil && isGeneric(l.rule) && referenceRE.MatchString(path) {
				continue
			}
			if isGeneric(l.rule) && !plausibleLeak(render.LineAt(t.Data, l.line), l.secret) {
				continue // a digest, an image, a hostname or a plain word
			}
			offer(hit{leak: l, o: o, path: path, column: max(l.column, 1)})
		}
		for _, line := range slices.Sorted(maps.Keys(best)) {
			h := best[line]
			p.Redact(h.secret)
			reported[fmt.Sprintf("%s:%d", t.File, line)] = true
			p.reportLeak(t.File, line, h.column, h.o, h.path, settingName(h.o, h.path, render.LineAt(t.Data, line)), h.rule, h.description, h.how)
		}
	}
	renderedSecrets(p, d, set, reported)
}

func isGeneric(rule string) bool { return strings.Contains(rule, "generic") }

// settingName names what holds a credential: the env var for an env
// value, else the key written on the line or owning the block.
func settingName(o *render.Object, path string, line []byte) string {
	if o != nil && strings.HasSuffix(path, ".value") {
		if name := o.String(strings.TrimSuffix(path, ".value") + ".name"); name != "" {
			return name
		}
	}
	if m := keyOnLine.FindSubmatch(line); m != nil {
		return string(m[1])
	}
	if segs, err := render.ParsePath(path); err == nil && len(segs) > 0 && !segs[len(segs)-1].IsIdx {
		return segs[len(segs)-1].Key
	}
	return ""
}

func (p *Pass) reportLeak(file string, line, col int, o *render.Object, path, key, rule, description, how string) {
	what := "a value"
	if key != "" {
		what = fmt.Sprintf("the %svalue of %q", how, key)
	}
	fp := secretFingerprint(rule, file, path, line)
	msg := fmt.Sprintf("%s looks like a plaintext credential (gitleaks rule %s: %s); fingerprint %s", what, rule, description, fp[:12])
	if o == nil {
		msg = file + ": " + msg
	}
	p.ReportWith(o, path, msg, WithPos(render.Pos{File: file, Line: line, Column: col}), WithFingerprint(fp), WithSecretKind(rule))
}

// IgnoreComment on a line accepts the findings reported at that line, with
// the rest of the comment as the reason; gitleaks' own gitleaks:allow
// accepts credential findings.
const IgnoreComment = "kubeharden:ignore"

// applyInlineIgnores marks findings whose line carries an ignore comment.
func applyInlineIgnores(fs []Finding, texts []render.Text) {
	byFile := map[string][]byte{}
	for _, t := range texts {
		byFile[t.File] = t.Data
	}
	for i := range fs {
		f := &fs[i]
		data, ok := byFile[f.File]
		if !ok || f.Suppressed != nil {
			continue
		}
		line := string(render.LineAt(data, f.Line))
		marker := IgnoreComment
		j := strings.Index(line, marker)
		if c := Lookup(f.Rule); j < 0 && c != nil && c.GitleaksAllow {
			marker = "gitleaks:allow"
			j = strings.Index(line, marker)
		}
		if j < 0 {
			continue
		}
		why := strings.Trim(strings.TrimSpace(line[j+len(marker):]), "():- ")
		if why == "" {
			why = "(no reason given)"
		}
		f.Suppressed = &Suppression{Kind: "inSource", Justification: why}
	}
}

// mergeCredentials keeps one credential finding a line, the most
// specific: the highest Check.CredentialRank (gitleaks' plaintext-secret,
// then url-credential, then credential-literal).
func mergeCredentials(fs []Finding) []Finding {
	rank := func(id string) int {
		if c := Lookup(id); c != nil {
			return c.CredentialRank
		}
		return 0
	}
	best := map[string]int{}
	for _, f := range fs {
		if r := rank(f.Rule); r > 0 {
			at := fmt.Sprintf("%s:%d", f.File, f.Line)
			best[at] = max(best[at], r)
		}
	}
	out := fs[:0]
	for _, f := range fs {
		if r := rank(f.Rule); r > 0 && r < best[fmt.Sprintf("%s:%d", f.File, f.Line)] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// encrypted reports objects whose values are ciphertext or references:
// SealedSecret, SOPS-encrypted documents.
func encrypted(o *render.Object) bool {
	return o.Kind == "SealedSecret" || sopsEncrypted(o)
}

// excluded reports whether file matches one of the glob patterns, where **
// spans directories.
func excluded(globs []string, file string) bool { return render.MatchPath(globs, file) }

// onlyCRDs reports a file of CustomResourceDefinitions alone: schemas hold
// no credentials, and their descriptions are full of gitleaks' keywords.
func onlyCRDs(objs []*render.Object) bool {
	for _, o := range objs {
		if o.Kind != "CustomResourceDefinition" {
			return false
		}
	}
	return len(objs) > 0
}

// renderedSecrets searches what charts and overlays render, so that a
// credential a template or a generator assembles is found too. Only string
// values that the file their field maps to does not hold verbatim are
// searched: a value copied from a values file was searched there. A
// finding is placed where the object's locator maps the field (the values
// line, the kustomization literal).
func renderedSecrets(p *Pass, d *secrets, set *render.Set, reported map[string]bool) {
	sources := map[string]string{}
	// Every token of every text read, split at blanks and quotes: a value
	// found here was searched where it is written.
	tokens := map[string]bool{}
	blankOrQuote := func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '"' || r == '\''
	}
	for _, t := range set.Texts {
		sources[t.File] = string(t.Data)
		for _, tok := range strings.FieldsFunc(sources[t.File], blankOrQuote) {
			tokens[tok] = true
		}
	}
	// A value whose every token stands in some text read was searched there.
	searched := func(value string) bool {
		for _, tok := range strings.FieldsFunc(value, blankOrQuote) {
			if !tokens[tok] {
				return false
			}
		}
		return true
	}
	type leaf struct {
		o          *render.Object
		path, name string
		loc        render.Location
		line       int // in the fragment
	}
	var leaves []leaf
	var frag strings.Builder
	line := 1
	for _, o := range set.Objects {
		if o.Source.Kind == "file" || o.Kind == "CustomResourceDefinition" || encrypted(o) {
			continue
		}
		walkStrings(o.Node, "", func(path, value string) {
			// An assembled credential is short; a private key fits in 4 KiB.
			// Larger values are documents (dashboards, scripts) that a
			// template filled in.
			if len(value) < 8 || len(value) > 4096 || searched(value) || o.Generated[path] {
				return // a generated value (randAlphaNum, genCA) is in no file
			}
			loc := o.Locate(path)
			if src, ok := sources[loc.File]; ok && strings.Contains(src, value) {
				return
			}
			name := path[strings.LastIndexAny(path, ".]")+1:]
			leaves = append(leaves, leaf{o, path, strings.Trim(name, `"[`), loc, line})
			fmt.Fprintf(&frag, "%s: %s\n", name, value)
			line += strings.Count(value, "\n") + 1
		})
	}
	if len(leaves) == 0 {
		return
	}
	fragment := []byte(frag.String())
	for _, l := range d.findLeaks("rendered", fragment) {
		j := sort.Search(len(leaves), func(j int) bool { return leaves[j].line > l.line }) - 1
		if j < 0 || l.rule == "kubernetes-secret-yaml" {
			continue
		}
		lf := leaves[j]
		if isGeneric(l.rule) && !plausibleLeak(render.LineAt(fragment, l.line), l.secret) {
			continue
		}
		at := fmt.Sprintf("%s:%d", lf.loc.File, lf.loc.Line)
		if reported[at] {
			continue
		}
		reported[at] = true
		name := lf.name
		if n := settingName(lf.o, lf.path, nil); n != "" {
			name = n
		}
		p.Redact(l.secret)
		p.reportLeak(lf.loc.File, lf.loc.Line, lf.loc.Column, lf.o, lf.path, name, l.rule, l.description, "rendered ")
	}
}

// walkStrings calls fn for every string scalar under n with its field path.
func walkStrings(n *yaml.Node, path string, fn func(path, value string)) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkStrings(n.Content[i+1], render.Join(path, render.Key(n.Content[i].Value)), fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkStrings(c, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.Tag == "" {
			fn(path, n.Value)
		}
	}
}
