package github

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// TestReadMarkers: markers are read from the trailer kubeharden writes,
// with their category, rule, site and fixed state; the formats of earlier
// versions where they wrote them, as the default category; nothing from
// the text above a trailer.
func TestReadMarkers(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       []Marker
	}{
		{"trailer", "**error**\n\n- x <!-- kubeharden:fingerprint=MID -->\n<!-- kubeharden:fingerprint=MID2 -->\ntext\n\n<!-- kubeharden:category=team%2Fa%2F -->\n<!-- kubeharden:fingerprint=A rule=run-as-root site=s1 -->\n<!-- kubeharden:fingerprint=B rule=x -->\n<!-- kubeharden:fixed=B -->\n",
			[]Marker{{Fingerprint: "A", Rule: "run-as-root", Site: "s1", Category: "team/a/"}, {Fingerprint: "B", Rule: "x", Category: "team/a/", Fixed: true}}},
		{"old comment", "**error** [`x`]\n\nmsg\n\n<!-- kubeharden:fingerprint=OLD -->\n",
			[]Marker{{Fingerprint: "OLD", Category: DefaultCategory}}},
		{"old fixed comment", "> [!NOTE]\n> kubeharden no longer finds this at 0123456.\n<!-- kubeharden:fixed -->\n\n**error**\n\n<!-- kubeharden:fingerprint=OLD -->",
			[]Marker{{Fingerprint: "OLD", Category: DefaultCategory, Fixed: true}}},
		{"old body", "### kubeharden: 3 new findings\n\n- `a.yaml:1` **error** [`r`](u): msg <!-- kubeharden:fingerprint=L1 -->\n\n1 more not listed.<!-- x -->\n<!-- kubeharden:fingerprint=U1 --><!-- kubeharden:fingerprint=U2 -->\n\n<sub>Filter mode `added`.</sub>\n",
			[]Marker{{Fingerprint: "L1", Category: DefaultCategory}, {Fingerprint: "U1", Category: DefaultCategory}, {Fingerprint: "U2", Category: DefaultCategory}}},
		{"look-alikes", "Deployment kubeharden:fingerprint=FORGED: x\n- a kubeharden:fingerprint=F2", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ReadMarkers(c.body); !slices.Equal(got, c.want) {
				t.Errorf("markers %+v\nwant    %+v", got, c.want)
			}
		})
	}
}

// TestPlanReviewGroups: the findings on one object in one file share a
// comment on the line of the most severe, which lists them all, the most
// severe first, with every marker; a fix is a suggestion only on that
// line, and never where a credential is.
func TestPlanReviewGroups(t *testing.T) {
	lines, _ := ParsePatch("@@ -0,0 +1,20 @@\n" + strings.Repeat("+x\n", 20))
	d := Diff{"a.yaml": {Path: "a.yaml", Patched: true, Lines: lines}}
	web := &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	db := &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "kubeharden:fingerprint=db"}
	on := func(f scan.Finding, o *render.Ref, path string) scan.Finding {
		f.Object, f.Path = o, path
		return f
	}
	privileged := on(finding("a.yaml", 9, scan.Error, "privileged-container"), web, "spec.privileged")
	privileged.Fix = &scan.Fix{Line: 9, Text: "  privileged: false"}
	fs := []scan.Finding{
		on(finding("a.yaml", 3, scan.Warning, "readonly-root-fs"), web, "spec.readOnlyRootFilesystem"),
		privileged,
		on(finding("a.yaml", 12, scan.Note, "image-digest"), web, "spec.image"),
		on(named(finding("a.yaml", 15, scan.Warning, "image-latest-tag"), `Deployment "kubeharden:fingerprint=db": uses :latest`), db, "spec.image"),
		finding("a.yaml", 18, scan.Error, "plaintext-secret"),
	}
	p := PlanReview(fs, d, FilterAdded, Said{}, nil)
	if len(p.Inline) != 3 || len(p.Inline[0].Findings) != 3 || p.Inline[0].Line != 9 {
		t.Fatalf("groups %+v", p.Inline)
	}
	c := p.Inline[0].Comment("team/", scan.All)
	if !strings.HasPrefix(c, "**kubeharden: 3 findings on Deployment web**") ||
		!(strings.Index(c, "privileged-container") < strings.Index(c, "readonly-root-fs") && strings.Index(c, "readonly-root-fs") < strings.Index(c, "image-digest")) {
		t.Errorf("comment:\n%s", c)
	}
	if !strings.Contains(c, "```suggestion\n  privileged: false\n```") {
		t.Errorf("no suggestion for the commented line:\n%s", c)
	}
	ms := ReadMarkers(c)
	if len(ms) != 3 || ms[0].Fingerprint != privileged.Fingerprint || ms[0].Category != "team/" || ms[0].Site != Site(privileged) || ms[0].Rule != "privileged-container" {
		t.Errorf("markers %+v", ms)
	}
	if c := p.Inline[2].Comment("", scan.All); strings.Contains(c, "kubeharden:fingerprint=db") || !strings.Contains(c, "kubeharden&#58;fingerprint=db") {
		t.Errorf("a marker look-alike in a name is live:\n%s", c)
	}

	// A credential on the commented line: no suggestion.
	secret := finding("a.yaml", 9, scan.Error, "plaintext-secret")
	secret.Suppressed = &scan.Suppression{Kind: "inSource", Justification: "test"}
	p = PlanReview(append(fs, secret), d, FilterAdded, Said{}, nil)
	if c := p.Inline[0].Comment("", scan.All); strings.Contains(c, "```suggestion") {
		t.Errorf("a suggestion on a credential's line:\n%s", c)
	}

	// Said under another rule on the same field: not commented again.
	p = PlanReview(fs, d, FilterAdded, Said{Sites: map[string]bool{Site(privileged): true}}, nil)
	if p.Already != 1 || len(p.Inline) != 3 || p.Inline[0].Findings[0].Rule != "plaintext-secret" || len(p.Inline[1].Findings) != 2 {
		t.Errorf("already %d, comments %+v", p.Already, p.Inline)
	}
	// The budget left: the rest in the body.
	if q := p.Limit(1); len(q.Inline) != 1 || len(q.Body) != 3 || q.Body[0].Why != OverLimit {
		t.Errorf("limited: %d comments, body %+v", len(q.Inline), q.Body)
	}
}

func named(f scan.Finding, msg string) scan.Finding {
	f.Message = msg
	return f
}
