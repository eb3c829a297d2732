package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// A fakeGitHub is a small stateful GitHub REST API for the calls a review
// makes, served on httptest under both / and /api/v3/ (GitHub Enterprise
// Server). It checks the token, paginates with Link headers, and checks
// each review comment as GitHub does: a comment is refused with 422
// unless its line is inside a hunk of the new side of its file's diff.
// What it stores (the posted reviews and their comments) is what the
// next run lists.
type fakeGitHub struct {
	t      *testing.T
	srv    *httptest.Server
	token  string
	owner  string
	repo   string
	number int
	head   string

	mu       sync.Mutex
	files    []*github.CommitFile
	comments []*github.PullRequestComment
	reviews  []*github.PullRequestReview
	// posts holds every review creation request, accepted or not.
	posts []fakePost
	// requests holds every request as "METHOD path?query".
	requests []string
	// readOnly answers writes with 403, as GitHub does for the read-only
	// token of a pull request from a fork.
	readOnly bool
	// validateWith, by path, replaces the patch the review's comments are
	// checked against: the diff GitHub holds when the review is posted
	// differs from the one listed before.
	validateWith map[string]string
	// throttle holds answers given instead of the API's, in turn, to the
	// requests of their method.
	throttle []fakeThrottle
	// user is who the token writes as: github-actions[bot], which cannot
	// read GET /user, unless a personal token's user is set.
	user *github.User
	// edits lists the ids of the comments edited, in order.
	edits []int64
	// changedFiles, when set, is the pull request's count of changed files
	// (GET /pulls/N); else it is the number of files listed.
	changedFiles *int
	// archives holds, by commit, the tar.gz GET /tarball/{sha} redirects
	// to; archiveAuth the Authorization headers the downloads came with.
	archives    map[string][]byte
	archiveAuth []string
	// bodies holds the body of every request, as "METHOD path" and the
	// body on the next lines.
	bodies []string
	// failures are answered instead of the API's, in turn, to the
	// requests of their method.
	failures []fakeFailure
}

// A fakeFailure is an error answer, whose message may echo anything (the
// token, say).
type fakeFailure struct {
	Method  string
	Status  int
	Message string
}

var actionsBot = &github.User{Login: github.String("github-actions[bot]"), Type: github.String("Bot")}

type fakePost struct {
	Raw     string
	Review  github.PullRequestReviewRequest
	Status  int
	Problem string
}

// A fakeThrottle is a rate-limit answer: 429, a secondary limit (403 whose
// documentation URL names secondary rate limits) or a spent primary limit
// (403 with X-RateLimit-Remaining: 0).
type fakeThrottle struct {
	Method     string
	Kind       string // "429", "secondary" or "primary"
	RetryAfter string
	Reset      time.Time
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, token: "ghs_fakeTokenForTests0123456789", owner: "acme", repo: "shop", number: 7,
		head: "0123456789abcdef0123456789abcdef01234567"}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// addFile lists a changed file; patch "" means GitHub gave none.
func (f *fakeGitHub) addFile(name, status, patch string) {
	cf := &github.CommitFile{Filename: github.String(name), Status: github.String(status)}
	if patch != "" {
		cf.Patch = github.String(patch)
		cf.Additions = github.Int(strings.Count("\n"+patch, "\n+"))
	}
	f.mu.Lock()
	f.files = append(f.files, cf)
	f.mu.Unlock()
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	if r.Body != nil {
		data, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(data))
		if len(data) > 0 {
			f.bodies = append(f.bodies, r.Method+" "+r.URL.Path+"\n"+string(data))
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// Archive downloads go to another host on GitHub (codeload), with a
	// credential of their own in the link.
	if sha, ok := strings.CutPrefix(r.URL.Path, "/_codeload/"); ok {
		f.serveArchive(w, r, sha)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	for i, th := range f.throttle {
		if th.Method == r.Method {
			f.throttle = append(f.throttle[:i:i], f.throttle[i+1:]...)
			th.write(w)
			return
		}
	}
	for i, fl := range f.failures {
		if fl.Method == r.Method {
			f.failures = append(f.failures[:i:i], f.failures[i+1:]...)
			writeJSON(w, fl.Status, map[string]any{"message": fl.Message, "documentation_url": "https://docs.github.com/rest"})
			return
		}
	}
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	rest, ok := strings.CutPrefix(p, fmt.Sprintf("/repos/%s/%s/pulls/%d/", f.owner, f.repo, f.number))
	author := actionsBot
	if f.user != nil {
		author = f.user
	}
	switch {
	case r.Method == "GET" && p == "/user":
		if f.user == nil {
			writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user"})
			return
		}
		writeJSON(w, http.StatusOK, f.user)
	case r.Method == "GET" && p == fmt.Sprintf("/repos/%s/%s/pulls/%d", f.owner, f.repo, f.number):
		f.getPull(w)
	case r.Method == "GET" && strings.HasPrefix(p, fmt.Sprintf("/repos/%s/%s/tarball/", f.owner, f.repo)):
		f.tarball(w, r, strings.TrimPrefix(p, fmt.Sprintf("/repos/%s/%s/tarball/", f.owner, f.repo)))
	case ok && r.Method == "GET" && rest == "files":
		// GitHub lists at most 3,000 files.
		paginate(w, r, f.files[:min(len(f.files), 3000)])
	case ok && r.Method == "GET" && rest == "comments":
		paginate(w, r, f.comments)
	case ok && r.Method == "GET" && rest == "reviews":
		paginate(w, r, f.reviews)
	case ok && r.Method == "POST" && rest == "reviews":
		f.createReview(w, r, author)
	case r.Method == "PATCH" && strings.HasPrefix(p, fmt.Sprintf("/repos/%s/%s/pulls/comments/", f.owner, f.repo)):
		f.editComment(w, r, strings.TrimPrefix(p, fmt.Sprintf("/repos/%s/%s/pulls/comments/", f.owner, f.repo)), author)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
	}
}

func (th fakeThrottle) write(w http.ResponseWriter) {
	if th.RetryAfter != "" {
		w.Header().Set("Retry-After", th.RetryAfter)
	}
	switch th.Kind {
	case "429":
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests"})
	case "secondary":
		writeJSON(w, http.StatusForbidden, map[string]any{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
	case "primary":
		w.Header().Set("X-RateLimit-Limit", "1000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(th.Reset.Unix(), 10))
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "API rate limit exceeded for installation.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write shows as the client's error
}

// paginate answers a list request as GitHub does: per_page (default 30,
// at most 100) items of page (default 1), and Link headers to the next
// and last pages.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	last := max((len(items)+per-1)/per, 1)
	link := func(n int, rel string) string {
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<http://%s%s?%s>; rel="%s"`, r.Host, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start := min((page-1)*per, len(items))
	end := min(start+per, len(items))
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	writeJSON(w, http.StatusOK, out)
}

var fakeHunkHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@`)

// newSide maps each new-side line inside a hunk to its hunk, read from a
// patch independently of the code under test.
func newSide(patch string) map[int]int {
	lines := map[int]int{}
	hunk, n := -1, 0
	for _, l := range strings.Split(patch, "\n") {
		if m := fakeHunkHeader.FindStringSubmatch(l); m != nil {
			hunk++
			n, _ = strconv.Atoi(m[1])
			continue
		}
		if hunk >= 0 && l != "" && (l[0] == '+' || l[0] == ' ') {
			lines[n] = hunk
			n++
		}
	}
	return lines
}

func (f *fakeGitHub) createReview(w http.ResponseWriter, r *http.Request, author *github.User) {
	data, _ := io.ReadAll(r.Body)
	post := fakePost{Raw: string(data)}
	refuse := func(status int, problem string) {
		post.Status, post.Problem = status, problem
		f.posts = append(f.posts, post)
		writeJSON(w, status, map[string]any{"message": "Unprocessable Entity", "errors": []string{problem},
			"documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"})
	}
	if f.readOnly {
		post.Status = http.StatusForbidden
		f.posts = append(f.posts, post)
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"})
		return
	}
	if err := json.Unmarshal(data, &post.Review); err != nil {
		refuse(http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	rv := post.Review
	switch {
	case rv.CommitID != nil && *rv.CommitID != f.head:
		refuse(422, "commit_id is not part of the pull request")
		return
	case rv.GetEvent() != "COMMENT" && rv.GetEvent() != "APPROVE" && rv.GetEvent() != "REQUEST_CHANGES":
		refuse(422, "event must be APPROVE, REQUEST_CHANGES or COMMENT")
		return
	case rv.GetEvent() == "COMMENT" && rv.GetBody() == "" && len(rv.Comments) == 0:
		refuse(422, "Review body is required")
		return
	}
	patches := map[string]string{}
	for _, cf := range f.files {
		patches[cf.GetFilename()] = cf.GetPatch()
	}
	for path, p := range f.validateWith {
		patches[path] = p
	}
	for _, c := range rv.Comments {
		patch, inPR := patches[c.GetPath()]
		lines := newSide(patch)
		hunk, inDiff := lines[c.GetLine()]
		switch {
		case c.Position != nil && (c.Line != nil || c.Side != nil || c.StartLine != nil):
			refuse(422, "position cannot be used with line, side or start_line")
		case c.Position != nil:
			refuse(422, "fake: comments by diff position are not supported, and kubeharden must not use them")
		case !inPR:
			refuse(422, "Path could not be resolved")
		case c.GetBody() == "":
			refuse(422, "Body can't be blank")
		case c.Line == nil:
			refuse(422, "line is required")
		case c.Side != nil && *c.Side != "RIGHT":
			refuse(422, "fake: only RIGHT side comments are checked")
		case !inDiff:
			refuse(422, "Pull request review thread line must be part of the diff")
		case c.StartLine != nil && *c.StartLine >= *c.Line:
			refuse(422, "start_line must precede line")
		case c.StartLine != nil && !inHunk(lines, *c.StartLine):
			refuse(422, "Pull request review thread start line must be part of the diff")
		case c.StartLine != nil && lines[*c.StartLine] != hunk:
			refuse(422, "Pull request review thread start line must be part of the same hunk as the line")
		case c.StartSide != nil && *c.StartSide != "RIGHT":
			refuse(422, "fake: only RIGHT side comments are checked")
		default:
			continue
		}
		return
	}
	post.Status = http.StatusOK
	f.posts = append(f.posts, post)
	id := int64(len(f.reviews) + 1)
	review := &github.PullRequestReview{ID: github.Int64(id), Body: rv.Body, CommitID: rv.CommitID, State: github.String("COMMENTED"), User: author}
	f.reviews = append(f.reviews, review)
	for _, c := range rv.Comments {
		f.comments = append(f.comments, &github.PullRequestComment{
			ID: github.Int64(int64(1000 + len(f.comments))), PullRequestReviewID: github.Int64(id),
			Path: c.Path, Line: c.Line, Side: c.Side, Body: c.Body, CommitID: rv.CommitID, User: author,
		})
	}
	writeJSON(w, http.StatusOK, review)
}

func inHunk(lines map[int]int, n int) bool { _, ok := lines[n]; return ok }

// editComment changes a review comment's body, as GitHub lets only its
// author do.
func (f *fakeGitHub) editComment(w http.ResponseWriter, r *http.Request, id string, author *github.User) {
	if f.readOnly {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by integration"})
		return
	}
	var edit github.PullRequestComment
	if err := json.NewDecoder(r.Body).Decode(&edit); err != nil || edit.Body == nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed"})
		return
	}
	for _, c := range f.comments {
		if fmt.Sprint(c.GetID()) != id {
			continue
		}
		if c.GetUser().GetLogin() != author.GetLogin() {
			writeJSON(w, http.StatusForbidden, map[string]any{"message": "You can only edit your own comments"})
			return
		}
		c.Body = edit.Body
		f.edits = append(f.edits, c.GetID())
		writeJSON(w, http.StatusOK, c)
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
}

// accepted returns the reviews GitHub accepted.
func (f *fakeGitHub) accepted() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakePost
	for _, p := range f.posts {
		if p.Status == http.StatusOK {
			out = append(out, p)
		}
	}
	return out
}

func (f *fakeGitHub) allPosts() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...)
}

func (f *fakeGitHub) allRequests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// getPull answers GET /repos/{o}/{r}/pulls/{n}: the pull request, with
// its count of changed files, which GitHub gives whole even when the file
// list stops at 3,000.
func (f *fakeGitHub) getPull(w http.ResponseWriter) {
	n := len(f.files)
	if f.changedFiles != nil {
		n = *f.changedFiles
	}
	writeJSON(w, http.StatusOK, &github.PullRequest{Number: github.Int(f.number), ChangedFiles: github.Int(n),
		Head: &github.PullRequestBranch{SHA: github.String(f.head)}})
}

// tarball answers GET /repos/{o}/{r}/tarball/{ref} as GitHub does: a 302
// to the archive, whose link carries a short-lived token of its own.
func (f *fakeGitHub) tarball(w http.ResponseWriter, r *http.Request, ref string) {
	if _, ok := f.archives[ref]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return
	}
	w.Header().Set("Location", fmt.Sprintf("http://%s/_codeload/%s?token=codeloadTemporaryToken", r.Host, ref))
	w.WriteHeader(http.StatusFound)
}

func (f *fakeGitHub) serveArchive(w http.ResponseWriter, r *http.Request, sha string) {
	f.archiveAuth = append(f.archiveAuth, r.Header.Get("Authorization"))
	data, ok := f.archives[sha]
	if !ok || r.URL.Query().Get("token") != "codeloadTemporaryToken" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-gzip")
	_, _ = w.Write(data) // a failed write shows as the client's error
}

// allBodies returns the body of every request received.
func (f *fakeGitHub) allBodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}
