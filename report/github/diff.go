package github

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	gogithub "github.com/google/go-github/v60/github"
)

// A DiffLine is a line of the new side of a file that a pull request's
// diff shows: added by the pull request, or context around a change.
type DiffLine struct {
	Added bool
	// Hunk numbers the hunk the line belongs to, from 0. GitHub accepts a
	// multi-line comment only within one hunk.
	Hunk int
}

// A FileDiff is what a pull request changed in one file, seen from the
// new side, where review comments go.
type FileDiff struct {
	// Path is the file's name after the pull request (the new name of a
	// renamed file).
	Path string
	// Status is GitHub's: added, removed, modified, renamed, copied,
	// changed or unchanged.
	Status string
	// Patched is false when GitHub gives no patch: binary files and diffs
	// too large for the API. Nothing is known then about which lines
	// changed.
	Patched bool
	// Additions counts the lines the pull request adds to the file.
	Additions int
	// Lines holds the new-side lines inside hunks, by line number.
	Lines map[int]DiffLine
}

// A Diff is a pull request's changed files, by new path.
type Diff map[string]*FileDiff

// NewDiff builds a Diff from the files GitHub lists for a pull request.
// A patch that cannot be read counts as no patch.
func NewDiff(files []*gogithub.CommitFile) Diff {
	d := Diff{}
	for _, f := range files {
		name := f.GetFilename()
		if name == "" {
			continue
		}
		fd := &FileDiff{Path: name, Status: f.GetStatus(), Additions: f.GetAdditions()}
		if f.Patch != nil {
			if lines, err := ParsePatch(*f.Patch); err == nil {
				fd.Patched, fd.Lines = true, lines
			}
		}
		d[name] = fd
	}
	return d
}

// Line returns where the line of a file sits in the diff: in a hunk or
// not, and whether the file is part of the pull request at all.
func (d Diff) Line(file string, line int) (dl DiffLine, inHunk, inPR bool) {
	fd := d[path.Clean(file)]
	if fd == nil {
		return DiffLine{}, false, false
	}
	dl, inHunk = fd.Lines[line]
	return dl, inHunk, true
}

// Changed reports whether a pull request adds or changes the line of a
// file; a file whose patch GitHub withholds counts as changed throughout
// when the pull request adds lines to it.
func (d Diff) Changed(file string, line int) bool {
	fd := d[path.Clean(file)]
	switch {
	case fd == nil:
		return false
	case !fd.Patched:
		return fd.Additions > 0
	}
	dl, ok := fd.Lines[line]
	return ok && dl.Added
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// ParsePatch reads a unified diff of one file as GitHub gives it (hunks
// only, no file header) and returns the new-side lines inside hunks.
// Lines are counted from the +c of each `@@ -a,b +c,d @@` header over
// context (' ') and added ('+') lines; removed ('-') lines and
// "\ No newline at end of file" take no new-side line. An empty patch has
// no lines.
func ParsePatch(patch string) (map[int]DiffLine, error) {
	lines := map[int]DiffLine{}
	hunk := -1
	var next, oldLeft, newLeft int
	for i, l := range strings.Split(patch, "\n") {
		if m := hunkHeader.FindStringSubmatch(l); m != nil {
			if oldLeft > 0 || newLeft > 0 {
				return nil, fmt.Errorf("patch line %d: hunk %d ends %d old and %d new lines short", i+1, hunk+1, oldLeft, newLeft)
			}
			hunk++
			next, _ = strconv.Atoi(m[3])
			oldLeft, newLeft = hunkCount(m[2]), hunkCount(m[4])
			continue
		}
		if hunk < 0 {
			if l == "" {
				continue
			}
			return nil, fmt.Errorf("patch line %d: text before the first hunk header", i+1)
		}
		switch {
		case strings.HasPrefix(l, "\\"):
			// "\ No newline at end of file" belongs to the line before it.
		case strings.HasPrefix(l, "+"):
			if newLeft == 0 {
				return nil, fmt.Errorf("patch line %d: more added lines than hunk %d counts", i+1, hunk+1)
			}
			lines[next] = DiffLine{Added: true, Hunk: hunk}
			next++
			newLeft--
		case strings.HasPrefix(l, "-"):
			if oldLeft == 0 {
				return nil, fmt.Errorf("patch line %d: more removed lines than hunk %d counts", i+1, hunk+1)
			}
			oldLeft--
		case strings.HasPrefix(l, " ") || l == "":
			// A context line; some tools strip the space of an empty one.
			// An empty line once the hunk is complete is the patch's end.
			if oldLeft == 0 && newLeft == 0 && l == "" {
				continue
			}
			if oldLeft == 0 || newLeft == 0 {
				return nil, fmt.Errorf("patch line %d: more context lines than hunk %d counts", i+1, hunk+1)
			}
			lines[next] = DiffLine{Hunk: hunk}
			next++
			oldLeft--
			newLeft--
		default:
			// The line itself stays out of the error: it may hold a credential.
			return nil, fmt.Errorf("patch line %d is not a diff line", i+1)
		}
	}
	if oldLeft > 0 || newLeft > 0 {
		return nil, fmt.Errorf("patch ends %d old and %d new lines short of hunk %d", oldLeft, newLeft, hunk+1)
	}
	return lines, nil
}

// hunkCount reads a count of a hunk header; a header without one
// (`@@ -1 +1 @@`) means one line.
func hunkCount(s string) int {
	if s == "" {
		return 1
	}
	n, _ := strconv.Atoi(s)
	return n
}
