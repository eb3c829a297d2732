package scan

import "testing"

func TestCalicoSelector(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front"}
	for _, c := range []struct {
		sel          string
		known, match bool
	}{
		{"", true, true},
		{"all()", true, true},
		{"app == 'web'", true, true},
		{`app == "api"`, true, false},
		{"app != 'api' && has(tier)", true, true},
		{"!has(tier)", true, false},
		{"app in {'api', 'web'}", true, true},
		{"tier in {'back'}", true, false},
		{"app == 'web' || app == 'api'", false, false},
		{"starts(app, 'w')", false, false},
	} {
		f, known := calicoSelector(c.sel)
		if known != c.known {
			t.Errorf("%q: known = %v, want %v", c.sel, known, c.known)
			continue
		}
		if known && f(labels) != c.match {
			t.Errorf("%q: match = %v, want %v", c.sel, !c.match, c.match)
		}
	}
}
