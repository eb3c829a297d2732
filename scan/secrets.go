package scan

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
)

var (
	defaultDetector     *secrets
	defaultDetectorErr  error
	defaultDetectorOnce sync.Once
)

// secrets is a gitleaks detector with the keyword index that finds where
// its rules can match.
type secrets struct {
	// cfg is the configuration as read; whole is gitleaks' detector of it,
	// made on first use: only the reference search (findLeaksWhole) runs
	// it.
	cfg      config.Config
	whole    func() *detect.Detector
	keywords ahocorasick.Trie
	// byKeyword lists, for each keyword, the one-rule detectors of the rules
	// that have it; each runs only on the lines around its keywords. Their
	// global allowlists lack the paths, which findLeaks checks once a file.
	byKeyword map[string][]*ruleDetector
	// byPattern is byKeyword by the keyword's number in the trie.
	byPattern [][]*ruleDetector
	// allowedPaths are the global allowlists with paths that need any one
	// of their conditions.
	allowedPaths []pathAllowlist
	// always are the rules without keywords, run on the whole text.
	always []*ruleDetector
	// all runs every rule, on lines whose decoded form (base64, hex,
	// percent or unicode escapes) holds a keyword the raw text hides.
	// It is made on first use: few texts hide a keyword.
	all func() *detect.Detector
	// decoded caches hidesKeyword's verdict by line within one scan:
	// templates and values repeat lines, and decoding is a quarter of the
	// search. nil means no cache.
	decoded    *sync.Map
	decodedLen *atomic.Int64 // entries stored in decoded, at most maxDecoded
	// found collects, for one scan, every value detected, so that no
	// output of the scan repeats one (see redact); nil keeps nothing.
	found *sync.Map
}

// forScan returns the detector with a cache of its own for one scan.
func (s *secrets) forScan() *secrets {
	c := *s
	c.decoded, c.decodedLen = &sync.Map{}, &atomic.Int64{}
	c.found = &sync.Map{}
	return &c
}

// maxDecoded bounds the lines whose verdict a scan caches: the cache
// serves lines that repeat, and must not grow with the repository.
const maxDecoded = 1 << 16

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
	// A string that holds no value is its own replacement: the replacer,
	// which tries every value at every byte, is given only those where the
	// first minRedacted bytes of some value may start (heads).
	var heads valueHeads
	for _, v := range values {
		heads.add(v)
	}
	replace := func(s string) string {
		if !heads.mayHold(s) {
			return s
		}
		return r.Replace(s)
	}
	for i := range fs {
		fs[i].Message = replace(fs[i].Message)
		for j := range fs[i].Related {
			fs[i].Related[j].Message = replace(fs[i].Related[j].Message)
		}
		if sp := fs[i].Suppressed; sp != nil {
			sp.Justification = replace(sp.Justification)
		}
		if fx := fs[i].Fix; fx != nil {
			fx.Text = replace(fx.Text) // a comment on the line may hold one
		}
	}
}

// valueHeads is the set of the first minRedacted bytes of values: a
// string holds a value only if the head of one starts at some offset of
// it. Each offset is tested against a bitset of the heads' hashes, and
// the few that hit against the heads themselves. A value shorter than a
// head makes every string a candidate.
type valueHeads struct {
	bits  [1 << 10]uint64
	heads map[uint64]bool
	short bool
}

func head(b string) uint64 { return binary.LittleEndian.Uint64([]byte(b[:minRedacted])) }

func headBit(x uint64) uint64 { return (x * 0x9E3779B97F4A7C15) >> 48 }

func (h *valueHeads) add(v string) {
	if len(v) < minRedacted {
		h.short = true
		return
	}
	if h.heads == nil {
		h.heads = map[uint64]bool{}
	}
	x := head(v)
	h.heads[x] = true
	b := headBit(x)
	h.bits[b/64] |= 1 << (b % 64)
}

// mayHold reports whether s may hold a value added: whether the head of
// one is in it.
func (h *valueHeads) mayHold(s string) bool {
	if h.short {
		return true
	}
	for i := 0; i+minRedacted <= len(s); i++ {
		x := head(s[i:])
		if b := headBit(x); h.bits[b/64]&(1<<(b%64)) != 0 && h.heads[x] {
			return true
		}
	}
	return false
}

type ruleDetector struct {
	id        string
	d         *detect.Detector
	multiline bool
	// mayMatch, when set, tells whether gitleaks can report a match of the
	// rule's expression holding the keyword at text[start:end]; a keyword
	// where it cannot opens no window (prefilterFor).
	mayMatch prefilter
	// before is how many lines before a keyword's a window starts.
	before int
	// path, when set, is the rule's file path expression: gitleaks reports
	// nothing of a file whose path it does not match, so its text need not
	// be searched.
	path *regexp.Regexp
	// re, secretGroup and entropy are the rule's expression, the group
	// holding its secret and its entropy threshold: mayFind tests a window
	// with them before gitleaks does.
	re          *regexp.Regexp
	secretGroup int
	entropy     float64
	// allow are the allowlists mayFind applies (matchAllowlists).
	allow []allowlist
	// exact, when set, does what d does, in a fraction of its time.
	exact *exactRule
}

// mayFind reports whether gitleaks can report a finding of rd's rule in
// raw. It computes the rule's matches and their secrets as gitleaks'
// detectRule does, and the tests detectRule drops a match by that need no
// more than the match: a secret whose entropy is not above the rule's
// threshold, and one an allowlist accepts by its stop words or by an
// expression on the secret or the match (allowlists that need all their
// conditions, or test the line, are left to gitleaks). A window where
// mayFind is false yields no finding; gitleaks runs on the others. It
// runs on the windows of rules without a prefilter (prefilterFor), whose
// matches are mostly of low entropy or hold a stop word: gitleaks runs the
// expression twice per window and again per match. A prefiltered rule's
// windows go to gitleaks directly.
func (rd *ruleDetector) mayFind(raw string) bool {
	if rd.re == nil {
		return true
	}
	for _, m := range rd.re.FindAllStringIndex(raw, -1) {
		match := strings.Trim(raw[m[0]:m[1]], "\n")
		secret, ok := ruleSecret(rd.re, rd.secretGroup, match)
		if !ok || (rd.entropy != 0 && shannonEntropy(secret) <= rd.entropy-entropySlack) {
			continue
		}
		if !slices.ContainsFunc(rd.allow, func(a allowlist) bool { return allowed(a, secret, match) }) {
			return true
		}
	}
	return false
}

// allowed reports whether allowlist a, which needs any one of its
// conditions, accepts a finding of secret in match without looking at its
// line: by a stop word in the secret, or by an expression on the secret or
// the match. gitleaks checks a's paths and commits on the fragment before
// any match.
func allowed(a allowlist, secret, match string) bool {
	if a.stop != nil && a.stop.in(secret) {
		return true
	}
	switch a.RegexTarget {
	case "", "secret":
		return a.RegexAllowed(secret)
	case "match":
		return a.RegexAllowed(match)
	}
	return false
}

// matchAllowlists are the allowlists, of the rule's and the global ones,
// that accept a finding on any one of their conditions: allowed tests them.
// stops holds the stop-word indexes made so far, one an allowlist.
func matchAllowlists(global, rule []*config.Allowlist, stops map[*config.Allowlist]*stopWords) []allowlist {
	var out []allowlist
	for _, a := range slices.Concat(global, rule) {
		if a == nil || a.MatchCondition == config.AllowlistMatchAnd {
			continue
		}
		sw, ok := stops[a]
		if !ok && len(a.StopWords) > 0 {
			sw = newStopWords(a.StopWords)
			stops[a] = sw
		}
		out = append(out, allowlist{a, sw})
	}
	return out
}

// A pathAllowlist is a global allowlist with the literals one of which a
// path it takes holds.
type pathAllowlist struct {
	*config.Allowlist
	literalFilter
}

// An allowlist is gitleaks' with an index of its stop words, nil when it
// has none.
type allowlist struct {
	*config.Allowlist
	stop *stopWords
}

// ruleSecret is the secret gitleaks takes from a match: the rule's secret
// group, or else the first group that is not empty, or else the match;
// false when gitleaks skips the match (a secret group the expression
// lacks, which configuration checks prevent).
func ruleSecret(re *regexp.Regexp, group int, match string) (string, bool) {
	groups := re.FindStringSubmatch(match)
	if len(groups) < 2 {
		return match, true
	}
	if group > 0 {
		if len(groups) <= group {
			return "", false
		}
		return groups[group], true
	}
	for _, g := range groups[1:] {
		if g != "" {
			return g, true
		}
	}
	return match, true
}

// entropySlack covers rounding: gitleaks sums the entropy over a map, in
// no fixed order, so the last bits of its value vary; a secret within this
// of the threshold goes to gitleaks.
const entropySlack = 1e-9

// shannonEntropy is gitleaks' measure of a secret: bits per character over
// the runes of s, each rune's frequency taken over s's length in bytes.
func shannonEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	inv, e := 1/float64(len(s)), 0.0
	for _, n := range counts {
		f := float64(n) * inv
		e -= f * math.Log2(f)
	}
	return e
}

// secretManifestRule is gitleaks' rule for Secret manifests. secret-manifest
// reports those, knowing SOPS and sealed forms, so its leaks are dropped;
// it is not searched at all, for its expression spans 300 lines.
const secretManifestRule = "kubernetes-secret-yaml"

// maxDecodeDepth is how many times gitleaks decodes what it decodes: its
// own default.
const maxDecodeDepth = 5

func newSecrets(cfg config.Config) *secrets {
	s := &secrets{cfg: cfg, whole: sync.OnceValue(func() *detect.Detector {
		d := detect.NewDetector(cfg)
		d.MaxDecodeDepth = maxDecodeDepth
		return d
	})}
	keywords := slices.Sorted(maps.Keys(cfg.Keywords))
	s.keywords = *ahocorasick.NewTrieBuilder().AddStrings(keywords).Build()
	wcfg := cfg
	wcfg.Allowlists = nil
	for _, a := range cfg.Allowlists {
		if a.MatchCondition != config.AllowlistMatchAnd && len(a.Paths) > 0 {
			s.allowedPaths = append(s.allowedPaths, pathAllowlist{a, newLiteralFilter(a.Paths)})
			if b, ok := rebuiltAllowlist(a, nil, a.StopWords); ok {
				a = b
			}
		}
		wcfg.Allowlists = append(wcfg.Allowlists, a)
	}
	s.all = sync.OnceValue(func() *detect.Detector {
		d := detect.NewDetector(wcfg)
		d.MaxDecodeDepth = maxDecodeDepth
		return d
	})
	s.byKeyword = map[string][]*ruleDetector{}
	stops := map[*config.Allowlist]*stopWords{}
	for id, r := range cfg.Rules {
		if id == secretManifestRule {
			continue
		}
		// The rule's detector runs it on every fragment it is given, as
		// gitleaks runs a rule without keywords: it is given windows
		// around the rule's keywords only, or whole texts for a rule
		// without any. So it has no keyword index to build and search
		// (gitleaks' index takes 2 KB a state).
		kr := r
		kr.Keywords = nil
		one := wcfg
		one.Rules = map[string]config.Rule{id: kr}
		one.OrderedRules = []string{id}
		one.Keywords = map[string]struct{}{}
		// Raw text only: decoded text is the decoding windows' work.
		rd := &ruleDetector{id: id, d: detect.NewDetector(one)}
		rd.multiline = r.Regex != nil && (strings.Contains(r.Regex.String(), `[\s\S`) || strings.Contains(r.Regex.String(), `(?s`))
		rd.before, rd.path = windowContext, r.Path
		rd.re, rd.secretGroup, rd.entropy = r.Regex, r.SecretGroup, r.Entropy
		rd.allow = matchAllowlists(wcfg.Allowlists, r.Allowlists, stops)
		rd.exact = newExactRule(rd)
		if rd.mayMatch = prefilterFor(id, r, rd.allow); rd.mayMatch != nil {
			// Every match of a prefiltered rule starts on its keyword's
			// line.
			rd.before = 0
		}
		if len(r.Keywords) == 0 {
			s.always = append(s.always, rd)
		}
		for k := range keywordSet(r.Keywords) {
			s.byKeyword[k] = append(s.byKeyword[k], rd)
		}
	}
	for _, k := range keywords {
		s.byPattern = append(s.byPattern, s.byKeyword[k])
	}
	sort.Slice(s.always, func(i, j int) bool { return s.always[i].id < s.always[j].id })
	return s
}

// keywordSet is a rule's keywords lowercased, each once, as gitleaks
// indexes them.
func keywordSet(ks []string) map[string]struct{} {
	set := make(map[string]struct{}, len(ks))
	for _, k := range ks {
		set[strings.ToLower(k)] = struct{}{}
	}
	return set
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
	stash := stashStopWords(&vc)
	cfg, err := vc.Translate()
	if err != nil {
		return config.Config{}, err
	}
	return withoutStopwordTries(cfg, stash)
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

// remember keeps a reported value (gitleaks' or credential-literal's) for
// redact. credential-literal and gitleaks' generic rule report only values
// plausibleSecret accepts, so ordinary words never enter the set.
func (s *secrets) remember(value string) {
	if v := strings.TrimSpace(value); s != nil && s.found != nil && len(v) >= minRedacted {
		s.found.Store(v, true)
	}
}
