package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kubeharden/kubeharden/render/internal/helmengine"
)

// BenchmarkHelmCharts renders corpus charts as a scan does, for profiles
// (`go test ./render -run '^$' -bench HelmCharts -cpuprofile cpu.out`).
func BenchmarkHelmCharts(b *testing.B) {
	for _, c := range []string{
		"prometheus-community-helm-charts/charts/kube-prometheus-stack",
		"ingress-nginx/charts/ingress-nginx",
		"grafana-community-helm-charts/charts/grafana",
		"podinfo/charts/podinfo",
	} {
		b.Run(filepath.Base(c), func(b *testing.B) {
			dir := filepath.Join(corpus, c)
			for b.Loop() {
				set, err := Load(context.Background(), []string{dir}, Options{Dir: corpus})
				if err != nil || len(set.Objects) == 0 {
					b.Fatalf("%v, %d objects", err, len(set.Objects))
				}
			}
		})
	}
}

// TestGenerates: a generator called in an action makes a chart generate
// values; the same word in the text around the actions does not.
func TestGenerates(t *testing.T) {
	for data, want := range map[string]bool{
		`"time": {"from": "now-1h", "to": "now"}`:          false,
		`password: {{ randAlphaNum 10 | b64enc }}`:         true,
		`at: {{ now | date "2006" }}`:                      true,
		`{{ tpl "{{ uuidv4 }}" . }}`:                       true,
		"{{/* genCA */}}":                                  true,
		"random text, genCA, {{ .Values.x }}":              false,
		"{{ .Values.a }} bcrypt {{ .Values.b }} randAlpha": false,
	} {
		ch := &chart.Chart{Templates: []*chart.File{{Name: "templates/t.yaml", Data: []byte(data)}}}
		if got := generates(ch); got != want {
			t.Errorf("generates(%q) = %v, want %v", data, got, want)
		}
	}
}

// TestHelmOneRender: the render with markers gives the objects the plain
// render gives where template code sees what an include or tpl returns:
// a checksum of another template (a computed name), a comparison, a
// variable, fromYaml, and includes inside tpl text.
func TestHelmOneRender(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: one\nversion: 0.1.0\n",
		"values.yaml": "name: web\n" +
			"annotation: '{{ include \"one.labels\" . | sha256sum }}'\n" +
			"extra: '{{ include \"one.labels\" . }}'\n",
		"templates/_helpers.tpl": `{{- define "one.labels" -}}
app: {{ .Values.name }}
tier: front
{{- end }}
{{- define "one.selector" -}}
app: {{ .Values.name }}
{{- end }}
{{- define "one.name" -}}
{{ .Values.name }}
{{- end }}`,
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "one.name" . }}
  labels:
    {{- include "one.labels" . | nindent 4 }}
data:
  a: "1"
`,
		"templates/deploy.yaml": `{{- $name := include "one.name" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/cm.yaml") . | sha256sum }}
    checksum/labels: {{ include "one.labels" . | sha256sum }}
    same: {{ eq (include "one.name" .) "web" | quote }}
    length: {{ len (include "one.labels" .) | quote }}
    app: {{ (include "one.labels" . | fromYaml).app }}
    fromValues: {{ tpl .Values.annotation . }}
    {{- if include "one.name" . }}
    named: "yes"
    {{- end }}
  labels:
    {{- tpl .Values.extra . | nindent 4 }}
spec:
  template:
    metadata:
      labels:
        {{- include "one.selector" . | nindent 8 }}
    spec:
      containers:
        - name: {{ $name }}
          image: nginx
`,
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs, probs := loadChart(context.Background(), dir, Options{Dir: dir})
	for _, p := range probs {
		t.Fatalf("problem: %s: %s", p.Pos, p.Message)
	}
	// The plain render, as helm template renders it.
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: DefaultReleaseName, Namespace: DefaultNamespace, Revision: 1, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := helmengine.Engine{}.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range []string{"one/templates/cm.yaml", "one/templates/deploy.yaml"} {
		parsed, _ := parseHelm(name, plain[name])
		for _, o := range parsed {
			trimDocEnd(o.Node)
			want = append(want, nodeYAML(t, o.Node))
		}
	}
	var got []string
	for _, o := range objs {
		got = append(got, nodeYAML(t, o.Node))
	}
	if strings.Join(got, "---\n") != strings.Join(want, "---\n") {
		t.Errorf("objects:\n%s\nwant (plain render):\n%s", strings.Join(got, "---\n"), strings.Join(want, "---\n"))
	}
	// And the fields keep their positions: the label written inside the
	// define.
	for _, o := range objs {
		if o.Kind != "Deployment" {
			continue
		}
		segs, _ := ParsePath("spec.template.metadata.labels.app")
		if loc := o.Locator(ValueAt(o.Node, segs)); loc.File != "templates/_helpers.tpl" || loc.Line != 6 || loc.Approx {
			t.Errorf("the app label at %+v, want templates/_helpers.tpl:6 exact", loc)
		}
	}
}

func nodeYAML(t *testing.T, n *yaml.Node) string {
	b, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUnmark: markers are removed and nothing else.
func TestUnmark(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"a: 1\n":                          "a: 1\n",
		"\uE0000\uE001a: \uE00012\uE001b": "a: b",
		"x\uE000y\uE001z":                 "x\uE000y\uE001z",
		"x\uE000\uE001z":                  "x\uE000\uE001z",
		"x\uE0001":                        "x\uE0001",
	} {
		if got := unmark(in); got != want {
			t.Errorf("unmark(%q) = %q, want %q", in, got, want)
		}
	}
}
