package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/kubeharden/kubeharden/scan"
)

// GitLab writes a GitLab Code Quality report (GitLab's subset of the Code
// Climate spec), which puts findings on a merge request's diff. Accepted
// findings are left out. Severities map as docs/ci.md documents (see
// gitlabSeverity).
type GitLab struct{}

var _ Writer = GitLab{}

// A gitlabIssue is one entry of the report; GitLab reads description,
// check_name, fingerprint, severity and location, and Code Climate wants
// type and categories too.
type gitlabIssue struct {
	Type        string         `json:"type"`
	CheckName   string         `json:"check_name"`
	Description string         `json:"description"`
	Categories  []string       `json:"categories"`
	Fingerprint string         `json:"fingerprint"`
	Severity    string         `json:"severity"`
	Location    gitlabLocation `json:"location"`
}

type gitlabLocation struct {
	Path  string `json:"path"`
	Lines struct {
		Begin int `json:"begin"`
	} `json:"lines"`
}

func (GitLab) Write(w io.Writer, r *Report) error {
	issues := []gitlabIssue{}
	seen := map[string]int{}
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			continue
		}
		is := gitlabIssue{Type: "issue", CheckName: f.Rule, Description: describe(f, r.Rules.Lookup(f.Rule)), Categories: []string{"Security"},
			Fingerprint: gitlabFingerprint(f.Fingerprint, seen), Severity: gitlabSeverity(f, r.Rules.Lookup(f.Rule))}
		is.Location.Path = f.File
		is.Location.Lines.Begin = max(f.Line, 1)
		issues = append(issues, is)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(issues)
}

// gitlabFingerprint is the finding's own fingerprint, which hashes rule,
// object and field and so survives edits elsewhere in the file. GitLab
// shows one issue per fingerprint, so a fingerprint met again (two
// problems reading one file) gets its occurrence number hashed in: still
// the same on the next run, as findings come sorted.
func gitlabFingerprint(fp string, seen map[string]int) string {
	seen[fp]++
	if n := seen[fp]; n > 1 {
		h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", fp, n))
		return hex.EncodeToString(h[:16])
	}
	return fp
}

// gitlabSeverity maps a finding onto GitLab's five levels: our three,
// with the rule's security-severity (GitHub's 0.1-10 score) splitting the
// top two, as docs/ci.md documents.
//
//	error, security-severity >= 9.0    blocker
//	error                              critical
//	warning, security-severity >= 4.0  major
//	warning                            minor
//	note                               info
func gitlabSeverity(f scan.Finding, c *scan.Check) string {
	score := 0.0
	if c != nil {
		score = c.SecuritySeverity
	}
	switch f.Severity {
	case scan.Error:
		if score >= 9.0 {
			return "blocker"
		}
		return "critical"
	case scan.Warning:
		if score >= 4.0 {
			return "major"
		}
		return "minor"
	}
	return "info"
}
