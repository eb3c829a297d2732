package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// Archive opens the gzipped tarball of commit sha that GitHub's API
// redirects to, as GitHub makes it (one top-level directory, named after
// the repository and commit). The token goes to the API only: the
// archive's link carries its own short-lived credential. The caller
// closes the archive.
func (r Reviewer) Archive(ctx context.Context, sha string) (io.ReadCloser, error) {
	link, _, err := r.Client.Repositories.GetArchiveLink(ctx, r.Owner, r.Repo, gogithub.Tarball, &gogithub.RepositoryContentGetOptions{Ref: sha}, 1)
	if err != nil {
		return nil, fmt.Errorf("asking GitHub for the archive: %w", err)
	}
	link = r.Client.BaseURL.ResolveReference(link)
	if link.Scheme != "https" && link.Scheme != "http" {
		return nil, fmt.Errorf("GitHub gave an archive link of scheme %q", link.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.String(), nil)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 60 * time.Second
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		// The link's query holds a credential: say the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("downloading the archive from %s: %w", link.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("downloading the archive from %s: %s", link.Host, resp.Status)
	}
	return resp.Body, nil
}

// ListCut says why a pull request's file list of listed files is
// incomplete, "" when it is whole: GitHub's list stops at MaxPRFiles
// without an error, and the count of changed files (the pull request's,
// else the event's) tells.
func (r Reviewer) ListCut(ctx context.Context, getenv func(string) string, listed int) string {
	total := -1
	if pr, _, err := r.Client.PullRequests.Get(ctx, r.Owner, r.Repo, r.Number); err == nil && pr.ChangedFiles != nil {
		total = pr.GetChangedFiles()
	} else if ev, err := ReadEvent(getenv); err == nil && ev.ChangedFiles != nil {
		total = *ev.ChangedFiles
	}
	switch {
	case total > listed:
		return fmt.Sprintf("GitHub lists %d of the pull request's %d changed files (its list stops at %d)", listed, total, MaxPRFiles)
	case total < 0 && listed >= MaxPRFiles:
		return fmt.Sprintf("GitHub lists %d files, as many as it ever lists, and the pull request's count of changed files cannot be read", listed)
	}
	return ""
}
