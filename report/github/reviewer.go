package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
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
	Client      *gogithub.Client
	Owner, Repo string
	Number      int
	// Filter picks the findings the review carries.
	Filter FilterMode
	// Links holds the head commit the review is on (SHA) and what its
	// text links to.
	Links ReviewLinks
	// Files, when set, is the pull request's diff, already listed.
	Files Diff
	// Category is the scan's code scanning category (DefaultCategory
	// when empty): a run reads, counts and marks fixed only the comments
	// of its own category, so that several kubeharden steps coexist.
	Category string
	// Scanned are the files and directories scanned, relative to the
	// repository root: a comment on a file outside them is not this
	// scan's to mark fixed (another step scans it). Empty means all.
	Scanned []string
}

// scanned reports whether file is under one of the scanned paths.
func (r Reviewer) scanned(file string) bool {
	if len(r.Scanned) == 0 {
		return true
	}
	return slices.ContainsFunc(r.Scanned, func(root string) bool {
		return root == "." || file == root || strings.HasPrefix(file, strings.TrimSuffix(root, "/")+"/")
	})
}

func (r Reviewer) category() string { return cmp.Or(r.Category, DefaultCategory) }

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
	// HeadReviewed is set when nothing was posted because an earlier run
	// reviewed the same commit in the same category already: one review
	// per commit.
	HeadReviewed bool
}

// Publish lists the pull request's files and the comments already on it,
// then creates at most one review. It posts nothing when there is nothing
// new to say. Errors come from GitHub's API as go-github reports them.
func (r Reviewer) Publish(ctx context.Context, rep *report.Report) (ReviewResult, error) {
	var res ReviewResult
	h, err := r.history(ctx)
	if err != nil {
		return res, err
	}
	if res.Fixed, err = r.markFixed(ctx, rep, h.mine); err != nil {
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
	var isNew func(scan.Finding) bool
	if rep.Base != nil {
		isNew = rep.Base.IsNew
	}
	res.Plan = PlanReview(rep.Findings, diff, r.Filter, h.said, isNew)
	res.Plan.Category, res.Plan.Scope, res.Plan.Rules = r.category(), Scope(r.Scanned), rep.Rules
	// The budget is the commit's, whatever the number of runs.
	res.Plan = res.Plan.Limit(MaxReviewComments - h.onHead)
	if !res.Plan.New() {
		return res, nil
	}
	if h.headReviewed {
		res.HeadReviewed = true
		return res, nil
	}
	_, _, err = r.Client.PullRequests.CreateReview(ctx, r.Owner, r.Repo, r.Number, res.Plan.Request(r.Links))
	// One comment GitHub will not place makes it refuse the whole review
	// (422); the findings still deserve saying, in the body.
	var er *gogithub.ErrorResponse
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

func (r Reviewer) listFiles(ctx context.Context) ([]*gogithub.CommitFile, error) {
	var all []*gogithub.CommitFile
	err := eachPage(MaxPRFiles/perPage, func(opt gogithub.ListOptions) ([]*gogithub.CommitFile, *gogithub.Response, error) {
		return r.Client.PullRequests.ListFiles(ctx, r.Owner, r.Repo, r.Number, &opt)
	}, func(f *gogithub.CommitFile) { all = append(all, f) })
	return all, err
}

// A history is what earlier runs of the same category left on the pull
// request.
type history struct {
	said Said
	// mine are the inline comments the token may edit.
	mine []*gogithub.PullRequestComment
	// onHead counts the inline comments made on the head commit.
	onHead int
	// headReviewed is set when a review is on the head commit already.
	headReviewed bool
}

// history collects the markers of the scan's category in the pull
// request's review comments and review bodies that kubeharden could have
// written: those of bots (the workflow token writes as
// github-actions[bot]) and of the token's own user. A marker anyone else
// writes (the pull request's author, say) silences nothing; neither does
// one of another category, another kubeharden step's.
func (r Reviewer) history(ctx context.Context) (history, error) {
	h := history{said: Said{Fingerprints: map[string]bool{}, Sites: map[string]bool{}}}
	self := ""
	// An installation token cannot read its user (403); a personal one can.
	u, _, err := r.Client.Users.Get(ctx, "")
	var er *gogithub.ErrorResponse
	switch {
	case err == nil:
		self = u.GetLogin()
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnauthorized:
		return h, err // the token is refused: nothing else will answer
	}
	trusted := func(u *gogithub.User) bool {
		return u != nil && (u.GetType() == "Bot" || (self != "" && u.GetLogin() == self))
	}
	category := r.category()
	mark := func(u *gogithub.User, body string) []Marker {
		if !trusted(u) {
			return nil
		}
		var ours []Marker
		for _, m := range ReadMarkers(body) {
			if m.Category != category {
				continue
			}
			ours = append(ours, m)
			h.said.Fingerprints[m.Fingerprint] = true
			if m.Site != "" && !m.Fixed {
				h.said.Sites[m.Site] = true
			}
		}
		return ours
	}
	err = eachPage(maxCommentPages, func(opt gogithub.ListOptions) ([]*gogithub.PullRequestComment, *gogithub.Response, error) {
		return r.Client.PullRequests.ListComments(ctx, r.Owner, r.Repo, r.Number, &gogithub.PullRequestListCommentsOptions{ListOptions: opt})
	}, func(c *gogithub.PullRequestComment) {
		ms := mark(c.User, c.GetBody())
		if len(ms) == 0 {
			return
		}
		if cmp.Or(c.GetOriginalCommitID(), c.GetCommitID()) == r.Links.SHA && r.scanned(c.GetPath()) {
			h.onHead++
		}
		// Ours to edit: the token's user's, or a bot's when the token is
		// an installation's (it cannot read its user).
		if (self != "" && c.User.GetLogin() == self) || (self == "" && c.User.GetType() == "Bot") {
			h.mine = append(h.mine, c)
		}
	})
	if err != nil {
		return h, fmt.Errorf("listing the review comments: %w", err)
	}
	err = eachPage(maxReviewsPages, func(opt gogithub.ListOptions) ([]*gogithub.PullRequestReview, *gogithub.Response, error) {
		return r.Client.PullRequests.ListReviews(ctx, r.Owner, r.Repo, r.Number, &opt)
	}, func(rv *gogithub.PullRequestReview) {
		if !trusted(rv.User) {
			return
		}
		c, scope, ok := bodyCategory(rv.GetBody())
		if !ok || c != category {
			return
		}
		mark(rv.User, rv.GetBody())
		if rv.GetCommitID() == r.Links.SHA && (scope == "" || scope == Scope(r.Scanned)) {
			h.headReviewed = true
		}
	})
	if err != nil {
		return h, fmt.Errorf("listing the reviews: %w", err)
	}
	return h, nil
}

// MaxFixedEdits bounds the comments one run marks as fixed.
const MaxFixedEdits = 30

// fixedNote begins a comment some of whose findings a later run no
// longer found; a later edit replaces it.
const fixedNote = "> [!NOTE]\n> kubeharden no longer finds "

// markFixed edits kubeharden's own inline comments of the scan's category
// whose findings the scan no longer reports (fixed, or the object
// renamed) to say so at the top, and marks each such finding fixed in the
// trailer so that it is said once. A finding is gone when its fingerprint
// is, and no finding of another rule is on its object's field: a problem
// that moves to another rule is not fixed. An accepted finding is still
// reported, so its comment stays as it is. An edit GitHub refuses ends
// the marking, never the review.
func (r Reviewer) markFixed(ctx context.Context, rep *report.Report, mine []*gogithub.PullRequestComment) (int, error) {
	current, sites := map[string]bool{}, map[string]bool{}
	for _, f := range rep.Findings {
		current[f.Fingerprint] = true
		if s := Site(f); s != "" {
			sites[s] = true
		}
	}
	sha := r.Links.SHA
	if len(sha) > 7 {
		sha = sha[:7]
	}
	n := 0
	for _, c := range mine {
		if !r.scanned(c.GetPath()) {
			continue
		}
		body := c.GetBody()
		ms := ReadMarkers(body)
		var gone []Marker
		fixed := 0
		for _, m := range ms {
			switch {
			case m.Fixed:
				fixed++
			case !current[m.Fingerprint] && (m.Site == "" || !sites[m.Site]):
				gone = append(gone, m)
			}
		}
		if len(gone) == 0 {
			continue
		}
		if n == MaxFixedEdits {
			break
		}
		what := "this"
		if fixed+len(gone) < len(ms) {
			var rules []string
			for _, m := range ms {
				if m.Fixed || slices.Contains(gone, m) {
					rules = append(rules, "`"+cmp.Or(m.Rule, m.Fingerprint)+"`")
				}
			}
			what = strings.Join(rules, ", ")
		}
		if rest, ok := strings.CutPrefix(body, fixedNote); ok {
			if _, after, found := strings.Cut(rest, "\n\n"); found {
				body = after
			}
		}
		edited := fmt.Sprintf("%s%s at %s.\n\n%s", fixedNote, what, sha, strings.TrimRight(body, "\n")+"\n")
		for _, m := range gone {
			edited += fixedLine(m.Fingerprint) + "\n"
		}
		if _, _, err := r.Client.PullRequests.EditComment(ctx, r.Owner, r.Repo, c.GetID(), &gogithub.PullRequestComment{Body: &edited}); err != nil {
			// A note on an old comment is not worth the review: stop here,
			// and say nothing of the rest.
			return n, nil
		}
		n++
	}
	return n, nil
}

// eachPage calls each for every item of at most most pages of a listing.
func eachPage[T any](most int, list func(gogithub.ListOptions) ([]T, *gogithub.Response, error), each func(T)) error {
	opt := gogithub.ListOptions{PerPage: perPage}
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
