package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/kubeharden/kubeharden/report"
	ghreport "github.com/kubeharden/kubeharden/report/github"
)

// How long a review may take, and how long one rate-limited request may
// wait for GitHub before the review is given up: a scan's job should not
// stall on comments that the annotations and the job summary already make.
const (
	reviewTimeout    = 3 * time.Minute
	maxRateLimitWait = 60 * time.Second
	rateLimitRetries = 2
)

// githubSleep waits before a rate-limited request is sent again and
// githubNow reads the clock for GitHub's reset times; tests replace both.
var (
	githubSleep = func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	githubNow = time.Now
)

// A prEvent is what a review needs from a pull_request event's payload.
type prEvent struct {
	Number      int `json:"number"`
	PullRequest struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
}

// pullRequest reads the pull request a run is about; ok is false on other
// events.
func pullRequest(getenv func(string) string) (number int, head string, ok bool, err error) {
	switch getenv("GITHUB_EVENT_NAME") {
	case "pull_request", "pull_request_target":
	default:
		return 0, "", false, nil
	}
	data, err := os.ReadFile(getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return 0, "", false, fmt.Errorf("reading the event payload: %w", err)
	}
	var ev prEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, "", false, fmt.Errorf("reading the event payload: %w", err)
	}
	number = ev.PullRequest.Number
	if number == 0 {
		number = ev.Number
	}
	if number == 0 || ev.PullRequest.Head.SHA == "" {
		return 0, "", false, errors.New("the event payload names no pull request number and head commit")
	}
	return number, ev.PullRequest.Head.SHA, true, nil
}

// reviewPullRequest posts the findings on the lines a pull request changes
// as one review. A review that cannot be posted is a notice or a warning,
// never an error: the scan's exit code is the findings' alone, and the
// annotations and job summary, written before, carry every finding.
func reviewPullRequest(ctx context.Context, stdout io.Writer, getenv func(string) string, token string, filter ghreport.FilterMode, category string, scanned []string, rep *report.Report, diff ghreport.Diff) {
	gh := githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv))
	const fallback = "; the annotations and the job summary list the findings"
	r, skip, notice := pullRequestReviewer(getenv, token, stdout)
	skip = redactToken(skip, token)
	switch {
	case skip == "" && r == nil:
		gh.Debugf("kubeharden: no pull request review on a %q event", getenv("GITHUB_EVENT_NAME"))
		return
	case skip != "" && notice:
		gh.Noticef("kubeharden: inline review comments skipped: %s%s", skip, fallback)
		return
	case skip != "":
		gh.Warningf("kubeharden: inline review comments skipped: %s%s", skip, fallback)
		return
	}
	number := r.Number
	r.Filter, r.Files, r.Category, r.Scanned = filter, diff, category, scanned
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	res, err := r.Publish(ctx, rep)
	if err != nil {
		notice, why := reviewFailure(err, token)
		if notice {
			gh.Noticef("kubeharden: inline review comments skipped: %s%s", why, fallback)
		} else {
			gh.Warningf("kubeharden: inline review comments skipped: %s%s", why, fallback)
		}
		return
	}
	if res.Fixed > 0 {
		fmt.Fprintf(stdout, "kubeharden: marked %s of findings no longer found on pull request #%d\n", pluralize(res.Fixed, "earlier comment"), number)
	}
	p := res.Plan
	switch {
	case res.Refused:
		gh.Warningf("kubeharden: GitHub refused the inline comments (422); the review lists the %s in its body instead", pluralize(len(p.Body), "finding"))
	case res.Posted:
		fmt.Fprintf(stdout, "kubeharden: reviewed pull request #%d: %s in %s inline, %s in the review body, %s already commented on\n",
			number, pluralize(p.InlineFindings(), "finding"), pluralize(len(p.Inline), "comment"), pluralize(len(p.Body), "finding"), pluralize(p.Already, "finding"))
	case res.HeadReviewed:
		fmt.Fprintf(stdout, "kubeharden: no new review on pull request #%d: commit %s has kubeharden's review (category %s) already; %s not commented\n",
			number, r.Links.SHA, cmp.Or(category, ghreport.DefaultCategory), pluralize(p.InlineFindings()+len(p.Body), "new finding"))
	case p.Already > 0:
		fmt.Fprintf(stdout, "kubeharden: no new review on pull request #%d: an earlier run commented on the %s it would carry\n",
			number, pluralize(p.Already, "finding"))
	default:
		fmt.Fprintf(stdout, "kubeharden: no review on pull request #%d: no finding on the lines it changes (filter mode %s)\n", number, filter)
	}
}

// pullRequestReviewer makes the Reviewer of the pull request a run is
// about. It returns nil and no reason on events other than pull requests;
// nil and why otherwise, notice true when that is to be expected (no
// token).
func pullRequestReviewer(getenv func(string) string, token string, log io.Writer) (r *ghreport.Reviewer, why string, notice bool) {
	number, head, ok, err := pullRequest(getenv)
	if err != nil {
		return nil, err.Error(), false
	}
	if !ok {
		return nil, "", false
	}
	if token == "" {
		return nil, "no GitHub token (the github-token input, or GITHUB_TOKEN for kubeharden scan)", true
	}
	owner, repo, found := strings.Cut(getenv("GITHUB_REPOSITORY"), "/")
	if !found || owner == "" || repo == "" {
		return nil, fmt.Sprintf("GITHUB_REPOSITORY %q is not owner/name", getenv("GITHUB_REPOSITORY")), false
	}
	client, err := newGitHubClient(getenv("GITHUB_API_URL"), token, log)
	if err != nil {
		return nil, err.Error(), false
	}
	server := firstNonEmpty(getenv("GITHUB_SERVER_URL"), "https://github.com")
	links := ghreport.ReviewLinks{Server: server, Repository: owner + "/" + repo, SHA: head}
	if id := getenv("GITHUB_RUN_ID"); id != "" {
		links.RunURL = strings.TrimSuffix(server, "/") + "/" + owner + "/" + repo + "/actions/runs/" + url.PathEscape(id)
	}
	// Files are the repository's already (Report.Rebase).
	return &ghreport.Reviewer{Client: client, Owner: owner, Repo: repo, Number: number, Links: links}, "", false
}

// changedLines returns the pull request's diff, or why it cannot: the
// scope of --fail-scope changed.
func changedLines(ctx context.Context, getenv func(string) string, token string, log io.Writer) (ghreport.Diff, string) {
	r, why, _ := pullRequestReviewer(getenv, token, log)
	why = redactToken(why, token)
	if r == nil {
		if why == "" {
			why = fmt.Sprintf("a %q event is not a pull request", getenv("GITHUB_EVENT_NAME"))
		}
		return nil, why
	}
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	d, err := r.Diff(ctx)
	if err != nil {
		_, why := reviewFailure(err, token)
		return nil, why
	}
	if why := listCut(ctx, r, getenv, len(d)); why != "" {
		return nil, why
	}
	return d, ""
}

func pluralize(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// reviewFailure says why a review was not posted, and whether that is to
// be expected (a notice) or a problem (a warning), with the token taken
// out: GitHub's error messages, which go-github quotes, can echo it.
func reviewFailure(err error, token string) (notice bool, why string) {
	notice, why = failureReason(err)
	return notice, redactToken(why, token)
}

// redactToken replaces the token in a text bound for the log.
func redactToken(s, token string) string {
	if len(token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, token, "***")
}

// redactError takes the token out of an error's text, which main prints.
func redactError(err error, token string) error {
	if err == nil || len(token) < 4 || !strings.Contains(err.Error(), token) {
		return err
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	return &exitError{code: code, msg: redactToken(err.Error(), token)}
}

func failureReason(err error) (notice bool, why string) {
	var (
		abuse *github.AbuseRateLimitError
		rate  *github.RateLimitError
		resp  *github.ErrorResponse
	)
	switch {
	case errors.As(err, &abuse):
		wait := ""
		if abuse.RetryAfter != nil {
			wait = ", retry after " + abuse.RetryAfter.Round(time.Second).String()
		}
		return false, fmt.Sprintf("GitHub's secondary rate limit (403%s; kubeharden retries %d times, waiting at most %s)", wait, rateLimitRetries, maxRateLimitWait)
	case errors.As(err, &rate):
		return false, fmt.Sprintf("the token's rate limit is spent until %s", rate.Rate.Reset.Time.UTC().Format(time.RFC3339))
	case errors.As(err, &resp) && resp.Response != nil:
		code := resp.Response.StatusCode
		switch code {
		case http.StatusForbidden, http.StatusNotFound:
			return true, fmt.Sprintf("the token may not review this pull request (%d %s): the workflow must grant pull-requests: write, and pull requests from forks get a read-only token", code, resp.Message)
		case http.StatusUnauthorized:
			return false, fmt.Sprintf("GitHub refused the token (401 %s)", resp.Message)
		case http.StatusTooManyRequests:
			wait := ""
			if v := resp.Response.Header.Get("Retry-After"); v != "" {
				wait = ", retry after " + v + "s"
			}
			return false, fmt.Sprintf("GitHub's rate limit (429%s; kubeharden retries %d times, waiting at most %s)", wait, rateLimitRetries, maxRateLimitWait)
		}
	case errors.Is(err, context.DeadlineExceeded):
		return false, fmt.Sprintf("GitHub did not answer within %s", reviewTimeout)
	}
	return false, err.Error()
}

// scannedPaths are the paths a scan was given, relative to the repository
// root; nil when one is absolute or outside the working directory, which
// leaves no file out.
func scannedPaths(prefix string, paths []string) []string {
	var out []string
	for _, p := range paths {
		p = filepath.ToSlash(filepath.Clean(p))
		if filepath.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
			return nil
		}
		out = append(out, report.RepoPath(prefix, p))
	}
	return out
}

// repoPrefix is the working directory relative to the repository root
// (GITHUB_WORKSPACE), in which findings' paths are relative; "" at the
// root or outside it.
func repoPrefix(workspace string) string {
	if workspace == "" {
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	ws, err1 := filepath.EvalSymlinks(workspace)
	wd, err2 := filepath.EvalSymlinks(wd)
	if err1 != nil || err2 != nil {
		return ""
	}
	rel, err := filepath.Rel(ws, wd)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// newGitHubClient builds the API client at GITHUB_API_URL as the runner
// sets it (https://api.github.com, or https://HOST/api/v3 on GitHub
// Enterprise Server), used as given: go-github's WithEnterpriseURLs would
// append api/v3/ to any host not named api.*.
func newGitHubClient(apiURL, token string, log io.Writer) (*github.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 30 * time.Second
	hc := &http.Client{Transport: &retryTransport{base: transport, log: log}}
	c := github.NewClient(hc).WithAuthToken(token)
	if apiURL != "" {
		u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", apiURL)
		}
		c.BaseURL = u
	}
	c.UserAgent = "kubeharden/" + version()
	return c, nil
}

// A retryTransport sends a request again when GitHub rate-limits it (429,
// or 403 for a secondary or spent primary limit) and asks for a short
// wait. It works below go-github on purpose: after a secondary limit
// go-github refuses every later call itself until the reset time, by the
// wall clock, so retries must happen before it sees the response. A
// response it does not retry goes up unchanged.
type retryTransport struct {
	base http.RoundTripper
	log  io.Writer
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil || attempt == rateLimitRetries || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		wait, limited := rateLimitWait(resp, githubNow())
		if !limited || wait > maxRateLimitWait {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if t.log != nil {
			fmt.Fprintf(t.log, "kubeharden: GitHub rate-limited %s %s (%d); retrying in %s\n", req.Method, req.URL.Path, resp.StatusCode, wait)
		}
		if err := githubSleep(req.Context(), wait); err != nil {
			return nil, err
		}
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = next
	}
}

// rateLimitWait reports whether a response is GitHub's rate limit and how
// long it asks to wait: Retry-After, else the X-RateLimit-Reset time, else
// the minute GitHub's documentation says to wait at least.
func rateLimitWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusForbidden:
		if resp.Header.Get("X-RateLimit-Remaining") != "0" {
			data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(data))
			if err != nil {
				return 0, false
			}
			var body struct {
				Message          string `json:"message"`
				DocumentationURL string `json:"documentation_url"`
			}
			json.Unmarshal(data, &body)
			if !strings.HasSuffix(body.DocumentationURL, "secondary-rate-limits") && !strings.HasSuffix(body.DocumentationURL, "#abuse-rate-limits") &&
				!strings.Contains(strings.ToLower(body.Message), "secondary rate limit") {
				return 0, false
			}
		}
	default:
		return 0, false
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return max(time.Duration(s)*time.Second, 0), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0), true
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), 0), true
		}
	}
	return time.Minute, true
}
