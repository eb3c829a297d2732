package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
	ghreport "github.com/kubeharden/kubeharden/report/github"
	"github.com/kubeharden/kubeharden/scan"
)

// How much of a base commit fail-scope new materialises: a repository
// beyond these is not compared (the scope fails closed), rather than
// filling the runner's disk. Tests lower them.
var (
	maxBaseFiles       = 100_000
	maxBaseBytes int64 = 2 << 30
)

// baseTimeout bounds reading and scanning a pull request's base commit.
const baseTimeout = 5 * time.Minute

var commitSHA = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// readBase scans the pull request's base commit with the head scan's
// settings (the config file as it is at the base) and returns its
// findings, the commit and where it was read from; or why it could not.
func readBase(ctx context.Context, getenv func(string) string, token string, log io.Writer, fl scanFlags, paths []string, maxSize int64) (sha, source string, base []scan.Finding, why string) {
	if ev := getenv("GITHUB_EVENT_NAME"); !ghreport.IsPullRequest(ev) {
		return "", "", nil, fmt.Sprintf("a %q event is not a pull request", ev)
	}
	ev, err := ghreport.ReadEvent(getenv)
	if err != nil {
		return "", "", nil, err.Error()
	}
	sha = ev.Base
	if !commitSHA.MatchString(sha) {
		return "", "", nil, fmt.Sprintf("the event payload names no base commit (pull_request.base.sha %q)", sha)
	}
	// Without a client (no token, say) the base can still come from the
	// git objects.
	r, noAPI, _ := pullRequestReviewer(getenv, token, log)
	ctx, cancel := context.WithTimeout(ctx, baseTimeout)
	defer cancel()
	base, source, err = scanBase(ctx, getenv, r, noAPI, sha, fl, paths, maxSize)
	if err != nil {
		return "", "", nil, fmt.Sprintf("cannot read the base commit %s: %v", sha, err)
	}
	return sha, source, base, ""
}

// scanBase materialises the base commit outside the workspace, from the
// repository's git objects when they hold it, else from the archive the
// API serves (through r, the pull request's client; noAPI says why there
// is none when r is nil), and scans it as the head was scanned. Its
// findings name files as the head's do.
func scanBase(ctx context.Context, getenv func(string) string, r *ghreport.Reviewer, noAPI, sha string, fl scanFlags, paths []string, maxSize int64) ([]scan.Finding, string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	workspace := firstNonEmpty(getenv("GITHUB_WORKSPACE"), wd)
	tmp, err := os.MkdirTemp("", "kubeharden-base-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")

	source := report.SourceGit
	root, gitErr := baseFromGit(ctx, workspace, sha, tree)
	if gitErr != nil {
		if r == nil {
			return nil, "", fmt.Errorf("it is not in the repository's git objects (%w), and its archive cannot be fetched: %s", gitErr, noAPI)
		}
		// What the git objects wrote, if anything, goes.
		if err := os.RemoveAll(tree); err != nil {
			return nil, "", err
		}
		source, root = report.SourceArchive, firstNonEmpty(root, workspace)
		if err := baseFromArchive(ctx, r, sha, tree); err != nil {
			return nil, "", fmt.Errorf("it is not in the repository's git objects (%v), and its archive cannot be read: %w", gitErr, err)
		}
	}
	// The scan ran in a directory of the repository; the same directory
	// of the base is where its files are read from, and named from.
	prefix, err := relInside(root, wd)
	if err != nil {
		return nil, "", fmt.Errorf("the working directory: %w", err)
	}
	dir := filepath.Join(tree, prefix)
	var rel []string
	for _, p := range paths {
		if filepath.IsAbs(p) {
			if p, err = relTo(wd, p); err != nil {
				return nil, "", err
			}
		}
		if r := filepath.Join(prefix, p); r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return nil, "", fmt.Errorf("%s is outside the repository", p)
		}
		// A path the pull request adds has nothing at the base.
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			rel = append(rel, p)
		}
	}
	if len(rel) == 0 {
		return nil, source, nil
	}
	st, err := loadSettings(dir, fl, rel)
	if err != nil {
		return nil, "", fmt.Errorf("the base's settings: %w", err)
	}
	cfg := st.cfg
	cfg.Baseline = st.baseline
	opt := render.Options{Dir: dir, MaxFileSize: firstPositive(maxSize, st.fc.MaxFileSize), Helm: st.helm, Exclude: st.excludes, Limits: st.limits}
	_, findings, err := loadAndCheck(ctx, rel, opt, cfg, nil)
	if err != nil {
		return nil, "", err
	}
	base := &report.Report{Findings: findings}
	base.Rebase(filepath.ToSlash(prefix))
	return base.Findings, source, nil
}

// relInside is name relative to dir, both resolved through symbolic
// links; an error when name is outside dir.
func relInside(dir, name string) (string, error) {
	r, err := relTo(dir, name)
	if err != nil {
		return "", err
	}
	if r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository at %s", name, dir)
	}
	return r, nil
}

// relTo is name relative to dir, both resolved through symbolic links;
// it may climb out of dir.
func relTo(dir, name string) (string, error) {
	d, err1 := filepath.EvalSymlinks(dir)
	n, err2 := filepath.EvalSymlinks(name)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	return filepath.Rel(d, n)
}

// baseFromGit writes the tree of commit sha, read from the git objects of
// the repository at workspace (or above it), to dir. It returns the
// repository's root once it is found, also with an error. No git binary
// runs and the workspace is not touched.
func baseFromGit(ctx context.Context, workspace, sha, dir string) (string, error) {
	repo, err := git.PlainOpenWithOptions(workspace, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", fmt.Errorf("opening the repository: %w", err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("opening the repository: %w", err)
	}
	root := wt.Filesystem.Root()
	commit, err := repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return root, fmt.Errorf("reading commit %s: %w", sha, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return root, fmt.Errorf("reading the tree of %s: %w", sha, err)
	}
	w, err := newTreeWriter(dir)
	if err != nil {
		return root, err
	}
	defer w.close()
	err = tree.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch f.Mode {
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			rd, err := f.Reader()
			if err != nil {
				return fmt.Errorf("reading %s: %w", f.Name, err)
			}
			defer rd.Close()
			return w.file(f.Name, f.Size, rd)
		case filemode.Symlink:
			if f.Size > 4096 {
				return nil
			}
			target, err := f.Contents()
			if err != nil {
				return fmt.Errorf("reading %s: %w", f.Name, err)
			}
			return w.link(f.Name, target)
		}
		return nil
	})
	if err != nil {
		return root, err
	}
	return root, w.finish()
}

// baseFromArchive writes the tree of commit sha to dir from the tarball
// GitHub's API serves.
func baseFromArchive(ctx context.Context, r *ghreport.Reviewer, sha, dir string) error {
	archive, err := r.Archive(ctx, sha)
	if err != nil {
		return err
	}
	defer archive.Close()
	w, err := newTreeWriter(dir)
	if err != nil {
		return err
	}
	defer w.close()
	if err := extractTarball(archive, w); err != nil {
		return fmt.Errorf("the archive: %w", err)
	}
	return w.finish()
}

// extractTarball writes a gzipped tar archive of a commit, as GitHub makes
// it (one top-level directory, named after the repository and commit), to
// w without that directory.
func extractTarball(rd io.Reader, w *treeWriter) error {
	gz, err := gzip.NewReader(rd)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if _, err := treeName(h.Name); err != nil {
			return err
		}
		_, name, _ := strings.Cut(strings.TrimPrefix(h.Name, "./"), "/")
		if strings.Trim(name, "/") == "" {
			continue // the top-level directory
		}
		switch h.Typeflag {
		case tar.TypeReg:
			err = w.file(name, h.Size, tr)
		case tar.TypeDir:
			err = w.mkdir(name)
		case tar.TypeSymlink:
			err = w.link(name, h.Linkname)
		default:
			// Hard links, devices and pipes are not a commit's content.
			err = w.count()
		}
		if err != nil {
			return err
		}
	}
}

// A treeWriter materialises a commit's files under a directory: regular
// files only, every name inside it, within maxBaseFiles and maxBaseBytes.
// Symbolic links come last, once every file is written, and stay only if
// they resolve to something inside the directory.
type treeWriter struct {
	root  *os.Root
	dir   string
	files int
	bytes int64
	links [][2]string
}

func newTreeWriter(dir string) (*treeWriter, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	// The renderers take the nearest directory holding .git for the
	// repository's root, which a kustomization may not leave: an overlay
	// reads a base beside it here as it does in the workspace.
	if err := root.Mkdir(".git", 0o700); err != nil {
		root.Close()
		return nil, err
	}
	return &treeWriter{root: root, dir: dir}, nil
}

func (w *treeWriter) close() { w.root.Close() }

// treeName checks the name of an entry of a commit or an archive: slash-
// separated, relative, never above the tree. It returns it cleaned.
func treeName(name string) (string, error) {
	clean := path.Clean(strings.TrimSuffix(name, "/"))
	if name == "" || path.IsAbs(name) || filepath.IsAbs(name) || strings.ContainsRune(name, 0) || clean == ".." || strings.HasPrefix(clean, "../") ||
		slices.Contains(strings.Split(name, "/"), "..") {
		return "", fmt.Errorf("entry %q leaves the tree: refused", name)
	}
	return clean, nil
}

// gitDir reports whether a cleaned name is in a .git directory, which
// neither a commit nor GitHub's archive has: such entries are passed over.
func gitDir(name string) bool { return slices.Contains(strings.Split(name, "/"), ".git") }

func (w *treeWriter) count() error {
	w.files++
	if w.files > maxBaseFiles {
		return fmt.Errorf("more than %d files: too large to compare", maxBaseFiles)
	}
	return nil
}

// admit cleans an entry's name and counts it; n is "" for an entry in a
// .git directory, which is passed over.
func (w *treeWriter) admit(name string) (n string, err error) {
	if n, err = treeName(name); err != nil || gitDir(n) {
		return "", err
	}
	return n, w.count()
}

func (w *treeWriter) mkdir(name string) error {
	n, err := w.admit(name)
	if err != nil || n == "" {
		return err
	}
	return w.root.MkdirAll(n, 0o700)
}

func (w *treeWriter) file(name string, size int64, rd io.Reader) error {
	n, err := w.admit(name)
	if err != nil || n == "" {
		return err
	}
	if size < 0 || w.bytes+size > maxBaseBytes {
		return fmt.Errorf("more than %d bytes: too large to compare", maxBaseBytes)
	}
	if d := path.Dir(n); d != "." {
		if err := w.root.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	f, err := w.root.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	written, err := io.Copy(f, io.LimitReader(rd, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && written != size {
		err = fmt.Errorf("%s: %d of %d bytes", n, written, size)
	}
	w.bytes += written
	return err
}

func (w *treeWriter) link(name, target string) error {
	n, err := treeName(name)
	if err != nil {
		return err
	}
	if gitDir(n) {
		return nil
	}
	if err := w.count(); err != nil {
		return err
	}
	w.links = append(w.links, [2]string{n, target})
	return nil
}

// finish creates the symbolic links that stay inside the tree, judged by
// where they resolve on disk, not by their text: a link through another
// link can climb higher than its text says.
func (w *treeWriter) finish() error {
	top, err := filepath.EvalSymlinks(w.dir)
	if err != nil {
		return err
	}
	slices.SortFunc(w.links, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, l := range w.links {
		name, target := l[0], l[1]
		if target == "" || path.IsAbs(target) || filepath.IsAbs(target) {
			continue
		}
		if t := path.Join(path.Dir(name), target); t == ".." || strings.HasPrefix(t, "../") {
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := w.root.MkdirAll(d, 0o700); err != nil {
				continue
			}
		}
		if err := w.root.Symlink(target, name); err != nil {
			continue
		}
		to, err := filepath.EvalSymlinks(filepath.Join(w.dir, name))
		if err == nil {
			var r string
			if r, err = filepath.Rel(top, to); err == nil && (r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator))) {
				err = errors.New("outside")
			}
		}
		if err != nil {
			if err := w.root.Remove(name); err != nil {
				return err
			}
		}
	}
	return nil
}
