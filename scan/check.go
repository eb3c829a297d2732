// Package scan checks rendered Kubernetes objects against the hardening
// checklist and produces findings.
package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/render"
)

// A Severity ranks findings: Error fails a build by default.
type Severity int

// Severities, from least to most severe.
const (
	Note Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "unknown"
}

// MarshalText writes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads "error", "warning" or "note".
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "error":
		return Error, nil
	case "warning":
		return Warning, nil
	case "note":
		return Note, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or note)", s)
}

// A Check is one rule of the hardening checklist.
type Check struct {
	ID        string   // stable; SARIF ruleId and the key used in `# want:`
	Title     string   // short, no trailing period
	Checklist []string // item ids from the checklist
	Severity  Severity
	// SecuritySeverity is the 0.1–10 score GitHub code scanning ranks by.
	SecuritySeverity float64
	// PSSLevel is set on the rules that report Pod Security Standards checks.
	PSSLevel    string
	Rationale   string // why it matters; a paragraph
	Remediation string // what to change; ends with a period
	Example     string // a YAML snippet that passes

	// At most one of Object, Graph and Files is set; input rules have none
	// and report what render could not read.
	Object func(p *Pass, o *render.Object)
	Graph  func(p *Pass, objs []*render.Object)
	// Files checks what was read as text (secret detection).
	Files func(p *Pass, set *render.Set)
}

// HelpURL is the rule's anchor in the rules document.
func (c *Check) HelpURL() string {
	return "https://github.com/kubeharden/kubeharden/blob/main/docs/rules.md#" + c.ID
}

// A Suppression records why a finding was accepted by its owner.
type Suppression struct {
	Kind          string `json:"kind"` // "annotation", "inSource" (a comment) or "baseline"
	Justification string `json:"justification"`
}

// A Finding is one violation of one rule at one place.
type Finding struct {
	Rule        string      `json:"rule"`
	Checklist   []string    `json:"checklist"`
	Severity    Severity    `json:"severity"`
	PSSLevel    string      `json:"pssLevel,omitempty"`
	PSSCheck    string      `json:"pssCheck,omitempty"`
	Message     string      `json:"message"`
	File        string      `json:"file"`
	Line        int         `json:"line"`
	Column      int         `json:"column"`
	Object      *render.Ref `json:"object,omitempty"`
	Path        string      `json:"path,omitempty"`
	Fingerprint string      `json:"fingerprint"`
	// Precision is "exact" when the position is the field (or its nearest
	// parent) as written, "approx" when a renderer could only estimate it.
	Precision string `json:"precision"`
	// SecretKind is the gitleaks rule of a credential finding.
	SecretKind string           `json:"secretKind,omitempty"`
	Source     *render.Source   `json:"source,omitempty"`
	Related    []render.Related `json:"related,omitempty"`
	Suppressed *Suppression     `json:"suppressed,omitempty"`
	// Fix, when set, is the one-line change that resolves the finding.
	Fix *Fix `json:"fix,omitempty"`
	// Folded lists the findings of other rules with the same object, place
	// and root cause, reported as this one.
	Folded []Part `json:"folded,omitempty"`
}

// Config holds what a scan is asked to enforce.
type Config struct {
	// PSSVersion is the Pod Security Standards version, "latest" or "v1.N".
	PSSVersion string
	// AllowedRegistries, when set, is the list of registries images may come from.
	AllowedRegistries []string
	// GitleaksConfig is the repository's .gitleaks.toml, or "" for
	// gitleaks' default rules.
	GitleaksConfig string
	// SecretsExclude lists path globs (** spans directories) that secret
	// detection passes over.
	SecretsExclude []string
	// KubeVersion is the Kubernetes version the configuration targets,
	// "1.N" or "v1.N"; empty means the newest the embedded data knows.
	KubeVersion string
	// Disable lists the ids of rules that are not run and report nothing.
	Disable []string
	// Severity gives rules, by id, a severity other than their own.
	Severity map[string]Severity
	// PodSpecs adds kinds whose pod specs are checked to the built-in ones.
	PodSpecs []PodSpecKind
}

// CheckRules returns an error naming the first rule id of Disable or
// Severity that no rule has: a misspelt id would silently do nothing.
func (c Config) CheckRules() error {
	ids := append([]string{}, c.Disable...)
	for id := range c.Severity {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if Lookup(id) == nil {
			return fmt.Errorf("no rule %q ('kubeharden rules' lists them)", id)
		}
	}
	return nil
}

// A Pass is one check's view of a scan: the objects, the configuration and
// the place findings go.
type Pass struct {
	Check  *Check
	Config *Config
	scan   *scanner
}

type findingKey struct {
	rule string
	obj  *render.Object
	path string
}

// Report records a finding of p.Check on the field at path of o. The
// message should say what is wrong with the field; Report prefixes the
// object it belongs to.
func (p *Pass) Report(o *render.Object, path string, format string, args ...any) {
	p.scan.add(p.Check, o, path, describe(o)+": "+fmt.Sprintf(format, args...))
}

// ReportPart is Report for a finding on the bytes [from, to) of the
// scalar value at path (an image reference's tag): where a renderer built
// the value from several sources, the finding points at the one that
// wrote those bytes. from == to names the place of an absent part.
func (p *Pass) ReportPart(o *render.Object, path string, from, to int, format string, args ...any) {
	p.scan.addPart(p.Check, o, path, &[2]int{from, to}, describe(o)+": "+fmt.Sprintf(format, args...))
}

func describe(o *render.Object) string {
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + name
	}
	return fmt.Sprintf("%s %q", o.Kind, name)
}

// Fingerprint is a stable identity for a finding: the rule, the object and
// the field path, never line numbers, so it survives edits around it.
func Fingerprint(rule string, ref *render.Ref, file, path string) string {
	h := sha256.New()
	if ref != nil {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s", rule, ref.APIVersion, ref.Kind, ref.Namespace, ref.Name, path)
	} else {
		fmt.Fprintf(h, "%s\x00%s\x00%s", rule, file, path)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

type scanner struct {
	cfg      *Config
	findings []Finding
	seen     map[findingKey]int
	pods     map[*render.Object]*podEntry
	pss      *pssEvaluator
	secrets  *secrets
	ignores  map[*render.Object]map[string]string
	// index and rbac are built by the first cross-object rule that needs them.
	index *index
	rbac  *rbacGraph
}

type podEntry struct {
	pods []*Pod
	err  error
}

func (s *scanner) add(c *Check, o *render.Object, path, msg string) {
	s.addPart(c, o, path, nil, msg)
}

func (s *scanner) addPart(c *Check, o *render.Object, path string, part *[2]int, msg string) {
	ref := o.Ref()
	key := findingKey{c.ID, o, path}
	if _, dup := s.seen[key]; dup {
		return
	}
	var loc render.Location
	if part != nil {
		loc = o.LocatePart(path, part[0], part[1])
	} else {
		loc = o.Locate(path)
	}
	pos := loc.Pos
	f := Finding{
		Rule:        c.ID,
		Checklist:   slices.Clone(c.Checklist),
		Severity:    c.Severity,
		PSSLevel:    c.PSSLevel,
		Message:     msg,
		File:        pos.File,
		Line:        pos.Line,
		Column:      pos.Column,
		Object:      &ref,
		Path:        path,
		Fingerprint: Fingerprint(c.ID, &ref, o.File, path),
		Precision:   "exact",
		Related:     loc.Related,
	}
	if loc.Approx {
		f.Precision = "approx"
	}
	if o.Source.Kind != "" && o.Source.Kind != "file" {
		src := o.Source
		f.Source = &src
	}
	if why, ok := s.suppressed(o, c.ID); ok {
		f.Suppressed = &Suppression{Kind: "annotation", Justification: why}
	}
	s.seen[key] = len(s.findings)
	s.findings = append(s.findings, f)
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

// Run applies checks to the objects and problems of set and returns the
// findings, merged and sorted by file, line and rule.
func Run(ctx context.Context, set *render.Set, checks []*Check, cfg Config) ([]Finding, error) {
	if cfg.PSSVersion == "" {
		cfg.PSSVersion = "latest"
	}
	if len(cfg.Disable) > 0 {
		checks = slices.DeleteFunc(slices.Clone(checks), func(c *Check) bool { return slices.Contains(cfg.Disable, c.ID) })
	}
	pss, err := newPSSEvaluator(cfg.PSSVersion)
	if err != nil {
		return nil, err
	}
	s := &scanner{cfg: &cfg, seen: map[findingKey]int{}, pods: map[*render.Object]*podEntry{}, pss: pss,
		ignores: map[*render.Object]map[string]string{}}
	if slices.ContainsFunc(checks, func(c *Check) bool { return c.Files != nil }) {
		if s.secrets, err = loadSecrets(cfg.GitleaksConfig); err != nil {
			return nil, fmt.Errorf("secret detection: %w", err)
		}
		s.secrets = s.secrets.forScan()
	}
	for _, pr := range set.Problems {
		s.problem(pr)
	}
	if distro := distroConfigs(set.Texts); len(distro) > 0 {
		view := *set
		view.Objects = append(slices.Clone(set.Objects), distro...)
		set = &view
	}
	for _, o := range set.Objects {
		if g, bad := misplacedWorkload(o); bad {
			s.add(InvalidInput, o, "apiVersion", fmt.Sprintf("%s: apiVersion %s does not serve %s, so the API server rejects it and its pod template is not checked; use %s/v1", describe(o), o.APIVersion, o.Kind, g))
			continue
		}
		if _, err := s.pod(o); err != nil {
			path, msg := typeError(o, err)
			s.add(InvalidInput, o, path, describe(o)+": "+msg)
		}
	}
	for _, c := range checks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := &Pass{Check: c, Config: s.cfg, scan: s}
		switch {
		case c.Object != nil:
			for _, o := range set.Objects {
				c.Object(p, o)
			}
		case c.Graph != nil:
			c.Graph(p, set.Objects)
		case c.Files != nil:
			c.Files(p, set)
		}
	}
	out := mergePSS(s.findings)
	out = mergeRootCauses(out)
	out = mergeRenderings(mergeCredentials(out))
	applyInlineIgnores(out, set.Texts)
	addFixes(out, set.Texts)
	s.secrets.redact(out)
	out = slices.DeleteFunc(out, func(f Finding) bool { return slices.Contains(cfg.Disable, f.Rule) })
	for i := range out {
		if len(cfg.Severity) > 0 {
			out[i].Severity = severityOf(&out[i], cfg.Severity)
		}
	}
	Sort(out)
	return out, nil
}

func (s *scanner) problem(pr render.Problem) {
	c := InvalidInput
	if pr.Kind == render.Skipped {
		c = SkippedInput
	}
	s.findings = append(s.findings, Finding{
		Rule:        c.ID,
		Checklist:   slices.Clone(c.Checklist),
		Severity:    c.Severity,
		Message:     pr.Pos.File + " " + strings.TrimPrefix(pr.Message, pr.Pos.File+" "),
		File:        pr.Pos.File,
		Line:        pr.Pos.Line,
		Column:      pr.Pos.Column,
		Fingerprint: Fingerprint(c.ID, nil, pr.Pos.File, ""),
		Precision:   "exact",
	})
}

// mergePSS folds a Pod Security Standards finding into the finding of
// another rule on the same field of the same object, so that one line
// carries one finding with both checklist ids and the PSS level.
func mergePSS(fs []Finding) []Finding {
	type at struct {
		obj  render.Ref
		file string
		path string
	}
	native := map[at]int{}
	for i, f := range fs {
		if f.PSSLevel == "" && f.Object != nil {
			if _, ok := native[at{*f.Object, f.File, f.Path}]; !ok {
				native[at{*f.Object, f.File, f.Path}] = i
			}
		}
	}
	out := fs[:0:0]
	drop := make([]bool, len(fs))
	for i, f := range fs {
		if f.PSSLevel == "" || f.Object == nil {
			continue
		}
		j, ok := native[at{*f.Object, f.File, f.Path}]
		if !ok {
			continue
		}
		n := &fs[j]
		for _, id := range f.Checklist {
			if !slices.Contains(n.Checklist, id) {
				n.Checklist = append(n.Checklist, id)
			}
		}
		if n.PSSLevel == "" || n.PSSLevel == "restricted" {
			n.PSSLevel = f.PSSLevel
		}
		n.Severity = max(n.Severity, f.Severity)
		if n.PSSCheck == "" {
			n.PSSCheck = f.PSSCheck
			n.Message += fmt.Sprintf(" (Pod Security Standards %s: %s)", n.PSSLevel, f.PSSCheck)
		}
		drop[i] = true
	}
	// Two PSS levels on one field: the lower level is the one that matters.
	pssAt := map[at]int{}
	for i, f := range fs {
		if drop[i] || f.PSSLevel == "" || f.Object == nil {
			continue
		}
		if _, isNative := native[at{*f.Object, f.File, f.Path}]; isNative {
			continue
		}
		k := at{*f.Object, f.File, f.Path}
		if j, ok := pssAt[k]; ok {
			if f.PSSLevel == "baseline" && fs[j].PSSLevel != "baseline" {
				drop[j] = true
				pssAt[k] = i
			} else {
				drop[i] = true
			}
			continue
		}
		pssAt[k] = i
	}
	for i, f := range fs {
		if !drop[i] {
			out = append(out, f)
		}
	}
	return out
}

// Sort orders findings by file, line, column, rule and fingerprint.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Fingerprint < b.Fingerprint
	})
}

// typeError locates a pod template that does not decode at the field the
// decoder names, and says what the API expects there.
func typeError(o *render.Object, err error) (path, msg string) {
	var tp string
	if pe := (*podError)(nil); errors.As(err, &pe) {
		tp = pe.base
	}
	path = render.Join(tp, "spec")
	if !o.Has(path) {
		path = tp // a bare PodSpec, or a pod a CRD assembles
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return path, "the pod template cannot be read: " + err.Error()
	}
	field := render.Join(tp, te.Field) // the decoder names fields from the template
	if te.Field != "" && o.Has(field) {
		path = field
	}
	article := "a"
	if strings.ContainsAny(te.Value[:1], "aeiou") {
		article = "an"
	}
	return path, fmt.Sprintf("%s is %s %s where Kubernetes expects %s; the API server would reject it", field, article, te.Value, te.Type)
}

// mergeRenderings reports once a finding that several renderings of one
// source produce at the same place (a chart's value sets, the overlays of
// one base), listing the value sets or overlays it was seen through.
func mergeRenderings(fs []Finding) []Finding {
	type at struct {
		rule, file, path, kind, chart string
		line, col                     int
	}
	first := map[at]int{}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Source == nil || (f.Source.Kind != "helm" && f.Source.Kind != "kustomize") {
			out = append(out, f)
			continue
		}
		k := at{f.Rule, f.File, f.Path, f.Source.Kind, f.Source.Chart, f.Line, f.Column}
		i, seen := first[k]
		if !seen {
			src := *f.Source
			src.ValueSets = listOf(src.ValueSet)
			src.Roots = listOf(src.Root)
			f.Source = &src
			first[k] = len(out)
			out = append(out, f)
			continue
		}
		m := out[i].Source
		if v := f.Source.ValueSet; v != "" && !slices.Contains(m.ValueSets, v) {
			m.ValueSets = append(m.ValueSets, v)
		}
		if r := f.Source.Root; r != "" && !slices.Contains(m.Roots, r) {
			m.Roots = append(m.Roots, r)
		}
		out[i].Severity = max(out[i].Severity, f.Severity)
	}
	for i := range out {
		if src := out[i].Source; src != nil {
			if len(src.ValueSets) < 2 {
				src.ValueSets = nil
			}
			if len(src.Roots) < 2 {
				src.Roots = nil
			}
		}
	}
	return out
}

func listOf(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
