package report

import (
	"context"
	"errors"
	"fmt"
	"net/http"

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
}

// Publish lists the pull request's files and the comments already on it,
// then creates at most one review. It posts nothing when there is nothing
// new to say. Errors come from GitHub's API as go-github reports them.
func (r Reviewer) Publish(ctx context.Context, rep *Report) (ReviewResult, error) {
	var res ReviewResult
	if rep.Summary.Findings["error"]+rep.Summary.Findings["warning"]+rep.Summary.Findings["note"] == 0 {
		return res, nil
	}
	diff := r.Files
	if diff == nil {
		var err error
		if diff, err = r.Diff(ctx); err != nil {
			return res, err
		}
	}
	res.Plan = PlanReview(rep.Findings, diff, r.Filter, nil, r.PathPrefix)
	if !res.Plan.New() {
		return res, nil
	}
	said, err := r.said(ctx)
	if err != nil {
		return res, err
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
func (r Reviewer) said(ctx context.Context) (map[string]bool, error) {
	said := map[string]bool{}
	self := ""
	// An installation token cannot read its user (403); a personal one can.
	if u, _, err := r.Client.Users.Get(ctx, ""); err == nil {
		self = u.GetLogin()
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
	err := eachPage(maxCommentPages, func(opt github.ListOptions) ([]*github.PullRequestComment, *github.Response, error) {
		return r.Client.PullRequests.ListComments(ctx, r.Owner, r.Repo, r.Number, &github.PullRequestListCommentsOptions{ListOptions: opt})
	}, func(c *github.PullRequestComment) { mark(c.User, c.GetBody()) })
	if err != nil {
		return nil, fmt.Errorf("listing the review comments: %w", err)
	}
	err = eachPage(maxReviewsPages, func(opt github.ListOptions) ([]*github.PullRequestReview, *github.Response, error) {
		return r.Client.PullRequests.ListReviews(ctx, r.Owner, r.Repo, r.Number, &opt)
	}, func(rv *github.PullRequestReview) { mark(rv.User, rv.GetBody()) })
	if err != nil {
		return nil, fmt.Errorf("listing the reviews: %w", err)
	}
	return said, nil
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
