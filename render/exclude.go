package render

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// MatchPath reports whether rel (slash-separated, relative to the
// working directory) or a directory above it matches one of the globs:
// `*` and `?` stay within a path segment, `**` spans directories, `{a,b}`
// picks one of a list.
func MatchPath(globs []string, rel string) bool {
	rel = filepath.ToSlash(rel)
	for _, g := range globs {
		g = cleanGlob(g)
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
		if ok, _ := doublestar.Match(g+"/**", rel); ok {
			return true
		}
	}
	return false
}

// CheckGlobs returns an error naming the first glob that is not valid.
func CheckGlobs(globs []string) error {
	for _, g := range globs {
		if !doublestar.ValidatePattern(cleanGlob(g)) {
			return fmt.Errorf("%q is not a valid path glob", g)
		}
	}
	return nil
}

func cleanGlob(g string) string {
	return strings.TrimPrefix(path.Clean(filepath.ToSlash(g)), "./")
}
