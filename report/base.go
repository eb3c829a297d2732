package report

import "github.com/kubeharden/kubeharden/scan"

// Where a pull request's base commit was read from.
const (
	SourceGit     = "git objects"
	SourceArchive = "API archive"
)

// A findingKey identifies a finding across commits: its rule and its
// fingerprint, which hashes the object and field path, not the line.
type findingKey struct{ rule, fingerprint string }

func keyOf(f scan.Finding) findingKey { return findingKey{f.Rule, f.Fingerprint} }

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
			c.base[keyOf(f)] = true
		}
	}
	inHead := map[findingKey]bool{}
	for _, f := range head {
		inHead[keyOf(f)] = true
		switch {
		case f.Suppressed != nil:
		case c.base[keyOf(f)]:
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

// IsNew reports whether a finding of the head is not among the base's.
func (c *BaseComparison) IsNew(f scan.Finding) bool { return !c.base[keyOf(f)] }
