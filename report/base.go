package report

import (
	"slices"

	"github.com/kubeharden/kubeharden/scan"
)

// Where a pull request's base commit was read from.
const (
	SourceGit     = "git objects"
	SourceArchive = "API archive"
)

// A findingKey identifies a finding across commits: its rule and its
// fingerprint, which hashes the object and field path, not the line.
type findingKey struct{ rule, fingerprint string }

// keysOf returns the keys of a finding: its own and those of the findings
// of other rules folded into it (one object, place and root cause). A
// pull request that adds a cause to a place that already had one brings
// a new key, though the finding it is folded into is the base's.
func keysOf(f scan.Finding) []findingKey {
	ks := []findingKey{{f.Rule, f.Fingerprint}}
	for _, p := range f.Folded {
		ks = append(ks, findingKey{p.Rule, p.Fingerprint})
	}
	return ks
}

// A BaseComparison compares a scan of a pull request's head with a scan
// of its base commit, made with the same settings: the scope of
// fail-scope new.
type BaseComparison struct {
	// SHA is the base commit; Source says where it was read from
	// (SourceGit or SourceArchive).
	SHA, Source string
	// New holds the fingerprints of the head's findings that the base does
	// not have, so that the review can place them.
	New map[string]bool
	// Added counts the head's findings the base does not have; Fixed the
	// base's findings the head no longer has; Unchanged the head's
	// findings the base has too. Accepted findings are not counted.
	Added, Fixed, Unchanged int

	base map[findingKey]bool
}

// CompareBase compares the findings of a pull request's head with those
// of its base. A finding accepted at the base (an ignore, the baseline)
// does not count as there: a pull request that withdraws the acceptance
// brings the finding back. Accepted findings of the head are neither new
// nor unchanged.
func CompareBase(sha, source string, head, base []scan.Finding) *BaseComparison {
	c := &BaseComparison{SHA: sha, Source: source, New: map[string]bool{}, base: map[findingKey]bool{}}
	for _, f := range base {
		if f.Suppressed == nil {
			for _, k := range keysOf(f) {
				c.base[k] = true
			}
		}
	}
	inHead := map[findingKey]bool{}
	for _, f := range head {
		for _, k := range keysOf(f) {
			inHead[k] = true
		}
		switch {
		case f.Suppressed != nil:
		case !c.IsNew(f):
			c.Unchanged++
		default:
			c.New[f.Fingerprint] = true
			c.Added++
		}
	}
	for k := range c.base {
		if !inHead[k] {
			c.Fixed++
		}
	}
	return c
}

// IsNew reports whether a finding of the head, or a rule folded into it,
// is not among the base's.
func (c *BaseComparison) IsNew(f scan.Finding) bool {
	return slices.ContainsFunc(keysOf(f), func(k findingKey) bool { return !c.base[k] })
}

// FailsAs is fail-scope new: a finding of the head can fail the build
// when it brings something the base lacks, at the severity of that.
func (c *BaseComparison) FailsAs(f scan.Finding) (scan.Severity, bool) {
	if !c.IsNew(f) {
		return 0, false
	}
	return c.NewSeverity(f), true
}

// NewSeverity is the severity of what a finding of the head brings that
// the base lacks: its own when it is new, else the most severe of the
// folded rules that are new; 0 when the base has all of it. A note folded
// into an error the base already had is a new note, not a new error.
func (c *BaseComparison) NewSeverity(f scan.Finding) scan.Severity {
	if !c.base[findingKey{f.Rule, f.Fingerprint}] {
		return f.Severity
	}
	var sev scan.Severity
	for _, p := range f.Folded {
		if !c.base[findingKey{p.Rule, p.Fingerprint}] {
			sev = max(sev, p.Severity)
		}
	}
	return sev
}
