package render

import (
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestYAML11Scalars: field values decode as the API server receives them
// from kubectl (sigs.k8s.io/yaml, YAML 1.1 scalars), checked form by form
// against sigs.k8s.io/yaml into k8s.io/api types.
func TestYAML11Scalars(t *testing.T) {
	bools := []string{"yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True", "TRUE",
		"no", "No", "NO", "off", "Off", "OFF", "n", "N", "false", "False", "FALSE",
		`"yes"`, `'on'`, "yEs", "oN"}
	ints := []string{"0", "0o0", "0x0", "00", "0b0", "+0", "-0", "0_0", "0o1750", "0x3E8", "01750", "1_000", "1000",
		"0.0", "1e3", `"0"`, "0O0", "0X0", "0:0", "~"}
	var docs []string
	for _, b := range bools {
		docs = append(docs, fmt.Sprintf("hostPID: %s\nsecurityContext: {runAsNonRoot: %[1]s}\ncontainers:\n- name: a\n  securityContext:\n    privileged: %[1]s\n", b))
	}
	for _, i := range ints {
		docs = append(docs, fmt.Sprintf("securityContext:\n  runAsUser: %s\ncontainers:\n- name: a\n  securityContext: {runAsGroup: %[1]s}\n", i))
	}
	for _, spec := range docs {
		doc := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + indent(spec)
		var want corev1.Pod
		wantErr := sigsyaml.Unmarshal([]byte(doc), &want)
		objs, probs := Parse("p.yaml", []byte(doc))
		if len(probs) > 0 || len(objs) != 1 {
			t.Fatalf("%s: %v", doc, probs)
		}
		var got corev1.PodSpec
		gotErr := objs[0].Decode("spec", &got)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s\nerror %v, the API server's %v", spec, gotErr, wantErr)
			continue
		}
		if wantErr == nil && !reflect.DeepEqual(got, want.Spec) {
			t.Errorf("%s\ndecoded %+v, the API server %+v", spec, got, want.Spec)
		}
	}
}

func indent(s string) string {
	out := ""
	for _, l := range splitLines(s) {
		out += "  " + l + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i, c := range s {
		if c == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
