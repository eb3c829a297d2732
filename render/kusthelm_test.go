package render

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKustomizeHelmChartFixture: testdata/kustomize/helmchart renders the
// base's vendored chart with its inline and additional values, applies the
// overlay's namespace and patch to it, and points each field at the line
// that set it: the kustomization's valuesInline, a values file, the
// template, the overlay's patch.
func TestKustomizeHelmChartFixture(t *testing.T) {
	set := loadTree(t, "../testdata/kustomize/helmchart")
	if len(set.Problems) > 0 {
		t.Fatalf("problems: %+v", set.Problems)
	}
	var kinds []string
	var o *Object
	for _, x := range set.Objects {
		kinds = append(kinds, x.Kind)
		if x.Kind == "Deployment" {
			o = x
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"Deployment", "Secret"}) {
		t.Fatalf("objects %v, want the chart's Deployment and Secret (its test pod is skipped by skipTests)", kinds)
	}
	want := Source{Kind: "kustomize", Root: "overlay", Chart: "base/charts/web"}
	if o.Kind != "Deployment" || o.Name != "shop-web" || o.Source.Kind != want.Kind || o.Source.Root != want.Root || o.Source.Chart != want.Chart {
		t.Errorf("object %s %s from %+v, want Deployment shop-web from %+v", o.Kind, o.Name, o.Source, want)
	}
	// The overlay's namespace reaches the chart as its release namespace
	// (the template writes .Release.Namespace).
	if o.Namespace != "shop" {
		t.Errorf("namespace %q, want the overlay's shop", o.Namespace)
	}
	// kustomization.yaml twice, values-prod.yaml, and the two templates.
	if set.Files != 5 {
		t.Errorf("%d files read, want 5", set.Files)
	}
	if slices.Contains(set.Charts, "base/charts/web") {
		t.Errorf("the chart the kustomization renders is also rendered on its own: %v", set.Charts)
	}
	texts := map[string]bool{}
	for _, tx := range set.Texts {
		texts[tx.File] = true
	}
	for _, f := range []string{"base/charts/web/values.yaml", "base/charts/web/templates/deployment.yaml", "base/values-prod.yaml", "base/kustomization.yaml"} {
		if !texts[f] {
			t.Errorf("text of %s not kept for secret detection", f)
		}
	}
	cases := []struct {
		path    string
		at      string
		related string // one related location expected, "" for none checked
	}{
		{"spec.template.spec.containers[0].image", "base/kustomization.yaml:9", "base/charts/web/values.yaml:2"},
		{"spec.template.spec.hostNetwork", "base/values-prod.yaml:1", "base/charts/web/templates/deployment.yaml:15"},
		{"spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem", "base/charts/web/values.yaml:7", ""},
		{"spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation", "base/charts/web/templates/deployment.yaml:28", ""},
		{"spec.template.spec.containers[0].securityContext.privileged", "overlay/kustomization.yaml:12", ""},
		{"metadata.namespace", "overlay/kustomization.yaml:3", ""},
		{"spec.template.spec", "base/charts/web/templates/deployment.yaml:14", ""},
	}
	for _, c := range cases {
		l := o.Locate(c.path)
		if got := fmt.Sprintf("%s:%d", l.File, l.Line); got != c.at {
			t.Errorf("%s at %s, want %s (%+v)", c.path, got, c.at, l)
		}
		if c.related != "" && !slices.ContainsFunc(l.Related, func(r Related) bool { return fmt.Sprintf("%s:%d", r.File, r.Line) == c.related }) {
			t.Errorf("%s: related %+v, want %s among them", c.path, l.Related, c.related)
		}
	}
}

// chartTree writes a chart "web" under dir whose ConfigMap reports what
// the chart was given: values, release name and namespace, capabilities.
func chartTree(t *testing.T, dir, at string) {
	t.Helper()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"values.yaml": "tag: chart\nother: chart\nextra: chart\n",
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  tag: {{ .Values.tag | quote }}
  other: {{ .Values.other | quote }}
  extra: {{ .Values.extra | quote }}
  release: {{ .Release.Name | quote }}
  namespace: {{ .Release.Namespace | quote }}
  api: {{ .Capabilities.APIVersions.Has "example.com/v1" | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
`,
		"templates/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers:\n    - name: t\n      image: busybox\n",
		"templates/job.yaml":  "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: m\n          image: busybox\n",
		"crds/crd.yaml":       "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n",
	}
	for name, data := range files {
		write(t, dir, at+"/"+name, []byte(data))
	}
}

// TestKustomizeHelmChartOptions: each helmCharts setting is honoured as
// kustomize build --enable-helm honours it.
func TestKustomizeHelmChartOptions(t *testing.T) {
	cases := []struct {
		name  string
		chart string // where the chart is vendored
		files map[string]string
		data  map[string]string // of the ConfigMap
		kinds []string          // the objects built, sorted
		cm    string            // the ConfigMap's name and namespace
	}{
		{name: "defaults", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n",
		}, data: map[string]string{"tag": "chart", "release": "release-name", "namespace": "default", "api": "false", "kube": "v1.37.0"},
			kinds: []string{"ConfigMap", "Job", "Pod"}, cm: "release-name-settings"},
		{name: "values file then inline values (override)", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesFile: prod.yaml\n    valuesInline:\n      tag: inline\n",
			"app/prod.yaml":          "tag: file\nother: file\n",
		}, data: map[string]string{"tag": "inline", "other": "file", "extra": "chart"}},
		{name: "merge: the values file wins", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesFile: prod.yaml\n    valuesMerge: merge\n    valuesInline:\n      tag: inline\n      extra: inline\n",
			"app/prod.yaml":          "tag: file\nother: file\n",
		}, data: map[string]string{"tag": "file", "other": "file", "extra": "inline"}},
		{name: "replace: the values file is dropped", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesFile: prod.yaml\n    valuesMerge: replace\n    valuesInline:\n      tag: inline\n",
			"app/prod.yaml":          "tag: file\nother: file\n",
		}, data: map[string]string{"tag": "inline", "other": "chart"}},
		{name: "additional values files come last", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesInline:\n      tag: inline\n      other: inline\n    additionalValuesFiles:\n      - a.yaml\n      - b.yaml\n",
			"app/a.yaml":             "tag: a\nextra: a\n",
			"app/b.yaml":             "extra: b\n",
		}, data: map[string]string{"tag": "a", "other": "inline", "extra": "b"}},
		{name: "release, CRDs, no hooks, api versions, kube version", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    releaseName: shop\n    includeCRDs: true\n    skipHooks: true\n    apiVersions: [example.com/v1]\n    kubeVersion: v1.30.0\n",
		}, data: map[string]string{"release": "shop", "api": "true", "kube": "v1.30.0"},
			kinds: []string{"ConfigMap", "CustomResourceDefinition"}, cm: "shop-settings"},
		{name: "skipTests keeps other hooks", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    skipTests: true\n",
		}, kinds: []string{"ConfigMap", "Job"}},
		{name: "kustomization namespace is the release namespace; the transformer leaves the chart alone", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "namespace: team\nnamePrefix: x-\nhelmCharts:\n  - name: web\n    skipHooks: true\n",
		}, data: map[string]string{"namespace": "team"}, cm: "x-release-name-settings"},
		{name: "the entry's namespace wins", chart: "app/charts/web", files: map[string]string{
			"app/kustomization.yaml": "namespace: team\nhelmCharts:\n  - name: web\n    namespace: own\n",
		}, data: map[string]string{"namespace": "own"}},
		{name: "an overlay's namespace reaches a base's chart", chart: "base/charts/web", files: map[string]string{
			"base/kustomization.yaml":    "helmCharts:\n  - name: web\n    skipHooks: true\n",
			"overlay/kustomization.yaml": "namespace: prod\nresources:\n  - ../base\n",
		}, data: map[string]string{"namespace": "prod"}},
		{name: "chart home", chart: "vendor/helm/web", files: map[string]string{
			"app/kustomization.yaml": "helmGlobals:\n  chartHome: ../vendor/helm\nhelmCharts:\n  - name: web\n",
		}, data: map[string]string{"tag": "chart"}},
		{name: "versioned directory when version and repo are set", chart: "app/charts/web-1.0.0/web", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    version: 1.0.0\n    repo: https://charts.example.com\n",
		}, data: map[string]string{"tag": "chart"}},
		{name: "legacy helmChartInflationGenerator", chart: "app/vendored/web", files: map[string]string{
			"app/kustomization.yaml": "helmChartInflationGenerator:\n  - chartName: web\n    chartHome: vendored\n    releaseName: old\n    values: v.yaml\n    valuesLocal:\n      other: local\n",
			"app/v.yaml":             "tag: file\n",
		}, data: map[string]string{"tag": "file", "other": "local", "release": "old"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tripwires(t)
			dir := t.TempDir()
			chartTree(t, dir, c.chart)
			for name, data := range c.files {
				write(t, dir, name, []byte(data))
			}
			set := loadTree(t, dir)
			if len(set.Problems) > 0 {
				t.Fatalf("problems: %+v", set.Problems)
			}
			var kinds []string
			var cm *Object
			for _, o := range set.Objects {
				if o.Source.Kind != "kustomize" || o.Source.Chart != c.chart {
					t.Errorf("%s %s from %+v, want a kustomize object of chart %s", o.Kind, o.Name, o.Source, c.chart)
				}
				kinds = append(kinds, o.Kind)
				if o.Kind == "ConfigMap" {
					cm = o
				}
			}
			slices.Sort(kinds)
			if c.kinds != nil && !slices.Equal(kinds, c.kinds) {
				t.Errorf("objects %v, want %v", kinds, c.kinds)
			}
			if cm == nil {
				t.Fatalf("no ConfigMap built")
			}
			if c.cm != "" && cm.Name != c.cm {
				t.Errorf("ConfigMap %q, want %q", cm.Name, c.cm)
			}
			if cm.Namespace != "" {
				t.Errorf("ConfigMap namespace %q: kustomize's namespace transformer leaves Helm's objects alone", cm.Namespace)
			}
			for k, v := range c.data {
				if got := cm.String("data." + k); got != v {
					t.Errorf("data.%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestKustomizeHelmChartProblems: a chart that cannot be rendered stops
// its kustomization with a located problem; the scan goes on.
func TestKustomizeHelmChartProblems(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		file  string
		line  int
		text  string
	}{
		{name: "template error", files: map[string]string{
			"app/kustomization.yaml":            "helmCharts:\n  - name: web\n",
			"app/charts/web/templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ required \"set tag\" .Values.missing }}\n",
		}, file: "app/charts/web/templates/bad.yaml", line: 6, text: "set tag"},
		{name: "library chart", files: map[string]string{
			"app/kustomization.yaml":    "helmCharts:\n  - name: lib\n",
			"app/charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
		}, file: "app/kustomization.yaml", line: 2, text: "library chart"},
		{name: "missing dependency", files: map[string]string{
			"app/kustomization.yaml":    "helmCharts:\n  - name: dep\n",
			"app/charts/dep/Chart.yaml": "apiVersion: v2\nname: dep\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\n",
		}, file: "app/charts/dep/Chart.yaml", line: 5, text: "redis"},
		{name: "unknown valuesMerge", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesMerge: deep\n",
		}, file: "app/kustomization.yaml", line: 3, text: "valuesMerge"},
		{name: "slow template", files: map[string]string{
			"app/kustomization.yaml":             "helmCharts:\n  - name: web\n",
			"app/charts/web/templates/slow.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: slow\ndata:\n  n: \"{{ range until 5000 }}{{ range until 5000 }}{{ end }}{{ end }}\"\n",
		}, file: "app/charts/web/Chart.yaml", line: 1, text: "did not render within"},
		{name: "values file missing", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesFile: gone.yaml\n",
		}, file: "app/kustomization.yaml", line: 3, text: "cannot be read"},
		{name: "values file malformed", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - name: web\n    valuesFile: bad.yaml\n",
			"app/bad.yaml":           "tag: [unclosed\n",
		}, file: "app/bad.yaml", line: 1, text: "values file"},
		{name: "helmCharts not a list", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  name: redis\n",
		}, file: "app/kustomization.yaml", line: 1, text: "not a list"},
		{name: "entry without a name", files: map[string]string{
			"app/kustomization.yaml": "helmCharts:\n  - releaseName: x\n",
		}, file: "app/kustomization.yaml", line: 2, text: "chart name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ran := tripwires(t)
			dir := t.TempDir()
			if strings.Contains(c.files["app/kustomization.yaml"], "name: web") {
				chartTree(t, dir, "app/charts/web")
			}
			for name, data := range c.files {
				write(t, dir, name, []byte(data))
			}
			write(t, dir, "plain/cm.yaml", []byte(configMap))
			// Only the slow template gets a short time: on a loaded machine
			// the others could take longer than it, and would be reported
			// as slow instead of as what they are.
			var timeout time.Duration
			kind := Invalid
			if strings.Contains(c.text, "did not render") {
				timeout, kind = 50*time.Millisecond, Skipped
			}
			set, err := Load(t.Context(), []string{"."}, Options{Dir: dir, ChartTimeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			problemAt(t, set, c.file, c.line, kind, c.text)
			if !slices.ContainsFunc(set.Objects, func(o *Object) bool { return o.File == "plain/cm.yaml" }) {
				t.Errorf("the plain manifest beside the kustomization was not scanned")
			}
			for _, o := range set.Objects {
				if strings.HasPrefix(o.File, "app/") {
					t.Errorf("%s %s from %s (%s): the kustomization does not build, and the chart it uses is not rendered on its own", o.Kind, o.Name, o.File, o.Source.Kind)
				}
			}
			noRun(t, ran)
		})
	}
}

// TestKustomizeHelmChartInlineAliases: inline values may use anchors and
// merge keys from elsewhere in the kustomization.
func TestKustomizeHelmChartInlineAliases(t *testing.T) {
	dir := t.TempDir()
	chartTree(t, dir, "app/charts/web")
	write(t, dir, "app/kustomization.yaml", []byte(`helmCharts:
  - name: web
    releaseName: one
    skipHooks: true
    valuesInline: &common
      tag: shared
  - name: web
    releaseName: two
    skipHooks: true
    valuesInline:
      <<: *common
      other: own
`))
	set := loadTree(t, dir)
	if len(set.Problems) > 0 {
		t.Fatalf("problems: %+v", set.Problems)
	}
	got := map[string]string{}
	for _, o := range set.Objects {
		got[o.Name] = o.String("data.tag") + "/" + o.String("data.other")
	}
	want := map[string]string{"one-settings": "shared/chart", "two-settings": "shared/own"}
	if len(got) != 2 || got["one-settings"] != want["one-settings"] || got["two-settings"] != want["two-settings"] {
		t.Errorf("ConfigMaps %v, want %v", got, want)
	}
}
