package scan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// TestPSSParityCRDPods runs the Pod Security Admission evaluator on every
// pod spec extracted from the CRD fixtures, as the controller would create
// it, and compares its verdict with the pss levels of our findings on the
// object: a baseline finding exactly when a pod fails baseline, a PSS
// finding of either level exactly when a pod fails restricted.
func TestPSSParityCRDPods(t *testing.T) {
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	latest := api.LatestVersion()
	pods := 0
	for _, d := range fixtureDirs(t, "../testdata/pods") {
		dir := filepath.Join("../testdata/pods", d)
		cfg := fixtureConfig(t, dir)
		set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := scan.Run(context.Background(), set, scan.All, cfg)
		if err != nil {
			t.Fatal(err)
		}
		levels := map[string]map[string]bool{}
		for _, f := range fs {
			if f.Object != nil && f.PSSLevel != "" {
				k := fmt.Sprint(*f.Object)
				if levels[k] == nil {
					levels[k] = map[string]bool{}
				}
				levels[k][f.PSSLevel] = true
			}
		}
		for _, o := range set.Objects {
			ps, err := scan.PodsOf(o, cfg)
			if err != nil {
				t.Fatalf("%s %s: %v", d, o.Name, err)
			}
			baselineOK, restrictedOK := true, true
			for _, p := range ps {
				pods++
				b := policy.AggregateCheckResults(ev.EvaluatePod(api.LevelVersion{Level: api.LevelBaseline, Version: latest}, &p.Meta, &p.Spec))
				r := policy.AggregateCheckResults(ev.EvaluatePod(api.LevelVersion{Level: api.LevelRestricted, Version: latest}, &p.Meta, &p.Spec))
				baselineOK = baselineOK && b.Allowed
				restrictedOK = restrictedOK && r.Allowed
			}
			lv := levels[fmt.Sprint(o.Ref())]
			if lv["baseline"] == baselineOK {
				t.Errorf("%s: %s %s: baseline finding %v, but admission allows its pods: %v", d, o.Kind, o.Name, lv["baseline"], baselineOK)
			}
			if (lv["baseline"] || lv["restricted"]) == restrictedOK {
				t.Errorf("%s: %s %s: PSS findings %v, but restricted admission allows its pods: %v", d, o.Kind, o.Name, lv, restrictedOK)
			}
		}
	}
	if pods < 30 {
		t.Errorf("only %d pods extracted from the CRD fixtures", pods)
	}
}

// TestPodsOfCRDs pins how pods are assembled from CRD fields: which
// containers, from where, with which pod settings.
func TestPodsOfCRDs(t *testing.T) {
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: "../testdata/pods"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range set.Objects {
		ps, err := scan.PodsOf(o, scan.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			var cs []string
			for _, c := range p.Containers() {
				cs = append(cs, c.Name+"@"+c.Path)
			}
			sc := ""
			if p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsUser != nil {
				sc = fmt.Sprint(*p.Spec.SecurityContext.RunAsUser)
			}
			got[o.Kind+"/"+o.Name+"/"+p.Name] = fmt.Sprintf("%v uid=%s sa=%s volumes=%d sc@%s", cs, sc, p.Spec.ServiceAccountName, len(p.Spec.Volumes), p.Path("securityContext"))
		}
	}
	for k, want := range map[string]string{
		`Workflow/build/template "compile"`:                     `[main@spec.templates[1].container] uid=10001 sa=builder volumes=1 sc@spec.securityContext`,
		`Workflow/build/template "publish"`:                     `[main@spec.templates[2].script dind@spec.templates[2].sidecars[0]] uid=0 sa=builder volumes=1 sc@spec.templates[2].securityContext`,
		`CronWorkflow/nightly/template "report"`:                `[report@spec.workflowSpec.templates[0].containerSet.containers[0]] uid= sa=builder volumes=0 sc@spec.workflowSpec.templates[0].securityContext`,
		`SparkApplication/pi/driver`:                            `[spark-kubernetes-driver@spec.driver] uid= sa=spark volumes=1 sc@spec.driver.podSecurityContext`,
		`SparkApplication/pi/executor`:                          `[spark-kubernetes-executor@spec.executor] uid=185 sa=spark volumes=0 sc@spec.executor.podSecurityContext`,
		`Task/build/`:                                           `[compile@spec.steps[0] push@spec.steps[1]] uid= sa= volumes=0 sc@spec.securityContext`,
		`TaskRun/build-run/`:                                    `[test@spec.taskSpec.steps[0]] uid= sa=builder volumes=0 sc@spec.podTemplate.securityContext`,
		`Pipeline/ci/task "lint"`:                               `[lint@spec.tasks[0].taskSpec.steps[0]] uid= sa= volumes=0 sc@spec.tasks[0].taskSpec.securityContext`,
		`FlinkDeployment/wordcount/spec.jobManager.podTemplate`: `[flink-main-container@spec.jobManager.podTemplate.spec.containers[0]] uid=9999 sa=flink volumes=0 sc@spec.jobManager.podTemplate.spec.securityContext`,
		`Revision/revision-insecure/`:                           `[@spec.containers[0]] uid= sa= volumes=0 sc@spec.securityContext`,
	} {
		if got[k] != want {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], want)
		}
	}
	for _, k := range []string{"Rollout/by-ref/", "Other/other/"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s has a pod: %s", k, got[k])
		}
	}
}

// TestPodKindDocs: every kind the pod adapter reads is documented, once.
func TestPodKindDocs(t *testing.T) {
	seen := map[string]int{}
	for _, d := range scan.PodKindDocs {
		if d.Paths == "" || d.Controller == "" || !strings.HasPrefix(d.Source, "https://") {
			t.Errorf("%v: paths, controller behaviour and an https source are required", d.Kinds)
		}
		for _, k := range d.Kinds {
			seen[k]++
		}
	}
	for _, k := range scan.PodKinds() {
		if seen[k] != 1 {
			t.Errorf("%s is documented %d times", k, seen[k])
		}
		delete(seen, k)
	}
	for k := range seen {
		t.Errorf("%s is documented but not read", k)
	}
}

// TestUnnamedContainersDescribed: CRDs leave container names optional (a
// Knative Service's container, a Tekton step); messages then name the
// container by the field that holds it, never as `container ""`, Pod
// Security's reasons included (a namespace's admission as well).
func TestUnnamedContainersDescribed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crds.yaml"), []byte(`apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - image: nginx:1.25
          securityContext: {privileged: true}
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build, namespace: ci}
spec:
  steps:
    - image: golang:1.26
      securityContext: {allowPrivilegeEscalation: true}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, _ := scanDir(t, dir, scan.Config{})
	var all strings.Builder
	for _, f := range fs {
		if strings.Contains(f.Message, `container ""`) || strings.Contains(f.Message, `containers ""`) {
			t.Errorf("%s at %s:%d names an unnamed container by its empty name: %s", f.Rule, f.File, f.Line, f.Message)
		}
		all.WriteString(f.Message + "\n")
	}
	for _, w := range []string{
		`Service "shop/web": unnamed container spec.template.spec.containers[0] is privileged`,
		`pod or unnamed container spec.steps[0] must set securityContext.seccompProfile.type`,
		`Task "ci/build": unnamed container spec.steps[0] may run as root`,
		`would be rejected by namespace "shop", which enforces Pod Security baseline:latest: privileged (container "spec.template.spec.containers[0]" must not set securityContext.privileged=true)`,
	} {
		if !strings.Contains(all.String(), w) {
			t.Errorf("no finding says %q; the messages:\n%s", w, all.String())
		}
	}
}

// TestObjectsDescribed: an object without metadata.name (a configuration
// file's kind never has one; a workload without one is refused by the API
// server but still checked) is named by its kind, in its namespace when it
// sets one, never as `Kind ""` or `Kind "ns/"`; a cluster-scoped object is
// named without the namespace its manifest sets and the API server ignores.
func TestObjectsDescribed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "objects.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext: {privileged: true}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: true
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything, namespace: shop}
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, _ := scanDir(t, dir, scan.Config{})
	seen := map[string]bool{}
	for _, f := range fs {
		if strings.Contains(f.Message, `""`) || strings.Contains(f.Message, `/"`) {
			t.Errorf("%s at %s:%d names an object by an empty name: %s", f.Rule, f.File, f.Line, f.Message)
		}
		for _, prefix := range []string{`Deployment in namespace "shop": container "web" is privileged`, "KubeletConfiguration: ", `ClusterRole "everything": rule 0 grants every verb`} {
			if strings.HasPrefix(f.Message, prefix) {
				seen[prefix] = true
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("want findings starting with the kind (and namespace) of each object; got %v", seen)
	}
}
