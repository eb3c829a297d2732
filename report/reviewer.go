package report

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// GitHub's limits on listing a pull request.
const (
	perPage         = 100
	MaxPRFiles      = 3000
	maxCommentPages = 50
	maxReviewsPages = 10
)

// A Reviewer posts a report's findings on a pull request as one review
// (event COMMENT): inline comments on the lines the filter keeps, the
// rest listed in its body, nothing a previous run already said.
type Reviewer struct {
	Client      *github.Client
	Owner, Repo string
	Number      int
	// Filter picks the findings the review carries.
	Filter FilterMode
	// PathPrefix is the scanned directory relative to the repository
	// root, "" at the root; findings' files are relative to it.
	PathPrefix string
	// Links holds the head commit the review is on (SHA) and what its
	// text links to.
	Links ReviewLinks
	// Files, when set, is the pull request's diff, already listed.
	Files Diff
}

// A ReviewResult says what Publish did.
type ReviewResult struct {
	// Posted is true when a review was created.
	Posted bool
	// Plan is what the review said, or would have.
	Plan ReviewPlan
	// Refused is true when GitHub refused the inline comments and the
	// review was posted again with every finding in its body.
	Refused bool
	// Fixed counts the earlier comments marked as no longer found.
	Fixed int
}

// Publish lists the pull request's files and the comments already on it,
// then creates at most one review. It posts nothing when there is nothing
// new to say. Errors come from GitHub's API as go-github reports them.
func (r Reviewer) Publish(ctx context.Context, rep *Report) (ReviewResult, error) {
	var res ReviewResult
	said, mine, err := r.said(ctx)
	if err != nil {
		return res, err
	}
	if res.Fixed, err = r.markFixed(ctx, rep, mine); err != nil {
		return res, err
	}
	if rep.Summary.Findings["error"]+rep.Summary.Findings["warning"]+rep.Summary.Findings["note"] == 0 {
		return res, nil
	}
	diff := r.Files
	if diff == nil {
		if diff, err = r.Diff(ctx); err != nil {
			return res, err
		}
	}
	res.Plan = PlanReview(rep.Findings, diff, r.Filter, said, r.PathPrefix)
	if !res.Plan.New() {
		return res, nil
	}
	_, _, err = r.Client.PullRequests.CreateReview(ctx, r.Owner, r.Repo, r.Number, res.Plan.Request(r.Links))
	// One comment GitHub will not place makes it refuse the whole review
	// (422); the findings still deserve saying, in the body.
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity && len(res.Plan.Inline) > 0 {
		res.Plan, res.Refused = res.Plan.WithoutInline(), true
		_, _, err = r.Client.PullRequests.CreateReview(ctx, r.Owner, r.Repo, r.Number, res.Plan.Request(r.Links))
	}
	if err != nil {
		return res, fmt.Errorf("creating the review: %w", err)
	}
	res.Posted = true
	return res, nil
}

// Diff lists the pull request's files and reads their patches.
func (r Reviewer) Diff(ctx context.Context) (Diff, error) {
	files, err := r.listFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the pull request's files: %w", err)
	}
	return NewDiff(files), nil
}

func (r Reviewer) listFiles(ctx context.Context) ([]*github.CommitFile, error) {
	var all []*github.CommitFile
	err := eachPage(MaxPRFiles/perPage, func(opt github.ListOptions) ([]*github.CommitFile, *github.Response, error) {
		return r.Client.PullRequests.ListFiles(ctx, r.Owner, r.Repo, r.Number, &opt)
	}, func(f *github.CommitFile) { all = append(all, f) })
	return all, err
}

// said collects the fingerprints marked in the pull request's review
// comments and review bodies that kubeharden could have written: those of
// bots (the workflow token writes as github-actions[bot]) and of the
// token's own user. A marker anyone else writes (the pull request's
// author, say) silences nothing.
func (r Reviewer) said(ctx context.Context) (said map[string]bool, mine []*github.PullRequestComment, err error) {
	said = map[string]bool{}
	self := ""
	// An installation token cannot read its user (403); a personal one can.
	u, _, err := r.Client.Users.Get(ctx, "")
	var er *github.ErrorResponse
	switch {
	case err == nil:
		self = u.GetLogin()
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnauthorized:
		return nil, nil, err // the token is refused: nothing else will answer
	}
	trusted := func(u *github.User) bool {
		return u != nil && (u.GetType() == "Bot" || (self != "" && u.GetLogin() == self))
	}
	mark := func(u *github.User, body string) {
		if trusted(u) {
			for _, fp := range Markers(body) {
				said[fp] = true
			}
		}
	}
	err = eachPage(maxCommentPages, func(opt github.ListOptions) ([]*github.PullRequestComment, *github.Response, error) {
		return r.Client.PullRequests.ListComments(ctx, r.Owner, r.Repo, r.Number, &github.PullRequestListCommentsOptions{ListOptions: opt})
	}, func(c *github.PullRequestComment) {
		mark(c.User, c.GetBody())
		// Ours to edit: the token's user's, or a bot's when the token is
		// an installation's (it cannot read its user).
		ours := c.User != nil && ((self != "" && c.User.GetLogin() == self) || (self == "" && c.User.GetType() == "Bot"))
		if ours && len(Markers(c.GetBody())) == 1 {
			mine = append(mine, c)
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing the review comments: %w", err)
	}
	err = eachPage(maxReviewsPages, func(opt github.ListOptions) ([]*github.PullRequestReview, *github.Response, error) {
		return r.Client.PullRequests.ListReviews(ctx, r.Owner, r.Repo, r.Number, &opt)
	}, func(rv *github.PullRequestReview) { mark(rv.User, rv.GetBody()) })
	if err != nil {
		return nil, nil, fmt.Errorf("listing the reviews: %w", err)
	}
	return said, mine, nil
}

// fixedMarker marks a comment whose finding a later run no longer found.
const fixedMarker = "<!-- kubeharden:fixed -->"

// MaxFixedEdits bounds the comments one run marks as fixed.
const MaxFixedEdits = 30

// markFixed edits kubeharden's own inline comments whose finding the scan
// no longer reports (fixed, or its object renamed) to say so at the top;
// an accepted finding is still reported, so its comment stays as it is.
// An edit GitHub refuses ends the marking, never the review.
func (r Reviewer) markFixed(ctx context.Context, rep *Report, mine []*github.PullRequestComment) (int, error) {
	current := map[string]bool{}
	for _, f := range rep.Findings {
		current[f.Fingerprint] = true
	}
	sha := r.Links.SHA
	if len(sha) > 7 {
		sha = sha[:7]
	}
	n := 0
	for _, c := range mine {
		body := c.GetBody()
		if current[Markers(body)[0]] || strings.Contains(body, fixedMarker) {
			continue
		}
		if n == MaxFixedEdits {
			break
		}
		edited := fmt.Sprintf("> [!NOTE]\n> kubeharden no longer finds this at %s.\n%s\n\n%s", sha, fixedMarker, body)
		if _, _, err := r.Client.PullRequests.EditComment(ctx, r.Owner, r.Repo, c.GetID(), &github.PullRequestComment{Body: &edited}); err != nil {
			// A note on an old comment is not worth the review: stop here,
			// and say nothing of the rest.
			return n, nil
		}
		n++
	}
	return n, nil
}

// eachPage calls each for every item of at most most pages of a listing.
func eachPage[T any](most int, list func(github.ListOptions) ([]T, *github.Response, error), each func(T)) error {
	opt := github.ListOptions{PerPage: perPage}
	for range most {
		items, resp, err := list(opt)
		if err != nil {
			return err
		}
		for _, it := range items {
			each(it)
		}
		if resp.NextPage == 0 {
			return nil
		}
		opt.Page = resp.NextPage
	}
	return nil
}
