package github

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

func finding(file string, line int, sev scan.Severity, rule string) scan.Finding {
	return scan.Finding{Rule: rule, Severity: sev, File: file, Line: line, Column: 3,
		Message:     fmt.Sprintf("Deployment %q: something at line %d", "web", line),
		Checklist:   []string{"pods.1"},
		Fingerprint: fmt.Sprintf("%s-%s-%d", rule, strings.ReplaceAll(file, "/", "_"), line)}
}

func where(p ReviewPlan) (inline, body []string) {
	for _, f := range p.Inline {
		inline = append(inline, fmt.Sprintf("%s:%d", f.File, f.Line))
	}
	for _, e := range p.Body {
		body = append(body, fmt.Sprintf("%s:%d/%d", e.Finding.File, e.Finding.Line, e.Why))
	}
	return inline, body
}

func testDiff(t *testing.T) Diff {
	t.Helper()
	a, err := ParsePatch("@@ -10,3 +10,3 @@\n x\n-y\n+y2\n z\n@@ -19,1 +20,1 @@\n-w\n+w2")
	if err != nil {
		t.Fatal(err)
	}
	return Diff{
		"deploy/a.yaml": {Path: "deploy/a.yaml", Patched: true, Lines: a, Additions: 2},
		"deploy/b.yaml": {Path: "deploy/b.yaml", Additions: 900}, // too large: no patch
		"deploy/r.yaml": {Path: "deploy/r.yaml", Status: "renamed"},
	}
}

// TestPlanReviewFilterModes: which findings go inline, which in the body
// and which nowhere, for each filter mode.
func TestPlanReviewFilterModes(t *testing.T) {
	suppressed := finding("deploy/a.yaml", 20, scan.Error, "host-path-volume")
	suppressed.Suppressed = &scan.Suppression{Kind: "annotation", Justification: "needed"}
	findings := []scan.Finding{
		finding("deploy/a.yaml", 10, scan.Warning, "readonly-root-fs"), // context
		finding("deploy/a.yaml", 11, scan.Error, "run-as-root"),        // added
		finding("deploy/a.yaml", 12, scan.Note, "image-digest"),        // context, said by an earlier run
		suppressed, // added, accepted
		finding("deploy/a.yaml", 30, scan.Warning, "image-latest-tag"),      // outside the hunks
		finding("deploy/b.yaml", 5, scan.Error, "privileged-container"),     // in a file without a patch
		finding("deploy/r.yaml", 7, scan.Error, "privileged-container"),     // in a renamed file, unchanged
		finding("deploy/c.yaml", 1, scan.Error, "host-namespaces"),          // not in the PR
		finding("../elsewhere.yaml", 11, scan.Error, "host-namespaces"),     // outside the repository
		finding("deploy/a.yaml", 21, scan.Warning, "capabilities-drop-all"), // past the end of hunk 2
	}
	said := Said{Fingerprints: map[string]bool{findings[2].Fingerprint: true}}
	for _, c := range []struct {
		mode         FilterMode
		inline, body []string
		already      int
	}{
		{FilterAdded, []string{"deploy/a.yaml:11"}, []string{"deploy/b.yaml:5/2"}, 0},
		{FilterDiffContext, []string{"deploy/a.yaml:11", "deploy/a.yaml:10"}, []string{"deploy/b.yaml:5/2"}, 1},
		{FilterFile, []string{"deploy/a.yaml:11", "deploy/a.yaml:10"},
			[]string{"deploy/b.yaml:5/2", "deploy/r.yaml:7/2", "deploy/a.yaml:30/3", "deploy/a.yaml:21/3"}, 1},
		{FilterNone, []string{"deploy/a.yaml:11", "deploy/a.yaml:10"},
			[]string{"deploy/b.yaml:5/2", "deploy/r.yaml:7/2", "deploy/a.yaml:30/3", "deploy/a.yaml:21/3", "deploy/c.yaml:1/4", "../elsewhere.yaml:11/4"}, 1},
	} {
		t.Run(string(c.mode), func(t *testing.T) {
			p := PlanReview(findings, testDiff(t), c.mode, said, nil)
			inline, body := where(p)
			if !slices.Equal(inline, c.inline) || !slices.Equal(body, c.body) || p.Already != c.already {
				t.Errorf("inline %v body %v already %d\nwant   %v body %v already %d", inline, body, p.Already, c.inline, c.body, c.already)
			}
		})
	}
	if _, err := ParseFilterMode("everything"); err == nil {
		t.Error("an unknown filter mode parsed")
	}
}

// TestPlanReviewLimit: at most 30 inline comments, the most severe first,
// then by file and line; the rest are listed in the body.
func TestPlanReviewLimit(t *testing.T) {
	var patch strings.Builder
	patch.WriteString("@@ -0,0 +1,40 @@\n")
	for range 40 {
		patch.WriteString("+x\n")
	}
	lines, err := ParsePatch(patch.String())
	if err != nil {
		t.Fatal(err)
	}
	d := Diff{"a.yaml": {Path: "a.yaml", Patched: true, Lines: lines}}
	var fs []scan.Finding
	for i := 1; i <= 40; i++ {
		sev := scan.Note
		switch {
		case i%4 == 0:
			sev = scan.Error
		case i%2 == 0:
			sev = scan.Warning
		}
		fs = append(fs, finding("a.yaml", i, sev, "r"))
	}
	p := PlanReview(fs, d, FilterAdded, Said{}, nil)
	if len(p.Inline) != MaxReviewComments || len(p.Body) != 40-MaxReviewComments {
		t.Fatalf("%d inline, %d in the body", len(p.Inline), len(p.Body))
	}
	for i, f := range p.Inline {
		want := scan.Error
		switch {
		case i >= 20:
			want = scan.Note
		case i >= 10:
			want = scan.Warning
		}
		if f.Severity() != want || (i > 0 && f.Severity() == p.Inline[i-1].Severity() && f.Line < p.Inline[i-1].Line) {
			t.Errorf("comment %d: %s at line %d", i, f.Severity(), f.Line)
		}
	}
	for _, e := range p.Body {
		if e.Why != OverLimit || e.Finding.Severity != scan.Note {
			t.Errorf("body entry %+v", e)
		}
	}
	req := p.Request(ReviewLinks{SHA: "abc"})
	if !strings.Contains(req.GetBody(), "10 findings on changed lines, past the 30 inline comments") {
		t.Errorf("body:\n%s", req.GetBody())
	}
}

// TestPlanReviewPrefix: a scan run in a subdirectory names files from
// there; once the report is rebased (the one place a prefix is applied),
// the review names them from the repository root.
func TestPlanReviewPrefix(t *testing.T) {
	lines, _ := ParsePatch("@@ -1 +1 @@\n-a\n+b")
	d := Diff{"infra/deploy/a.yaml": {Path: "infra/deploy/a.yaml", Patched: true, Lines: lines}}
	rep := &report.Report{Findings: []scan.Finding{finding("deploy/a.yaml", 1, scan.Error, "r"), finding("../deploy/a.yaml", 1, scan.Error, "r")}}
	rep.Rebase("infra")
	p := PlanReview(rep.Findings, d, FilterNone, Said{}, nil)
	inline, body := where(p)
	if !slices.Equal(inline, []string{"infra/deploy/a.yaml:1"}) || !slices.Equal(body, []string{"deploy/a.yaml:1/4"}) {
		t.Errorf("inline %v body %v", inline, body)
	}
	if got := p.Request(ReviewLinks{}).Comments[0].GetPath(); got != "infra/deploy/a.yaml" {
		t.Errorf("comment path %q", got)
	}
}

// TestReviewRequest: the review GitHub is sent.
func TestReviewRequest(t *testing.T) {
	d := testDiff(t)
	fs := []scan.Finding{
		finding("deploy/a.yaml", 11, scan.Error, "run-as-root"),
		finding("deploy/a.yaml", 30, scan.Warning, "image-latest-tag"),
	}
	p := PlanReview(fs, d, FilterFile, Said{Fingerprints: map[string]bool{"x": true}}, nil)
	p.Rules = scan.All
	req := p.Request(ReviewLinks{Server: "https://github.com", Repository: "acme/shop", SHA: "0123abc", RunURL: "https://github.com/acme/shop/actions/runs/9"})
	if req.GetEvent() != "COMMENT" || req.GetCommitID() != "0123abc" || len(req.Comments) != 1 {
		t.Fatalf("review %v", req)
	}
	c := req.Comments[0]
	if c.Position != nil || c.StartLine != nil || c.StartSide != nil || c.GetLine() != 11 || c.GetSide() != "RIGHT" || c.GetPath() != "deploy/a.yaml" {
		t.Errorf("comment %v", c)
	}
	if got := Markers(c.GetBody()); !slices.Equal(got, []string{fs[0].Fingerprint}) {
		t.Errorf("comment markers %v", got)
	}
	body := req.GetBody()
	for _, want := range []string{
		"### kubeharden: 2 new findings", "1 error, 1 warning: 1 commented on their lines, 1 listed below.",
		"**1 finding in changed files, on lines outside the diff",
		"[`image-latest-tag`](https://github.com/kubeharden/kubeharden/blob/main/docs/rules.md#image-latest-tag)",
		"[deploy/a.yaml:30](https://github.com/acme/shop/blob/0123abc/deploy/a.yaml#L30)",
		"<!-- kubeharden:fingerprint=" + fs[1].Fingerprint + " -->",
		"Filter mode `file`", "[job summary](https://github.com/acme/shop/actions/runs/9)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if got := Markers(body); !slices.Equal(got, []string{fs[1].Fingerprint}) {
		t.Errorf("body markers %v", got)
	}

	q := p.WithoutInline()
	if len(q.Inline) != 0 || len(q.Body) != 2 || q.Body[0].Why != Refused {
		t.Errorf("without inline: %+v", q)
	}
	req = q.Request(ReviewLinks{})
	if len(req.Comments) != 0 || !strings.Contains(req.GetBody(), "1 finding that GitHub refused as inline comments") || len(Markers(req.GetBody())) != 2 {
		t.Errorf("refused review:\n%s", req.GetBody())
	}
}

// comment is the inline comment on one finding.
func comment(f scan.Finding) string {
	return Group{File: f.File, Line: f.Line, Findings: []scan.Finding{f}}.Comment("", scan.All)
}

// TestReviewComment: severity, rule and title, the message, the fix and
// an example from the rule, other sources, checklist ids and the marker.
func TestReviewComment(t *testing.T) {
	f := finding("charts/web/values.yaml", 12, scan.Error, "privileged-container")
	f.Message = "Deployment \"web\": container <app> is *privileged*"
	f.Checklist = []string{"pods.3", "pods.4"}
	f.Related = []render.Related{{File: "charts/web/templates/deploy.yaml", Line: 30, Message: "template line"}}
	f.Source = &render.Source{Kind: "helm", Chart: "charts/web", ValueSets: []string{"default", "prod"}}
	got := comment(f)
	c := scan.Lookup("privileged-container")
	for _, want := range []string{
		"**error** [`privileged-container`](" + c.HelpURL() + "): " + mdEscape(c.Title),
		`Deployment "web": container &lt;app&gt; is \*privileged\*`,
		"**Fix.** " + c.Remediation,
		"```yaml\n" + c.Example + "\n```",
		"Also at `charts/web/templates/deploy.yaml:30` (template line).",
		"Seen with the value sets `default`, `prod`.",
		"Checklist pods.3, pods.4.",
		"ignore.kubeharden.io/privileged-container",
		"<!-- kubeharden:fingerprint=" + f.Fingerprint + " rule=privileged-container -->",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("comment lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "```suggestion") {
		t.Errorf("a suggestion without a fix:\n%s", got)
	}
	// Names a pull request controls must not notify anyone.
	f.Message = `ConfigMap "@acme/security-team": x`
	if got := comment(f); strings.Contains(got, "@acme") || !strings.Contains(got, "@&#8203;acme/security-team") {
		t.Errorf("a mention in scanned text is live:\n%s", got)
	}
	f.Fix = &scan.Fix{Line: 12, Text: "    privileged: false # why"}
	if got := comment(f); !strings.Contains(got, "\n```suggestion\n    privileged: false # why\n```\n") {
		t.Errorf("comment lacks the suggested line:\n%s", got)
	}
	f.Fix.Line = 11 // a fix of another line cannot be a suggestion on this one
	if got := comment(f); strings.Contains(got, "```suggestion") {
		t.Errorf("suggestion for another line:\n%s", got)
	}
}

// TestReviewBodyLimit: a body listing thousands of findings stays under
// GitHub's 65,536 characters and says how many it leaves out.
func TestReviewBodyLimit(t *testing.T) {
	var fs []scan.Finding
	for i := 1; i <= 3000; i++ {
		fs = append(fs, finding("a.yaml", i, scan.Warning, "image-latest-tag"))
	}
	p := PlanReview(fs, Diff{}, FilterNone, Said{}, nil)
	body := p.Request(ReviewLinks{}).GetBody()
	if len(body) > 65536 || !strings.Contains(body, "more not listed: the review body is full") {
		t.Errorf("body of %d characters:\n%s", len(body), body[len(body)-300:])
	}
}

// TestPlanReviewNewFindings: under fail-scope new, a finding the pull
// request brings is said whatever the filter mode: on the diff's nearest
// line when its own is not in the diff, in the body when its file has no
// diff line; findings the base has keep to the filter.
func TestPlanReviewNewFindings(t *testing.T) {
	fs := []scan.Finding{
		finding("deploy/a.yaml", 30, scan.Error, "run-as-root"),            // new, below the hunks: on line 20
		finding("deploy/a.yaml", 16, scan.Warning, "readonly-root-fs"),     // new, as near 12 as 20: on 12
		finding("deploy/a.yaml", 12, scan.Note, "image-digest"),            // new, a context line: on itself
		finding("deploy/c.yaml", 1, scan.Error, "host-namespaces"),         // new, not in the pull request: body
		finding("deploy/b.yaml", 5, scan.Error, "privileged-container"),    // new, no patch: body, as without a diff
		finding("deploy/a.yaml", 40, scan.Warning, "image-latest-tag"),     // the base has it: left out
		finding("../elsewhere.yaml", 3, scan.Error, "host-namespaces"),     // outside the repository: left out
		finding("deploy/c.yaml", 9, scan.Warning, "capabilities-drop-all"), // the base has it: left out
	}
	old := map[string]bool{fs[5].Fingerprint: true, fs[7].Fingerprint: true}
	isNew := func(f scan.Finding) bool { return !old[f.Fingerprint] }
	p := PlanReview(fs, testDiff(t), FilterAdded, Said{}, isNew)
	inline, body := where(p)
	wantInline := []string{"deploy/a.yaml:20", "deploy/a.yaml:12", "deploy/a.yaml:12"}
	wantBody := []string{fmt.Sprintf("deploy/b.yaml:5/%d", NoPatch), fmt.Sprintf("deploy/c.yaml:1/%d", NewUnchanged)}
	if !slices.Equal(inline, wantInline) || !slices.Equal(body, wantBody) {
		t.Errorf("inline %v body %v\nwant inline %v body %v", inline, body, wantInline, wantBody)
	}
	if c := p.Inline[0].Comment("", scan.All); !strings.Contains(c, "on line 30, which this pull request does not change") {
		t.Errorf("the comment on line 20 does not say where the finding is:\n%s", c)
	}
	if c := p.Inline[2].Comment("", scan.All); strings.Contains(c, "does not change") {
		t.Errorf("a finding on its own line says it is elsewhere:\n%s", c)
	}
	// Without the comparison, the filter alone decides.
	p = PlanReview(fs, testDiff(t), FilterAdded, Said{}, nil)
	if inline, body := where(p); len(inline)+len(body) != 1 {
		t.Errorf("without a base: inline %v body %v, want only the no-patch file in the body", inline, body)
	}
}
