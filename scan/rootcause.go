package scan

import (
	"fmt"
	"slices"
	"strings"
)

// A Part is the finding of another rule that shares a Finding's object and
// root cause and was folded into it. It keeps what suppression needs: the
// rule, its own severity and its own fingerprint, so that a baseline entry
// or a severity setting for one rule applies to its part alone.
type Part struct {
	Rule        string   `json:"rule"`
	Severity    Severity `json:"severity"`
	PSSCheck    string   `json:"pssCheck,omitempty"`
	Path        string   `json:"path,omitempty"`
	Fingerprint string   `json:"fingerprint"`
}

// Rules returns the rule of f and of each part folded into it.
func (f *Finding) Rules() []string {
	ids := []string{f.Rule}
	for _, p := range f.Folded {
		ids = append(ids, p.Rule)
	}
	return ids
}

// rootCauses groups rules whose findings, at one place of one object, have
// one cause and one fix: the securityContext that is missing or lacks the
// settings (one block to add), the ServiceAccount the pod runs as and
// whose token it mounts, the image reference, the NetworkPolicy that
// would select the pod. Other rules are causes of their own.
var rootCauses = map[string]string{
	RunAsRoot.ID: "securityContext", PrivilegeEscalation.ID: "securityContext", CapabilitiesDropAll.ID: "securityContext",
	ReadOnlyRootFS.ID: "securityContext", PSSRestricted.ID: "securityContext", PSSBaseline.ID: "securityContext",
	WorkloadDefaultSA.ID: "serviceAccount", SATokenAutomount.ID: "serviceAccount", WorkloadAdminSA.ID: "serviceAccount",
	ImageLatest.ID: "image", ImageDigest.ID: "image", ImageRegistry.ID: "image", FrozenRegistry.ID: "image", RetiredComponent.ID: "image",
	NamespaceDefaultDeny.ID: "networkPolicy", WorkloadNetworkPolicy.ID: "networkPolicy",
}

// mergeRootCauses folds the findings that share an object, a place and a
// root cause (rootCauses) into one: the most severe keeps its rule,
// message and fingerprint, and lists the others as parts, with the union
// of checklist ids. Only findings at the same place fold, so an ignore
// comment on a line accepts what it did before; suppressed findings never
// fold, so an ignore annotation for one rule leaves the others reported.
func mergeRootCauses(fs []Finding) []Finding {
	// A place includes the rendering (value set, overlay): findings of
	// different renderings are merged later, rule by rule.
	type place struct {
		obj       int32 // refIDs
		render    [4]string
		file      string
		line, col int
		cause     string
	}
	candidate := func(f *Finding) (string, bool) {
		cause, ok := rootCauses[f.Rule]
		return cause, ok && f.Object != nil && f.Suppressed == nil
	}
	n := 0
	for i := range fs {
		if _, ok := candidate(&fs[i]); ok {
			n++
		}
	}
	// The groups' members by group, and each finding's group (-1: none).
	ids := make(map[place]int32, n)
	refs := newRefIDs()
	members := make([][]int, 0, n)
	group := make([]int32, len(fs))
	for i := range fs {
		group[i] = -1
		f := &fs[i]
		cause, ok := candidate(f)
		if !ok {
			continue
		}
		k := place{obj: refs.id(f.Object), file: f.File, line: f.Line, col: f.Column, cause: cause}
		if s := f.Source; s != nil {
			k.render = [4]string{s.Kind, s.Chart, s.ValueSet, s.Root}
		}
		id, seen := ids[k]
		if !seen {
			id = int32(len(members))
			ids[k] = id
			members = append(members, nil)
		}
		members[id] = append(members[id], i)
		group[i] = id
	}
	// In place: a group is written where its first finding was, and every
	// finding before the one read is done with.
	out := fs[:0]
	for i := range fs {
		var g []int
		if group[i] >= 0 {
			g = members[group[i]]
		}
		switch {
		case len(g) < 2:
			out = append(out, fs[i])
		case g[0] == i:
			out = append(out, fold(fs, g))
		}
	}
	return out
}

// fold makes one finding of the findings at idx: the most severe (then
// the first rule in registry order, then the exact position) keeps its
// identity, the others become its parts.
func fold(fs []Finding, idx []int) Finding {
	order := func(rule string) int {
		return slices.IndexFunc(All, func(c *Check) bool { return c.ID == rule })
	}
	idx = slices.Clone(idx)
	slices.SortStableFunc(idx, func(a, b int) int {
		fa, fb := &fs[a], &fs[b]
		if fa.Severity != fb.Severity {
			return int(fb.Severity - fa.Severity)
		}
		if oa, ob := order(fa.Rule), order(fb.Rule); oa != ob {
			return oa - ob
		}
		return strings.Compare(fa.Path, fb.Path)
	})
	f := fs[idx[0]]
	f.Checklist = slices.Clone(f.Checklist)
	prefix := f.Object.Kind + " "
	if i := strings.Index(f.Message, ": "); i >= 0 && strings.HasPrefix(f.Message, prefix) {
		prefix = f.Message[:i+2]
	}
	var also []string
	for _, j := range idx[1:] {
		p := &fs[j]
		if p.Rule == f.Rule && p.Path == f.Path {
			continue
		}
		for _, id := range p.Checklist {
			if !slices.Contains(f.Checklist, id) {
				f.Checklist = append(f.Checklist, id)
			}
		}
		if f.Precision != "exact" && p.Precision == "exact" {
			f.Precision, f.Related = p.Precision, p.Related
		}
		if p.PSSLevel != "" && (f.PSSLevel == "" || f.PSSLevel == "restricted") {
			f.PSSLevel = p.PSSLevel // the lower level is the one that matters
		}
		f.Folded = append(f.Folded, Part{Rule: p.Rule, Severity: p.Severity, PSSCheck: p.PSSCheck, Path: p.Path, Fingerprint: p.Fingerprint})
		also = append(also, fmt.Sprintf("%s [%s]", strings.TrimPrefix(p.Message, prefix), p.Rule))
	}
	if len(also) > 0 {
		f.Message += "; also " + strings.Join(also, "; ")
	}
	return f
}

// severityOf returns the severity of f when the configuration sets some
// rules' own: the most severe of its rule and its parts.
func severityOf(f *Finding, set map[string]Severity) Severity {
	sev, ok := set[f.Rule]
	if !ok {
		sev = f.Severity // the most severe part was kept as the finding
	}
	for _, p := range f.Folded {
		if s, ok := set[p.Rule]; ok {
			sev = max(sev, s)
		} else {
			sev = max(sev, p.Severity)
		}
	}
	return sev
}
