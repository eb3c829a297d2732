package scan

import (
	"context"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// TestDisableAndSeverity: a disabled rule reports nothing, input problems
// included, and a severity override changes only that rule's findings.
func TestDisableAndSeverity(t *testing.T) {
	objs, _ := render.Parse("pod.yaml", []byte(`apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx:latest
      securityContext:
        privileged: true
`))
	set := &render.Set{Objects: objs, Problems: []render.Problem{{Kind: render.Invalid, Pos: render.Pos{File: "bad.yaml", Line: 1, Column: 1}, Message: "broken"}}}
	count := func(fs []Finding) map[string]int {
		n := map[string]int{}
		for _, f := range fs {
			n[f.Rule]++
		}
		return n
	}
	base, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	before := count(base)
	if before["privileged-container"] == 0 || before["image-latest-tag"] == 0 || before[InvalidInput.ID] == 0 {
		t.Fatalf("the pod does not trip the rules the test turns off: %v", before)
	}
	cfg := Config{Disable: []string{"privileged-container", InvalidInput.ID}, Severity: map[string]Severity{"image-latest-tag": Error}}
	if err := cfg.CheckRules(); err != nil {
		t.Fatal(err)
	}
	fs, err := Run(context.Background(), set, All, cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := count(fs)
	if after["privileged-container"] != 0 || after[InvalidInput.ID] != 0 {
		t.Errorf("disabled rules still report: %v", after)
	}
	for _, f := range fs {
		want := Lookup(f.Rule).Severity
		if f.Rule == "image-latest-tag" {
			want = Error
		}
		if f.Severity != want {
			t.Errorf("%s: severity %s, want %s", f.Rule, f.Severity, want)
		}
	}
	// The Pod Security Standards verdict the privileged-container finding
	// carried is its own rule's again: turning off one rule does not make
	// the pod pass baseline.
	if before["pss-baseline"] != 0 || after["pss-baseline"] != 1 {
		t.Errorf("pss-baseline %d then %d, want 0 (merged into privileged-container) then 1", before["pss-baseline"], after["pss-baseline"])
	}
	if len(fs) != len(base)-before["privileged-container"]-before[InvalidInput.ID]+1 {
		t.Errorf("%d findings, want %d less the disabled ones plus pss-baseline: %v", len(fs), len(base), after)
	}
	if err := (Config{Disable: []string{"privileged-containers"}}).CheckRules(); err == nil {
		t.Errorf("a misspelt rule id is accepted")
	}
}
