package wanttest

import (
	"slices"
	"testing"
)

func TestForSet(t *testing.T) {
	for _, c := range []struct {
		line, set string
		want      []string
	}{
		{"  privileged: true   # want: privileged-container", "default", []string{"privileged-container"}},
		{"hostPID: true # want: host-namespaces pss-baseline", "prod", []string{"host-namespaces", "pss-baseline"}},
		{"image: app:latest # want[prod]: image-tag", "prod", []string{"image-tag"}},
		{"image: app:latest # want[prod]: image-tag", "default", nil},
		{"image: app:latest #want[default]:image-tag", "default", []string{"image-tag"}},
		{"image: app:1.2 # wanted: nothing", "default", nil},
		{"image: app:1.2", "default", nil},
	} {
		if got := ForSet(c.line, c.set); !slices.Equal(got, c.want) {
			t.Errorf("ForSet(%q, %q) = %q, want %q", c.line, c.set, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	set, rules, ok := Parse("x: 1 # want[staging]: a b")
	if !ok || set != "staging" || !slices.Equal(rules, []string{"a", "b"}) {
		t.Errorf("Parse = %q, %q, %v", set, rules, ok)
	}
	if _, _, ok := Parse("x: 1 # a comment"); ok {
		t.Error("Parse found a want in a plain comment")
	}
}
