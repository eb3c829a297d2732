package render

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func loadHelm(t *testing.T, dir string, h HelmOptions) *Set {
	t.Helper()
	set, err := Load(context.Background(), []string{"."}, Options{Dir: filepath.Join("../testdata/helm", dir), Helm: h})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func findObject(t *testing.T, set *Set, kind, name string) *Object {
	t.Helper()
	for _, o := range set.Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s among %d objects", kind, name, len(set.Objects))
	return nil
}

func locString(l Location) string {
	s := fmt.Sprintf("%s:%d", l.File, l.Line)
	if l.Approx {
		s += " approx"
	}
	for _, r := range l.Related {
		s += fmt.Sprintf(" [%s:%d %s]", r.File, r.Line, r.Message)
	}
	return s
}

// TestHelmLocations: fields point at the values line that supplies them
// (with the template line related), at the template line that writes them,
// or, when missing, at the template line of their nearest written parent.
func TestHelmLocations(t *testing.T) {
	cases := []struct {
		dir, kind, name, path, want string
	}{
		// A scalar read from .Values.
		{"values", "Deployment", "release-name-web", "spec.template.spec.hostNetwork",
			"values.yaml:4 [templates/deployment.yaml:16 rendered by templates/deployment.yaml:16]"},
		// A scalar built from two values: the first, and the other related.
		{"values", "Deployment", "release-name-web", "spec.template.spec.containers[0].image",
			"values.yaml:2 [templates/deployment.yaml:21 rendered by templates/deployment.yaml:21] [values.yaml:3 the value is also built from this line]"},
		// A field inside a toYaml .Values block.
		{"values", "Deployment", "release-name-web", "spec.template.spec.containers[0].securityContext.privileged",
			"values.yaml:12 [templates/deployment.yaml:23 rendered by templates/deployment.yaml:23]"},
		// A missing field under a toYaml block: the values key of the block.
		{"values", "Deployment", "release-name-web", "spec.template.spec.containers[0].securityContext.runAsUser",
			"values.yaml:9 [templates/deployment.yaml:23 rendered by templates/deployment.yaml:23]"},
		// Literal template text.
		{"values", "Deployment", "release-name-web", "spec.template.spec.containers[2].securityContext.allowPrivilegeEscalation",
			"templates/deployment.yaml:31"},
		// A missing field under a literal parent.
		{"values", "Deployment", "release-name-web", "spec.template.spec.containers[2].securityContext.runAsUser",
			"templates/deployment.yaml:30"},
		// A field written by a named template.
		{"values", "Deployment", "release-name-web", "spec.template.spec.containers[1].securityContext.capabilities.add",
			"templates/_helpers.tpl:14"},
		// A field written by an action that reads no values: the action's line.
		{"values", "Deployment", "release-name-web", "metadata.labels[\"app.kubernetes.io/instance\"]",
			"templates/_helpers.tpl:7"},
		// with .Values.pod: .hostPID.
		{"range-with", "StatefulSet", "release-name-workers", "spec.template.spec.hostPID",
			"values.yaml:2 [templates/statefulset.yaml:16 rendered by templates/statefulset.yaml:16]"},
		// toYaml .securityContext inside with.
		{"range-with", "StatefulSet", "release-name-workers", "spec.template.spec.securityContext.seccompProfile.type",
			"values.yaml:6 [templates/statefulset.yaml:18 rendered by templates/statefulset.yaml:18]"},
		// range .Values.containers: the second item's image and readOnly.
		{"range-with", "StatefulSet", "release-name-workers", "spec.template.spec.containers[1].image",
			"values.yaml:12 [templates/statefulset.yaml:23 rendered by templates/statefulset.yaml:23]"},
		{"range-with", "StatefulSet", "release-name-workers", "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
			"values.yaml:10 [templates/statefulset.yaml:26 rendered by templates/statefulset.yaml:26]"},
		// $.Values inside with, and range $i, $c := $.Values.list.
		{"range-with", "Pod", "release-name-sidecars", "spec.hostPID",
			"values.yaml:2 [templates/pod.yaml:7 rendered by templates/pod.yaml:7]"},
		{"range-with", "Pod", "release-name-sidecars", "spec.containers[1].securityContext.privileged",
			"values.yaml:18 [templates/pod.yaml:20 rendered by templates/pod.yaml:20]"},
		{"range-with", "Pod", "release-name-sidecars", "spec.containers[0].image",
			"values.yaml:15 [templates/pod.yaml:13 rendered by templates/pod.yaml:13]"},
		// range over a map: in key order, approximately.
		{"range-with", "Pod", "release-name-sidecars", "spec.containers[0].env[1].value",
			"values.yaml:20 approx [templates/pod.yaml:17 rendered by templates/pod.yaml:17]"},
		// Subchart: the parent's api: section overrides the subchart's values.yaml.
		{"umbrella", "Pod", "release-name-api", "spec.hostIPC",
			"values.yaml:2 [charts/api/templates/pod.yaml:6 rendered by templates/pod.yaml:6]"},
		{"umbrella", "Pod", "release-name-api", "spec.securityContext.runAsUser",
			"charts/api/values.yaml:2 [charts/api/templates/pod.yaml:9 rendered by templates/pod.yaml:9]"},
		// A library chart's named template.
		{"umbrella", "Job", "release-name-migrate", "spec.template.spec.securityContext.runAsNonRoot",
			"charts/common/templates/_pod.tpl:3"},
		// A packaged subchart: its own lines cannot be edited; parent values can.
		{"umbrella", "DaemonSet", "release-name-agent", "spec.template.spec.hostNetwork",
			"charts/agent-1.0.0.tgz:1 approx [charts/agent-1.0.0.tgz:14 rendered by templates/daemonset.yaml:14 in charts/agent-1.0.0.tgz]"},
		{"umbrella", "DaemonSet", "release-name-agent", "spec.template.spec.containers[0].image",
			"values.yaml:4 [charts/agent-1.0.0.tgz:21 rendered by templates/daemonset.yaml:21 in charts/agent-1.0.0.tgz]"},
		// A CRD from crds/ is read as a plain file.
		{"umbrella", "CustomResourceDefinition", "widgets.acme.io", "spec.scope", "crds/widgets.yaml:10"},
		// A default in the template when values set nothing: the template line.
		{"valuesets", "Deployment", "release-name-api", "spec.template.spec.containers[0].imagePullPolicy",
			"templates/deployment.yaml:22"},
	}
	sets := map[string]*Set{}
	for _, c := range cases {
		t.Run(c.dir+"/"+c.path, func(t *testing.T) {
			if sets[c.dir] == nil {
				sets[c.dir] = loadHelm(t, c.dir, HelmOptions{})
			}
			o := findObject(t, sets[c.dir], c.kind, c.name)
			if got := locString(o.Locate(c.path)); got != c.want {
				t.Errorf("Locate(%s)\n got %s\nwant %s", c.path, got, c.want)
			}
		})
	}
}

// TestHelmCharts: what a chart renders to, and the source it carries.
func TestHelmCharts(t *testing.T) {
	set := loadHelm(t, "umbrella", HelmOptions{})
	var got []string
	for _, o := range set.Objects {
		got = append(got, fmt.Sprintf("%s %s %s %s/%s", o.Kind, o.Name, o.File, o.Source.Kind, o.Source.ValueSet))
	}
	want := []string{
		// The hook is rendered; the library chart renders nothing itself.
		"Job release-name-migrate templates/job.yaml helm/default",
		"DaemonSet release-name-agent charts/agent-1.0.0.tgz helm/default",
		"Pod release-name-api charts/api/templates/pod.yaml helm/default",
		"CustomResourceDefinition widgets.acme.io crds/widgets.yaml helm/default",
	}
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range set.Problems {
		t.Errorf("problem %s: %s", p.Pos, p.Message)
	}
	if len(set.Charts) != 1 || set.Charts[0] != "." {
		t.Errorf("charts %v, want [.]", set.Charts)
	}
}

// TestHelmProblems: a missing dependency and a failing `required` are
// located problems; a library chart renders nothing; the plain manifest
// beside them is still read.
func TestHelmProblems(t *testing.T) {
	set := loadHelm(t, "problems", HelmOptions{})
	var got []string
	for _, p := range set.Problems {
		got = append(got, fmt.Sprintf("%s %s: %s", p.Kind, p.Pos, p.Message))
	}
	want := []string{
		"invalid missing-dep/Chart.yaml:5:1: chart missing-dep depends on \"redis\", which is not vendored under missing-dep/charts; run `helm dependency build missing-dep` and commit charts/, or let kubeharden fetch it (`helm: {dependencies: fetch}` in .kubeharden.yaml, or --helm-dependencies fetch)",
		"invalid parse-error/templates/cm.yaml:6:1: Helm template error (value set default): parse error at (broken-template/templates/cm.yaml:7): unexpected EOF",
		"invalid required/templates/secret.yaml:6:15: Helm template error (value set default): execution error at (needs-values/templates/secret.yaml:6:15): database.password is required",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(set.Objects) != 1 || set.Objects[0].Name != "beside" {
		t.Errorf("objects: want only the plain pod, got %d", len(set.Objects))
	}
	if len(set.Charts) != 4 {
		t.Errorf("charts %v: want the four chart directories", set.Charts)
	}
}

// TestHelmOptions: release name, namespace and kube version reach the
// templates, as `helm template --name-template --namespace --kube-version`.
func TestHelmOptions(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "chart/Chart.yaml", []byte("apiVersion: v2\nname: opts\nversion: 1.0.0\nkubeVersion: \">=1.25.0-0\"\n"))
	write(t, dir, "chart/templates/cm.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  lookup: {{ lookup "v1" "Secret" "default" "x" | toJson | quote }}
`))
	set, err := Load(context.Background(), []string{"."}, Options{Dir: dir, Helm: HelmOptions{ReleaseName: "shop", Namespace: "prod", KubeVersion: "1.30"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) != 1 {
		t.Fatalf("%d objects, problems %v", len(set.Objects), set.Problems)
	}
	o := set.Objects[0]
	if o.Name != "shop" || o.Namespace != "prod" || o.String("data.kube") != "v1.30" || o.String("data.lookup") != "{}" {
		t.Errorf("got %s/%s kube %q lookup %q", o.Namespace, o.Name, o.String("data.kube"), o.String("data.lookup"))
	}
	// A kube version the chart refuses is a located problem.
	set, err = Load(context.Background(), []string{"."}, Options{Dir: dir, Helm: HelmOptions{KubeVersion: "1.20"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) != 0 || len(set.Problems) != 1 || set.Problems[0].Pos.String() != "chart/Chart.yaml:4:1" {
		t.Errorf("objects %d, problems %v", len(set.Objects), set.Problems)
	}
}

// TestHelmMapFile: renders that differ only in values keep exact lines;
// renders whose shape the markers changed are lined up approximately.
func TestHelmMapFile(t *testing.T) {
	in := &instrumentation{}
	in.marks.add(mark{name: "c/templates/a.yaml", offset: 0, text: "a: 1\nb: ", isText: true})
	in.marks.add(mark{name: "c/templates/a.yaml", offset: 8, line: 2, col: 4})
	in.sources = map[string]*tplSource{"c/templates/a.yaml": newTplSource("a: 1\nb: {{ x }}\n")}
	mk := func(id int) string { return string(markOpen) + strconv.Itoa(id) + string(markClose) }
	m := in.mapFile(mk(0)+"a: 1\nb: "+mk(1)+"xyz\n", "a: 1\nb: abc\n")
	if m == nil || m.diverged || !m.same[1] {
		t.Fatalf("a value difference: %+v", m)
	}
	if id, line, col, _ := in.origin(m, m.lines[1]+3); id != 1 || line != 2 || col != 4 {
		t.Errorf("value origin: mark %d at %d:%d, want mark 1 at 2:4", id, line, col)
	}
	if id, line, col, _ := in.origin(m, m.lines[1]); id != 0 || line != 2 || col != 1 {
		t.Errorf("key origin: mark %d at %d:%d, want mark 0 at 2:1", id, line, col)
	}
	m = in.mapFile(mk(0)+"a: 1\nb: "+mk(1)+"\n  c: 2\n", "a: 1\nb: x\n")
	if m == nil || !m.diverged || !m.same[0] || m.same[1] {
		t.Fatalf("a shape difference: %+v", m)
	}
}

// TestHelmPathInsideChart: naming a chart's templates or values file
// renders the chart; nothing in it is read as a plain manifest.
func TestHelmPathInsideChart(t *testing.T) {
	for _, p := range []string{"values/templates", "values/templates/deployment.yaml", "values/values.yaml", "values"} {
		set, err := Load(context.Background(), []string{p}, Options{Dir: "../testdata/helm"})
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Problems) != 0 || len(set.Objects) != 1 || set.Objects[0].Source.Kind != "helm" || len(set.Charts) != 1 || set.Charts[0] != "values" {
			t.Errorf("%s: %d objects, charts %v, problems %v", p, len(set.Objects), set.Charts, set.Problems)
		}
	}
}

// TestChartTimeout: a chart that renders for too long is a located
// problem; the rest of the scan goes on.
func TestChartTimeout(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "slow/Chart.yaml", []byte("apiVersion: v2\nname: slow\nversion: 1.0.0\n"))
	write(t, dir, "slow/templates/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: slow\ndata:\n  n: \"{{ range until 5000 }}{{ range until 5000 }}{{ end }}{{ end }}\"\n"))
	write(t, dir, "plain/cm.yaml", []byte(configMap))
	set, err := Load(t.Context(), []string{"."}, Options{Dir: dir, ChartTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	problemAt(t, set, "slow/Chart.yaml", 1, Skipped, "did not render within 50ms")
	if len(set.Objects) != 1 || set.Objects[0].File != "plain/cm.yaml" {
		t.Errorf("objects %v: want the plain ConfigMap alone", set.Objects)
	}
}
