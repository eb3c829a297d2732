package github

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kubeharden/kubeharden/scan"
)

// DefaultCategory is the code scanning category of a scan run without
// --category, and the category of markers written before markers carried
// one.
const DefaultCategory = "kubeharden/"

// A Marker is what kubeharden hides in its comments and review bodies so
// that a later run knows what was said: a finding's fingerprint, its rule
// and site, the category of the scan that wrote it, and whether a later
// run found it gone.
type Marker struct {
	Fingerprint string
	// Rule is the finding's rule; "" in review bodies and old markers.
	Rule string
	// Site identifies the object and field the finding is on, whatever
	// the rule: a finding that moves to another rule on the same field is
	// the same problem. "" when the finding is on no field.
	Site string
	// Category is the scan's code scanning category (--category).
	Category string
	// Fixed is set once a run marked the finding as no longer found.
	Fixed bool
}

// Site is the rule-independent identity of a finding's object and field,
// "" for a finding on no field of an object.
func Site(f scan.Finding) string {
	if f.Object == nil || f.Path == "" {
		return ""
	}
	return scan.Fingerprint("", f.Object, f.File, f.Path)[:16]
}

// markerRE is one hidden marker; a marker line holds nothing else.
var (
	markerRE     = regexp.MustCompile(`<!-- kubeharden:([a-z]+)(?:=([0-9A-Za-z%_.~+-]+))?((?: [a-z]+=[0-9A-Za-z%_.~+-]+)*) -->`)
	markerLineRE = regexp.MustCompile(`^(?:<!-- kubeharden:[a-z]+(?:=[0-9A-Za-z%_.~+-]+)?(?: [a-z]+=[0-9A-Za-z%_.~+-]+)* -->)+$`)
	// oldListRE is a finding listed in a review body before markers moved
	// to the trailer: the marker ends its line.
	oldListRE = regexp.MustCompile(`^- .* <!-- kubeharden:fingerprint=([0-9A-Za-z_.-]+) -->$`)
	// markerLike is what could read as a marker in scanned text.
	markerLike = regexp.MustCompile(`(?i)(kubeharden):([a-z])`)
)

// inert makes marker look-alikes in scanned text harmless: GitHub shows
// "&#58;" as a colon, and no marker reader sees one.
func inert(s string) string { return markerLike.ReplaceAllString(s, "${1}&#58;${2}") }

// reviewEscape makes scanned text inert in a comment or a review body.
func reviewEscape(s string) string { return inert(mdEscape(s)) }

func categoryLine(category, scope string) string {
	s := "<!-- kubeharden:category=" + url.QueryEscape(category)
	if scope != "" {
		s += " scope=" + scope
	}
	return s + " -->"
}

// findingMarker is a finding's marker: with its rule in an inline
// comment, whose fixed note names it, without in a review body.
func findingMarker(f scan.Finding, withRule bool) string {
	s := "<!-- kubeharden:fingerprint=" + f.Fingerprint
	if withRule {
		s += " rule=" + f.Rule
	}
	if site := Site(f); site != "" {
		s += " site=" + site
	}
	return s + " -->"
}

func fixedLine(fp string) string { return "<!-- kubeharden:fixed=" + fp + " -->" }

// trailer is the block of marker lines that ends what kubeharden writes;
// the only place markers are read from.
func trailer(category, scope string, markers []string) string {
	s := categoryLine(category, scope) + "\n"
	for _, m := range markers {
		s += m + "\n"
	}
	return s
}

// Markers returns the fingerprints marked in a comment or review body
// that kubeharden wrote, whatever their category.
func Markers(body string) []string {
	var out []string
	for _, m := range ReadMarkers(body) {
		out = append(out, m.Fingerprint)
	}
	return out
}

// ReadMarkers returns the markers of a comment or review body that
// kubeharden wrote. They are read from its trailer, the block of marker
// lines that ends it, and nowhere else; a body without a category line is
// of an earlier version, whose markers (the default category) are also
// read where it wrote them: alone on a line, or at the end of a listed
// finding's line.
func ReadMarkers(body string) []Marker {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	end := len(lines)
	for end > 0 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	start := end
	for start > 0 && markerLineRE.MatchString(lines[start-1]) {
		start--
	}
	category, current := "", false
	var fps []Marker
	fixed := map[string]bool{}
	allFixed := false
	read := func(line string) {
		for _, m := range markerRE.FindAllStringSubmatch(line, -1) {
			attrs := map[string]string{}
			for _, kv := range strings.Fields(m[3]) {
				k, v, _ := strings.Cut(kv, "=")
				attrs[k] = v
			}
			switch m[1] {
			case "category":
				if c, err := url.QueryUnescape(m[2]); err == nil {
					category, current = c, true
				}
			case "fingerprint":
				if m[2] != "" {
					fps = append(fps, Marker{Fingerprint: m[2], Rule: attrs["rule"], Site: attrs["site"]})
				}
			case "fixed":
				if m[2] == "" {
					allFixed = true
				} else {
					fixed[m[2]] = true
				}
			}
		}
	}
	for _, l := range lines[start:end] {
		read(l)
	}
	if !current {
		fps, fixed = nil, map[string]bool{}
		for _, l := range lines[:end] {
			if markerLineRE.MatchString(l) {
				read(l)
			} else if m := oldListRE.FindStringSubmatch(l); m != nil {
				fps = append(fps, Marker{Fingerprint: m[1]})
			}
		}
		category = DefaultCategory
	}
	for i := range fps {
		fps[i].Category = category
		fps[i].Fixed = allFixed || fixed[fps[i].Fingerprint]
	}
	return fps
}

// bodyCategory is the category and scope of a review body kubeharden
// wrote, and whether it wrote it: a body of an earlier version has the
// default category and no scope.
func bodyCategory(body string) (category, scope string, ok bool) {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), "\n \t"), "\n")
	for i := len(lines) - 1; i >= 0 && markerLineRE.MatchString(lines[i]); i-- {
		for _, m := range markerRE.FindAllStringSubmatch(lines[i], -1) {
			if m[1] == "category" {
				if c, err := url.QueryUnescape(m[2]); err == nil {
					_, scope, _ := strings.Cut(strings.TrimSpace(m[3]), "scope=")
					return c, scope, true
				}
			}
		}
	}
	if strings.HasPrefix(body, "### kubeharden: ") {
		return DefaultCategory, "", true
	}
	return "", "", false
}

// Scope identifies the paths a scan was given, "" for none: steps of one
// category that scan different paths review a commit each.
func Scope(scanned []string) string {
	if len(scanned) == 0 {
		return ""
	}
	s := slices.Sorted(slices.Values(scanned))
	return scan.Fingerprint("", nil, strings.Join(s, "\x00"), "")[:12]
}
