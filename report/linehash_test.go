package report

import "testing"

// TestLineHashVectors uses the test vectors of GitHub's upload action.
func TestLineHashVectors(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"", []string{"c129715d7a2bc9a3:1"}},
		{" a\nb\n  \t\tc\n d", []string{"271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"}},
	} {
		got := LineHashes(c.text)
		if len(got)-1 != len(c.want) {
			t.Fatalf("%q: %d lines hashed, want %d: %v", c.text, len(got)-1, len(c.want), got)
		}
		for i, w := range c.want {
			if got[i+1] != w {
				t.Errorf("%q line %d: %s, want %s", c.text, i+1, got[i+1], w)
			}
		}
	}
}

// TestLineHashLineEndings: CRLF and CR read as LF, and blanks do not count.
func TestLineHashLineEndings(t *testing.T) {
	lf := LineHashes("a: 1\nb: 2\n")
	for _, other := range []string{"a: 1\r\nb: 2\r\n", "a: 1\rb: 2\r", "a:1\n  b:  2\n"} {
		got := LineHashes(other)
		for i := 1; i < len(lf); i++ {
			if got[i] != lf[i] {
				t.Errorf("%q line %d: %s, want %s", other, i, got[i], lf[i])
			}
		}
	}
	// Identical lines get increasing counters.
	rep := LineHashes("x\nx\nx\n")
	if rep[1] == rep[2] {
		t.Errorf("identical trailing windows should differ by content or counter: %v", rep)
	}
}
