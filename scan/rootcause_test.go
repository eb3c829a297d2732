package scan

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// bareContainer is a Deployment whose container sets no securityContext,
// with ignore annotations added when given.
func bareContainer(t *testing.T, annotations string) *render.Set {
	t.Helper()
	doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n" + annotations +
		"spec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      automountServiceAccountToken: false\n" +
		"      securityContext:\n        seccompProfile: {type: RuntimeDefault}\n      containers:\n        - name: app\n          image: ghcr.io/acme/app:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000\n"
	objs, probs := render.Parse("deploy.yaml", []byte(doc))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return &render.Set{Objects: objs}
}

func scanSet(t *testing.T, set *render.Set, cfg Config) []Finding {
	t.Helper()
	fs, err := Run(context.Background(), set, podRules, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestMergeRootCausesFolds(t *testing.T) {
	fs := scanSet(t, bareContainer(t, ""), Config{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want the container's one: %v", len(fs), fs)
	}
	f := fs[0]
	if got := f.Rules(); !slices.Equal(got, []string{"run-as-root", "privilege-escalation", "capabilities-drop-all", "readonly-root-fs"}) {
		t.Errorf("rules %v", got)
	}
	if f.Severity != Error {
		t.Errorf("severity %s, want the most severe part's, error", f.Severity)
	}
	for _, id := range []string{"pods.non-root", "pods.pss", "pods.immutable-fs"} {
		if !slices.Contains(f.Checklist, id) {
			t.Errorf("checklist %v lacks %s", f.Checklist, id)
		}
	}
	for _, id := range []string{"privilege-escalation", "capabilities-drop-all", "readonly-root-fs"} {
		if !strings.Contains(f.Message, "["+id+"]") {
			t.Errorf("message does not name %s: %s", id, f.Message)
		}
	}
	// The finding keeps the fingerprint run-as-root had alone, and each
	// part the fingerprint its rule had.
	ref := f.Object
	if want := Fingerprint("run-as-root", ref, "deploy.yaml", f.Path); f.Fingerprint != want {
		t.Errorf("fingerprint %s, want run-as-root's own %s", f.Fingerprint, want)
	}
	for _, p := range f.Folded {
		if want := Fingerprint(p.Rule, ref, "deploy.yaml", p.Path); p.Fingerprint != want {
			t.Errorf("%s: fingerprint %s, want %s", p.Rule, p.Fingerprint, want)
		}
	}
}

func TestMergeRootCausesStableFingerprints(t *testing.T) {
	// Alone, each rule's finding is what it was before folding existed.
	for _, c := range []*Check{RunAsRoot, PrivilegeEscalation, CapabilitiesDropAll, ReadOnlyRootFS} {
		fs, err := Run(context.Background(), bareContainer(t, ""), []*Check{c}, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Folded != nil || fs[0].Rule != c.ID {
			t.Fatalf("%s: %v", c.ID, fs)
		}
		if want := Fingerprint(c.ID, fs[0].Object, "deploy.yaml", fs[0].Path); fs[0].Fingerprint != want {
			t.Errorf("%s: fingerprint changed", c.ID)
		}
	}
}

func TestMergeRootCausesNotAcrossObjects(t *testing.T) {
	ref := func(name string) *render.Ref {
		return &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: name}
	}
	f := func(rule, name string, sev Severity) Finding {
		return Finding{Rule: rule, Severity: sev, Object: ref(name), File: "a.yaml", Line: 9, Column: 7,
			Path: "spec.template.spec.containers[0].securityContext", Message: `Deployment "` + name + `": x`}
	}
	out := mergeRootCauses([]Finding{f("run-as-root", "a", Error), f("readonly-root-fs", "b", Note),
		f("privileged-container", "a", Error), f("image-digest", "a", Note)})
	if len(out) != 4 {
		t.Errorf("folded across objects or causes: %+v", out)
	}
	// The same rules at two places of one object stay two findings.
	g := f("readonly-root-fs", "a", Note)
	g.Line = 12
	if out := mergeRootCauses([]Finding{f("run-as-root", "a", Error), g}); len(out) != 2 {
		t.Errorf("folded across places: %+v", out)
	}
}

func TestMergeRootCausesSuppression(t *testing.T) {
	// An ignore annotation for one rule accepts that rule's finding only.
	set := bareContainer(t, "  annotations:\n    ignore.kubeharden.io/readonly-root-fs: writes its cache\n")
	fs := scanSet(t, set, Config{})
	var open, accepted []string
	for _, f := range fs {
		if f.Suppressed != nil {
			accepted = append(accepted, f.Rules()...)
		} else {
			open = append(open, f.Rules()...)
		}
	}
	if !slices.Equal(accepted, []string{"readonly-root-fs"}) || !slices.Equal(open, []string{"run-as-root", "privilege-escalation", "capabilities-drop-all"}) {
		t.Errorf("accepted %v, reported %v", accepted, open)
	}
	// Ignoring the finding's own rule leaves its parts reported.
	fs = scanSet(t, bareContainer(t, "  annotations:\n    ignore.kubeharden.io/run-as-root: reviewed\n"), Config{})
	for _, f := range fs {
		if f.Suppressed == nil && slices.Contains(f.Rules(), "run-as-root") {
			t.Errorf("run-as-root reported despite its annotation: %v", f.Rules())
		}
		if f.Suppressed != nil && len(f.Rules()) != 1 {
			t.Errorf("the annotation accepted %v", f.Rules())
		}
	}
	if len(fs) != 2 {
		t.Errorf("got %d findings, want run-as-root accepted and the rest in one: %+v", len(fs), fs)
	}

	// --disable of one rule removes its part alone; severity applies to
	// each part.
	fs = scanSet(t, bareContainer(t, ""), Config{Disable: []string{"run-as-root"}, Severity: map[string]Severity{"readonly-root-fs": Warning}})
	if len(fs) != 1 || slices.Contains(fs[0].Rules(), "run-as-root") || !slices.Contains(fs[0].Rules(), "readonly-root-fs") || fs[0].Severity != Warning {
		t.Errorf("with run-as-root disabled and readonly-root-fs a warning: %+v", fs)
	}

	// A baseline accepts the finding when it holds every rule of it.
	whole := scanSet(t, bareContainer(t, ""), Config{})[0]
	entry := func(rule, fp string) string { return `{"rule":"` + rule + `","fingerprint":"` + fp + `"}` }
	var each []string
	each = append(each, entry(whole.Rule, whole.Fingerprint))
	for _, p := range whole.Folded {
		each = append(each, entry(p.Rule, p.Fingerprint))
	}
	written, err := json.Marshal(whole)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		entries []string
		accept  bool
	}{
		{"the JSON report of this scan", []string{string(written)}, true},
		{"every rule, as an older scan wrote them", each, true},
		{"a baseline of folded findings", []string{`{"rule":"run-as-root","fingerprint":"` + whole.Fingerprint + `","folded":[` + strings.Join(each[1:], ",") + `]}`}, true},
		{"a rule new on the object", each[:len(each)-1], false},
		{"the finding's own rule missing", each[1:], false},
	} {
		b, err := ReadBaseline("base.json", strings.NewReader(`{"findings":[`+strings.Join(tc.entries, ",")+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		fs := []Finding{whole}
		fs[0].Suppressed = nil
		accepted, _ := b.Apply(fs)
		if (accepted == 1) != tc.accept {
			t.Errorf("%s: accepted %d", tc.name, accepted)
		}
	}
}

// TestBareDeployment pins what a plain new Deployment gets: one finding a
// root cause (its wants are in testdata/noise/bare-deployment).
func TestBareDeployment(t *testing.T) {
	dir := "../testdata/noise/bare-deployment"
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Severity.String()+" "+strings.Join(f.Rules(), "+"))
	}
	want := []string{
		"note namespace-default-deny",
		"note workload-network-policy",
		"note pss-restricted",
		"note workload-default-serviceaccount+serviceaccount-token-automount",
		"warning image-latest-tag",
		"error run-as-root+privilege-escalation+capabilities-drop-all+readonly-root-fs",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
