package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReleaseVersionAgrees: the version in the code, the image action.yml
// pulls (TestActionImage), the newest released entry of CHANGELOG.md and
// the major version the README tells adopters to use are one release.
func TestReleaseVersionAgrees(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`(?m)^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$`)
	var versions []string
	for _, m := range heading.FindAllStringSubmatch(string(data), -1) {
		if m[1] != "Unreleased" && m[2] == "" {
			t.Errorf("CHANGELOG.md: release %s has no date (## [X.Y.Z] - YYYY-MM-DD)", m[1])
		}
		versions = append(versions, m[1])
	}
	if len(versions) < 2 || versions[0] != "Unreleased" {
		t.Fatalf("CHANGELOG.md headings %q: want an Unreleased section, then the releases, newest first", versions)
	}
	if versions[1] != releaseVersion {
		t.Errorf("CHANGELOG.md's newest release is %s, the code's releaseVersion is %s", versions[1], releaseVersion)
	}
	for _, v := range versions {
		if !strings.Contains(string(data), "\n["+v+"]: https://") {
			t.Errorf("CHANGELOG.md: no link for [%s]", v)
		}
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(releaseVersion) {
		t.Errorf("releaseVersion %q is not MAJOR.MINOR.PATCH", releaseVersion)
	}

	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	major := "v" + strings.SplitN(releaseVersion, ".", 2)[0]
	uses := regexp.MustCompile(`uses: kubeharden/kubeharden@(\S+)`).FindAllStringSubmatch(string(readme), -1)
	if len(uses) == 0 {
		t.Error("README.md has no workflow example using kubeharden/kubeharden")
	}
	for _, m := range uses {
		if m[1] != major {
			t.Errorf("README.md uses kubeharden/kubeharden@%s, want @%s (the release's major version tag)", m[1], major)
		}
	}
	for _, m := range regexp.MustCompile(`ghcr\.io/kubeharden/kubeharden:([\w.-]+)`).FindAllStringSubmatch(string(readme), -1) {
		if m[1] != major && m[1] != releaseVersion {
			t.Errorf("README.md names the image ghcr.io/kubeharden/kubeharden:%s, want :%s or :%s", m[1], major, releaseVersion)
		}
	}
}

// TestVersionOutput: `kubeharden version` names the version, commit and
// build date, and a build from source says it is a development build of
// what follows the release.
func TestVersionOutput(t *testing.T) {
	out, _, code := runCLI(t, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || lines[0] != "kubeharden "+releaseVersion+"-dev" || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "built ") {
		t.Errorf("version output:\n%s", out)
	}
	defer func(v, c, d string) { buildVersion, buildCommit, buildDate = v, c, d }(buildVersion, buildCommit, buildDate)
	buildVersion, buildCommit, buildDate = "9.8.7", "0123456789abcdef0123456789abcdef01234567", "2026-12-05T10:00:00Z"
	out, _, _ = runCLI(t, "version")
	if want := "kubeharden 9.8.7\ncommit 0123456789abcdef0123456789abcdef01234567\nbuilt 2026-12-05T10:00:00Z\n"; !strings.HasPrefix(out, want) {
		t.Errorf("stamped version output:\n%s\nwant it to start with\n%s", out, want)
	}
}
