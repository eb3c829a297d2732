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
	files, err := r.listFiles(ctx)
	if err != nil {
		return res, fmt.Errorf("listing the pull request's files: %w", err)
	}
	diff := NewDiff(files)
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

func (r Reviewer) listFiles(ctx context.Context) ([]*github.CommitFile, error) {
	var all []*github.CommitFile
	opt := &github.ListOptions{PerPage: perPage}
	for len(all) < MaxPRFiles {
		files, resp, err := r.Client.PullRequests.ListFiles(ctx, r.Owner, r.Repo, r.Number, opt)
		if err != nil {
			return nil, err
		}
		all = append(all, files...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return all, nil
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
	copt := &github.PullRequestListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for range maxCommentPages {
		cs, resp, err := r.Client.PullRequests.ListComments(ctx, r.Owner, r.Repo, r.Number, copt)
		if err != nil {
			return nil, fmt.Errorf("listing the review comments: %w", err)
		}
		for _, c := range cs {
			if !trusted(c.User) {
				continue
			}
			for _, fp := range Markers(c.GetBody()) {
				said[fp] = true
			}
		}
		if resp.NextPage == 0 {
			break
		}
		copt.Page = resp.NextPage
	}
	ropt := &github.ListOptions{PerPage: perPage}
	for range maxReviewsPages {
		rs, resp, err := r.Client.PullRequests.ListReviews(ctx, r.Owner, r.Repo, r.Number, ropt)
		if err != nil {
			return nil, fmt.Errorf("listing the reviews: %w", err)
		}
		for _, rv := range rs {
			if !trusted(rv.User) {
				continue
			}
			for _, fp := range Markers(rv.GetBody()) {
				said[fp] = true
			}
		}
		if resp.NextPage == 0 {
			break
		}
		ropt.Page = resp.NextPage
	}
	return said, nil
}
