package render

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// decodeTargets are the fields the checks decode, each with a fresh value
// of the type they decode it into.
var decodeTargets = []struct {
	path string
	new  func() any
}{
	{"spec.template", func() any { return new(corev1.PodTemplateSpec) }},
	{"spec.jobTemplate.spec.template", func() any { return new(corev1.PodTemplateSpec) }},
	{"spec", func() any { return new(corev1.PodSpec) }},
	{"spec", func() any { return new(networkingv1.NetworkPolicySpec) }},
	{"spec", func() any { return new(corev1.ServiceSpec) }},
	{"metadata", func() any { return new(metav1.ObjectMeta) }},
	{"metadata.annotations", func() any { return new(map[string]string) }},
	{"data", func() any { return new(map[string]string) }},
	{"rules", func() any { return new([]rbacv1.PolicyRule) }},
	{"", func() any { return new(rbacv1.ClusterRoleBinding) }},
	{"", func() any { return new(networkingv1.Ingress) }},
	{"", func() any { return new(map[string]any) }},
	{"spec.template.spec.containers[0].args", func() any { return new([]string) }},
	{"automountServiceAccountToken", func() any { return new(*bool) }},
}

// sameDecoding decodes path of o with Decode and with decodeJSON into
// fresh values and reports where they differ. direct says whether
// decodeNode decoded it alone.
func sameDecoding(o *Object, path string, newV func() any) (diff string, direct bool) {
	segs, err := ParsePath(path)
	if err != nil {
		return err.Error(), false
	}
	var field *yaml.Node
	if n, ok := plainAt(o.Node, segs); ok {
		budget := maxVisits
		direct = decodeNode(n, reflect.ValueOf(newV()).Elem(), &budget) == nil
		field = n
	}
	got, want := newV(), newV()
	o.Forget()
	gotErr := o.Decode(path, got)
	o.Forget()
	var wantErr error
	if budget := maxVisits; direct && directErr(o.Node, &budget) != nil {
		// The object's API value is the reference conversion's (a tag or a
		// key the direct one leaves to it), which re-encodes the whole
		// object and may read a field otherwise; the field decoded from the
		// node tree is read as the direct conversion reads it. A field
		// holding such a form where the decoding does not look (a field
		// of no Go field) has no direct reading to compare with.
		budget = maxVisits
		v, err := nodeValue(field, &budget)
		if err != nil {
			return "", direct
		}
		b, _ := json.Marshal(v)
		wantErr = json.Unmarshal(b, want)
	} else {
		wantErr = o.decodeJSON(path, segs, want)
	}
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		return fmt.Sprintf("%s into %T: error %v, want %v", path, want, gotErr, wantErr), direct
	}
	if at, g, w := typedDiff(reflect.ValueOf(got), reflect.ValueOf(want), path); at != "" {
		return fmt.Sprintf("into %T at %s: got %s, want %s", want, at, g, w), direct
	}
	return "", direct
}

// typedDiff finds the first place two decoded values differ.
func typedDiff(a, b reflect.Value, path string) (at, got, want string) {
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return "", "", ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !a.IsNil() && !b.IsNil() {
			return typedDiff(a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if at, g, w := typedDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); at != "" {
					return at, g, w
				}
			}
		}
	case reflect.Slice:
		if a.Len() == b.Len() {
			for i := range a.Len() {
				if at, g, w := typedDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); at != "" {
					return at, g, w
				}
			}
		}
	}
	return path, fmt.Sprintf("%#v", a.Interface()), fmt.Sprintf("%#v", b.Interface())
}

// TestDecodeMatchesJSON: decoding from the node tree gives what encoding/json
// gives on the API value, value and error, for every object of the corpus,
// the testdata and a generated tree, into every type the checks use; and
// it does the work alone for nearly every pod template.
func TestDecodeMatchesJSON(t *testing.T) {
	set := loadGeneratedCorpus(t)
	compared, templates, direct := 0, 0, 0
	for _, o := range set.Objects {
		for _, tg := range decodeTargets {
			diff, d := sameDecoding(o, tg.path, tg.new)
			if diff != "" {
				t.Errorf("%s %s/%s: %s", o.File, o.Kind, o.Name, diff)
			}
			compared++
			if tg.path == "spec.template" && o.Has("spec.template.spec") {
				templates++
				if d {
					direct++
				}
			}
		}
	}
	if len(set.Objects) < 2500 {
		t.Fatalf("read %d objects; want the corpus's thousands", len(set.Objects))
	}
	if direct < templates*95/100 {
		t.Errorf("%d of %d pod templates decoded from the node tree alone; want nearly all", direct, templates)
	}
	t.Logf("%d decodings compared; %d of %d pod templates decoded from the node tree", compared, direct, templates)
}

// TestDecodeMutations: with any node of a pod template, or any key,
// replaced by a value of another form, the two decodings still agree,
// value and error: wrong types, numbers out of range, YAML 1.1 scalars,
// tags, merge keys, keys in another case, duplicate keys, nulls.
func TestDecodeMutations(t *testing.T) {
	values := []string{
		`x`, `""`, `yes`, `off`, `~`, `null`, `0`, `-3`, `1.5`, `1e3`, `0x1F`, `0o17`, `017`, `99999999999999999999`,
		`2147483648`, `-9223372036854775809`, `.inf`, `true`, `!!str 5`, `!!int "7"`, `!!binary aGk=`, `{}`, `[]`,
		`{a: 1}`, `[1, x]`, `{name: c, image: nginx}`, `[{name: c, image: nginx}]`, `{<<: {name: m}, image: i}`,
		`{<<: [{name: a, image: b}, {name: c, tty: true}], image: z}`, `{name: a, <<: {name: b, <<: {tty: on}}}`,
		`{<<: &m {name: a}, x: *m, env: [*m]}`, `{<<: [x]}`, `{"<<": {name: q}}`,
		`{Name: upper}`, `{name: a, name: b}`, `{limits: {cpu: 100m, memory: 1Gi}}`, `{cpu: 1.5}`, `{port: http}`,
		`{port: 8080}`, `{runAsUser: 1000, runAsNonRoot: yes}`, `{"on": 1}`, `{1: a}`, `2026-12-05T10:00:00Z`,
	}
	keys := []string{`NAME`, `Image`, `"image"`, `'name'`, `on`, `1`, `<<`, `!!str name`, `image`, `securityContext`}
	parse := func(s string) *yaml.Node {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return doc.Content[0]
	}
	manifests := []string{`
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, annotations: {a: b}}
spec:
  template:
    metadata: {labels: {app: d}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      initContainers: [{name: init, image: busybox, command: [sh, -c, 'true']}]
      containers:
      - name: app
        image: nginx:1.27
        ports: [{containerPort: 8080, protocol: TCP}]
        env: [{name: A, value: "1"}, {name: B, valueFrom: {secretKeyRef: {name: s, key: k}}}]
        resources: {limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 0.1}}
        livenessProbe: {httpGet: {path: /, port: http}, periodSeconds: 10}
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsUser: 1000}
        volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes: [{name: tmp, emptyDir: {}}]
      tolerations: [{key: k, operator: Exists}]
`}
	n := 0
	for _, m := range manifests {
		root := parse(m)
		o := &Object{Node: root}
		tmpl := ValueAt(root, []Segment{{Key: "spec"}, {Key: "template"}})
		var nodes, keyNodes []*yaml.Node
		var walk func(*yaml.Node)
		walk = func(x *yaml.Node) {
			nodes = append(nodes, x)
			for i, c := range x.Content {
				if x.Kind == yaml.MappingNode && i%2 == 0 {
					keyNodes = append(keyNodes, c)
					continue
				}
				walk(c)
			}
		}
		walk(tmpl)
		try := func(at *yaml.Node, with string) {
			saved := *at
			*at = *parse(with)
			defer func() { *at = saved }()
			for _, tg := range decodeTargets[:1] {
				if diff, _ := sameDecoding(o, tg.path, tg.new); diff != "" {
					t.Errorf("%s at line %d replaced by %s: %s", tg.path, saved.Line, with, diff)
				}
				n++
			}
		}
		for _, at := range nodes {
			for _, v := range values {
				try(at, v)
			}
		}
		for _, at := range keyNodes {
			for _, k := range keys {
				try(at, k)
			}
		}
	}
	if n < 1000 {
		t.Fatalf("%d mutations; want every node replaced by every form", n)
	}
	t.Logf("%d mutations compared", n)
}

// TestDecodeNotZero: a value that already holds data is decoded into as
// encoding/json does, merging.
func TestDecodeNotZero(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("metadata: {labels: {b: '2'}}\n"), &doc); err != nil {
		t.Fatal(err)
	}
	o := &Object{Node: &doc}
	meta := metav1.ObjectMeta{Name: "kept", Labels: map[string]string{"a": "1"}}
	if err := o.Decode("metadata", &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Name != "kept" || len(meta.Labels) != 2 {
		t.Errorf("got %+v; want the name kept and the labels merged", meta)
	}
	if got := fmt.Sprint(meta.Labels); !strings.Contains(got, "a:1") || !strings.Contains(got, "b:2") {
		t.Errorf("labels %s", got)
	}
}

// FuzzDecode: on any YAML, decoding from the node tree gives what
// encoding/json gives on the API value, and never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"spec: {template: {spec: {containers: [{name: a, image: b, ports: [{containerPort: 80}]}]}}}",
		"spec:\n  template:\n    metadata: &m {labels: {a: b}}\n    spec: {containers: [{<<: *m, name: x, resources: {limits: {cpu: 1}}}]}",
		"spec: {template: {spec: {containers: {a: 1}, securityContext: {runAsUser: 1.5}}}}",
		"spec: {template: {spec: {Containers: [], hostNetwork: yes, tolerations: [~]}}}",
		"spec: {template: !!map {spec: {}}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		o := &Object{Node: &doc}
		for _, tg := range decodeTargets {
			if diff, _ := sameDecoding(o, tg.path, tg.new); diff != "" {
				t.Errorf("%q: %s", text, diff)
			}
		}
	})
}
