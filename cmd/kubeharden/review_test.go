package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	ghreport "github.com/kubeharden/kubeharden/report/github"
)

const (
	reviewFixture = "testdata/examples/insecure"
	workerFile    = "testdata/examples/insecure/worker.yaml"
)

// workerPatch is the pull request's diff of worker.yaml, as GitHub gives
// it: the worker container moves to :latest and becomes privileged and
// root (lines 24, 26, 27 added), and an emptyDir volume becomes a
// hostPath (41, 42); lines 21-23, 25, 28-30 and 37-40 are context.
func workerPatch(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, workerFile))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Split(string(data), "\n")
	ctx := func(n int) string { return " " + src[n-1] }
	add := func(n int) string { return "+" + src[n-1] }
	return strings.Join([]string{
		"@@ -21,8 +21,10 @@ spec:",
		ctx(21), ctx(22), ctx(23), "-          image: acme/worker:1.4", add(24), ctx(25), add(26), add(27), ctx(28), ctx(29), ctx(30),
		"@@ -35,5 +37,6 @@ spec:",
		ctx(37), ctx(38), ctx(39), ctx(40), "-          emptyDir: {}", add(41), add(42),
	}, "\n")
}

// prFake is the fake API for a pull request that changes worker.yaml
// after 150 documentation pages, so its files come in two pages, and
// deletes a manifest. namespace.yaml, scanned beside worker.yaml, is not
// part of it.
func prFake(t *testing.T) *fakeGitHub {
	f := newFakeGitHub(t)
	for i := range 150 {
		f.addFile(fmt.Sprintf("docs/page-%03d.md", i), "added", "@@ -0,0 +1 @@\n+text")
	}
	f.addFile("deploy/old.yaml", "removed", "@@ -1,2 +0,0 @@\n-kind: Pod\n-metadata: {}")
	f.addFile(workerFile, "modified", workerPatch(t))
	return f
}

// githubEnv sets up a pull_request run of GitHub Actions against the fake
// and stops rate-limit waits from sleeping: it returns the waits asked.
func githubEnv(t *testing.T, f *fakeGitHub) *[]time.Duration {
	t.Helper()
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	payload := fmt.Sprintf(`{"action":"synchronize","number":%d,"pull_request":{"number":%d,"head":{"sha":%q}}}`, f.number, f.number, f.head)
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
		"GITHUB_EVENT_NAME":   "pull_request",
		"GITHUB_EVENT_PATH":   event,
		"GITHUB_REPOSITORY":   f.owner + "/" + f.repo,
		"GITHUB_SHA":          "ffffffffffffffffffffffffffffffffffffffff",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_API_URL":      f.srv.URL,
		"GITHUB_RUN_ID":       "42",
		"GITHUB_TOKEN":        f.token,
		"GITHUB_WORKSPACE":    repoRoot,
	} {
		t.Setenv(k, v)
	}
	var waits []time.Duration
	sleep, now := githubSleep, githubNow
	githubSleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	githubNow = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { githubSleep, githubNow = sleep, now })
	return &waits
}

// A scanned finding, as the JSON report has it.
type jsonFinding struct {
	File, Rule, Fingerprint, Severity string
	Line                              int
}

func scanJSON(t *testing.T, paths ...string) []jsonFinding {
	t.Helper()
	if os.Getenv("GITHUB_ACTIONS") != "" {
		t.Fatal("scanJSON runs before githubEnv: annotations would follow the JSON")
	}
	out, _, _ := runCLI(t, append([]string{"scan", "--format", "json", "--fail-on", "none"}, paths...)...)
	var rep struct{ Findings []jsonFinding }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}

// commented lists the findings of a review's inline comments as "path
// rule fingerprint", one for each marker.
func commented(rv github.PullRequestReviewRequest) []string {
	var out []string
	for _, c := range rv.Comments {
		for _, m := range ghreport.ReadMarkers(c.GetBody()) {
			out = append(out, fmt.Sprintf("%s %s %s", c.GetPath(), m.Rule, m.Fingerprint))
		}
	}
	return out
}

// expect lists the findings of worker.yaml at lines and rules as
// commented would, with the fingerprints the scan gives them.
func expect(t *testing.T, all []jsonFinding, want ...string) []string {
	t.Helper()
	var out []string
	for _, w := range want {
		line, rule, _ := strings.Cut(w, " ")
		n := 0
		for _, f := range all {
			if f.File == workerFile && fmt.Sprint(f.Line) == line && f.Rule == rule {
				out = append(out, fmt.Sprintf("%s %s %s", workerFile, rule, f.Fingerprint))
				n++
			}
		}
		if n == 0 {
			t.Fatalf("the scan has no %s finding at line %s: the fixture changed", rule, line)
		}
	}
	return out
}

var (
	addedLines   = []string{"24 image-latest-tag", "26 privileged-container", "27 run-as-root", "41 host-path-volume"}
	contextLines = []string{"25 capabilities-drop-all", "30 host-port", "37 capabilities-drop-all", "38 dangerous-capabilities"}
)

// TestReviewFilterModes scans a fixture of which a pull request changes
// some lines, and checks for each filter mode the one review posted:
// exactly which findings are commented on which lines, their fingerprint
// markers, the order (most severe first), the body's counts and list.
func TestReviewFilterModes(t *testing.T) {
	all := scanJSON(t, reviewFixture)
	for _, c := range []struct {
		mode        string
		inline      []string
		header      string
		bodyMarkers int
	}{
		{"added", addedLines, "### kubeharden: 4 new findings\n\n3 errors, 1 warning: commented on their lines.", 0},
		{"diff_context", append(slices.Clone(addedLines), contextLines...), "### kubeharden: 8 new findings\n\n5 errors, 1 warning, 2 notes: commented on their lines.", 0},
		{"file", append(slices.Clone(addedLines), contextLines...), "### kubeharden: 15 new findings\n\n8 errors, 2 warnings, 5 notes: 8 commented on their lines, 7 listed below.", 7},
		{"nofilter", append(slices.Clone(addedLines), contextLines...), "### kubeharden: 17 new findings\n\n8 errors, 3 warnings, 6 notes: 8 commented on their lines, 9 listed below.", 9},
	} {
		t.Run(c.mode, func(t *testing.T) {
			f := prFake(t)
			githubEnv(t, f)
			stdout, stderr, code := runCLI(t, "scan", "--github-review", "--review-filter", c.mode, reviewFixture)
			if code != exitFindings {
				t.Errorf("exit %d, want %d (the findings decide it)\n%s", code, exitFindings, stderr)
			}
			posts := f.allPosts()
			if len(posts) != 1 || posts[0].Status != 200 {
				t.Fatalf("%d reviews posted, want 1: %+v\n%s", len(posts), posts, stdout)
			}
			rv := posts[0].Review
			if rv.GetEvent() != "COMMENT" || rv.GetCommitID() != f.head {
				t.Errorf("event %q on commit %q, want COMMENT on the PR head %s", rv.GetEvent(), rv.GetCommitID(), f.head)
			}
			// Every finding is on the one Deployment: one comment, on the
			// line of its most severe finding.
			if len(rv.Comments) != 1 || rv.Comments[0].GetLine() != 26 {
				t.Errorf("%d comments, the first on line %d: want 1, on line 26 (privileged-container)", len(rv.Comments), rv.Comments[0].GetLine())
			}
			got := commented(rv)
			want := expect(t, all, c.inline...)
			if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				t.Errorf("commented:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			sev := map[string]int{}
			for _, f := range all {
				sev[f.Fingerprint] = map[string]int{"error": 3, "warning": 2, "note": 1}[f.Severity]
			}
			suggested := 0
			for _, cm := range rv.Comments {
				if cm.GetLine() == 26 && strings.Contains(cm.GetBody(), "\n```suggestion\n            privileged: false\n```\n") {
					suggested++
				} else if strings.Contains(cm.GetBody(), "```suggestion") {
					t.Errorf("a suggestion on line %d, where the finding has no fix:\n%s", cm.GetLine(), cm.GetBody())
				}
			}
			if suggested != 1 {
				t.Errorf("the privileged-container comment on line 26 does not suggest privileged: false")
			}
			for i, cm := range rv.Comments {
				if cm.GetSide() != "RIGHT" || cm.Position != nil || cm.StartLine != nil {
					t.Errorf("comment %d: side %q, position %v, start line %v", i, cm.GetSide(), cm.Position, cm.StartLine)
				}
				if i > 0 && sev[ghreport.Markers(cm.GetBody())[0]] > sev[ghreport.Markers(rv.Comments[i-1].GetBody())[0]] {
					t.Errorf("comment %d is more severe than the one before it", i)
				}
			}
			body := rv.GetBody()
			if !strings.HasPrefix(body, c.header) {
				t.Errorf("body starts:\n%s\nwant:\n%s", body[:min(len(body), 200)], c.header)
			}
			if n := len(ghreport.Markers(body)); n != c.bodyMarkers {
				t.Errorf("the body lists %d findings, want %d:\n%s", n, c.bodyMarkers, body)
			}
			if c.mode == "nofilter" && !strings.Contains(body, "**2 findings in files this pull request does not change**") {
				t.Errorf("body:\n%s", body)
			}
			if !strings.Contains(stdout, "kubeharden: reviewed pull request #7: "+fmt.Sprint(len(want))+" findings in 1 comment inline") {
				t.Errorf("stdout:\n%s", stdout)
			}
			reqs := strings.Join(f.allRequests(), "\n")
			for _, want := range []string{"GET /repos/acme/shop/pulls/7/files?page=2&per_page=100", "GET /repos/acme/shop/pulls/7/comments?per_page=100", "GET /repos/acme/shop/pulls/7/reviews?per_page=100"} {
				if !strings.Contains(reqs, want) {
					t.Errorf("no request %q:\n%s", want, reqs)
				}
			}
			if strings.Contains(reqs, "/api/v3/") {
				t.Errorf("GITHUB_API_URL without /api/v3 was not used as given:\n%s", reqs)
			}
		})
	}
}

// TestReviewRerun: a second run on the same pull request posts nothing
// new, whether the findings were commented inline or listed in the body;
// a finding commented on before (on the second page of comments) is
// skipped and counted.
func TestReviewRerun(t *testing.T) {
	var privileged string
	for _, x := range scanJSON(t, reviewFixture) {
		if x.Rule == "privileged-container" {
			privileged = x.Fingerprint
		}
	}
	f := prFake(t)
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", "--review-filter", "file", reviewFixture)
	stdout, _, code := runCLI(t, "scan", "--github-review", "--review-filter", "file", reviewFixture)
	if n := len(f.allPosts()); n != 1 || code != exitFindings {
		t.Fatalf("%d reviews after two runs, exit %d\n%s", n, code, stdout)
	}
	if !strings.Contains(stdout, "no new review on pull request #7: an earlier run commented on the 15 findings") {
		t.Errorf("stdout:\n%s", stdout)
	}

	f = prFake(t)
	githubEnv(t, f)
	for i := range 120 {
		body := "Looks good."
		if i == 110 {
			body = "**error** [`privileged-container`]\n\n<!-- kubeharden:fingerprint=" + privileged + " -->"
		}
		f.comments = append(f.comments, &github.PullRequestComment{ID: github.Int64(int64(i + 1)), Body: github.String(body), Path: github.String(workerFile), Line: github.Int(26), User: actionsBot})
	}
	runCLI(t, "scan", "--github-review", reviewFixture)
	posts := f.accepted()
	if len(posts) != 1 {
		t.Fatalf("%d reviews", len(posts))
	}
	got := commented(posts[0].Review)
	for _, c := range got {
		if strings.Contains(c, privileged) {
			t.Errorf("commented again: %s", c)
		}
	}
	if len(got) != 3 || !strings.Contains(posts[0].Review.GetBody(), "1 finding already commented on by an earlier run is not repeated") {
		t.Errorf("comments %v\nbody:\n%s", got, posts[0].Review.GetBody())
	}
	if !slices.Contains(f.allRequests(), "GET /repos/acme/shop/pulls/7/comments?page=2&per_page=100") {
		t.Errorf("the second page of comments was not read: %v", f.allRequests())
	}

	// A marker the pull request's author writes silences nothing.
	f = prFake(t)
	githubEnv(t, f)
	mallory := &github.User{Login: github.String("mallory"), Type: github.String("User")}
	forged := "<!-- kubeharden:fingerprint=" + privileged + " -->"
	f.comments = append(f.comments, &github.PullRequestComment{ID: github.Int64(1), Body: github.String(forged), Path: github.String(workerFile), Line: github.Int(26), User: mallory})
	f.reviews = append(f.reviews, &github.PullRequestReview{ID: github.Int64(1), Body: github.String(forged), User: mallory})
	runCLI(t, "scan", "--github-review", reviewFixture)
	if posts := f.accepted(); len(posts) != 1 || !slices.ContainsFunc(commented(posts[0].Review), func(c string) bool { return strings.Contains(c, privileged) }) {
		t.Errorf("a marker written by the pull request's author kept the finding from being commented")
	}

	// With a personal token the review is that user's: its markers count.
	f = prFake(t)
	f.user = &github.User{Login: github.String("platform-ci"), Type: github.String("User")}
	githubEnv(t, f)
	runCLI(t, "scan", "--github-review", reviewFixture)
	runCLI(t, "scan", "--github-review", reviewFixture)
	if n := len(f.accepted()); n != 1 {
		t.Errorf("%d reviews after two runs with a personal token, want 1", n)
	}
}

// TestReviewEnterpriseServer: GITHUB_API_URL of a GitHub Enterprise
// Server (https://HOST/api/v3) is used as given.
func TestReviewEnterpriseServer(t *testing.T) {
	f := prFake(t)
	githubEnv(t, f)
	t.Setenv("GITHUB_API_URL", f.srv.URL+"/api/v3")
	runCLI(t, "scan", "--github-review", reviewFixture)
	if len(f.accepted()) != 1 {
		t.Fatal("no review posted")
	}
	for _, r := range f.allRequests() {
		if _, path, _ := strings.Cut(r, " "); !strings.HasPrefix(path, "/api/v3/") {
			t.Errorf("request %s is not under /api/v3/", r)
		}
	}
}

// countLines counts the lines of out that start with prefix and hold s.
func countLines(out, prefix, s string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// TestReviewFallbacks: a review that cannot be posted leaves one notice
// or warning, the annotations and the summary, and the exit code the
// findings decide; the token is never printed.
func TestReviewFallbacks(t *testing.T) {
	for _, c := range []struct {
		name, token, line string
		setup             func(f *fakeGitHub)
		requests          int
	}{
		{name: "read-only token of a fork", line: "::notice::kubeharden: inline review comments skipped: the token may not review this pull request (403 Resource not accessible by integration)",
			setup: func(f *fakeGitHub) { f.readOnly = true }, requests: 6},
		{name: "no token", token: "none", line: "::notice::kubeharden: inline review comments skipped: no GitHub token", requests: 0},
		{name: "refused token", token: "ghs_notTheRightOne", line: "::warning::kubeharden: inline review comments skipped: GitHub refused the token (401 Bad credentials)", requests: 1},
		{name: "not found", line: "::notice::kubeharden: inline review comments skipped: the token may not review this pull request (404 Not Found)",
			setup: func(f *fakeGitHub) { f.number = 8 }, requests: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := prFake(t)
			githubEnv(t, f)
			token := f.token
			switch c.token {
			case "none":
				token = ""
			case "":
			default:
				token = c.token
			}
			t.Setenv("GITHUB_TOKEN", token)
			if c.setup != nil {
				c.setup(f)
			}
			stdout, stderr, code := runCLI(t, "scan", "--github-review", reviewFixture)
			if code != exitFindings {
				t.Errorf("exit %d, want %d", code, exitFindings)
			}
			if countLines(stdout, "::", "inline review comments skipped") != 1 || !strings.Contains(stdout, c.line) {
				t.Errorf("want one line %q in stdout:\n%s", c.line, stdout)
			}
			if !strings.Contains(stdout, "file="+workerFile+",line=26,title=privileged-container") {
				t.Error("the annotations are missing")
			}
			if sum, _ := os.ReadFile(os.Getenv("GITHUB_STEP_SUMMARY")); !strings.Contains(string(sum), "### Findings") {
				t.Error("the job summary is missing")
			}
			if n := len(f.allRequests()); n != c.requests {
				t.Errorf("%d requests, want %d: %v", n, c.requests, f.allRequests())
			}
			if len(f.accepted()) != 0 {
				t.Error("a review was accepted")
			}
			for _, tok := range []string{f.token, c.token} {
				if len(tok) > 8 && strings.Contains(stdout+stderr, tok) {
					t.Errorf("the token %q was printed", tok)
				}
			}
		})
	}
}

// TestReviewRefused: GitHub refuses the review because a comment's line
// is not in the diff it holds (here: the pull request was pushed to
// between the listing and the review); the review is posted again
// once, without inline comments, every finding in its body.
func TestReviewRefused(t *testing.T) {
	f := prFake(t)
	githubEnv(t, f)
	p := workerPatch(t)
	f.validateWith = map[string]string{workerFile: p[strings.Index(p, "@@ -35"):]}
	stdout, _, code := runCLI(t, "scan", "--github-review", reviewFixture)
	if code != exitFindings {
		t.Errorf("exit %d", code)
	}
	posts := f.allPosts()
	if len(posts) != 2 || posts[0].Status != 422 || posts[0].Problem != "Pull request review thread line must be part of the diff" || posts[1].Status != 200 {
		t.Fatalf("posts: %+v", posts)
	}
	if len(posts[0].Review.Comments) != 1 || len(commented(posts[0].Review)) != 4 || len(posts[1].Review.Comments) != 0 {
		t.Errorf("%d comments, then %d", len(posts[0].Review.Comments), len(posts[1].Review.Comments))
	}
	body := posts[1].Review.GetBody()
	if !strings.Contains(body, "**4 findings that GitHub refused as inline comments**") || len(ghreport.Markers(body)) != 4 {
		t.Errorf("body:\n%s", body)
	}
	if countLines(stdout, "::warning::", "GitHub refused the inline comments (422)") != 1 {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// TestReviewRateLimits: a rate-limited request is retried after the wait
// GitHub asks for when it is short (no real sleep: the waits are
// recorded), and the review is given up with a warning when it is long or
// the limit lasts; the exit code stays the findings'.
func TestReviewRateLimits(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		throttle []fakeThrottle
		waits    []time.Duration
		posted   bool
		warning  string
	}{
		{name: "429 on the review", throttle: []fakeThrottle{{Method: "POST", Kind: "429", RetryAfter: "3"}},
			waits: []time.Duration{3 * time.Second}, posted: true},
		// Without a retry below go-github, its client would refuse every
		// later call by itself until the reset, by the wall clock.
		{name: "secondary limit on a listing", throttle: []fakeThrottle{{Method: "GET", Kind: "secondary", RetryAfter: "5"}},
			waits: []time.Duration{5 * time.Second}, posted: true},
		{name: "spent primary limit", throttle: []fakeThrottle{{Method: "GET", Kind: "primary", Reset: at.Add(10 * time.Second)}},
			waits: []time.Duration{10 * time.Second}, posted: true},
		{name: "secondary limit with a long wait", throttle: []fakeThrottle{{Method: "GET", Kind: "secondary", RetryAfter: "3600"}},
			warning: "::warning::kubeharden: inline review comments skipped: GitHub's secondary rate limit (403, retry after 1h0m0s"},
		{name: "429 that lasts", throttle: []fakeThrottle{{Method: "POST", Kind: "429", RetryAfter: "1"}, {Method: "POST", Kind: "429", RetryAfter: "1"}, {Method: "POST", Kind: "429", RetryAfter: "1"}},
			waits: []time.Duration{time.Second, time.Second}, warning: "::warning::kubeharden: inline review comments skipped: GitHub's rate limit (429, retry after 1s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := prFake(t)
			waits := githubEnv(t, f)
			f.throttle = c.throttle
			stdout, _, code := runCLI(t, "scan", "--github-review", reviewFixture)
			if code != exitFindings {
				t.Errorf("exit %d", code)
			}
			if !slices.Equal(*waits, c.waits) {
				t.Errorf("waited %v, want %v", *waits, c.waits)
			}
			if posted := len(f.accepted()) == 1; posted != c.posted {
				t.Errorf("review posted: %v\n%s", posted, stdout)
			}
			if c.warning != "" && countLines(stdout, c.warning, "") != 1 {
				t.Errorf("want one line %q:\n%s", c.warning, stdout)
			}
		})
	}
}

// TestReviewOnlyOnPullRequests: no API call on other events, outside
// GitHub Actions, or without --github-review.
func TestReviewOnlyOnPullRequests(t *testing.T) {
	f := prFake(t)
	githubEnv(t, f)
	t.Setenv("GITHUB_EVENT_NAME", "push")
	runCLI(t, "scan", "--github-review", reviewFixture)
	t.Setenv("GITHUB_EVENT_NAME", "pull_request")
	runCLI(t, "scan", reviewFixture)
	t.Setenv("GITHUB_ACTIONS", "")
	_, stderr, _ := runCLI(t, "scan", "--github-review", reviewFixture)
	if n := len(f.allRequests()); n != 0 {
		t.Errorf("%d requests: %v", n, f.allRequests())
	}
	if !strings.Contains(stderr, "--github-review works only in GitHub Actions") {
		t.Errorf("stderr: %s", stderr)
	}
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_EVENT_NAME", "pull_request_target")
	runCLI(t, "scan", "--github-review", reviewFixture)
	if len(f.accepted()) != 1 {
		t.Error("no review on pull_request_target")
	}
	if _, _, code := runCLI(t, "scan", "--review-filter", "all", reviewFixture); code != exitUsage {
		t.Errorf("--review-filter all: exit %d", code)
	}
}

// TestReviewAction: the container action reviews with its inputs: the
// github-token input (over GITHUB_TOKEN), pr-review and review-filter.
func TestReviewAction(t *testing.T) {
	f := prFake(t)
	githubEnv(t, f)
	t.Setenv("GITHUB_TOKEN", "ghs_notTheInputToken")
	t.Setenv("INPUT_PATH", reviewFixture)
	t.Setenv("INPUT_SARIF-FILE", filepath.Join(t.TempDir(), "k.sarif"))
	t.Setenv("INPUT_FAIL-ON", "none")
	t.Setenv("INPUT_GITHUB-TOKEN", f.token)
	t.Setenv("INPUT_PR-REVIEW", "true")
	t.Setenv("INPUT_REVIEW-FILTER", "diff_context")
	stdout, stderr, code := runCLI(t, "action")
	if code != 0 {
		t.Errorf("exit %d with fail-on none", code)
	}
	posts := f.accepted()
	if len(posts) != 1 || len(commented(posts[0].Review)) != 8 {
		t.Fatalf("reviews %+v\n%s", posts, stdout)
	}
	if strings.Contains(stdout+stderr, f.token) {
		t.Error("the token was printed")
	}
	n := len(f.allRequests())
	t.Setenv("INPUT_PR-REVIEW", "false")
	runCLI(t, "action")
	if len(f.allRequests()) != n {
		t.Error("pr-review: false still called the API")
	}
}

// TestFailScopeChanged: with --fail-scope changed only the findings on
// lines a pull request adds or changes decide the exit code and the
// result output; off a pull request, or without the diff, every finding
// does, and a notice says so.
func TestFailScopeChanged(t *testing.T) {
	// The fixture's pull request adds line 26 of worker.yaml, where
	// privileged-container (an error) is.
	f := prFake(t)
	githubEnv(t, f)
	if _, _, code := runCLI(t, "scan", "--fail-scope", "changed", reviewFixture); code != exitFindings {
		t.Errorf("an error on an added line: exit %d, want %d", code, exitFindings)
	}

	// A pull request that adds a comment at the top of worker.yaml: the
	// errors are older than it.
	f = newFakeGitHub(t)
	f.addFile(workerFile, "modified", "@@ -1,1 +1,2 @@\n+# owned by the platform team\n apiVersion: apps/v1")
	githubEnv(t, f)
	stdout, _, code := runCLI(t, "scan", "--fail-scope", "changed", reviewFixture)
	if code != 0 {
		t.Errorf("no finding on a changed line: exit %d, want 0\n%s", code, stdout)
	}
	out, _ := os.ReadFile(os.Getenv("GITHUB_OUTPUT"))
	if !strings.Contains(string(out), "result<<") || !strings.Contains(string(out), "\npass\n") {
		t.Errorf("result output is not pass:\n%s", out)
	}
	sum, _ := os.ReadFile(os.Getenv("GITHUB_STEP_SUMMARY"))
	if !strings.Contains(string(sum), "fail scope: only findings on lines this pull request adds or changes can fail it") {
		t.Errorf("summary does not say the scope:\n%s", sum)
	}
	if !strings.Contains(stdout, "::error ") {
		t.Errorf("the findings are no longer annotated:\n%s", stdout)
	}
	// The default scope fails on every finding.
	if _, _, code := runCLI(t, "scan", reviewFixture); code != exitFindings {
		t.Errorf("fail-scope all: exit %d, want %d", code, exitFindings)
	}

	// Off a pull request, or without a token: every finding, and a notice.
	t.Setenv("GITHUB_EVENT_NAME", "push")
	stdout, _, code = runCLI(t, "scan", "--fail-scope", "changed", reviewFixture)
	if code != exitFindings || !strings.Contains(stdout, "::notice::kubeharden: fail-scope changed: a \"push\" event is not a pull request; every finding can fail the build") {
		t.Errorf("push event: exit %d\n%s", code, stdout)
	}
	t.Setenv("GITHUB_EVENT_NAME", "pull_request")
	t.Setenv("GITHUB_TOKEN", "")
	stdout, _, code = runCLI(t, "scan", "--fail-scope", "changed", reviewFixture)
	if code != exitFindings || !strings.Contains(stdout, "fail-scope changed: no GitHub token") {
		t.Errorf("no token: exit %d\n%s", code, stdout)
	}
	if _, _, code := runCLI(t, "scan", "--fail-scope", "bogus", reviewFixture); code != exitUsage {
		t.Errorf("unknown scope: exit %d, want %d", code, exitUsage)
	}
}

// TestReviewMarksFixed: kubeharden's own comment on a finding a later run
// no longer reports says so at its top, once; comments on findings still
// reported, and comments of anyone else, are left alone.
func TestReviewMarksFixed(t *testing.T) {
	var current string
	for _, x := range scanJSON(t, reviewFixture) {
		if x.Rule == "privileged-container" {
			current = x.Fingerprint
		}
	}
	f := prFake(t)
	githubEnv(t, f)
	mallory := &github.User{Login: github.String("mallory"), Type: github.String("User")}
	comment := func(id int64, fp string, u *github.User) *github.PullRequestComment {
		return &github.PullRequestComment{ID: github.Int64(id), Path: github.String(workerFile), Line: github.Int(26), User: u,
			Body: github.String("**error** [`x`]\n\n<!-- kubeharden:fingerprint=" + fp + " -->")}
	}
	f.comments = append(f.comments,
		comment(1, "0000fixed0000", actionsBot), // its finding is gone
		comment(2, current, actionsBot),         // still found
		comment(3, "1111forged1111", mallory))   // not kubeharden's
	runCLI(t, "scan", "--github-review", reviewFixture)
	if !slices.Equal(f.edits, []int64{1}) {
		t.Fatalf("edited comments %v, want [1]", f.edits)
	}
	body := f.comments[0].GetBody()
	if !strings.HasPrefix(body, "> [!NOTE]\n> kubeharden no longer finds this at 0123456.\n\n") || !strings.HasSuffix(body, "<!-- kubeharden:fingerprint=0000fixed0000 -->\n<!-- kubeharden:fixed=0000fixed0000 -->\n") {
		t.Errorf("fixed comment:\n%s", body)
	}
	runCLI(t, "scan", "--github-review", reviewFixture)
	if len(f.edits) != 1 {
		t.Errorf("a re-run edited again: %v", f.edits)
	}

	// With a personal token, the bot's earlier comments are not its to
	// edit: left alone, and the review is still posted.
	f = prFake(t)
	f.user = &github.User{Login: github.String("platform-ci"), Type: github.String("User")}
	githubEnv(t, f)
	f.comments = append(f.comments, comment(1, "0000fixed0000", actionsBot))
	runCLI(t, "scan", "--github-review", reviewFixture)
	if len(f.edits) != 0 || len(f.accepted()) != 1 {
		t.Errorf("edits %v, reviews %d: want none and one", f.edits, len(f.accepted()))
	}
}
