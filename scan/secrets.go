package scan

import (
	"bytes"
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
	"github.com/zricethezav/gitleaks/v8/logging"
	"gopkg.in/yaml.v3"

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
	// multiline holds the keywords of rules whose matches span lines
	// (private keys), which get a window up to the block's end.
	multiline map[string]bool
	// windowed is d without the paths of its global OR allowlists, which
	// findLeaks checks once a file instead of once a window.
	windowed *detect.Detector
}

func newSecrets(cfg config.Config) *secrets {
	d := detect.NewDetector(cfg)
	d.MaxDecodeDepth = 5 // gitleaks' own default
	s := &secrets{d: d, multiline: map[string]bool{}}
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
	s.windowed = detect.NewDetector(wcfg)
	s.windowed.MaxDecodeDepth = d.MaxDecodeDepth
	for _, r := range cfg.Rules {
		if r.Regex != nil && (strings.Contains(r.Regex.String(), `[\s\S`) || strings.Contains(r.Regex.String(), `(?s`)) {
			for _, k := range r.Keywords {
				s.multiline[strings.ToLower(k)] = true
			}
		}
	}
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
}

// findLeaks runs gitleaks over text and drops the values: only the rule
// and position leave this function. Rules run only on the lines around
// their keywords: gitleaks sends a whole fragment through a rule's
// expression when its keyword occurs anywhere in it, and Go's regexp makes
// that the cost of a scan. TestWindowsMatchWholeFiles proves the windows
// find what whole files do.
func (s *secrets) findLeaks(file string, text []byte) []leak {
	// gitleaks checks the global path allowlists on every fragment: check
	// them once a file, and let windows use a detector without them.
	for _, a := range s.d.Config.Allowlists {
		if a.MatchCondition != config.AllowlistMatchAnd && a.PathAllowed(file) {
			return nil
		}
	}
	var out []leak
	for _, w := range s.windows(text) {
		for _, f := range s.windowed.Detect(detect.Fragment{Raw: string(text[w.start:w.end]), FilePath: file, StartLine: w.line}) {
			out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: column(f.StartLine, w.line, f.StartColumn)})
		}
	}
	return out
}

// findLeaksWhole is the reference: gitleaks over the whole text at once.
func (s *secrets) findLeaksWhole(file string, text []byte) []leak {
	var out []leak
	for _, f := range s.d.Detect(detect.Fragment{Raw: string(text), FilePath: file, StartLine: 1}) {
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
const windowContext = 2

// multilineSpan is how many lines a multi-line secret (a PEM block) may take.
const multilineSpan = 200

func (s *secrets) windows(text []byte) []window {
	lower := bytes.ToLower(text)
	matches := s.keywords.Match(lower)
	if len(matches) == 0 {
		return nil
	}
	// Line starts, to turn offsets into lines and back.
	starts := []int{0}
	for i, c := range text {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	lineOf := func(off int) int {
		return sort.Search(len(starts), func(i int) bool { return starts[i] > off }) - 1
	}
	type span struct{ from, to int } // 0-based line numbers, inclusive
	var spans []span
	for _, m := range matches {
		l := lineOf(int(m.Pos()))
		to := l + windowContext
		if s.multiline[string(m.Match())] {
			to = l + multilineSpan
		}
		spans = append(spans, span{max(l-windowContext, 0), min(to, len(starts)-1)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var ws []window
	cur := spans[0]
	flush := func() {
		end := len(text)
		if cur.to+1 < len(starts) {
			end = starts[cur.to+1]
		}
		ws = append(ws, window{start: starts[cur.from], end: end, line: cur.from + 1})
	}
	for _, sp := range spans[1:] {
		if sp.from <= cur.to+1 {
			cur.to = max(cur.to, sp.to)
			continue
		}
		flush()
		cur = sp
	}
	flush()
	return ws
}

// lineKey returns the YAML key written on a line, or "".
var keyOnLine = regexp.MustCompile(`^\s*(?:-\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]`)

func lineAt(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(text, '\n')
		if j < 0 {
			return nil
		}
		text = text[j+1:]
	}
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	return text
}

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
	d := p.scan.secrets
	if d == nil {
		return
	}
	byFile := map[string][]*render.Object{}
	for _, o := range set.Objects {
		byFile[o.File] = append(byFile[o.File], o)
	}
	for _, t := range set.Texts {
		if excluded(p.Config.SecretsExclude, t.File) {
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
					l.line = pos.Line
					offer(hit{leak: l, o: o, path: path, how: "base64-decoded ", column: pos.Column})
				}
			}
		}
		for _, l := range d.findLeaks(t.File, t.Data) {
			if l.rule == "kubernetes-secret-yaml" {
				continue // secret-manifest reports Secret manifests, knowing SOPS and sealed forms
			}
			o, path := objectAt(byFile[t.File], l.line)
			if o != nil && encrypted(o) {
				continue // ciphertext looks random to gitleaks
			}
			offer(hit{leak: l, o: o, path: path, column: max(l.column, 1)})
		}
		for _, line := range slices.Sorted(maps.Keys(best)) {
			h := best[line]
			p.reportLeak(t.File, line, h.column, h.o, h.path, settingName(h.o, h.path, lineAt(t.Data, line)), h.rule, h.description, h.how)
		}
	}
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
	msg := fmt.Sprintf("%s: %s looks like a plaintext credential (gitleaks rule %s: %s); fingerprint %s", file, what, rule, description, fp[:12])
	f := Finding{
		Rule: p.Check.ID, Checklist: slices.Clone(p.Check.Checklist), Severity: p.Check.Severity,
		Message: msg, File: file, Line: line, Column: col, Path: path,
		Fingerprint: fp, Precision: "exact", SecretKind: rule,
	}
	if o != nil {
		ref := o.Ref()
		f.Object = &ref
		f.Message = describe(o) + ": " + strings.TrimPrefix(msg, file+": ")
		if why, ok := suppressed(o, p.Check.ID); ok {
			f.Suppressed = &Suppression{Kind: "annotation", Justification: why}
		}
	}
	p.scan.findings = append(p.scan.findings, f)
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
		line := string(lineAt(data, f.Line))
		marker := IgnoreComment
		j := strings.Index(line, marker)
		if j < 0 && isCredentialRule(f.Rule) {
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

func isCredentialRule(id string) bool {
	return id == "plaintext-secret" || id == "secret-manifest" || id == "credential-literal"
}

// mergeCredentials drops a credential-literal finding where gitleaks
// reported the same line: one line, one finding, the more specific one.
func mergeCredentials(fs []Finding) []Finding {
	leaks := map[string]bool{}
	for _, f := range fs {
		if f.Rule == "plaintext-secret" {
			leaks[fmt.Sprintf("%s:%d", f.File, f.Line)] = true
		}
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Rule == "credential-literal" && leaks[fmt.Sprintf("%s:%d", f.File, f.Line)] {
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
func excluded(globs []string, file string) bool {
	for _, g := range globs {
		if globRE(g).MatchString(file) {
			return true
		}
	}
	return false
}

func globRE(g string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; {
		case strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("(?:/.*)?$")
	return regexp.MustCompile(b.String())
}
