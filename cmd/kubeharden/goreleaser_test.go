package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// goreleaserConfig is the part of .goreleaser.yaml the tests check.
type goreleaserConfig struct {
	Version int
	Builds  []struct {
		ID, Main string
		Env      []string
		Goos     []string
		Goarch   []string
		Flags    []string
		Ldflags  []string
	}
	Archives []struct{ IDs []string }
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
	}
	Sboms []struct{ Artifacts string }
	Signs []struct {
		Cmd, Artifacts string
		Args           []string
	}
	DockersV2 []struct {
		Dockerfile string
		Images     []string
		Tags       []string
		Platforms  []string
		Labels     map[string]string
	} `yaml:"dockers_v2"`
	DockerSigns []struct {
		Cmd, Artifacts string
		Args           []string
	} `yaml:"docker_signs"`
}

// TestGoReleaserConfig: the release builds what the issue asks for, and
// the -X flags name variables that exist (a renamed variable would make
// the linker stamp nothing, silently).
func TestGoReleaserConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || len(c.Builds) != 1 {
		t.Fatalf("version %d, %d builds: want GoReleaser v2 and one build", c.Version, len(c.Builds))
	}
	b := c.Builds[0]
	if b.Main != "./cmd/kubeharden" || !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build %+v: want ./cmd/kubeharden, CGO_ENABLED=0, -trimpath", b)
	}
	slices.Sort(b.Goos)
	slices.Sort(b.Goarch)
	if !slices.Equal(b.Goos, []string{"darwin", "linux", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("targets %v × %v", b.Goos, b.Goarch)
	}
	vars := packageVars(t, filepath.Join(repoRoot, "cmd/kubeharden"))
	stamped := map[string]bool{}
	for _, m := range regexp.MustCompile(`-X main\.(\w+)=`).FindAllStringSubmatch(strings.Join(b.Ldflags, " "), -1) {
		stamped[m[1]] = true
		if !vars[m[1]] {
			t.Errorf("ldflags stamp main.%s, which is not a package variable", m[1])
		}
	}
	for _, v := range []string{"buildVersion", "buildCommit", "buildDate"} {
		if !stamped[v] {
			t.Errorf("ldflags do not stamp main.%s", v)
		}
	}
	if c.Checksum.NameTemplate != "checksums.txt" || len(c.Sboms) != 1 || c.Sboms[0].Artifacts != "archive" {
		t.Errorf("checksum %q, sboms %+v", c.Checksum.NameTemplate, c.Sboms)
	}
	if len(c.Signs) != 1 || c.Signs[0].Cmd != "cosign" || c.Signs[0].Artifacts != "checksum" || slices.ContainsFunc(c.Signs[0].Args, func(a string) bool { return strings.Contains(a, "--key") }) {
		t.Errorf("signs %+v: want keyless cosign over the checksums", c.Signs)
	}
	if len(c.DockerSigns) != 1 || c.DockerSigns[0].Cmd != "cosign" || c.DockerSigns[0].Artifacts != "manifests" {
		t.Errorf("docker_signs %+v: want cosign over the multi-arch manifest", c.DockerSigns)
	}
	if len(c.DockersV2) != 1 {
		t.Fatalf("%d images", len(c.DockersV2))
	}
	d := c.DockersV2[0]
	if d.Dockerfile != "Dockerfile.release" || !slices.Equal(d.Images, []string{"ghcr.io/kubeharden/kubeharden"}) ||
		!slices.Contains(d.Tags, "{{ .Version }}") || !slices.ContainsFunc(d.Tags, func(s string) bool { return strings.Contains(s, "v{{ .Major }}") }) {
		t.Errorf("image %+v", d)
	}
	if !slices.Contains(d.Platforms, "linux/amd64") || !slices.Contains(d.Platforms, "linux/arm64") {
		t.Errorf("platforms %v", d.Platforms)
	}
	for _, l := range []string{"source", "version", "revision", "licenses"} {
		if d.Labels["org.opencontainers.image."+l] == "" {
			t.Errorf("no OCI label %s", l)
		}
	}
}

// packageVars lists the package-level variables of the Go package in dir.
func packageVars(t *testing.T, dir string) map[string]bool {
	t.Helper()
	vars := map[string]bool{}
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range matches {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						vars[n.Name] = true
					}
				}
			}
		}
	}
	return vars
}

// TestSnapshotBinary runs the linux/amd64 binary of `goreleaser build
// --snapshot` (.ci/run builds it and sets KUBEHARDEN_SNAPSHOT_BIN): it
// reports the snapshot's version and commit, and scanning the examples
// exits 1, as the README says. Skipped without the binary, except in CI.
func TestSnapshotBinary(t *testing.T) {
	bin := os.Getenv("KUBEHARDEN_SNAPSHOT_BIN")
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and KUBEHARDEN_SNAPSHOT_BIN is unset: .ci/run must build the snapshot first")
		}
		t.Skip("KUBEHARDEN_SNAPSHOT_BIN is unset (.ci/run sets it)")
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	// GoReleaser writes dist/metadata.json beside the build directories.
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(bin)), "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Version, Commit string }
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(meta.Version, "SNAPSHOT") || len(meta.Commit) != 40 {
		t.Fatalf("metadata.json: version %q, commit %q: not a snapshot", meta.Version, meta.Commit)
	}

	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kubeharden " + meta.Version + "\n", "commit " + meta.Commit + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("`kubeharden version` says\n%s\nwant %q", out, want)
		}
	}

	cmd := exec.Command(bin, "scan", "testdata/examples")
	cmd.Dir = repoRoot
	// Under GitHub Actions the scan would write to the job's summary and
	// outputs: this scan is the test's own.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
		t.Errorf("scan testdata/examples: %v, want exit %d", err, exitFindings)
	}
	if !strings.Contains(stdout.String(), "privileged-container") {
		t.Errorf("scan output lacks the insecure example's findings:\n%s", stdout.String())
	}
}
