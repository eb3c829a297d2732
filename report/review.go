package report

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/kubeharden/kubeharden/scan"
)

// A FilterMode decides which findings a pull request review carries, as
// reviewdog's -filter-mode does.
type FilterMode string

// Filter modes. Only findings in files the pull request changes are ever
// commented inline, and only on lines inside a hunk.
const (
	// FilterAdded comments on findings on lines the pull request adds or
	// changes.
	FilterAdded FilterMode = "added"
	// FilterDiffContext also comments on the context lines of the diff.
	FilterDiffContext FilterMode = "diff_context"
	// FilterFile takes every finding in a changed file: inline where its
	// line is in the diff, listed in the review body where it is not.
	FilterFile FilterMode = "file"
	// FilterNone takes every finding: inline where its line is in the
	// diff, listed in the review body elsewhere.
	FilterNone FilterMode = "nofilter"
)

// FilterModes lists the modes, for usage text.
var FilterModes = []FilterMode{FilterAdded, FilterDiffContext, FilterFile, FilterNone}

// ParseFilterMode reads a filter mode's name.
func ParseFilterMode(s string) (FilterMode, error) {
	if slices.Contains(FilterModes, FilterMode(s)) {
		return FilterMode(s), nil
	}
	return "", fmt.Errorf("unknown filter mode %q (want added, diff_context, file or nofilter)", s)
}

// GitHub's limits that a review keeps within.
const (
	// MaxReviewComments is the most inline comments one review carries:
	// more bury the conversation and trip the secondary rate limits.
	MaxReviewComments = 30
	// maxReviewBody leaves room under GitHub's 65,536 characters.
	maxReviewBody = 60000
)

// fingerprintMarker is hidden in every comment, and beside every finding a
// review body lists, so a later run knows what was said.
const fingerprintMarker = "kubeharden:fingerprint="

var markerRE = regexp.MustCompile(regexp.QuoteMeta(fingerprintMarker) + `([0-9A-Za-z_.-]+)`)

// Markers returns the fingerprints marked in a comment or review body.
func Markers(body string) []string {
	var out []string
	for _, m := range markerRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func marker(f scan.Finding) string {
	return "<!-- " + fingerprintMarker + f.Fingerprint + " -->"
}

// A BodyReason says why a finding is listed in a review's body rather
// than commented inline.
type BodyReason int

// Reasons, in the order the body lists them.
const (
	// OverLimit: on a changed line, past MaxReviewComments.
	OverLimit BodyReason = iota
	// Refused: GitHub refused the review's inline comments.
	Refused
	// NoPatch: in a changed file whose diff GitHub does not give (too
	// large), so its changed lines are unknown.
	NoPatch
	// OutsideDiff: in a changed file, outside the diff's hunks.
	OutsideDiff
	// NotInPR: in a file the pull request does not change.
	NotInPR
)

var bodyReasonTitles = map[BodyReason]string{
	OverLimit:   "on changed lines, past the %d inline comments a review carries",
	Refused:     "that GitHub refused as inline comments",
	NoPatch:     "in changed files whose diff GitHub does not show (too large for the API)",
	OutsideDiff: "in changed files, on lines outside the diff, where GitHub allows no comment",
	NotInPR:     "in files this pull request does not change",
}

// A BodyEntry is a finding listed in a review's body.
type BodyEntry struct {
	Finding scan.Finding
	Why     BodyReason
}

// A ReviewPlan is what one review says.
type ReviewPlan struct {
	Filter FilterMode
	// Inline are the findings commented on their line, most severe first.
	Inline []scan.Finding
	// Body are the findings only listed in the review body.
	Body []BodyEntry
	// Already counts the findings an earlier review carries already.
	Already int
}

// New reports whether the plan has anything to say.
func (p ReviewPlan) New() bool { return len(p.Inline)+len(p.Body) > 0 }

// PlanReview decides where each finding goes: inline, in the body or
// nowhere. Findings are repository-relative after prefix (the scanned
// directory within the repository, "" at its root) is joined to their
// file. Suppressed findings, and findings whose fingerprint is in said,
// are never posted.
func PlanReview(findings []scan.Finding, d Diff, mode FilterMode, said map[string]bool, prefix string) ReviewPlan {
	p := ReviewPlan{Filter: mode}
	var inline []scan.Finding
	for _, f := range findings {
		if f.Suppressed != nil {
			continue
		}
		f.File = RepoPath(prefix, f.File)
		in, why, ok := placeFinding(f, d, mode)
		if !ok {
			continue
		}
		if said[f.Fingerprint] {
			p.Already++
			continue
		}
		if in {
			inline = append(inline, f)
		} else {
			p.Body = append(p.Body, BodyEntry{f, why})
		}
	}
	slices.SortStableFunc(inline, func(a, b scan.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	if len(inline) > MaxReviewComments {
		for _, f := range inline[MaxReviewComments:] {
			p.Body = append(p.Body, BodyEntry{f, OverLimit})
		}
		inline = inline[:MaxReviewComments]
	}
	p.Inline = inline
	sortBody(p.Body)
	return p
}

// placeFinding says whether a finding goes inline or, if not, why it goes
// in the body; ok is false when the filter leaves it out.
func placeFinding(f scan.Finding, d Diff, mode FilterMode) (inline bool, why BodyReason, ok bool) {
	fd := d[f.File]
	if fd == nil || strings.HasPrefix(f.File, "../") {
		return false, NotInPR, mode == FilterNone
	}
	if !fd.Patched {
		// Lines did change, and nobody can tell which: say so rather
		// than stay silent in the modes that keep to changed lines.
		return false, NoPatch, fd.Additions > 0 || mode == FilterFile || mode == FilterNone
	}
	l, inHunk := fd.Lines[f.Line]
	switch {
	case inHunk && (l.Added || mode != FilterAdded):
		return true, 0, true
	case mode == FilterFile || mode == FilterNone:
		return false, OutsideDiff, true
	}
	return false, 0, false
}

func sortBody(es []BodyEntry) {
	slices.SortStableFunc(es, func(a, b BodyEntry) int {
		return cmp.Or(cmp.Compare(a.Why, b.Why), cmp.Compare(b.Finding.Severity, a.Finding.Severity))
	})
}

// RepoPath is a finding's file relative to the repository root.
func RepoPath(prefix, file string) string {
	if prefix == "" {
		return path.Clean(file)
	}
	return path.Clean(path.Join(prefix, file))
}

// WithoutInline moves the inline comments into the body, for a review
// GitHub refused because of one of them.
func (p ReviewPlan) WithoutInline() ReviewPlan {
	q := p
	q.Body = slices.Clone(p.Body)
	for _, f := range p.Inline {
		q.Body = append(q.Body, BodyEntry{f, Refused})
	}
	q.Inline = nil
	sortBody(q.Body)
	return q
}

// ReviewLinks are what a review's text links to.
type ReviewLinks struct {
	// Server, Repository and SHA build links to the files at the commit.
	Server, Repository, SHA string
	// RunURL is the workflow run, whose page holds the job summary.
	RunURL string
}

// Request builds the review: event COMMENT on the commit, one comment per
// inline finding on the right side of its line.
func (p ReviewPlan) Request(links ReviewLinks) *github.PullRequestReviewRequest {
	req := &github.PullRequestReviewRequest{
		CommitID: github.String(links.SHA),
		Event:    github.String("COMMENT"),
		Body:     github.String(p.body(links)),
	}
	for _, f := range p.Inline {
		req.Comments = append(req.Comments, &github.DraftReviewComment{
			Path: github.String(f.File),
			Line: github.Int(f.Line),
			Side: github.String("RIGHT"),
			Body: github.String(ReviewComment(f)),
		})
	}
	return req
}

func severityCounts(fs []scan.Finding) string {
	n := map[scan.Severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range []scan.Severity{scan.Error, scan.Warning, scan.Note} {
		if n[s] > 0 {
			parts = append(parts, plural(n[s], s.String()))
		}
	}
	return strings.Join(parts, ", ")
}

func (p ReviewPlan) body(links ReviewLinks) string {
	all := slices.Clone(p.Inline)
	for _, e := range p.Body {
		all = append(all, e.Finding)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### kubeharden: %s\n\n", plural(len(all), "new finding"))
	fmt.Fprintf(&b, "%s: ", severityCounts(all))
	switch {
	case len(p.Inline) > 0 && len(p.Body) > 0:
		fmt.Fprintf(&b, "%d commented on their lines, %d listed below.", len(p.Inline), len(p.Body))
	case len(p.Inline) > 0:
		fmt.Fprintf(&b, "commented on their lines.")
	default:
		fmt.Fprintf(&b, "listed below.")
	}
	if p.Already > 0 {
		verb := "are"
		if p.Already == 1 {
			verb = "is"
		}
		fmt.Fprintf(&b, " %s already commented on by an earlier run %s not repeated.", plural(p.Already, "finding"), verb)
	}
	b.WriteString("\n")

	sum := StepSummary{Server: links.Server, Repository: links.Repository, SHA: links.SHA}
	var unlisted []scan.Finding
	for i, e := range p.Body {
		if i == 0 || e.Why != p.Body[i-1].Why {
			title := bodyReasonTitles[e.Why]
			if e.Why == OverLimit {
				title = fmt.Sprintf(title, MaxReviewComments)
			}
			n := 0
			for _, x := range p.Body[i:] {
				if x.Why == e.Why {
					n++
				}
			}
			fmt.Fprintf(&b, "\n**%s %s**\n\n", plural(n, "finding"), title)
		}
		f := e.Finding
		line := fmt.Sprintf("- %s **%s** [`%s`](%s): %s %s\n", sum.link(f), f.Severity, f.Rule, helpURL(f.Rule), mdEscape(f.Message), marker(f))
		if b.Len()+len(line) > maxReviewBody-2000 {
			unlisted = append(unlisted, f)
			continue
		}
		b.WriteString(line)
	}
	if len(unlisted) > 0 {
		fmt.Fprintf(&b, "\n%s more not listed: the review body is full.", plural(len(unlisted), "finding"))
		// Marked all the same, so that later runs do not list them anew.
		for _, f := range unlisted {
			if b.Len()+len(marker(f)) > maxReviewBody {
				break
			}
			b.WriteString(marker(f))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "<sub>Filter mode `%s`. ", p.Filter)
	if links.RunURL != "" {
		fmt.Fprintf(&b, "Every finding is in the [job summary](%s)", links.RunURL)
	} else {
		b.WriteString("Every finding is in the job summary")
	}
	b.WriteString(" and the annotations.</sub>\n")
	return b.String()
}

func helpURL(rule string) string {
	if c := scan.Lookup(rule); c != nil {
		return c.HelpURL()
	}
	return "https://github.com/kubeharden/kubeharden/blob/main/docs/rules.md"
}

// ReviewComment is the inline comment on a finding: what is wrong, how to
// fix it, where else it comes from, and the hidden fingerprint marker. The
// finding's message is the scanner's, credentials already redacted; no
// text of the scanned file is added.
func ReviewComment(f scan.Finding) string {
	var b strings.Builder
	c := scan.Lookup(f.Rule)
	fmt.Fprintf(&b, "**%s** [`%s`](%s)", f.Severity, f.Rule, helpURL(f.Rule))
	if c != nil {
		b.WriteString(": " + mdEscape(c.Title))
	}
	b.WriteString("\n\n" + mdEscape(f.Message) + "\n")
	if f.Fix != nil && f.Fix.Line == f.Line && !strings.Contains(f.Fix.Text, "```") {
		// GitHub offers this as a one-click change of the commented line.
		b.WriteString("\n```suggestion\n" + f.Fix.Text + "\n```\n")
	}
	if c != nil && c.Remediation != "" {
		b.WriteString("\n**Fix.** " + c.Remediation + "\n")
		if c.Example != "" {
			fence := "```"
			for strings.Contains(c.Example, fence) {
				fence += "`"
			}
			fmt.Fprintf(&b, "\n<details><summary>Example</summary>\n\n%syaml\n%s\n%s\n\n</details>\n", fence, c.Example, fence)
		}
	}
	var also []string
	for i, r := range f.Related {
		if i == 3 {
			also = append(also, fmt.Sprintf("%d more", len(f.Related)-i))
			break
		}
		s := "`" + mdEscape(fmt.Sprintf("%s:%d", r.File, r.Line)) + "`"
		if r.Message != "" {
			s += " (" + mdEscape(r.Message) + ")"
		}
		also = append(also, s)
	}
	if len(also) > 0 {
		b.WriteString("\nAlso at " + strings.Join(also, ", ") + ".\n")
	}
	if s := f.Source; s != nil {
		if len(s.ValueSets) > 1 {
			b.WriteString("\nSeen with the value sets " + codeList(s.ValueSets) + ".\n")
		}
		if len(s.Roots) > 1 {
			b.WriteString("\nSeen through the overlays " + codeList(s.Roots) + ".\n")
		}
	}
	b.WriteString("\n<sub>")
	if len(f.Checklist) > 0 {
		b.WriteString("Checklist " + strings.Join(f.Checklist, ", ") + ". ")
	}
	fmt.Fprintf(&b, "To accept it, annotate the object `%s%s: \"<why>\"`.</sub>\n\n%s\n", scan.SuppressPrefix, f.Rule, marker(f))
	return b.String()
}

func codeList(items []string) string {
	const most = 5
	var out []string
	for i, s := range items {
		if i == most {
			out = append(out, fmt.Sprintf("%d more", len(items)-most))
			break
		}
		out = append(out, "`"+mdEscape(s)+"`")
	}
	return strings.Join(out, ", ")
}
