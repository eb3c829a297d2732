package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
)

// DependenciesFetch is the HelmOptions.Dependencies value that fetches the
// dependencies a chart does not vendor.
const DependenciesFetch = "fetch"

// Bounds of what fetching a chart's dependencies reads.
const (
	maxIndexBytes   = 32 << 20 // a repository's index.yaml (Bitnami's is ~20 MiB)
	maxArchiveBytes = 20 << 20 // one chart archive
	fetchTimeout    = time.Minute
)

// helmChartLayer is the media type of a Helm chart's archive in an OCI
// artifact.
const helmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

// A fetchedDep is a dependency kubeharden fetched for a chart: an
// archive's bytes, or a file:// chart directory inside the repository.
type fetchedDep struct {
	archive []byte
	dir     string // absolute, for file://
	relDir  string // repo-relative, for file://
}

// A missingDep is a dependency a chart names and does not vendor, with
// where it is named.
type missingDep struct {
	dep  *chart.Dependency
	file string // Chart.yaml or Chart.lock
	line int
}

// load returns a fresh copy of the fetched chart: dependency processing
// changes the chart it is given.
func (f fetchedDep) load() (*chart.Chart, error) {
	if f.dir != "" {
		return loader.LoadDir(f.dir)
	}
	return loader.LoadArchive(bytes.NewReader(f.archive))
}

// fetchDependencies fetches each missing dependency of the chart at dir
// (absolute; rel is its repo-relative name under root). What cannot be
// fetched, or fails its digest, is a problem at the line that names it.
func fetchDependencies(ctx context.Context, missing []missingDep, dir, rel, root string) (map[string]fetchedDep, []Problem) {
	cache, err := os.MkdirTemp("", "kubeharden-deps-")
	if err != nil {
		return nil, []Problem{{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.yaml"), Line: 1, Column: 1},
			Message: fmt.Sprintf("chart %s: cannot make a cache for its dependencies: %v", rel, err)}}
	}
	defer os.RemoveAll(cache)
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	out := map[string]fetchedDep{}
	var probs []Problem
	for _, m := range missing {
		f, err := fetchDependency(ctx, m.dep, dir, root, cache)
		if err != nil {
			probs = append(probs, Problem{Kind: Invalid, Pos: Pos{File: path.Join(rel, m.file), Line: m.line, Column: 1},
				Message: fmt.Sprintf("chart %s: dependency %q (%s %s) not fetched, so the chart is not rendered: %v", rel, m.dep.Name, redacted(m.dep.Repository), m.dep.Version, err)})
			continue
		}
		out[m.dep.Name] = f
	}
	return out, probs
}

func fetchDependency(ctx context.Context, d *chart.Dependency, dir, root, cache string) (fetchedDep, error) {
	repoURL := d.Repository
	switch {
	case strings.HasPrefix(repoURL, "file://"):
		return fileDependency(strings.TrimPrefix(repoURL, "file://"), dir, root)
	case strings.HasPrefix(repoURL, "oci://"):
		data, err := fetchOCI(ctx, strings.TrimPrefix(repoURL, "oci://"), d)
		return fetchedDep{archive: data}, err
	case strings.HasPrefix(repoURL, "https://"), strings.HasPrefix(repoURL, "http://"):
		data, err := fetchHTTP(ctx, repoURL, d, cache)
		return fetchedDep{archive: data}, err
	case repoURL == "":
		return fetchedDep{}, fmt.Errorf("it names no repository")
	}
	// "@stable" or "stable" name a repository in the user's helm
	// configuration, which kubeharden never reads.
	return fetchedDep{}, fmt.Errorf("repository %q is not an https://, oci:// or file:// URL (kubeharden never reads helm's repository configuration)", redacted(repoURL))
}

// fileDependency resolves a file:// dependency, which must stay inside
// the repository root, through symbolic links too.
func fileDependency(p, dir, root string) (fetchedDep, error) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, filepath.FromSlash(p))
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	realRoot := root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		realRoot = r
	}
	r, err := filepath.Rel(realRoot, abs)
	if err != nil || filepath.IsAbs(p) || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return fetchedDep{}, fmt.Errorf("file://%s leaves the repository", p)
	}
	if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err != nil {
		return fetchedDep{}, fmt.Errorf("file://%s has no Chart.yaml", p)
	}
	return fetchedDep{dir: abs, relDir: filepath.ToSlash(r)}, nil
}

// loopback says whether a URL's host is this machine: plain http is
// allowed there only (for tests and local mirrors).
func loopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// depClient follows a redirect only where it would fetch from directly:
// a repository must not lead it to plain http off this machine.
var depClient = &http.Client{Timeout: fetchTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("too many redirects")
	}
	return allowedURL(req.URL)
}}

// allowedURL accepts https, and http on loopback only.
func allowedURL(u *url.URL) error {
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Host)) {
		return fmt.Errorf("%s: only https:// (or http:// on loopback) is fetched", u.Redacted())
	}
	return nil
}

// redacted is a repository URL without the password it may hold.
func redacted(repoURL string) string {
	if u, err := url.Parse(repoURL); err == nil && u.User != nil {
		return u.Redacted()
	}
	return repoURL
}

// get reads at most limit bytes from u: https, or http on loopback.
func get(ctx context.Context, u string, limit int64) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	if err := allowedURL(pu); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := depClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", pu.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %s", pu.Redacted(), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", pu.Redacted(), err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %s", pu.Redacted(), byteSize(limit))
	}
	return data, nil
}

// unwrapURLError drops the URL an *url.Error repeats, which may carry
// credentials.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// fetchHTTP fetches a dependency from a chart repository: its index.yaml
// names the archive's URL and digest, which the archive must match.
func fetchHTTP(ctx context.Context, repoURL string, d *chart.Dependency, cache string) ([]byte, error) {
	base := strings.TrimSuffix(repoURL, "/")
	shown := strings.TrimSuffix(redacted(repoURL), "/")
	data, err := get(ctx, base+"/index.yaml", maxIndexBytes)
	if err != nil {
		return nil, err
	}
	// Helm's own index parsing, which reads a file.
	file := filepath.Join(cache, "index.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return nil, err
	}
	idx, err := repo.LoadIndexFile(file)
	if err != nil {
		return nil, fmt.Errorf("index of %s: %w", shown, err)
	}
	cv, err := idx.Get(d.Name, d.Version)
	if err != nil {
		return nil, fmt.Errorf("no version %s of %s in %s/index.yaml", d.Version, d.Name, shown)
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("%s %s in %s/index.yaml has no URL", d.Name, cv.Version, shown)
	}
	u, err := repo.ResolveReferenceURL(base+"/", cv.URLs[0])
	if err != nil { // its message repeats the URL
		return nil, fmt.Errorf("%s %s in %s/index.yaml has a URL that does not parse", d.Name, cv.Version, shown)
	}
	archive, err := get(ctx, u, maxArchiveBytes)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(archive)
	if want := strings.TrimPrefix(cv.Digest, "sha256:"); want != "" && want != hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("digest mismatch: the archive of %s %s has sha256:%s, the repository's index says sha256:%s", d.Name, cv.Version, hex.EncodeToString(sum[:]), want)
	}
	return archive, nil
}

// fetchOCI fetches a dependency's chart archive from an OCI registry,
// anonymously: the user's docker and helm credentials are never read.
// go-containerregistry checks the layer's digest as it reads it.
func fetchOCI(ctx context.Context, repoRef string, d *chart.Dependency) ([]byte, error) {
	ref := strings.TrimSuffix(repoRef, "/") + "/" + d.Name + ":" + strings.ReplaceAll(d.Version, "+", "_")
	var opts []name.Option
	if host, _, _ := strings.Cut(repoRef, "/"); loopback(host) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("oci://%s: %w (an OCI dependency needs an exact version)", ref, err)
	}
	img, err := ggremote.Image(r, ggremote.WithContext(ctx), ggremote.WithAuth(authn.Anonymous))
	if err != nil {
		return nil, fmt.Errorf("oci://%s: %w", ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("oci://%s: %w", ref, err)
	}
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil || string(mt) != helmChartLayer {
			continue
		}
		if size, err := l.Size(); err == nil && size > maxArchiveBytes {
			return nil, fmt.Errorf("oci://%s: the chart is larger than %s", ref, byteSize(maxArchiveBytes))
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, fmt.Errorf("oci://%s: %w", ref, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxArchiveBytes+1))
		if cerr := rc.Close(); err == nil {
			err = cerr // the digest is checked at the end of the stream
		}
		if err != nil {
			return nil, fmt.Errorf("oci://%s: %w", ref, err)
		}
		if len(data) > maxArchiveBytes {
			return nil, fmt.Errorf("oci://%s: the chart is larger than %s", ref, byteSize(maxArchiveBytes))
		}
		return data, nil
	}
	return nil, fmt.Errorf("oci://%s holds no Helm chart", ref)
}

// lockProblem reports a Chart.lock whose digest is not Helm's hash of
// Chart.yaml's dependencies and the lock's (resolver.HashReq): the lock
// was not made for these requirements, so what it pins is not fetched.
func lockProblem(ch *chart.Chart, dir, rel string) *Problem {
	if ch.Lock == nil || ch.Lock.Digest == "" {
		return nil
	}
	got, err := lockDigest(ch)
	if err == nil && got == ch.Lock.Digest {
		return nil
	}
	line := 1
	if k, _ := lookupKey(readYAMLNode(filepath.Join(dir, "Chart.lock")), "digest", 0); k != nil {
		line = k.Line
	}
	return &Problem{Kind: Invalid, Pos: Pos{File: path.Join(rel, "Chart.lock"), Line: line, Column: 1},
		Message: fmt.Sprintf("chart %s: Chart.lock's digest %s is not that of Chart.yaml's dependencies and the lock's (%s), so its dependencies are not fetched and the chart is not rendered; run `helm dependency update %s`", rel, ch.Lock.Digest, got, rel)}
}

// lockDigest is Helm's resolver.HashReq over the chart's requirements and
// its lock.
func lockDigest(ch *chart.Chart) (string, error) {
	data, err := json.Marshal([2][]*chart.Dependency{ch.Metadata.Dependencies, ch.Lock.Dependencies})
	if err != nil {
		return "", err
	}
	s, err := provenance.Digest(bytes.NewReader(data))
	return "sha256:" + s, err
}

// depsLine returns the line a dependency is named at in a list of them.
func depsLine(list *yaml.Node, i int) int {
	line := 1
	if list != nil && list.Kind == yaml.SequenceNode && i < len(list.Content) {
		line = list.Content[i].Line
		if k, _ := lookupKey(list.Content[i], "name", 0); k != nil {
			line = k.Line
		}
	}
	return line
}
