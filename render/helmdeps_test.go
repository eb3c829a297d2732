package render_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// depPod is a dependency's template with a privileged container, on line 9.
const depPod = `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Chart.Name }}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext: {privileged: true}
`

// chartArchive builds a chart archive as `helm package` lays it out.
func chartArchive(t *testing.T, chartName, version, template string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, data string }{
		{"Chart.yaml", fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", chartName, version)},
		{"values.yaml", "{}\n"},
		{"templates/pod.yaml", template},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: chartName + "/" + f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartRepo serves a chart repository: index.yaml and one archive, whose
// digest in the index is indexDigest ("" for the archive's own).
func chartRepo(t *testing.T, archive []byte, chartName, version, indexDigest string) *httptest.Server {
	t.Helper()
	if indexDigest == "" {
		sum := sha256.Sum256(archive)
		indexDigest = hex.EncodeToString(sum[:])
	}
	index := fmt.Sprintf(`apiVersion: v1
entries:
  %[1]s:
    - apiVersion: v2
      name: %[1]s
      version: %[2]s
      digest: %[3]s
      urls: [%[1]s-%[2]s.tgz]
`, chartName, version, indexDigest)
	mux := http.NewServeMux()
	mux.HandleFunc("/index.yaml", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(index)) })
	mux.HandleFunc("/"+chartName+"-"+version+".tgz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(archive) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// ociRegistry starts a registry holding a chart at charts/<name>:<version>,
// pushed as Helm pushes it, and returns its host.
func ociRegistry(t *testing.T, archive []byte, chartName, version string) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: static.NewLayer(archive, "application/vnd.cncf.helm.chart.content.v1.tar+gzip")})
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), "application/vnd.cncf.helm.config.v1+json")
	ref, err := name.ParseReference(host+"/charts/"+chartName+":"+version, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return host
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sealLock appends to the chart's Chart.lock the digest helm writes.
func sealLock(t *testing.T, dir string) {
	t.Helper()
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := render.LockDigest(ch)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "Chart.lock"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(f, "digest: %s\n", d); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func loadDeps(t *testing.T, dir, deps string) (*render.Set, []scan.Finding) {
	t.Helper()
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir, Helm: render.HelmOptions{Dependencies: deps}})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return set, fs
}

func problemLines(set *render.Set) []string {
	var out []string
	for _, p := range set.Problems {
		out = append(out, fmt.Sprintf("%s %s: %s", p.Kind, p.Pos, p.Message))
	}
	sort.Strings(out)
	return out
}

// TestHelmFetchDependencies: with fetch on, a chart's dependencies from a
// chart repository (Chart.lock pins it), an OCI registry and a file://
// chart are fetched and rendered, and findings in their templates are
// named as if vendored, never by the cache's path.
func TestHelmFetchDependencies(t *testing.T) {
	web := chartArchive(t, "web", "1.2.0", depPod)
	repo := chartRepo(t, web, "web", "1.2.0", "")
	host := ociRegistry(t, chartArchive(t, "db", "2.0.0", depPod), "db", "2.0.0")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"app/Chart.yaml": fmt.Sprintf(`apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: web
    version: ^1.0.0
    repository: %s
  - name: db
    version: 2.0.0
    repository: oci://%s/charts
  - name: lib
    version: 0.1.0
    repository: file://../lib
`, repo.URL, host),
		"app/Chart.lock":         fmt.Sprintf("dependencies:\n- name: web\n  repository: %s\n  version: 1.2.0\ngenerated: \"2026-01-01T00:00:00Z\"\n", repo.URL),
		"app/values.yaml":        "{}\n",
		"lib/Chart.yaml":         "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
		"lib/templates/pod.yaml": depPod,
		"lib/values.yaml":        "{}\n",
	})
	sealLock(t, filepath.Join(dir, "app"))
	set, fs := loadDeps(t, dir, render.DependenciesFetch)
	if len(set.Problems) > 0 {
		t.Fatalf("problems: %v", problemLines(set))
	}
	// lib is a chart of its own too.
	if len(set.Objects) != 4 {
		t.Errorf("%d objects, want 4 (one per dependency, and lib's own)", len(set.Objects))
	}
	got := map[string]bool{}
	for _, f := range fs {
		if f.Rule == "privileged" || strings.Contains(f.Rule, "privileged") {
			got[fmt.Sprintf("%s:%d", f.File, f.Line)] = true
		}
	}
	for _, want := range []string{"app/charts/web/templates/pod.yaml:9", "app/charts/db/templates/pod.yaml:9", "lib/templates/pod.yaml:9"} {
		if !got[want] {
			t.Errorf("no privileged finding at %s; got %v", want, got)
		}
	}
	out, _ := json.Marshal(fs)
	if strings.Contains(string(out), "kubeharden-deps") || strings.Contains(string(out), os.TempDir()+"/kubeharden") {
		t.Errorf("the cache's path leaks into findings: %s", out)
	}
}

// TestHelmFetchDependenciesRefused: an archive whose digest is not its
// repository's, a file:// dependency that leaves the repository, and a
// Chart.lock whose digest is not helm's for Chart.yaml and the lock, are
// findings at the line involved, and the chart is not rendered.
func TestHelmFetchDependenciesRefused(t *testing.T) {
	web := chartArchive(t, "web", "1.2.0", depPod)
	repo := chartRepo(t, web, "web", "1.2.0", strings.Repeat("ab", 32))
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"outside/Chart.yaml":      "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
		"repo/app/Chart.yaml":     fmt.Sprintf("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: 1.2.0\n    repository: %s\n", repo.URL),
		"repo/app/Chart.lock":     fmt.Sprintf("dependencies:\n- name: web\n  repository: %s\n  version: 1.2.0\n", repo.URL),
		"repo/stale/Chart.yaml":   fmt.Sprintf("apiVersion: v2\nname: stale\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: 1.2.0\n    repository: %s\n", repo.URL),
		"repo/stale/Chart.lock":   fmt.Sprintf("dependencies:\n- name: web\n  repository: %s\n  version: 1.1.0\ndigest: sha256:%s\n", repo.URL, strings.Repeat("0", 64)),
		"repo/escape/Chart.yaml":  "apiVersion: v2\nname: escape\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../../outside\n",
		"repo/escape/values.yaml": "{}\n",
	})
	sealLock(t, filepath.Join(dir, "repo/app"))
	set, _ := loadDeps(t, filepath.Join(dir, "repo"), render.DependenciesFetch)
	got := problemLines(set)
	want := []string{
		"invalid app/Chart.yaml:5:1: chart app: dependency \"web\" (" + repo.URL + " 1.2.0) not fetched, so the chart is not rendered: digest mismatch",
		"invalid escape/Chart.yaml:5:1: chart escape: dependency \"lib\" (file://../../outside 0.1.0) not fetched, so the chart is not rendered: file://../../outside leaves the repository",
		"invalid stale/Chart.lock:5:1: chart stale: Chart.lock's digest sha256:" + strings.Repeat("0", 64) + " is not that of Chart.yaml's dependencies and the lock's",
	}
	if len(got) != len(want) {
		t.Fatalf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem\n%s\nwant it to start\n%s", got[i], want[i])
		}
	}
	if len(set.Objects) != 0 {
		t.Errorf("%d objects rendered, want none", len(set.Objects))
	}
}

// TestHelmDependenciesOffByDefault: without the option nothing is fetched
// (the repository is never asked) and the missing dependency's finding
// says how to turn fetching on.
func TestHelmDependenciesOffByDefault(t *testing.T) {
	asked := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked = true }))
	defer srv.Close()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"app/Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: 1.2.0\n    repository: %s\n", srv.URL),
	})
	set, _ := loadDeps(t, dir, "")
	got := problemLines(set)
	if len(got) != 1 || !strings.Contains(got[0], "app/Chart.yaml:5:1") || !strings.Contains(got[0], "--helm-dependencies fetch") {
		t.Errorf("problems %v, want the missing dependency at app/Chart.yaml:5 with the hint", got)
	}
	if asked {
		t.Error("the repository was asked with fetching off")
	}
}

// TestHelmFetchDependenciesGuarded: a repository that redirects to plain
// http off this machine is not followed, and a password in a repository
// URL never appears in a finding.
func TestHelmFetchDependenciesGuarded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://charts.example.invalid/index.yaml", http.StatusFound)
	}))
	defer srv.Close()
	withPassword := strings.Replace(srv.URL, "http://", "http://user:s3cr3tpass@", 1)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"app/Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: 1.2.0\n    repository: %s\n", withPassword),
	})
	set, _ := loadDeps(t, dir, render.DependenciesFetch)
	got := problemLines(set)
	if len(got) != 1 || !strings.Contains(got[0], "app/Chart.yaml:5:1") || !strings.Contains(got[0], "only https://") {
		t.Errorf("problems %v, want the redirect refused at app/Chart.yaml:5", got)
	}
	if strings.Contains(strings.Join(got, "\n"), "s3cr3tpass") {
		t.Errorf("the repository's password is in a finding: %v", got)
	}
}
