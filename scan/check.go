// Package scan checks rendered Kubernetes objects against the hardening
// checklist and produces findings.
package scan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

	// Flips lists, by field name, the boolean value a one-line fix sets:
	// the field's safe value.
	Flips map[string]bool
	// HoldsCredential marks a rule whose finding's line holds a
	// credential, which no fix or suggestion may repeat.
	HoldsCredential bool
	// GitleaksAllow lets gitleaks' own gitleaks:allow comment accept the
	// rule's findings, as kubeharden:ignore does.
	GitleaksAllow bool
	// CredentialRank orders the credential rules: of several credential
	// findings on one line, only those of the highest rank stay.
	CredentialRank int
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
	// OutOfScope says the fail scope (Config.FailScope) keeps the finding
	// from failing the build; FailsAs, when set, is the severity it fails
	// the build with instead of Severity (of what is new in a folded
	// finding). Neither is written out: reports hold every finding.
	OutOfScope bool     `json:"-"`
	FailsAs    Severity `json:"-"`
}

// A FailScope narrows the findings that can fail the build: on a pull
// request, those its base commit lacks (fail-scope new) or those on the
// lines it changes (fail-scope changed).
type FailScope struct {
	// FailsAs returns the severity a finding fails the build with, and
	// false when it cannot fail it.
	FailsAs func(f Finding) (Severity, bool)
}

// Fails reports whether f, unless accepted and within the fail scope,
// fails a build that fails at threshold (0: none).
func (f *Finding) Fails(threshold Severity) bool {
	if threshold == 0 || f.Suppressed != nil || f.OutOfScope {
		return false
	}
	sev := f.Severity
	if f.FailsAs != 0 {
		sev = f.FailsAs
	}
	return sev >= threshold
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
	// Baseline, when set, accepts the findings it holds; its Counts say
	// how many after the scan.
	Baseline *Baseline
	// FailScope, when set, narrows the findings that can fail the build
	// (the scope step).
	FailScope *FailScope
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

// describe names an object at the start of its findings' messages:
// `Deployment "shop/web"`. An object without metadata.name or
// generateName is named by its kind alone (`KubeletConfiguration`, a
// configuration file, has none; a Deployment without one is refused by the
// API server but still checked), in its namespace when it sets one:
// `Deployment in namespace "shop"`, never `Deployment "shop/"`.
//
// A cluster-scoped kind is named without the namespace a manifest may set
// on it, which the API server ignores: `ClusterRole "view"`.
func describe(o *render.Object) string {
	ns := o.Namespace
	if clusterScopedKinds[o.Kind] {
		ns = ""
	}
	if o.Name == "" {
		if ns != "" {
			return fmt.Sprintf("%s in namespace %q", o.Kind, ns)
		}
		return o.Kind
	}
	name := o.Name
	if ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %q", o.Kind, name)
}

// Fingerprint is a stable identity for a finding: the rule, the object and
// the field path, never line numbers, so it survives edits around it.
func Fingerprint(rule string, ref *render.Ref, file, path string) string {
	sum := fingerprintSum(rule, ref, file, path)
	return hex.EncodeToString(sum[:])
}

// fingerprintSum is Fingerprint before its hexadecimal form.
func fingerprintSum(rule string, ref *render.Ref, file, path string) (sum [16]byte) {
	b := make([]byte, 0, 256)
	if ref != nil {
		b = append(append(append(append(append(b, rule...), 0), ref.APIVersion...), 0), ref.Kind...)
		b = append(append(append(append(append(b, 0), ref.Namespace...), 0), ref.Name...), 0)
	} else {
		b = append(append(append(append(b, rule...), 0), file...), 0)
	}
	full := sha256.Sum256(append(b, path...))
	copy(sum[:], full[:])
	return sum
}

// mergePSS folds a Pod Security Standards finding into the finding of
// another rule on the same field of the same object, so that one line
// carries one finding with both checklist ids and the PSS level.
func mergePSS(fs []Finding) []Finding {
	type at struct {
		obj  int32 // refIDs
		file string
		path string
	}
	pss := 0
	for i := range fs {
		if fs[i].PSSLevel != "" {
			pss++
		}
	}
	if pss == 0 {
		return fs
	}
	refs := newRefIDs()
	native := make(map[at]int, len(fs)-pss)
	for i := range fs {
		if f := &fs[i]; f.PSSLevel == "" && f.Object != nil {
			k := at{refs.id(f.Object), f.File, f.Path}
			if _, ok := native[k]; !ok {
				native[k] = i
			}
		}
	}
	drop := make([]bool, len(fs))
	for i := range fs {
		f := &fs[i]
		if f.PSSLevel == "" || f.Object == nil {
			continue
		}
		j, ok := native[at{refs.id(f.Object), f.File, f.Path}]
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
	pssAt := make(map[at]int, pss)
	for i := range fs {
		f := &fs[i]
		if drop[i] || f.PSSLevel == "" || f.Object == nil {
			continue
		}
		k := at{refs.id(f.Object), f.File, f.Path}
		if _, isNative := native[k]; isNative {
			continue
		}
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
	// In place: every finding before the one read is done with.
	out := fs[:0]
	for i := range fs {
		if !drop[i] {
			out = append(out, fs[i])
		}
	}
	return out
}

// refIDs numbers the objects findings name, for the steps that group
// findings by object: the findings of one object mostly share its Ref (a
// record's subject), so a pointer is looked up before the four strings
// are hashed.
type refIDs struct {
	byPtr map[*render.Ref]int32
	byVal map[render.Ref]int32
}

// newRefIDs returns an empty numbering. Its maps grow with the objects
// numbered, fewer than the findings: made at the findings' number, they
// cost more to make than growing did.
func newRefIDs() *refIDs {
	return &refIDs{byPtr: map[*render.Ref]int32{}, byVal: map[render.Ref]int32{}}
}

// id is the number of the object r names: equal Refs get equal numbers.
func (ids *refIDs) id(r *render.Ref) int32 {
	if id, ok := ids.byPtr[r]; ok {
		return id
	}
	id, ok := ids.byVal[*r]
	if !ok {
		id = int32(len(ids.byVal))
		ids.byVal[*r] = id
	}
	ids.byPtr[r] = id
	return id
}

// Sort orders findings by file, line, column, rule and fingerprint, and
// keeps the order of findings equal in all five. It sorts the findings'
// indexes, then moves each finding once: a finding is some 300 bytes, and
// a stable sort of the findings themselves moved each many times (a
// tenth of a second for the 110,000 of the 20,000-file generated tree).
func Sort(fs []Finding) {
	idx := make([]int32, len(fs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int {
		a, b := &fs[i], &fs[j]
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Column, b.Column); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.Fingerprint, b.Fingerprint); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	// Place k takes the finding at idx[k]: each cycle of the permutation
	// is followed once, a place marked done (-1) when it is filled.
	for k := range fs {
		if idx[k] < 0 {
			continue
		}
		held := fs[k]
		j := k
		for {
			from := int(idx[j])
			idx[j] = -1
			if from == k {
				fs[j] = held
				break
			}
			fs[j] = fs[from]
			j = from
		}
	}
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
	out := fs[:0] // in place: every finding before the one read is done with
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
