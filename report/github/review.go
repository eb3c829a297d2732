package github

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/kubeharden/kubeharden/report"
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
	// NewUnchanged: new with the pull request (fail-scope new), on a line
	// it does not change, in a file without a diff line to comment on.
	NewUnchanged
)

var bodyReasonTitles = map[BodyReason]string{
	OverLimit:    "on changed lines, past the %d inline comments a review carries",
	Refused:      "that GitHub refused as inline comments",
	NewUnchanged: "new with this pull request, on lines it does not change",
	NoPatch:      "in changed files whose diff GitHub does not show (too large for the API)",
	OutsideDiff:  "in changed files, on lines outside the diff, where GitHub allows no comment",
	NotInPR:      "in files this pull request does not change",
}

// A BodyEntry is a finding listed in a review's body.
type BodyEntry struct {
	Finding scan.Finding
	Why     BodyReason
}

// A Group is one inline comment: the findings on one object in one file
// that the review comments on, the most severe first, and the line the
// comment sits on, the most severe finding's.
type Group struct {
	File     string
	Line     int
	Findings []scan.Finding
	// credential is set when a credential was found on Line, by a
	// finding of another group or an accepted one.
	credential bool
}

// Severity is the group's most severe finding's.
func (g Group) Severity() scan.Severity { return g.Findings[0].Severity }

// A Said is what earlier reviews of the same category marked: the
// fingerprints, and the sites of findings not marked fixed.
type Said struct {
	Fingerprints map[string]bool
	Sites        map[string]bool
}

// has reports whether an earlier review said f: its fingerprint, or the
// object and field it is on under another rule.
func (s Said) has(f scan.Finding) bool {
	if s.Fingerprints[f.Fingerprint] {
		return true
	}
	site := Site(f)
	return site != "" && s.Sites[site]
}

// A ReviewPlan is what one review says.
type ReviewPlan struct {
	Filter FilterMode
	// Category is the scan's code scanning category, in every marker;
	// DefaultCategory when empty.
	Category string
	// Scope identifies the paths scanned (see Scope), in the review body.
	Scope string
	// Inline are the comments, one per object, most severe first.
	Inline []Group
	// Body are the findings only listed in the review body.
	Body []BodyEntry
	// Already counts the findings an earlier review carries already.
	Already int
	// Rules are the scan's, which comments take titles and fixes from.
	Rules report.Rules
}

// New reports whether the plan has anything to say.
func (p ReviewPlan) New() bool { return len(p.Inline)+len(p.Body) > 0 }

// InlineFindings counts the findings commented inline.
func (p ReviewPlan) InlineFindings() int {
	n := 0
	for _, g := range p.Inline {
		n += len(g.Findings)
	}
	return n
}

// PlanReview decides where each finding goes: inline, in the body or
// nowhere. Findings name files from the repository root, as the diff
// does: report.Report.Rebase, when the scan ran in a subdirectory, is the
// one place a prefix is applied. Suppressed findings, and findings an
// earlier review said, are never posted. Findings on one object in one
// file share a comment; at most MaxReviewComments comments are planned,
// the rest listed in the body. isNew, when set (fail-scope new), tells the
// findings the pull request brings: those are said whatever the filter
// mode, on the nearest line of the file's diff when the finding's own line
// is not in it (a deleted hardening line, a template that starts using a
// value), else in the body.
func PlanReview(findings []scan.Finding, d Diff, mode FilterMode, said Said, isNew func(scan.Finding) bool) ReviewPlan {
	p := ReviewPlan{Filter: mode}
	var groups []Group
	byObject := map[string]int{}
	anchors := map[string]int{}
	for _, f := range findings {
		if f.Suppressed != nil {
			continue
		}
		f.File = path.Clean(f.File)
		in, why, ok := placeFinding(f, d, mode)
		anchor := f.Line
		if !in && isNew != nil && isNew(f) && !strings.HasPrefix(f.File, "../") {
			if l, found := nearestDiffLine(d[f.File], f.Line); found {
				in, anchor, ok = true, l, true
			} else if !ok || why == NotInPR {
				why, ok = NewUnchanged, true
			}
		}
		if !ok {
			continue
		}
		anchors[anchorKey(f)] = anchor
		if said.has(f) {
			p.Already++
			continue
		}
		if !in {
			p.Body = append(p.Body, BodyEntry{f, why})
			continue
		}
		key := ""
		if o := f.Object; o != nil {
			key = strings.Join([]string{f.File, o.APIVersion, o.Kind, o.Namespace, o.Name}, "\x00")
		}
		if i, ok := byObject[key]; ok && key != "" {
			groups[i].Findings = append(groups[i].Findings, f)
			continue
		}
		byObject[key] = len(groups)
		groups = append(groups, Group{File: f.File, Findings: []scan.Finding{f}})
	}
	credentials := map[string]bool{}
	for _, f := range findings {
		if f.Credential() {
			credentials[fmt.Sprintf("%s:%d", path.Clean(f.File), f.Line)] = true
		}
	}
	for i := range groups {
		g := &groups[i]
		slices.SortStableFunc(g.Findings, func(a, b scan.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
		g.Line = anchors[anchorKey(g.Findings[0])]
		g.credential = credentials[fmt.Sprintf("%s:%d", g.File, g.Line)]
	}
	slices.SortStableFunc(groups, func(a, b Group) int { return cmp.Compare(b.Severity(), a.Severity()) })
	p.Inline = groups
	sortBody(p.Body)
	return p.Limit(MaxReviewComments)
}

// Limit keeps at most n comments, the most severe, and lists the
// findings of the others in the body: n is what is left of the budget
// once earlier runs on the same commit are counted.
func (p ReviewPlan) Limit(n int) ReviewPlan {
	n = max(n, 0)
	if len(p.Inline) <= n {
		return p
	}
	q := p
	q.Body = slices.Clone(p.Body)
	for _, g := range p.Inline[n:] {
		for _, f := range g.Findings {
			q.Body = append(q.Body, BodyEntry{f, OverLimit})
		}
	}
	q.Inline = p.Inline[:n]
	sortBody(q.Body)
	return q
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

func anchorKey(f scan.Finding) string { return f.Rule + "\x00" + f.Fingerprint }

// nearestDiffLine is the line of the file's diff, on the new side, closest
// to line (the earlier of two as close), where GitHub takes a comment.
func nearestDiffLine(fd *FileDiff, line int) (int, bool) {
	if fd == nil || !fd.Patched || len(fd.Lines) == 0 {
		return 0, false
	}
	best, found := 0, false
	for l := range fd.Lines {
		d, bd := abs(l-line), abs(best-line)
		if !found || d < bd || (d == bd && l < best) {
			best, found = l, true
		}
	}
	return best, found
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func sortBody(es []BodyEntry) {
	slices.SortStableFunc(es, func(a, b BodyEntry) int {
		return cmp.Or(cmp.Compare(a.Why, b.Why), cmp.Compare(b.Finding.Severity, a.Finding.Severity))
	})
}

// WithoutInline moves the inline comments into the body, for a review
// GitHub refused because of one of them.
func (p ReviewPlan) WithoutInline() ReviewPlan {
	q := p
	q.Body = slices.Clone(p.Body)
	for _, g := range p.Inline {
		for _, f := range g.Findings {
			q.Body = append(q.Body, BodyEntry{f, Refused})
		}
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
func (p ReviewPlan) Request(links ReviewLinks) *gogithub.PullRequestReviewRequest {
	req := &gogithub.PullRequestReviewRequest{
		CommitID: gogithub.String(links.SHA),
		Event:    gogithub.String("COMMENT"),
		Body:     gogithub.String(p.body(links)),
	}
	for _, g := range p.Inline {
		req.Comments = append(req.Comments, &gogithub.DraftReviewComment{
			Path: gogithub.String(g.File),
			Line: gogithub.Int(g.Line),
			Side: gogithub.String("RIGHT"),
			Body: gogithub.String(g.Comment(p.Category, p.Rules)),
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
	var all []scan.Finding
	for _, g := range p.Inline {
		all = append(all, g.Findings...)
	}
	for _, e := range p.Body {
		all = append(all, e.Finding)
	}
	// Every listed finding is marked in the trailer, which is written
	// first so that the list, not the markers, gives way when the body
	// is full: a finding not marked would be listed anew by a later run.
	var markers []string
	size := 0
	for _, e := range p.Body {
		m := findingMarker(e.Finding, false)
		if size+len(m) > maxReviewBody/2 {
			break
		}
		markers = append(markers, m)
		size += len(m) + 1
	}
	tail := trailer(p.category(), p.Scope, markers)

	var b strings.Builder
	fmt.Fprintf(&b, "### kubeharden: %s\n\n", plural(len(all), "new finding"))
	fmt.Fprintf(&b, "%s: ", severityCounts(all))
	switch {
	case len(p.Inline) > 0 && len(p.Body) > 0:
		fmt.Fprintf(&b, "%d commented on their lines, %d listed below.", p.InlineFindings(), len(p.Body))
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
	unlisted := 0
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
		line := fmt.Sprintf("- %s **%s** [`%s`](%s): %s\n", inert(sum.link(f)), f.Severity, f.Rule, helpURL(p.Rules, f.Rule), reviewEscape(f.Message))
		if b.Len()+len(line)+len(tail) > maxReviewBody-2000 {
			unlisted++
			continue
		}
		b.WriteString(line)
	}
	if unlisted > 0 {
		fmt.Fprintf(&b, "\n%s more not listed: the review body is full.\n", plural(unlisted, "finding"))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "<sub>Filter mode `%s`. ", p.Filter)
	if links.RunURL != "" {
		fmt.Fprintf(&b, "Every finding is in the [job summary](%s)", links.RunURL)
	} else {
		b.WriteString("Every finding is in the job summary")
	}
	b.WriteString(" and the annotations.</sub>\n\n")
	b.WriteString(tail)
	return b.String()
}

func (p ReviewPlan) category() string { return cmp.Or(p.Category, DefaultCategory) }

func helpURL(rules report.Rules, rule string) string {
	if c := rules.Lookup(rule); c != nil {
		return c.HelpURL()
	}
	return "https://github.com/kubeharden/kubeharden/blob/main/docs/rules.md"
}

// Comment is the group's inline comment. One finding: what is wrong, how
// to fix it, where else it comes from. Several: each with its rule,
// message and fix, the most severe first. Then how to accept them and
// the trailer of markers, one per finding. The messages are the
// scanner's, credentials already redacted; no text of the scanned file is
// added but a suggested line, and none where a credential is.
func (g Group) Comment(category string, rules report.Rules) string {
	var b strings.Builder
	if len(g.Findings) == 1 {
		g.single(&b, rules)
	} else {
		g.several(&b, rules)
	}
	var checklist []string
	ids := []string{}
	markers := []string{}
	for _, f := range g.Findings {
		for _, id := range f.Checklist {
			if !slices.Contains(checklist, id) {
				checklist = append(checklist, id)
			}
		}
		ids = append(ids, f.Rule)
		markers = append(markers, findingMarker(f, true))
	}
	b.WriteString("\n<sub>")
	if len(checklist) > 0 {
		b.WriteString("Checklist " + strings.Join(checklist, ", ") + ". ")
	}
	if len(ids) > 1 {
		fmt.Fprintf(&b, "To accept one, annotate the object `%s<rule>: \"<why>\"` with its rule.</sub>\n\n", scan.SuppressPrefix)
	} else {
		fmt.Fprintf(&b, "To accept it, annotate the object `%s%s: \"<why>\"`.</sub>\n\n", scan.SuppressPrefix, ids[0])
	}
	b.WriteString(trailer(cmp.Or(category, DefaultCategory), "", markers))
	return b.String()
}

// suggestion is the one-click change of the commented line that f's fix
// makes, or "": GitHub replaces the line with it. Never on a line that
// holds a credential, and never text that could close the block or read
// as a marker.
func (g Group) suggestion(f scan.Finding) string {
	if f.Fix == nil || f.Fix.Line != g.Line || f.Line != g.Line || g.credentialLine() ||
		strings.Contains(f.Fix.Text, "```") || strings.Contains(f.Fix.Text, "<!--") || markerLike.MatchString(f.Fix.Text) {
		return ""
	}
	return "```suggestion\n" + f.Fix.Text + "\n```\n"
}

// credentialLine reports whether a credential was found on the commented
// line: a suggestion would repeat the line, and with it whatever the
// detector missed or redacted.
func (g Group) credentialLine() bool {
	return slices.ContainsFunc(g.Findings, func(f scan.Finding) bool { return f.Line == g.Line && f.Credential() }) || g.credential
}

func (g Group) single(b *strings.Builder, rules report.Rules) {
	f := g.Findings[0]
	c := rules.Lookup(f.Rule)
	fmt.Fprintf(b, "**%s** [`%s`](%s)", f.Severity, f.Rule, helpURL(rules, f.Rule))
	if c != nil {
		b.WriteString(": " + mdEscape(c.Title))
	}
	b.WriteString("\n\n" + reviewEscape(f.Message) + "\n")
	if f.Line != g.Line {
		fmt.Fprintf(b, "\nThe finding is on line %d, which this pull request does not change: the change makes it new.\n", f.Line)
	}
	if s := g.suggestion(f); s != "" {
		b.WriteString("\n" + s)
	}
	if c != nil && c.Remediation != "" {
		b.WriteString("\n**Fix.** " + c.Remediation + "\n")
		if c.Example != "" {
			fence := "```"
			for strings.Contains(c.Example, fence) {
				fence += "`"
			}
			fmt.Fprintf(b, "\n<details><summary>Example</summary>\n\n%syaml\n%s\n%s\n\n</details>\n", fence, c.Example, fence)
		}
	}
	var also []string
	for i, r := range f.Related {
		if i == 3 {
			also = append(also, fmt.Sprintf("%d more", len(f.Related)-i))
			break
		}
		s := "`" + reviewEscape(fmt.Sprintf("%s:%d", r.File, r.Line)) + "`"
		if r.Message != "" {
			s += " (" + reviewEscape(r.Message) + ")"
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
}

// several lists a group's findings, each with its rule, message and fix,
// and offers the first fix of the commented line as a suggestion.
func (g Group) several(b *strings.Builder, rules report.Rules) {
	f := g.Findings[0]
	what := "this object"
	if o := f.Object; o != nil {
		what = reviewEscape(strings.TrimSpace(o.Kind + " " + o.Name)) // a configuration file's kind has no name
	}
	fmt.Fprintf(b, "**kubeharden: %s on %s**, the most severe first (%s)\n\n", plural(len(g.Findings), "finding"), what, severityCounts(g.Findings))
	suggested := ""
	for _, f := range g.Findings {
		fmt.Fprintf(b, "- **%s** [`%s`](%s)", f.Severity, f.Rule, helpURL(rules, f.Rule))
		c := rules.Lookup(f.Rule)
		if c != nil {
			b.WriteString(" " + mdEscape(c.Title))
		}
		fmt.Fprintf(b, " (line %d): %s", f.Line, reviewEscape(f.Message))
		if c != nil && c.Remediation != "" {
			b.WriteString(" **Fix:** " + strings.Join(strings.Fields(c.Remediation), " "))
		}
		b.WriteString("\n")
		if suggested == "" {
			if s := g.suggestion(f); s != "" {
				suggested = fmt.Sprintf("\nThe fix of `%s` on this line:\n\n%s", f.Rule, s)
			}
		}
	}
	b.WriteString(suggested)
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
