package github

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	gogithub "github.com/google/go-github/v60/github"
)

// lineSet writes the parse result compactly: added lines as +N, context as
// N, each with its hunk as N@H.
func lineSet(lines map[int]DiffLine) []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(lines)) {
		l := lines[n]
		s := ""
		if l.Added {
			s = "+"
		}
		out = append(out, fmt.Sprintf("%s%d@%d", s, n, l.Hunk))
	}
	return out
}

func TestParsePatch(t *testing.T) {
	for _, c := range []struct {
		name, patch string
		want        []string
	}{
		{"empty", "", nil},
		{
			"one hunk: removed lines take no new line",
			"@@ -3,5 +3,6 @@ metadata:\n   name: web\n-  namespace: old\n+  namespace: shop\n+  labels: {}\n spec:\n-  replicas: 1\n+  replicas: 2\n   template:",
			[]string{"3@0", "+4@0", "+5@0", "6@0", "+7@0", "8@0"},
		},
		{
			"two hunks, counted from each +c",
			"@@ -1,2 +1,3 @@\n apiVersion: v1\n+# added\n kind: Pod\n@@ -20,3 +21,2 @@ spec:\n   containers:\n-    - name: a\n     - name: b",
			[]string{"1@0", "+2@0", "3@0", "21@1", "22@1"},
		},
		{
			"no newline at end of file, old and new",
			"@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file",
			[]string{"1@0", "+2@0"},
		},
		{
			"header without counts means one line",
			"@@ -1 +1 @@\n-old\n+new",
			[]string{"+1@0"},
		},
		{
			"header without counts, a context line",
			"@@ -7 +9 @@\n same",
			[]string{"9@0"},
		},
		{
			"added file",
			"@@ -0,0 +1,3 @@\n+a: 1\n+b: 2\n+c: 3",
			[]string{"+1@0", "+2@0", "+3@0"},
		},
		{
			"deleted file has no new side",
			"@@ -1,3 +0,0 @@\n-a: 1\n-b: 2\n-c: 3",
			nil,
		},
		{
			"an empty context line stripped of its space, and a final newline",
			"@@ -1,3 +1,4 @@\n a: 1\n\n+b: 2\n c: 3\n",
			[]string{"1@0", "2@0", "+3@0", "4@0"},
		},
		{
			"added lines that look like headers or removals",
			"@@ -1,1 +1,3 @@\n a\n+++b\n+--c",
			[]string{"1@0", "+2@0", "+3@0"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePatch(c.patch)
			if err != nil {
				t.Fatal(err)
			}
			if g := lineSet(got); !slices.Equal(g, c.want) {
				t.Errorf("lines %v, want %v", g, c.want)
			}
		})
	}
}

func TestParsePatchMalformed(t *testing.T) {
	for _, patch := range []string{
		"diff --git a/x b/x\n@@ -1 +1 @@\n-a\n+b", // text before the first hunk
		"@@ -1,3 +1,3 @@\n a\n b",                 // hunk shorter than its header
		"@@ -1,1 +1,1 @@\n a\n b",                 // longer
		"@@ -1,1 +1,2 @@\n+a\n+b\n+c",             // more added lines than counted
		"@@ -1,1 +1,1 @@\n-a\n-b\n+c",             // more removed lines than counted
		"@@ -1,2 +1,2 @@\n a\n*b",                 // not a diff line
	} {
		if lines, err := ParsePatch(patch); err == nil {
			t.Errorf("%q: no error, lines %v", patch, lineSet(lines))
		}
	}
	// The error never quotes the patch, which may hold a credential.
	if _, err := ParsePatch("@@ -1,2 +1,2 @@\n a\n*password=hunter2"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v", err)
	}
}

func TestNewDiff(t *testing.T) {
	d := NewDiff([]*gogithub.CommitFile{
		{Filename: gogithub.String("deploy/web.yaml"), Status: gogithub.String("modified"), Patch: gogithub.String("@@ -1 +1,2 @@\n a\n+b")},
		{Filename: gogithub.String("deploy/new-name.yaml"), PreviousFilename: gogithub.String("deploy/old-name.yaml"), Status: gogithub.String("renamed"), Patch: gogithub.String("@@ -4 +4 @@\n-x\n+y")},
		{Filename: gogithub.String("logo.png"), Status: gogithub.String("modified")},                                                           // binary: no patch
		{Filename: gogithub.String("deploy/gone.yaml"), Status: gogithub.String("removed"), Patch: gogithub.String("@@ -1,2 +0,0 @@\n-a\n-b")}, // deleted
		{Filename: gogithub.String("deploy/broken.yaml"), Status: gogithub.String("modified"), Patch: gogithub.String("@@ -1,5 +1,5 @@\n a")},
		{Filename: gogithub.String("deploy/moved.yaml"), PreviousFilename: gogithub.String("deploy/was.yaml"), Status: gogithub.String("renamed")}, // renamed unchanged: no patch
	})
	for _, c := range []struct {
		file                string
		line                int
		added, inHunk, inPR bool
	}{
		{"deploy/web.yaml", 1, false, true, true},
		{"deploy/web.yaml", 2, true, true, true},
		{"deploy/web.yaml", 3, false, false, true},
		{"./deploy/web.yaml", 2, true, true, true},
		{"deploy/new-name.yaml", 4, true, true, true},
		{"deploy/old-name.yaml", 4, false, false, false},
		{"deploy/gone.yaml", 1, false, false, true},
		{"deploy/broken.yaml", 1, false, false, true},
		{"deploy/other.yaml", 1, false, false, false},
	} {
		l, inHunk, inPR := d.Line(c.file, c.line)
		if l.Added != c.added || inHunk != c.inHunk || inPR != c.inPR {
			t.Errorf("%s:%d: added %v, in hunk %v, in PR %v; want %v %v %v", c.file, c.line, l.Added, inHunk, inPR, c.added, c.inHunk, c.inPR)
		}
	}
	if d["logo.png"].Patched || d["deploy/broken.yaml"].Patched || d["deploy/moved.yaml"].Patched || !d["deploy/gone.yaml"].Patched {
		t.Errorf("patched: logo %v, broken %v, moved %v, gone %v", d["logo.png"].Patched, d["deploy/broken.yaml"].Patched, d["deploy/moved.yaml"].Patched, d["deploy/gone.yaml"].Patched)
	}
}
