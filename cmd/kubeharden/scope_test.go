package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-github/v60/github"
)

// The hardened examples are the base of most pull requests below: they
// have no finding at all.
func hardenedTree(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, name := range []string{"namespace.yaml", "policy.yaml", "web.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "testdata/examples/hardened", name))
		if err != nil {
			t.Fatal(err)
		}
		files["deploy/"+name] = string(data)
	}
	return files
}

// A chart whose values hold a privileged securityContext that its
// template does not use yet.
var chartTree = map[string]string{
	"charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
	"charts/api/values.yaml": `image: ghcr.io/acme/api:1.0.0@sha256:9b7c3e7d5a1f0c2e4b6d8a0c1e3f5a7b9d1c3e5f7a9b1d3c5e7f9a1b3d5c7e9f
debug:
  securityContext:
    privileged: true
`,
	"charts/api/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: api
          image: {{ .Values.image }}
          securityContext:
            allowPrivilegeEscalation: false
`,
}

// apply returns base with the pull request's changes: a file's new
// content, or "" to delete it.
func apply(base, changes map[string]string) map[string]string {
	out := maps.Clone(base)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// commitTree makes dir's files those of tree and commits them.
// writeTree writes each file of tree (slash-separated paths to contents)
// under dir, making its folders.
func writeTree(t *testing.T, dir string, tree map[string]string) {
	t.Helper()
	for name, content := range tree {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func commitTree(t *testing.T, repo *git.Repository, dir string, tree map[string]string) string {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != ".git" {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeTree(t, dir, tree)
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	h, err := wt.Commit("change", &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// A prSetup is a pull request from base to head in a git repository in a
// temporary directory, checked out at the head as actions/checkout does.
type prSetup struct {
	f         *fakeGitHub
	workspace string
	base      string
}

// newPR makes the repository and the fake GitHub of a pull request. With
// shallow the repository holds the head only, as with fetch-depth: 1, and
// the base is served as GitHub's tarball.
func newPR(t *testing.T, base, changes map[string]string, shallow bool) *prSetup {
	t.Helper()
	ws := t.TempDir()
	repo, err := git.PlainInit(ws, false)
	if err != nil {
		t.Fatal(err)
	}
	head := apply(base, changes)
	s := &prSetup{f: newFakeGitHub(t), workspace: ws}
	if shallow {
		other := t.TempDir()
		orepo, err := git.PlainInit(other, false)
		if err != nil {
			t.Fatal(err)
		}
		s.base = commitTree(t, orepo, other, base)
		s.f.archives = map[string][]byte{s.base: tarball(t, "acme-shop-"+s.base[:7], base)}
	} else {
		s.base = commitTree(t, repo, ws, base)
	}
	s.f.head = commitTree(t, repo, ws, head)
	names := slices.Sorted(maps.Keys(changes))
	for _, name := range names {
		old, new := base[name], head[name]
		status := "modified"
		switch {
		case old == "":
			status = "added"
		case new == "":
			status = "removed"
		}
		s.f.addFile(name, status, patchOf(old, new))
	}
	return s
}

// env sets up the action's environment for the pull request.
func (s *prSetup) env(t *testing.T) {
	t.Helper()
	githubEnv(t, s.f)
	event := filepath.Join(t.TempDir(), "event.json")
	payload := fmt.Sprintf(`{"action":"synchronize","number":%d,"pull_request":{"number":%d,"head":{"sha":%q},"base":{"sha":%q}}}`,
		s.f.number, s.f.number, s.f.head, s.base)
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_EVENT_PATH", event)
	t.Setenv("GITHUB_WORKSPACE", s.workspace)
}

// run runs the CLI in the workspace and returns stdout, the job summary
// and the exit code.
func (s *prSetup) run(t *testing.T, args ...string) (stdout, summary string, code int) {
	t.Helper()
	_ = os.Remove(os.Getenv("GITHUB_STEP_SUMMARY")) // none before the first run
	stdout, _, code = runWorkspace(t, s.workspace, args...)
	sum, _ := os.ReadFile(os.Getenv("GITHUB_STEP_SUMMARY"))
	return stdout, string(sum), code
}

// patchOf is the diff GitHub gives of a file changed from old to new: one
// hunk over the whole file, from a longest common subsequence of lines.
func patchOf(old, new string) string {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	a, b := split(old), split(new)
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var lines []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, " "+a[i])
			i++
			j++
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			lines = append(lines, "+"+b[j])
			j++
		default:
			lines = append(lines, "-"+a[i])
			i++
		}
	}
	start := func(n int) int { return min(n, 1) }
	return fmt.Sprintf("@@ -%d,%d +%d,%d @@\n", start(len(a)), len(a), start(len(b)), len(b)) + strings.Join(lines, "\n")
}

// A tarEntry is one entry of a test archive.
type tarEntry struct {
	name, body, link string
	typ              byte
}

func tarOf(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if e.typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: e.typ, PAXRecords: map[string]string{"comment": e.body}}
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarball is GitHub's archive of a tree: a pax global header naming the
// commit, then everything under one top-level directory.
func tarball(t *testing.T, top string, tree map[string]string) []byte {
	t.Helper()
	entries := []tarEntry{{name: "pax_global_header", body: top, typ: tar.TypeXGlobalHeader}, {name: top + "/", typ: tar.TypeDir}}
	dirs := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(tree)) {
		for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
			if !dirs[d] {
				dirs[d] = true
				entries = append(entries, tarEntry{name: top + "/" + d + "/", typ: tar.TypeDir})
			}
		}
		entries = append(entries, tarEntry{name: top + "/" + name, body: tree[name], typ: tar.TypeReg})
	}
	return tarOf(t, entries)
}

// deleteLines removes the lines that contain any of what from text.
func deleteLines(text string, what ...string) string {
	var out []string
	for _, l := range strings.SplitAfter(text, "\n") {
		if !slices.ContainsFunc(what, func(w string) bool { return strings.Contains(l, w) }) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// TestFailScopeNewDeletion: a pull request that deletes hardening lines
// adds findings on lines it does not touch. fail-scope new fails it;
// changed cannot see it, and passes it.
func TestFailScopeNewDeletion(t *testing.T) {
	base := hardenedTree(t)
	s := newPR(t, base, map[string]string{
		"deploy/web.yaml": deleteLines(base["deploy/web.yaml"], "runAsNonRoot: true", "readOnlyRootFilesystem: true"),
	}, false)
	s.env(t)
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings {
		t.Errorf("fail-scope new: exit %d, want %d\n%s", code, exitFindings, stdout)
	}
	if !strings.Contains(summary, fmt.Sprintf("**Compared with the base commit** `%s` (read from git objects): 2 new, 0 fixed and 0 unchanged findings.", s.base[:12])) {
		t.Errorf("summary does not compare with the base:\n%s", summary)
	}
	for _, r := range s.f.allRequests() {
		if strings.Contains(r, "/tarball/") {
			t.Errorf("the base is in the git objects, yet the archive was asked for: %s", r)
		}
	}
	// The gap fail-scope new closes: no finding is on a line the pull
	// request adds.
	stdout, _, code = s.run(t, "scan", "--fail-scope", "changed", ".")
	if code != 0 || strings.Contains(stdout, "::notice::") {
		t.Errorf("fail-scope changed: exit %d, want 0 (it cannot see deletions)\n%s", code, stdout)
	}
	// The review says the new findings although no line of the pull
	// request holds them: on the diff's nearest line.
	stdout, _, _ = s.run(t, "scan", "--fail-scope", "new", "--github-review", ".")
	posts := s.f.allPosts()
	if len(posts) != 1 || len(posts[0].Review.Comments) == 0 {
		t.Fatalf("fail-scope new with a review: %d reviews, want 1 with inline comments\n%s", len(posts), stdout)
	}
	for _, c := range posts[0].Review.Comments {
		if c.GetPath() != "deploy/web.yaml" {
			t.Errorf("comment on %s, want deploy/web.yaml", c.GetPath())
		}
	}
}

// TestFailScopeNewFoldedCause: a pull request that deletes
// readOnlyRootFilesystem where the base already runs as root adds a cause
// to a finding the base has (one object, place and root cause, one
// finding): the added rule is new, and fails the build at its own
// severity, not at the one of the finding it is folded into.
func TestFailScopeNewFoldedCause(t *testing.T) {
	pod := `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  automountServiceAccountToken: false
  containers:
    - name: web
      image: ghcr.io/acme/web:1.0.0@sha256:9b7c3e7d5a1f0c2e4b6d8a0c1e3f5a7b9d1c3e5f7a9b1d3c5e7f9a1b3d5c7e9f
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
        seccompProfile:
          type: RuntimeDefault
`
	base := map[string]string{"deploy/pod.yaml": pod}
	s := newPR(t, base, map[string]string{"deploy/pod.yaml": deleteLines(pod, "readOnlyRootFilesystem: true")}, false)
	s.env(t)
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", "--fail-on", "note", ".")
	if code != exitFindings {
		t.Errorf("fail-scope new, fail-on note: exit %d, want %d\n%s", code, exitFindings, stdout)
	}
	if !strings.Contains(summary, "1 new, 0 fixed and") {
		t.Errorf("the folded rule is not new:\n%s", summary)
	}
	// What is new is a note: at fail-on error the pull request passes,
	// though the finding it is folded into is an error the base had.
	if stdout, _, code = s.run(t, "scan", "--fail-scope", "new", "--fail-on", "error", "."); code != 0 {
		t.Errorf("fail-scope new, fail-on error: exit %d, want 0\n%s", code, stdout)
	}
}

// TestFailScopeNewRemovedObjects: a pull request that removes the
// namespace's default-deny NetworkPolicy, or the ServiceAccount that keeps
// a workload's token unmounted, touches no line of what it exposes.
func TestFailScopeNewRemovedObjects(t *testing.T) {
	base := hardenedTree(t)
	policy := base["deploy/policy.yaml"]
	deny := strings.Index(policy, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny")
	web := strings.Index(policy, "---\n# Web traffic")
	if deny < 0 || web < 0 {
		t.Fatal("policy.yaml changed: the test cuts it in parts")
	}
	// The workload leaves the token to its ServiceAccount.
	base["deploy/web.yaml"] = deleteLines(base["deploy/web.yaml"], "automountServiceAccountToken: false")
	for name, changed := range map[string]string{
		"network policy":  policy[:deny] + policy[web:],
		"service account": policy[deny:],
	} {
		t.Run(name, func(t *testing.T) {
			s := newPR(t, base, map[string]string{"deploy/policy.yaml": changed}, false)
			s.env(t)
			stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", "--fail-on", "note", ".")
			if code != exitFindings || !strings.Contains(summary, "(read from git objects): ") || strings.Contains(summary, ": 0 new,") {
				t.Errorf("exit %d, want %d\n%s\n%s", code, exitFindings, stdout, summary)
			}
		})
	}
}

// TestFailScopeNewTemplateOnly: a template starts to use an insecure value
// that values.yaml has held all along. The findings point at values.yaml,
// which the pull request does not change.
func TestFailScopeNewTemplateOnly(t *testing.T) {
	tmpl := chartTree["charts/api/templates/deploy.yaml"]
	s := newPR(t, chartTree, map[string]string{
		"charts/api/templates/deploy.yaml": strings.Replace(tmpl, "            allowPrivilegeEscalation: false",
			"            {{- toYaml .Values.debug.securityContext | nindent 12 }}", 1),
	}, false)
	s.env(t)
	// The base passes: its errors are none.
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings || !strings.Contains(stdout, "file=charts/api/values.yaml,line=4") {
		t.Errorf("fail-scope new: exit %d, want %d, with privileged-container on values.yaml:4\n%s", code, exitFindings, stdout)
	}
	if !strings.Contains(summary, "(read from git objects)") {
		t.Errorf("summary:\n%s", summary)
	}
	if _, _, code := s.run(t, "scan", "--fail-scope", "changed", "."); code != 0 {
		t.Errorf("fail-scope changed: exit %d, want 0 (it cannot see template-only changes)", code)
	}
	// values.yaml is not in the diff: the review lists the finding in its
	// body, as new with the pull request.
	stdout, _, _ = s.run(t, "scan", "--fail-scope", "new", "--github-review", ".")
	posts := s.f.allPosts()
	if len(posts) != 1 {
		t.Fatalf("%d reviews, want 1\n%s", len(posts), stdout)
	}
	if body := posts[0].Review.GetBody(); !strings.Contains(body, "new with this pull request, on lines it does not change") || !strings.Contains(body, "charts/api/values.yaml") {
		t.Errorf("review body does not list the new finding on values.yaml:\n%s", body)
	}
}

// TestFailScopeNewUnchanged: findings the base has already do not fail a
// pull request; the summary counts them, and those it fixes.
func TestFailScopeNewUnchanged(t *testing.T) {
	base := hardenedTree(t)
	worker, err := os.ReadFile(filepath.Join(repoRoot, workerFile))
	if err != nil {
		t.Fatal(err)
	}
	base["deploy/worker.yaml"] = string(worker)
	s := newPR(t, base, map[string]string{
		// Move the worker down and drop its host port: a finding fixed,
		// the rest unchanged on other lines.
		"deploy/worker.yaml": "# owned by the platform team\n\n" + deleteLines(string(worker), "hostPort: 9100"),
	}, false)
	s.env(t)
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", ".")
	if code != 0 {
		t.Errorf("exit %d, want 0: nothing new\n%s", code, stdout)
	}
	if !strings.Contains(summary, ": 0 new, 1 fixed and ") || !strings.Contains(stdout, "::error ") {
		t.Errorf("summary or annotations:\n%s\n%s", summary, stdout)
	}
	if _, _, code := s.run(t, "scan", "."); code != exitFindings {
		t.Errorf("fail-scope all: exit %d, want %d", code, exitFindings)
	}
}

// TestFailScopeNewFromArchive: with the head only in the workspace's git
// objects (fetch-depth: 1), the base comes from GitHub's tarball; the
// token goes to the API only, never to the archive's host.
func TestFailScopeNewFromArchive(t *testing.T) {
	base := hardenedTree(t)
	s := newPR(t, base, map[string]string{
		"deploy/web.yaml": deleteLines(base["deploy/web.yaml"], "runAsNonRoot: true"),
	}, true)
	s.env(t)
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings {
		t.Errorf("exit %d, want %d\n%s", code, exitFindings, stdout)
	}
	if !strings.Contains(summary, fmt.Sprintf("`%s` (read from API archive): 2 new, 0 fixed and 0 unchanged findings.", s.base[:12])) {
		t.Errorf("summary:\n%s", summary)
	}
	if !slices.Contains(s.f.allRequests(), "GET /repos/acme/shop/tarball/"+s.base) || len(s.f.archiveAuth) != 1 || s.f.archiveAuth[0] != "" {
		t.Errorf("archive requests %q, authorization sent to the archive %q", s.f.allRequests(), s.f.archiveAuth)
	}
	// A head that changes nothing that matters passes: the archive's files
	// are named as the workspace's.
	s = newPR(t, base, map[string]string{"deploy/web.yaml": "# reviewed\n" + base["deploy/web.yaml"]}, true)
	s.env(t)
	if stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", "--fail-on", "note", "deploy"); code != 0 || !strings.Contains(summary, "(read from API archive): 0 new,") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, summary)
	}

	// Neither in the git objects nor served: every finding counts, and a
	// notice says why.
	s.f.archives = nil
	stdout, _, code = s.run(t, "scan", "--fail-scope", "new", ".")
	if code != 0 || !strings.Contains(stdout, "::notice::kubeharden: fail-scope new: cannot read the base commit "+s.base) ||
		!strings.Contains(stdout, "every finding can fail the build") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
	if strings.Contains(stdout, s.f.token) || strings.Contains(stdout, "codeloadTemporaryToken") {
		t.Error("a token is in the output")
	}
}

// TestFailScopeNewClosed: whatever stops the comparison makes every
// finding count, with a notice.
func TestFailScopeNewClosed(t *testing.T) {
	base := hardenedTree(t)
	base["deploy/worker.yaml"] = "apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: shop}\nspec:\n  containers:\n    - name: w\n      image: w\n      securityContext: {privileged: true}\n"
	s := newPR(t, base, map[string]string{"README.md": "hello\n"}, true)
	s.env(t)
	// An archive with a path out of the tree is refused whole.
	s.f.archives[s.base] = tarOf(t, []tarEntry{
		{name: "top/", typ: tar.TypeDir},
		{name: "top/deploy/worker.yaml", body: base["deploy/worker.yaml"], typ: tar.TypeReg},
		{name: "top/../../kubeharden-escape.yaml", body: "escaped", typ: tar.TypeReg},
	})
	stdout, _, code := s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings || !strings.Contains(stdout, `leaves the tree: refused; every finding can fail the build`) {
		t.Errorf("exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "kubeharden-escape.yaml")); err == nil {
		t.Error("the archive wrote outside its directory")
	}
	// Too large an archive.
	s.f.archives[s.base] = tarball(t, "top", base)
	defer func(n int) { maxBaseFiles = n }(maxBaseFiles)
	maxBaseFiles = 2
	stdout, _, code = s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings || !strings.Contains(stdout, "more than 2 files: too large to compare") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
	maxBaseFiles = 100_000
	if stdout, _, code := s.run(t, "scan", "--fail-scope", "new", "."); code != 0 || strings.Contains(stdout, "::notice::kubeharden: fail-scope") {
		t.Errorf("exit %d with the archive whole\n%s", code, stdout)
	}

	// No base commit in the payload; no pull request.
	t.Setenv("GITHUB_EVENT_NAME", "push")
	stdout, _, code = s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings || !strings.Contains(stdout, `::notice::kubeharden: fail-scope new: a "push" event is not a pull request; every finding can fail the build`) {
		t.Errorf("push: exit %d\n%s", code, stdout)
	}
}

// TestTarballSafety: what an archive holds is written inside its
// directory or not at all. Links that resolve outside it, also through
// other links, are dropped; links inside it stay.
func TestTarballSafety(t *testing.T) {
	for _, bad := range []string{"top/../x", "top/a/../../x", "/etc/x", "top/a/../../../x"} {
		w, err := newTreeWriter(filepath.Join(t.TempDir(), "tree"))
		if err != nil {
			t.Fatal(err)
		}
		err = extractTarball(bytes.NewReader(tarOf(t, []tarEntry{{name: bad, body: "x", typ: tar.TypeReg}})), w)
		w.close()
		if err == nil || !strings.Contains(err.Error(), "leaves the tree") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "tree")
	w, err := newTreeWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	err = extractTarball(bytes.NewReader(tarOf(t, []tarEntry{
		{name: "top/", typ: tar.TypeDir},
		{name: "top/etc", link: "/etc", typ: tar.TypeSymlink},
		{name: "top/up", link: "../..", typ: tar.TypeSymlink},
		// A file under a link's name is written inside, the link dropped.
		{name: "top/up/escape.yaml", body: "kind: Pod", typ: tar.TypeReg},
		{name: "top/here", link: ".", typ: tar.TypeSymlink},
		// Lexically top/, in fact the parent of the tree, through "here".
		{name: "top/here/sub/climb", link: "../..", typ: tar.TypeSymlink},
		{name: "top/deploy/app.yaml", body: "kind: Pod", typ: tar.TypeReg},
		{name: "top/app.yaml", link: "deploy/app.yaml", typ: tar.TypeSymlink},
		{name: "top/dev", typ: tar.TypeChar},
		{name: "top/hard", link: "/etc/passwd", typ: tar.TypeLink},
	})), w)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"etc", "sub/climb", "dev", "hard"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s was created", gone)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dir, "up")); err != nil || !fi.IsDir() {
		t.Errorf("up: %v %v", fi, err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "app.yaml")); err != nil || string(data) != "kind: Pod" {
		t.Errorf("a link inside the tree: %q %v", data, err)
	}
	if _, err := os.Lstat(filepath.Join(parent, "escape.yaml")); err == nil {
		t.Error("written outside the tree")
	}
}

// TestFailScopeChangedOver3000Files: GitHub lists 3,000 of a pull
// request's files and stops without an error. fail-scope changed then
// fails closed; new compares the whole trees.
func TestFailScopeChangedOver3000Files(t *testing.T) {
	base := hardenedTree(t)
	worker, err := os.ReadFile(filepath.Join(repoRoot, workerFile))
	if err != nil {
		t.Fatal(err)
	}
	base["deploy/worker.yaml"] = string(worker)
	for _, tc := range []struct {
		name    string
		changes map[string]string
		newCode int
	}{
		// The last file listed would be the 3,001st: a new privileged Pod.
		{"new finding", map[string]string{"zz/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n    - name: p\n      image: p\n      securityContext: {privileged: true}\n"}, exitFindings},
		// Only a comment: the worker's errors are older than the pull request.
		{"nothing new", map[string]string{"zz/notes.yaml": "# notes\n"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newPR(t, base, nil, false)
			for i := range 3000 {
				s.f.addFile(fmt.Sprintf("docs/page-%04d.md", i), "added", "@@ -0,0 +1 @@\n+text")
			}
			// The pull request's own files come last, beyond the list.
			s2 := newPR(t, base, tc.changes, false)
			s.f.files = append(s.f.files, s2.f.files...)
			s.workspace, s.base, s.f.head = s2.workspace, s2.base, s2.f.head
			s.env(t)
			stdout, _, code := s.run(t, "scan", "--fail-scope", "changed", ".")
			if code != exitFindings || !strings.Contains(stdout, "::notice::kubeharden: fail-scope changed: GitHub lists 3000 of the pull request's 3001 changed files (its list stops at 3000); every finding can fail the build") {
				t.Errorf("fail-scope changed: exit %d\n%s", code, stdout)
			}
			stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", ".")
			if code != tc.newCode || strings.Contains(stdout, "::notice::kubeharden: fail-scope") || !strings.Contains(summary, "(read from git objects)") {
				t.Errorf("fail-scope new: exit %d, want %d\n%s\n%s", code, tc.newCode, stdout, summary)
			}
		})
	}
	// A count above the files listed means a cut list; without any count
	// (the pull request cannot be read, the event has none), 3,000 files
	// listed are taken as cut.
	f := newFakeGitHub(t)
	f.changedFiles = github.Int(3000)
	githubEnv(t, f)
	r, why, _ := pullRequestReviewer(os.Getenv, f.token, nil)
	if r == nil {
		t.Fatal(why)
	}
	if why := r.ListCut(context.Background(), os.Getenv, 2999); why == "" {
		t.Error("the pull request counts 3,000 files, 2,999 listed: taken as whole")
	}
	if why := r.ListCut(context.Background(), os.Getenv, 3000); why != "" {
		t.Errorf("3,000 of 3,000: %s", why)
	}
	r.Repo = "other"
	if why := r.ListCut(context.Background(), os.Getenv, 3000); why == "" {
		t.Error("3,000 files and no count: taken as whole")
	}
	if why := r.ListCut(context.Background(), os.Getenv, 12); why != "" {
		t.Errorf("12 files and no count: %s", why)
	}
}

// TestFailScopeNewBaseConfig: the base is scanned with its own config
// file. A pull request that turns a disabled rule back on brings that
// rule's findings in as new; flags apply to both sides.
func TestFailScopeNewBaseConfig(t *testing.T) {
	base := map[string]string{
		".kubeharden.yaml": "rules:\n  disable: [privileged-container, pss-baseline, pss-restricted]\n",
		"deploy/pod.yaml": `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
    - name: p
      image: p
      securityContext: {privileged: true}
`,
	}
	s := newPR(t, base, map[string]string{".kubeharden.yaml": "rules:\n  disable: [pss-baseline, pss-restricted]\n"}, false)
	s.env(t)
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", ".")
	if code != exitFindings || !strings.Contains(stdout, "title=privileged-container") || !strings.Contains(summary, ": 1 new, 0 fixed") {
		t.Errorf("exit %d, want %d\n%s\n%s", code, exitFindings, stdout, summary)
	}
	// The flag disables the rule on both sides: nothing new.
	if stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", "--disable", "privileged-container", "."); code != 0 || !strings.Contains(summary, ": 0 new,") {
		t.Errorf("with --disable: exit %d\n%s\n%s", code, stdout, summary)
	}
}

// TestFailScopeNewSubdirectory: a scan run in a directory of the
// repository reads the same directory of the base, and names files from
// the repository root.
func TestFailScopeNewSubdirectory(t *testing.T) {
	base := hardenedTree(t)
	s := newPR(t, base, map[string]string{
		"deploy/web.yaml": deleteLines(base["deploy/web.yaml"], "readOnlyRootFilesystem: true"),
	}, true)
	s.env(t)
	ws := s.workspace
	s.workspace = filepath.Join(ws, "deploy")
	// readonly-root-fs is a note: defence in depth.
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", "--fail-on", "note", ".")
	if code != exitFindings || !strings.Contains(summary, "(read from API archive): 1 new, 0 fixed and 0 unchanged") ||
		!strings.Contains(stdout, "file=deploy/web.yaml,") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, summary)
	}
	// The review names the file from the root too: the report is rebased
	// once, and the review takes its paths as they are.
	stdout, _, _ = s.run(t, "scan", "--fail-scope", "new", "--github-review", ".")
	posts := s.f.accepted()
	if len(posts) != 1 || len(posts[0].Review.Comments) == 0 {
		t.Fatalf("reviews %+v\n%s", posts, stdout)
	}
	for _, c := range posts[0].Review.Comments {
		if c.GetPath() != "deploy/web.yaml" {
			t.Errorf("a comment on %q, want deploy/web.yaml", c.GetPath())
		}
	}
	// An absolute path inside the repository is the same path at the base.
	stdout, summary, code = s.run(t, "scan", "--fail-scope", "new", "--fail-on", "note", filepath.Join(ws, "deploy", "web.yaml"))
	if code != exitFindings || !strings.Contains(summary, ": 1 new, 0 fixed and 2 unchanged") {
		t.Errorf("absolute path: exit %d\n%s\n%s", code, stdout, summary)
	}
}

// TestFailScopeNewKustomizeBase: an overlay scanned alone reads a base
// beside it, inside the repository, at the head and at the base alike.
func TestFailScopeNewKustomizeBase(t *testing.T) {
	base := map[string]string{
		"k/base/kustomization.yaml": "resources: [pod.yaml]\n",
		"k/base/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: p\n      image: p\n      securityContext: {privileged: true}\n",
		"k/prod/kustomization.yaml": "namespace: prod\nresources: [../base]\n",
	}
	s := newPR(t, base, map[string]string{"README.md": "hello\n"}, true)
	s.env(t)
	stdout, summary, code := s.run(t, "scan", "--fail-scope", "new", "k/prod")
	if code != 0 || !strings.Contains(stdout, "title=privileged-container") || !strings.Contains(summary, ": 0 new, 0 fixed") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, summary)
	}
}

// TestFailScopeNewAction: through the action's entrypoint, with every
// input the runner sets (action.yml's defaults) and the token only in
// INPUT_GITHUB-TOKEN, on a checkout without the base (fetch-depth: 1).
func TestFailScopeNewAction(t *testing.T) {
	base := hardenedTree(t)
	s := newPR(t, base, map[string]string{
		"deploy/web.yaml": deleteLines(base["deploy/web.yaml"], "runAsNonRoot: true"),
	}, true)
	s.env(t)
	setActionInputs(t)
	t.Setenv("INPUT_GITHUB-TOKEN", s.f.token)
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("INPUT_SARIF-FILE", filepath.Join(t.TempDir(), "k.sarif"))
	t.Setenv("INPUT_FAIL-SCOPE", "new")
	stdout, summary, code := s.run(t, "action")
	if code != exitFindings || !strings.Contains(summary, "(read from API archive): 2 new, 0 fixed and 0 unchanged findings") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, summary)
	}
	out, _ := os.ReadFile(os.Getenv("GITHUB_OUTPUT"))
	if !strings.Contains(string(out), "\nfail\n") {
		t.Errorf("result output:\n%s", out)
	}
}
