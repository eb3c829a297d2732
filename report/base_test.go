package report

import (
	"testing"

	"github.com/kubeharden/kubeharden/scan"
)

// TestCompareBase: findings match by rule and fingerprint, whatever their
// line; a finding accepted at the base is not there, so withdrawing the
// acceptance makes it new; accepted findings of the head are not counted.
func TestCompareBase(t *testing.T) {
	accepted := &scan.Suppression{Kind: "annotation", Justification: "why"}
	base := []scan.Finding{
		{Rule: "run-as-root", Fingerprint: "a", Line: 3},
		{Rule: "host-port", Fingerprint: "b", Line: 9},
		{Rule: "privileged-container", Fingerprint: "c", Suppressed: accepted},
		{Rule: "image-digest", Fingerprint: "d"},
	}
	head := []scan.Finding{
		{Rule: "run-as-root", Fingerprint: "a", Line: 30},
		{Rule: "privileged-container", Fingerprint: "c"},
		{Rule: "readonly-root-fs", Fingerprint: "e"},
		{Rule: "image-digest", Fingerprint: "d", Suppressed: accepted},
		{Rule: "image-latest-tag", Fingerprint: "f", Suppressed: accepted},
	}
	c := CompareBase("sha", SourceGit, head, base)
	if c.Added != 2 || c.Fixed != 1 || c.Unchanged != 1 || len(c.New) != 2 || !c.New["c"] || !c.New["e"] {
		t.Errorf("added %d, fixed %d, unchanged %d, new %v", c.Added, c.Fixed, c.Unchanged, c.New)
	}
	if c.IsNew(head[0]) || !c.IsNew(head[1]) || !c.IsNew(head[2]) {
		t.Error("IsNew disagrees with the counts")
	}
	// The same fingerprint under another rule is another finding.
	if !c.IsNew(scan.Finding{Rule: "host-path-volume", Fingerprint: "a"}) {
		t.Error("matched on the fingerprint alone")
	}
}

// TestCompareBaseFolded: a rule folded into a finding the base already
// had (one object, place and root cause) is new, with its own severity;
// a finding whose every rule the base had is not.
func TestCompareBaseFolded(t *testing.T) {
	base := []scan.Finding{{Rule: "run-as-root", Fingerprint: "a", Severity: scan.Error}}
	head := []scan.Finding{
		{Rule: "run-as-root", Fingerprint: "a", Severity: scan.Error,
			Folded: []scan.Part{{Rule: "readonly-root-fs", Fingerprint: "b", Severity: scan.Note}}},
	}
	c := CompareBase("sha", SourceGit, head, base)
	if !c.IsNew(head[0]) || c.NewSeverity(head[0]) != scan.Note || c.Added != 1 || c.Unchanged != 0 {
		t.Errorf("new %v with severity %v; added %d, unchanged %d", c.IsNew(head[0]), c.NewSeverity(head[0]), c.Added, c.Unchanged)
	}
	sev, ok := c.FailsAs(head[0])
	head[0].OutOfScope, head[0].FailsAs = !ok, sev
	r := &Report{Findings: head}
	if r.Fails(scan.Error) || !r.Fails(scan.Note) {
		t.Errorf("a new note folded into an old error: fails at error %v, at note %v", r.Fails(scan.Error), r.Fails(scan.Note))
	}
	// The base had both: nothing is new, and the part the head lost is fixed.
	c = CompareBase("sha", SourceGit, []scan.Finding{base[0]}, head)
	if c.Added != 0 || c.Unchanged != 1 || c.Fixed != 1 {
		t.Errorf("added %d, unchanged %d, fixed %d", c.Added, c.Unchanged, c.Fixed)
	}
}
