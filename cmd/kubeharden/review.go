package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/kubeharden/kubeharden/report"
	ghreport "github.com/kubeharden/kubeharden/report/github"
	"github.com/kubeharden/kubeharden/scan"
)

// reviewPullRequest posts the findings on the lines a pull request changes
// as one review. A review that cannot be posted is a notice or a warning,
// never an error: the scan's exit code is the findings' alone, and the
// annotations and job summary, written before, carry every finding.
func reviewPullRequest(ctx context.Context, stdout io.Writer, getenv func(string) string, token string, filter ghreport.FilterMode, category string, scanned []string, rep *report.Report, diff ghreport.Diff) {
	gh := githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv))
	const fallback = "; the annotations and the job summary list the findings"
	r, skip, notice := pullRequestReviewer(getenv, token, stdout)
	skip = ghreport.RedactToken(skip, token)
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
	ctx, cancel := context.WithTimeout(ctx, ghreport.Timeout)
	defer cancel()
	res, err := r.Publish(ctx, rep)
	if err != nil {
		notice, why := ghreport.Failure(err, token)
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
	ev, ok, err := ghreport.PullRequest(getenv)
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
	client, err := ghreport.NewClient(ghreport.ClientOptions{APIURL: getenv("GITHUB_API_URL"), Token: token, UserAgent: "kubeharden/" + version(),
		Log: log, Sleep: githubSleep, Now: githubNow})
	if err != nil {
		return nil, err.Error(), false
	}
	server := firstNonEmpty(getenv("GITHUB_SERVER_URL"), "https://github.com")
	links := ghreport.ReviewLinks{Server: server, Repository: owner + "/" + repo, SHA: ev.Head}
	if id := getenv("GITHUB_RUN_ID"); id != "" {
		links.RunURL = strings.TrimSuffix(server, "/") + "/" + owner + "/" + repo + "/actions/runs/" + url.PathEscape(id)
	}
	// Files are the repository's already (Report.Rebase).
	return &ghreport.Reviewer{Client: client, Owner: owner, Repo: repo, Number: ev.Number, Links: links}, "", false
}

// changedLines returns the pull request's diff, or why it cannot: the
// scope of --fail-scope changed.
func changedLines(ctx context.Context, getenv func(string) string, token string, log io.Writer) (ghreport.Diff, string) {
	r, why, _ := pullRequestReviewer(getenv, token, log)
	why = ghreport.RedactToken(why, token)
	if r == nil {
		if why == "" {
			why = fmt.Sprintf("a %q event is not a pull request", getenv("GITHUB_EVENT_NAME"))
		}
		return nil, why
	}
	ctx, cancel := context.WithTimeout(ctx, ghreport.Timeout)
	defer cancel()
	d, err := r.Diff(ctx)
	if err != nil {
		_, why := ghreport.Failure(err, token)
		return nil, why
	}
	if why := r.ListCut(ctx, getenv, len(d)); why != "" {
		return nil, why
	}
	return d, ""
}

// githubSleep waits before a rate-limited request is sent again and
// githubNow reads the clock for GitHub's reset times; tests replace both.
var (
	githubSleep = ghreport.Sleep
	githubNow   = time.Now
)

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
	return &exitError{code: code, msg: ghreport.RedactToken(err.Error(), token)}
}

func pluralize(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
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

// repoLayout is the directory the scan runs in relative to the
// repository root (prefix, "" at the root), and the root SARIF reads
// files from for line hashes when that is not the working directory. In
// GitHub Actions files are named from the repository root, as code
// scanning, annotations and reviews need, also when the scan runs in a
// subdirectory of the workspace.
func repoLayout() (prefix, sarifDir string) {
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if prefix = repoPrefix(os.Getenv("GITHUB_WORKSPACE")); prefix != "" {
			sarifDir = os.Getenv("GITHUB_WORKSPACE")
		}
	} else if os.Getenv("GITLAB_CI") == "true" {
		// Code Quality places findings by paths from the repository root.
		prefix = repoPrefix(os.Getenv("CI_PROJECT_DIR"))
	}
	return prefix, sarifDir
}

// failScope is what --fail-scope read before the scan, in GitHub Actions:
// the pull request's diff (changed) or its base commit's findings (new).
type failScope struct {
	diff    ghreport.Diff
	base    []scan.Finding
	sha     string
	source  string
	setting string
}

// readFailScope reads what --fail-scope needs and sets the scan's
// FailScope from it, or says on commands why it cannot: every finding can
// then fail the build.
func readFailScope(ctx context.Context, o *scanOptions, st *scanSettings, prefix, token string, commands io.Writer) failScope {
	var fs failScope
	switch o.failScope {
	case "changed":
		diff, why := changedLines(ctx, os.Getenv, token, commands)
		if diff == nil {
			githubactions.New(githubactions.WithWriter(commands)).Noticef("kubeharden: fail-scope changed: %s; every finding can fail the build", why)
			return fs
		}
		fs.diff = diff
		// Findings name files from the working directory until the report
		// is rebased; the diff names them from the repository root.
		st.cfg.FailScope = &scan.FailScope{FailsAs: func(f scan.Finding) (scan.Severity, bool) {
			return f.Severity, diff.Changed(report.RepoPath(prefix, f.File), f.Line)
		}}
		fs.setting = "fail scope: only findings on lines this pull request adds or changes can fail it"
	case "new":
		sha, source, base, why := readBase(ctx, os.Getenv, token, commands, o.fl, o.paths, o.maxSize)
		if why != "" {
			githubactions.New(githubactions.WithWriter(commands)).Noticef("kubeharden: fail-scope new: %s; every finding can fail the build", why)
			return fs
		}
		fs.base, fs.sha, fs.source = base, sha, source
		st.cfg.FailScope = &scan.FailScope{FailsAs: report.CompareBase(sha, source, nil, base).FailsAs}
		fs.setting = "fail scope: only findings that the pull request's base commit does not have can fail it"
	}
	return fs
}

// describe puts the fail scope in the report: the settings line and, for
// fail-scope new, the comparison with the base the summary and the review
// read.
func (fs failScope) describe(rep *report.Report) {
	if fs.setting != "" {
		rep.Settings = append(rep.Settings, fs.setting)
	}
	if fs.sha != "" {
		rep.Base = report.CompareBase(fs.sha, fs.source, rep.Findings, fs.base)
	}
}
