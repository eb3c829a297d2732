package scan

import (
	"strings"
	"testing"
)

func TestBaseline(t *testing.T) {
	b, err := ReadBaseline("base.json", strings.NewReader(`{"findings": [
		{"rule": "privileged-container", "fingerprint": "aaa"},
		{"rule": "image-latest-tag", "fingerprint": "bbb"},
		{"rule": "host-path-volume", "fingerprint": "gone"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fs := []Finding{
		{Rule: "privileged-container", Fingerprint: "aaa"},
		{Rule: "image-latest-tag", Fingerprint: "bbb", Suppressed: &Suppression{Kind: "annotation", Justification: "pinned by the mirror"}},
		{Rule: "image-latest-tag", Fingerprint: "aaa"}, // another rule's fingerprint
		{Rule: "run-as-root", Fingerprint: "ccc"},
	}
	accepted, stale := b.Apply(fs)
	if accepted != 1 || stale != 1 {
		t.Errorf("accepted %d, stale %d; want 1 and 1", accepted, stale)
	}
	if s := fs[0].Suppressed; s == nil || s.Kind != "baseline" || !strings.Contains(s.Justification, "base.json") {
		t.Errorf("baseline finding: %+v", s)
	}
	if fs[1].Suppressed.Kind != "annotation" {
		t.Errorf("an annotation's acceptance was replaced: %+v", fs[1].Suppressed)
	}
	if fs[2].Suppressed != nil || fs[3].Suppressed != nil {
		t.Errorf("findings outside the baseline accepted: %+v %+v", fs[2].Suppressed, fs[3].Suppressed)
	}
	for _, bad := range []string{`{"findings": [{"rule": "x"}]}`, `{"version": "2.1.0", "runs": []}`, `not json`} {
		if _, err := ReadBaseline("b", strings.NewReader(bad)); err == nil {
			t.Errorf("baseline %s accepted", bad)
		}
	}
}
