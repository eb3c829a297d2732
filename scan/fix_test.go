package scan

import (
	"context"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// TestFixes: a fix is offered where the offending boolean is written on
// the finding's line under the field's name, and nowhere else.
func TestFixes(t *testing.T) {
	files := map[string]string{
		// fixable: literal values, a comment kept, a list item
		"fix.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: fix
spec:
  hostNetwork: true # the node's network, for now
  containers:
    - name: c
      image: ghcr.io/acme/c:1.0.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      securityContext:
        privileged: True
        readOnlyRootFilesystem: false
`,
		// not fixable: quoted, flow style, an alias, a missing field
		"keep.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: keep
spec:
  hostPID: &on true
  hostIPC: *on
  containers:
    - name: c
      image: ghcr.io/acme/c:1.0.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      securityContext: {privileged: true, allowPrivilegeEscalation: true}
`,
	}
	set := &render.Set{}
	for name, text := range files {
		objs, probs := render.Parse(name, []byte(text))
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		set.Objects = append(set.Objects, objs...)
		set.Texts = append(set.Texts, render.Text{File: name, Data: []byte(text)})
	}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs {
		if f.Fix != nil {
			if f.Fix.Line != f.Line {
				t.Errorf("%s: fix of line %d for a finding on line %d", f.Rule, f.Fix.Line, f.Line)
			}
			got[f.Rule+"@"+f.File] = f.Fix.Text
		}
	}
	want := map[string]string{
		"host-namespaces@fix.yaml":      "  hostNetwork: false # the node's network, for now",
		"privileged-container@fix.yaml": "        privileged: false",
		"readonly-root-fs@fix.yaml":     "        readOnlyRootFilesystem: true",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: fix %q, want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected fix %s: %q", k, g)
		}
	}
}

// TestNoFixOnCredentialLine: a fix repeats its line, so none is offered
// where a credential was found, not even one the detector missed.
func TestNoFixOnCredentialLine(t *testing.T) {
	text := `apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: c
      image: ghcr.io/acme/c:1.0.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      securityContext:
        privileged: true # ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d AKIAZDOCIS2JHTLGMXGE
        readOnlyRootFilesystem: false
`
	objs, probs := render.Parse("pod.yaml", []byte(text))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	set := &render.Set{Objects: objs, Texts: []render.Text{{File: "pod.yaml", Data: []byte(text)}}}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var credential, privileged, readonly bool
	for _, f := range fs {
		switch {
		case f.Credential() && f.Line == 10:
			credential = true
		case f.Rule == "privileged-container":
			privileged = true
			if f.Fix != nil {
				t.Errorf("a fix on the credential's line: %q", f.Fix.Text)
			}
		case f.Rule == "readonly-root-fs" && f.Line == 11:
			readonly = f.Fix != nil
		}
	}
	if !credential || !privileged || !readonly {
		t.Errorf("credential %v, privileged %v, fix on the next line %v: the test proves nothing", credential, privileged, readonly)
	}
}
