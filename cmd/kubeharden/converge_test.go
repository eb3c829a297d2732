package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghreport "github.com/kubeharden/kubeharden/report/github"
)

const (
	manyFile       = "cmd/kubeharden/testdata/review/many.yaml"
	credentialFile = "cmd/kubeharden/testdata/review/credential-line.yaml"
	forgedFile     = "cmd/kubeharden/testdata/review/marker-name.yaml"
)

// credentialLineSecrets are the fake credentials on the privileged line
// of credentialFile.
var credentialLineSecrets = []string{"ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d", "AKIAZDOCIS2JHTLGMXGE"}

// addWhole lists a repository file as added whole by the pull request.
func addWhole(t *testing.T, f *fakeGitHub, name string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	f.addFile(name, "added", fmt.Sprintf("@@ -0,0 +1,%d @@\n+", len(lines))+strings.Join(lines, "\n+"))
}

// push moves the pull request to a new head commit.
func push(t *testing.T, f *fakeGitHub, head string) {
	t.Helper()
	f.mu.Lock()
	f.head = head
	f.mu.Unlock()
	githubEnv(t, f)
}

// ourMarkers lists the fingerprints marked in everything kubeharden
// posted, inline and in review bodies.
func ourMarkers(f *fakeGitHub) []string {
	var out []string
	for _, p := range f.accepted() {
		out = append(out, ghreport.Markers(p.Review.GetBody())...)
		for _, c := range p.Review.Comments {
			out = append(out, ghreport.Markers(c.GetBody())...)
		}
	}
	return out
}

// TestReviewConverges: a pull request with 80 findings on 40 objects, on
// changed lines, run three times on its head and once more after a push:
// one review per head commit, at most 30 inline comments in all, every
// finding said exactly once, nothing repeated after the push.
func TestReviewConverges(t *testing.T) {
	f := newFakeGitHub(t)
	addWhole(t, f, manyFile)
	githubEnv(t, f)
	for run := 1; run <= 3; run++ {
		stdout, _, code := runCLI(t, "scan", "--github-review", manyFile)
		if code != exitFindings {
			t.Errorf("run %d: exit %d", run, code)
		}
		if n := len(f.comments); n != ghreport.MaxReviewComments {
			t.Errorf("run %d: %d inline comments in all, want %d", run, n, ghreport.MaxReviewComments)
		}
		if n := len(f.accepted()); n != 1 {
			t.Fatalf("run %d: %d reviews of one head commit, want 1\n%s", run, n, stdout)
		}
		if run > 1 && !strings.Contains(stdout, "no new review on pull request #7: an earlier run commented on the 80 findings") {
			t.Errorf("run %d: stdout:\n%s", run, stdout)
		}
	}
	marked := ourMarkers(f)
	if len(marked) != 80 || len(slices.Compact(slices.Sorted(slices.Values(marked)))) != 80 {
		t.Errorf("%d markers, want each of the 80 findings once", len(marked))
	}
	for _, c := range f.accepted()[0].Review.Comments {
		if n := len(ghreport.Markers(c.GetBody())); n != 2 {
			t.Errorf("a comment on %s:%d carries %d findings, want the 2 of its Pod", c.GetPath(), c.GetLine(), n)
		}
	}
	push(t, f, "1111111111111111111111111111111111111111")
	stdout, _, _ := runCLI(t, "scan", "--github-review", manyFile)
	if len(f.accepted()) != 1 || len(f.comments) != ghreport.MaxReviewComments {
		t.Errorf("after a push: %d reviews, %d comments\n%s", len(f.accepted()), len(f.comments), stdout)
	}

	// New findings on a head that has its review (here: a wider filter
	// mode) wait for the next commit.
	f = prFake(t)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", reviewFixture)
	stdout, _, _ = runCLI(t, "scan", "--github-review", "--review-filter", "diff_context", reviewFixture)
	if len(f.accepted()) != 1 || !strings.Contains(stdout, "commit "+f.head+" has kubeharden's review (category kubeharden/) already; 4 new findings not commented") {
		t.Errorf("%d reviews of one head commit\n%s", len(f.accepted()), stdout)
	}
	push(t, f, "1111111111111111111111111111111111111111")
	runCLI(t, "scan", "--github-review", "--review-filter", "diff_context", reviewFixture)
	if posts := f.accepted(); len(posts) != 2 || len(commented(posts[1].Review)) != 4 {
		t.Errorf("after a push: %d reviews, want a second one with the 4 new findings", len(posts))
	}

	// Comments an earlier run made on the head count against the budget,
	// even when its review is not listed.
	f = newFakeGitHub(t)
	addWhole(t, f, manyFile)
	githubEnv(t, f)
	for i := range 25 {
		f.comments = append(f.comments, &github.PullRequestComment{ID: github.Int64(int64(i + 1)), User: actionsBot,
			Path: github.String(manyFile), Line: github.Int(1), CommitID: github.String(f.head), OriginalCommitID: github.String(f.head),
			Body: github.String(fmt.Sprintf("earlier\n\n<!-- kubeharden:category=kubeharden%%2F -->\n<!-- kubeharden:fingerprint=earlier%d rule=x -->\n", i))})
	}
	runCLI(t, "scan", "--github-review", manyFile)
	if posts := f.accepted(); len(posts) != 1 || len(posts[0].Review.Comments) != 5 {
		t.Errorf("with 25 comments on the head already: %d reviews, want one of 5 comments", len(posts))
	}
}

// TestReviewCategories: two kubeharden steps with their own categories
// on one pull request: each posts its own review, neither dedupes against
// the other's markers nor marks the other's comments fixed.
func TestReviewCategories(t *testing.T) {
	f := prFake(t)
	addWhole(t, f, manyFile)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", "--category", "kubeharden/insecure/", reviewFixture)
	// The same findings, another category: commented anew.
	runCLI(t, "scan", "--github-review", "--category", "kubeharden/again/", reviewFixture)
	// Another path: the first two steps' findings are not in it.
	runCLI(t, "scan", "--github-review", "--category", "kubeharden/many/", manyFile)
	runCLI(t, "scan", "--github-review", "--category", "kubeharden/insecure/", reviewFixture)
	runCLI(t, "scan", "--github-review", "--category", "kubeharden/many/", manyFile)
	posts := f.accepted()
	if len(posts) != 3 {
		t.Fatalf("%d reviews, want 3 (one per category)", len(posts))
	}
	if a, b := commented(posts[0].Review), commented(posts[1].Review); len(a) != 4 || !slices.Equal(a, b) {
		t.Errorf("the second category's review comments on %v, want what the first did: %v", b, a)
	}
	if len(f.edits) != 0 {
		t.Errorf("comments %v marked fixed by a step of another category", f.edits)
	}
	for _, p := range posts {
		cat := ""
		for _, m := range ghreport.ReadMarkers(p.Review.Comments[0].GetBody()) {
			if cat != "" && m.Category != cat {
				t.Errorf("a comment with markers of two categories")
			}
			cat = m.Category
		}
		if !strings.HasPrefix(cat, "kubeharden/") || cat == "kubeharden/" {
			t.Errorf("comment markers of category %q", cat)
		}
	}

	// Two steps left in the default category, with different paths: a
	// step marks fixed only comments on the files it scans.
	f = prFake(t)
	addWhole(t, f, manyFile)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", reviewFixture)
	runCLI(t, "scan", "--github-review", manyFile)
	if len(f.edits) != 0 {
		t.Errorf("comments %v on files the step does not scan marked fixed", f.edits)
	}
	if n := len(f.accepted()); n != 2 {
		t.Errorf("%d reviews, want one for each step", n)
	}
	runCLI(t, "scan", "--github-review", reviewFixture)
	runCLI(t, "scan", "--github-review", manyFile)
	if n := len(f.accepted()); n != 2 || len(f.edits) != 0 {
		t.Errorf("re-runs: %d reviews, edits %v", n, f.edits)
	}
}

// TestReviewRuleChange: on a later commit that leaves worker.yaml as it
// is, its findings are reported under other rules (run-as-root is
// disabled, so Pod Security Standards' runAsNonRoot and runAsUser checks
// report the same fields): the problems are not fixed, and not new.
func TestReviewRuleChange(t *testing.T) {
	f := prFake(t)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", "--review-filter", "diff_context", reviewFixture)
	first := commented(f.accepted()[0].Review)
	if !slices.ContainsFunc(first, func(s string) bool { return strings.Contains(s, " run-as-root ") }) {
		t.Fatalf("the first review has no run-as-root finding: %v", first)
	}
	push(t, f, "2222222222222222222222222222222222222222")
	stdout, _, _ := runCLI(t, "scan", "--github-review", "--review-filter", "diff_context", "--disable", "run-as-root", reviewFixture)
	if len(f.edits) != 0 {
		t.Errorf("comments %v marked fixed, but their findings moved to another rule:\n%s", f.edits, f.comments[0].GetBody())
	}
	if n := len(f.accepted()); n != 1 {
		t.Errorf("%d reviews: the findings under their new rule were commented again:\n%s", n, stdout)
	}

	// Truly fixed: a later commit where the scan no longer finds them.
	push(t, f, "3333333333333333333333333333333333333333")
	runCLI(t, "scan", "--github-review", "--review-filter", "diff_context", "--disable", "run-as-root,pss-restricted", reviewFixture)
	if len(f.edits) != 1 {
		t.Fatalf("edits %v, want the one comment", f.edits)
	}
	body := f.comments[0].GetBody()
	if !strings.HasPrefix(body, "> [!NOTE]\n> kubeharden no longer finds `run-as-root` at 3333333.") {
		t.Errorf("fixed note:\n%s", body)
	}
}

// TestReviewGroupsObject: a pull request adding an insecure Deployment
// gets one comment on it, listing its findings, the most severe first,
// on the line of the most severe; its Namespace gets its own.
func TestReviewGroupsObject(t *testing.T) {
	all := scanJSON(t, reviewFixture)
	f := newFakeGitHub(t)
	addWhole(t, f, workerFile)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", reviewFixture)
	posts := f.accepted()
	if len(posts) != 1 || len(posts[0].Review.Comments) != 1 {
		t.Fatalf("%d reviews; want one with one comment", len(posts))
	}
	c := posts[0].Review.Comments[0]
	var want []string
	for _, x := range all {
		if x.File == workerFile {
			want = append(want, x.Fingerprint)
		}
	}
	got := ghreport.Markers(c.GetBody())
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) || len(want) < 10 {
		t.Errorf("the comment marks %d findings, want the %d of worker.yaml", len(got), len(want))
	}
	if c.GetLine() != 17 || !strings.HasPrefix(c.GetBody(), "**kubeharden: 15 findings on Deployment worker**") {
		t.Errorf("comment on line %d:\n%s", c.GetLine(), c.GetBody())
	}
	body := c.GetBody()
	if strings.Index(body, "- **error**") > strings.Index(body, "- **warning**") || strings.Index(body, "- **warning**") > strings.Index(body, "- **note**") {
		t.Errorf("not the most severe first:\n%s", body)
	}
	if strings.Count(body, "\n- **") != 15 || strings.Count(body, "**Fix:**") != 15 {
		t.Errorf("want each finding listed with its fix:\n%s", body)
	}
}

// TestReviewCredentialLine: a privileged container on a line holding two
// credentials gets no one-click suggestion, its JSON finding no fix, and
// no request to GitHub holds either credential.
func TestReviewCredentialLine(t *testing.T) {
	out, _, _ := runCLI(t, "scan", "--format", "json", "--fail-on", "none", credentialFile)
	if !strings.Contains(out, `"rule": "privileged-container"`) || !strings.Contains(out, `"rule": "plaintext-secret"`) {
		t.Fatalf("the fixture's findings changed:\n%s", out)
	}
	if strings.Contains(out, `"fix"`) {
		t.Errorf("a fix offered on a line holding a credential:\n%s", out)
	}
	f := newFakeGitHub(t)
	addWhole(t, f, credentialFile)
	githubEnv(t, f)
	stdout, stderr, _ := runCLI(t, "scan", "--github-review", credentialFile)
	if len(f.accepted()) != 1 {
		t.Fatalf("no review\n%s", stdout)
	}
	for _, c := range f.accepted()[0].Review.Comments {
		if strings.Contains(c.GetBody(), "```suggestion") {
			t.Errorf("a suggestion on line %d:\n%s", c.GetLine(), c.GetBody())
		}
	}
	for _, text := range append(f.allBodies(), stdout, stderr) {
		for _, s := range credentialLineSecrets {
			if strings.Contains(text, s) {
				t.Errorf("%q reached GitHub or the log:\n%s", s, text)
			}
		}
	}
}

// TestReviewTokenEchoed: GitHub error messages that quote the token are
// printed without it, whichever way the review fails.
func TestReviewTokenEchoed(t *testing.T) {
	for _, fail := range []fakeFailure{
		{Method: "POST", Status: 500, Message: "internal error for token %s"},
		{Method: "POST", Status: 403, Message: "token %s may not write"},
		{Method: "GET", Status: 401, Message: "Bad credentials: %s"},
		{Method: "GET", Status: 422, Message: "cannot list with %s"},
	} {
		t.Run(fmt.Sprint(fail.Method, fail.Status), func(t *testing.T) {
			f := prFake(t)
			githubEnv(t, f)
			fail.Message = fmt.Sprintf(fail.Message, f.token)
			f.failures = []fakeFailure{fail}
			stdout, stderr, _ := runCLI(t, "scan", "--github-review", "--fail-scope", "changed", reviewFixture)
			if len(f.failures) != 0 {
				t.Fatalf("the failure was not answered")
			}
			if strings.Contains(stdout+stderr, f.token) {
				t.Errorf("the token was printed:\n%s\n%s", stdout, stderr)
			}
			if !strings.Contains(stdout, "***") {
				t.Errorf("the echoed message is not shown, redacted:\n%s", stdout)
			}
		})
	}
}

// TestReviewForgedMarkers: object names and values that copy a marker
// are rendered harmless: kubeharden's own comments and body then carry
// no marker but its own, and a later run still comments on everything.
func TestReviewForgedMarkers(t *testing.T) {
	f := newFakeGitHub(t)
	addWhole(t, f, forgedFile)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", "--review-filter", "nofilter", forgedFile)
	posts := f.accepted()
	if len(posts) != 1 {
		t.Fatal("no review")
	}
	texts := []string{posts[0].Review.GetBody()}
	for _, c := range posts[0].Review.Comments {
		texts = append(texts, c.GetBody())
	}
	mentioned := false
	for _, text := range texts {
		if strings.Contains(text, "kubeharden&#58;fingerprint=FORGED") {
			mentioned = true
		}
		if strings.Contains(text, "kubeharden:fingerprint=FORGED") || slices.Contains(ghreport.Markers(text), "FORGED") {
			t.Errorf("a forged marker is live:\n%s", text)
		}
	}
	if !mentioned {
		t.Errorf("the object names are not shown: the test proves nothing\n%s", strings.Join(texts, "\n----\n"))
	}
	// Read only from the trailer: a marker line in the middle of a body
	// written by kubeharden counts for nothing.
	body := "intro\n<!-- kubeharden:fingerprint=MIDDLE rule=x -->\ntext\n\n<!-- kubeharden:category=kubeharden%2F -->\n<!-- kubeharden:fingerprint=END rule=x -->\n"
	if got := ghreport.Markers(body); !slices.Equal(got, []string{"END"}) {
		t.Errorf("markers %v, want [END]", got)
	}
}
