package scan

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

func TestStepsOrder(t *testing.T) {
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
		if s.Doc == "" || strings.Contains(s.Doc, "\n") || s.Func == nil {
			t.Errorf("step %q: want a one-line doc and a func", s.Name)
		}
	}
	want := []string{"merge-pss", "merge-root-causes", "merge-credentials", "merge-renderings", "inline-ignores", "fixes", "redact", "disable", "severity", "sort", "baseline", "scope"}
	if !slices.Equal(names, want) {
		t.Errorf("steps = %q, want %q", names, want)
	}
}

// runStep applies the step named name alone.
func runStep(t *testing.T, name string, in *postInput, fs []Finding) []Finding {
	t.Helper()
	i := slices.IndexFunc(steps, func(s step) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("no step %q", name)
	}
	if in.cfg == nil {
		in.cfg = &Config{}
	}
	return steps[i].Func(in, fs)
}

func rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

var stepObj = &render.Ref{APIVersion: "v1", Kind: "Pod", Name: "web"}

func TestStepMergePSS(t *testing.T) {
	fs := runStep(t, "merge-pss", &postInput{}, []Finding{
		{Rule: "host-namespaces", Checklist: []string{"a"}, Severity: Warning, Object: stepObj, File: "p.yaml", Path: "spec.hostPID", Message: "m"},
		{Rule: "pss-baseline", Checklist: []string{"b"}, Severity: Error, PSSLevel: "baseline", PSSCheck: "hostNamespaces", Object: stepObj, File: "p.yaml", Path: "spec.hostPID"},
	})
	if len(fs) != 1 || !slices.Equal(fs[0].Checklist, []string{"a", "b"}) || fs[0].Severity != Error || fs[0].PSSCheck != "hostNamespaces" {
		t.Errorf("merge-pss = %+v", fs)
	}
}

func TestStepMergeRootCauses(t *testing.T) {
	fs := runStep(t, "merge-root-causes", &postInput{}, []Finding{
		{Rule: RunAsRoot.ID, Checklist: []string{"a"}, Severity: Error, Object: stepObj, File: "p.yaml", Line: 9, Column: 5, Path: "spec.containers[0]", Fingerprint: "1"},
		{Rule: ReadOnlyRootFS.ID, Checklist: []string{"b"}, Severity: Note, Object: stepObj, File: "p.yaml", Line: 9, Column: 5, Path: "spec.containers[0]", Fingerprint: "2"},
		{Rule: ImageLatest.ID, Checklist: []string{"c"}, Severity: Warning, Object: stepObj, File: "p.yaml", Line: 9, Column: 5, Path: "spec.containers[0].image", Fingerprint: "3"},
	})
	if got := rules(fs); !slices.Equal(got, []string{RunAsRoot.ID, ImageLatest.ID}) || len(fs[0].Folded) != 1 || fs[0].Folded[0].Rule != ReadOnlyRootFS.ID {
		t.Errorf("merge-root-causes = %+v", fs)
	}
}

func TestStepMergeCredentials(t *testing.T) {
	fs := runStep(t, "merge-credentials", &postInput{}, []Finding{
		{Rule: CredentialLiteral.ID, File: "a.yaml", Line: 3},
		{Rule: PlaintextSecret.ID, File: "a.yaml", Line: 3},
		{Rule: CredentialLiteral.ID, File: "a.yaml", Line: 4},
	})
	if got := rules(fs); !slices.Equal(got, []string{PlaintextSecret.ID, CredentialLiteral.ID}) {
		t.Errorf("merge-credentials = %q", got)
	}
}

func TestStepMergeRenderings(t *testing.T) {
	f := Finding{Rule: "r", File: "templates/d.yaml", Line: 5, Path: "spec.x"}
	a, b := f, f
	a.Source = &render.Source{Kind: "helm", Chart: "c", ValueSet: "dev"}
	b.Source = &render.Source{Kind: "helm", Chart: "c", ValueSet: "prod"}
	fs := runStep(t, "merge-renderings", &postInput{}, []Finding{a, b})
	if len(fs) != 1 || !slices.Equal(fs[0].Source.ValueSets, []string{"dev", "prod"}) {
		t.Errorf("merge-renderings = %+v", fs)
	}
}

func TestStepInlineIgnores(t *testing.T) {
	in := &postInput{lines: newLineIndex()}
	in.lines.add([]render.Text{{File: "a.yaml", Data: []byte("x: 1\ny: 2 # kubeharden:ignore (needed)\n")}})
	fs := runStep(t, "inline-ignores", in, []Finding{{Rule: "r", File: "a.yaml", Line: 1}, {Rule: "r", File: "a.yaml", Line: 2}})
	if fs[0].Suppressed != nil || fs[1].Suppressed == nil || fs[1].Suppressed.Justification != "needed" {
		t.Errorf("inline-ignores = %+v %+v", fs[0].Suppressed, fs[1].Suppressed)
	}
}

func TestStepFixes(t *testing.T) {
	in := &postInput{lines: newLineIndex()}
	in.lines.add([]render.Text{{File: "a.yaml", Data: []byte("spec:\n  hostPID: true\n")}})
	fs := runStep(t, "fixes", in, []Finding{{Rule: HostNamespaces.ID, File: "a.yaml", Line: 2, Path: "spec.hostPID", Precision: "exact"}})
	if fs[0].Fix == nil || fs[0].Fix.Text != "  hostPID: false" {
		t.Errorf("fixes = %+v", fs[0].Fix)
	}
}

func TestStepRedact(t *testing.T) {
	d := &secrets{found: &sync.Map{}}
	d.remember("hunter2hunter2")
	fs := runStep(t, "redact", &postInput{secrets: d}, []Finding{{Rule: "r", Message: "password hunter2hunter2 in plain text"}})
	if strings.Contains(fs[0].Message, "hunter2") {
		t.Errorf("redact = %q", fs[0].Message)
	}
}

func TestStepDisable(t *testing.T) {
	fs := runStep(t, "disable", &postInput{cfg: &Config{Disable: []string{"a"}}}, []Finding{{Rule: "a"}, {Rule: "b"}})
	if got := rules(fs); !slices.Equal(got, []string{"b"}) {
		t.Errorf("disable = %q", got)
	}
}

func TestStepSeverity(t *testing.T) {
	fs := runStep(t, "severity", &postInput{cfg: &Config{Severity: map[string]Severity{"a": Note}}}, []Finding{{Rule: "a", Severity: Error}, {Rule: "b", Severity: Error}})
	if fs[0].Severity != Note || fs[1].Severity != Error {
		t.Errorf("severity = %v %v", fs[0].Severity, fs[1].Severity)
	}
}

func TestStepSort(t *testing.T) {
	fs := runStep(t, "sort", &postInput{}, []Finding{{Rule: "b", File: "a", Line: 2}, {Rule: "c", File: "a", Line: 1}, {Rule: "a", File: "a", Line: 2}})
	if got := rules(fs); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Errorf("sort = %q", got)
	}
}

// TestSortMatchesStableSort holds Sort to a stable sort by the same keys
// on random findings with many ties: equal findings keep their order.
func TestSortMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := r.IntN(300)
		fs := make([]Finding, n)
		for i := range fs {
			fs[i] = Finding{File: string(rune('a' + r.IntN(3))), Line: r.IntN(4), Column: r.IntN(2),
				Rule: string(rune('p' + r.IntN(3))), Fingerprint: string(rune('x' + r.IntN(2))), Message: strconv.Itoa(i)}
		}
		want := slices.Clone(fs)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := &want[i], &want[j]
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			if a.Column != b.Column {
				return a.Column < b.Column
			}
			if a.Rule != b.Rule {
				return a.Rule < b.Rule
			}
			return a.Fingerprint < b.Fingerprint
		})
		Sort(fs)
		for i := range fs {
			if fs[i].Message != want[i].Message {
				t.Fatalf("round %d: place %d holds finding %s, want %s", round, i, fs[i].Message, want[i].Message)
			}
		}
	}
}

func TestStepBaseline(t *testing.T) {
	b, err := ReadBaseline("base.json", strings.NewReader(`{"findings":[{"rule":"a","fingerprint":"1"},{"rule":"a","fingerprint":"gone"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fs := runStep(t, "baseline", &postInput{cfg: &Config{Baseline: b}}, []Finding{{Rule: "a", Fingerprint: "1"}, {Rule: "a", Fingerprint: "2"}})
	if fs[0].Suppressed == nil || fs[0].Suppressed.Kind != "baseline" || fs[1].Suppressed != nil {
		t.Errorf("baseline = %+v %+v", fs[0].Suppressed, fs[1].Suppressed)
	}
	if accepted, stale := b.Counts(); accepted != 1 || stale != 1 {
		t.Errorf("Counts = %d, %d; want 1, 1", accepted, stale)
	}
	if fs := runStep(t, "baseline", &postInput{}, []Finding{{Rule: "a", Fingerprint: "1"}}); fs[0].Suppressed != nil {
		t.Error("no baseline accepted a finding")
	}
}

func TestStepScope(t *testing.T) {
	scope := &FailScope{FailsAs: func(f Finding) (Severity, bool) {
		switch f.Fingerprint {
		case "old":
			return 0, false
		case "new-part":
			return Note, true
		}
		return f.Severity, true
	}}
	fs := runStep(t, "scope", &postInput{cfg: &Config{FailScope: scope}}, []Finding{
		{Rule: "a", Fingerprint: "old", Severity: Error},
		{Rule: "a", Fingerprint: "new-part", Severity: Error},
		{Rule: "a", Fingerprint: "new", Severity: Warning},
	})
	if !fs[0].OutOfScope || fs[1].OutOfScope || fs[1].FailsAs != Note || fs[2].OutOfScope || fs[2].FailsAs != 0 {
		t.Errorf("scope = %+v", fs)
	}
	if fs[0].Fails(Note) || fs[1].Fails(Warning) || !fs[1].Fails(Note) || !fs[2].Fails(Warning) || fs[2].Fails(Error) {
		t.Error("Fails disagrees with the marks")
	}
	if fs := runStep(t, "scope", &postInput{cfg: &Config{}}, []Finding{{Rule: "a", Severity: Error}}); fs[0].OutOfScope || !fs[0].Fails(Error) {
		t.Error("no fail scope kept a finding from failing")
	}
}

// TestRedactAsReplacer: redact gives every message what a replacer of all
// the values gives it, the longest value first, whether it holds a value,
// several, overlapping ones, or none.
func TestRedactAsReplacer(t *testing.T) {
	values := []string{"hunter2hunter2", "hunter2hunter2hunter2", "2hunter2hXYZ", "AKIAEXAMPLE1234", "abcdefgh"}
	d := &secrets{found: &sync.Map{}}
	for _, v := range values {
		d.remember(v)
	}
	byLength := slices.Clone(values)
	slices.SortStableFunc(byLength, func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, v := range byLength {
		pairs = append(pairs, v, "[redacted]")
	}
	r := strings.NewReplacer(pairs...)
	rng := rand.New(rand.NewPCG(3, 4))
	var fs []Finding
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(6) {
			if rng.IntN(2) == 0 {
				v := values[rng.IntN(len(values))]
				b.WriteString(v[rng.IntN(3):])
			} else {
				b.WriteString([]string{" ", "x", "hunter", "2", "abcdefg", ": "}[rng.IntN(6)])
			}
		}
		fs = append(fs, Finding{Rule: "r", Message: b.String(), Fix: &Fix{Text: b.String()}})
	}
	want := make([]string, len(fs))
	held := 0
	for i, f := range fs {
		want[i] = r.Replace(f.Message)
		if want[i] != f.Message {
			held++
		}
	}
	var heads valueHeads
	for _, v := range values {
		heads.add(v)
	}
	for _, f := range fs {
		want := slices.ContainsFunc(values, func(v string) bool { return strings.Contains(f.Message, v[:minRedacted]) })
		if heads.mayHold(f.Message) != want {
			t.Fatalf("mayHold(%q) = %v, want %v", f.Message, !want, want)
		}
	}
	d.redact(fs)
	for i, f := range fs {
		if f.Message != want[i] || f.Fix.Text != want[i] {
			t.Fatalf("redact(%q) = %q, %q; want %q", fs[i].Message, f.Message, f.Fix.Text, want[i])
		}
	}
	if held < 500 || held > 1900 {
		t.Errorf("%d of %d messages hold a value: the test reads too few of one kind", held, len(fs))
	}
}

// TestRefIDs: equal Refs behind different pointers get one number, and
// different Refs different numbers, whatever pointer comes first.
func TestRefIDs(t *testing.T) {
	ids := newRefIDs()
	a1 := &render.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "x", Name: "a"}
	a2 := &render.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "x", Name: "a"}
	b := &render.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "y", Name: "a"}
	first := ids.id(a1)
	if ids.id(a2) != first || ids.id(a1) != first || ids.id(a2) != first {
		t.Error("equal Refs numbered apart")
	}
	if ids.id(b) == first {
		t.Error("different Refs numbered alike")
	}
}
