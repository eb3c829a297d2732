package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// releaseVersion is the newest release. action.yml pulls the image of this
// version and CHANGELOG.md's newest released entry names it; the release
// process changes the three together (docs/releasing.md) and
// TestReleaseVersionAgrees fails when they disagree.
const releaseVersion = "1.0.0"

// The release build stamps these with -ldflags "-X main.buildVersion=..."
// (.goreleaser.yaml); a build from source leaves them empty.
var (
	buildVersion string
	buildCommit  string
	buildDate    string
)

// version is the version the binary reports: the stamped one, else the
// module version `go install ...@vX.Y.Z` records, else a development
// build of what follows releaseVersion.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return releaseVersion + "-dev"
}

// buildInfo is the commit and build date: stamped by the release build,
// else what the Go toolchain recorded from version control, else
// "unknown".
func buildInfo() (commit, date string) {
	commit, date = buildCommit, buildDate
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = "unknown"
	}
	return commit, date
}

// printVersion writes the output of `kubeharden version`.
func printVersion(w io.Writer, supportUpdated string, newestMinor int) error {
	commit, date := buildInfo()
	_, err := fmt.Fprintf(w, "kubeharden %s\ncommit %s\nbuilt %s\nKubernetes support data updated %s (newest minor known: 1.%d)\n",
		version(), commit, date, supportUpdated, newestMinor)
	return err
}
