package scan

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/render"
)

// A Pod is the pod template inside an object, with the field paths of its
// metadata and spec.
type Pod struct {
	Object   *render.Object
	Meta     metav1.ObjectMeta
	Spec     corev1.PodSpec
	MetaPath string // "metadata" for a Pod, "spec.template.metadata" for a Deployment...
	SpecPath string
}

// A Container is one container of a pod, of any of the three lists.
type Container struct {
	*corev1.Container
	Path string // e.g. spec.template.spec.initContainers[0]
	Kind string // "container", "init container" or "ephemeral container"
}

// templatePaths maps group/kind to the path of the PodTemplateSpec (or,
// for Pod, the empty path: its own metadata and spec).
var templatePaths = map[string]string{
	"/Pod":                               "",
	"/PodTemplate":                       "template",
	"/ReplicationController":             "spec.template",
	"apps/Deployment":                    "spec.template",
	"apps/StatefulSet":                   "spec.template",
	"apps/DaemonSet":                     "spec.template",
	"apps/ReplicaSet":                    "spec.template",
	"extensions/Deployment":              "spec.template",
	"extensions/DaemonSet":               "spec.template",
	"extensions/ReplicaSet":              "spec.template",
	"batch/Job":                          "spec.template",
	"batch/CronJob":                      "spec.jobTemplate.spec.template",
	"argoproj.io/Rollout":                "spec.template",
	"serving.knative.dev/Service":        "spec.template",
	"serving.knative.dev/Configuration":  "spec.template",
	"apps.kruise.io/CloneSet":            "spec.template",
	"apps.kruise.io/StatefulSet":         "spec.template",
	"apps.kruise.io/DaemonSet":           "spec.template",
	"keda.sh/ScaledJob":                  "spec.jobTargetRef.template",
	"apps.openshift.io/DeploymentConfig": "spec.template",
	// OpenShift 3 served DeploymentConfig as apiVersion v1.
	"/DeploymentConfig": "spec.template",
}

func group(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// workloadGroups are the API groups that serve each built-in workload kind.
var workloadGroups = map[string]string{
	"Deployment": "apps", "StatefulSet": "apps", "DaemonSet": "apps", "ReplicaSet": "apps",
	"Job": "batch", "CronJob": "batch",
}

// misplacedWorkload reports a built-in workload kind written with the core
// apiVersion v1, which no API server serves: kubectl refuses it, and
// without this its pod template would go unchecked without a word.
func misplacedWorkload(o *render.Object) (string, bool) {
	g, ok := workloadGroups[o.Kind]
	if !ok || group(o.APIVersion) != "" {
		return "", false
	}
	return g, true
}

// TemplatePath returns the path of o's pod template and whether o has one.
func TemplatePath(o *render.Object) (string, bool) {
	p, ok := templatePaths[group(o.APIVersion)+"/"+o.Kind]
	if ok && p != "" && !o.Has(p) {
		return "", false // an Argo Rollout with workloadRef, say
	}
	return p, ok
}

// pod returns o's pod template, decoded once per scan; nil when o has none.
func (s *scanner) pod(o *render.Object) (*Pod, error) {
	if e, ok := s.pods[o]; ok {
		return e.pod, e.err
	}
	e := &podEntry{}
	s.pods[o] = e
	tp, ok := TemplatePath(o)
	if !ok {
		return nil, nil
	}
	p := &Pod{Object: o, MetaPath: render.Join(tp, "metadata"), SpecPath: render.Join(tp, "spec")}
	if !o.Has(p.SpecPath) {
		return nil, nil
	}
	// One decode of the whole template: metadata and spec together.
	if tp == "" {
		var pod corev1.Pod
		e.err = o.Decode("", &pod)
		p.Meta, p.Spec = pod.ObjectMeta, pod.Spec
	} else {
		var t corev1.PodTemplateSpec
		e.err = o.Decode(tp, &t)
		p.Meta, p.Spec = t.ObjectMeta, t.Spec
	}
	if e.err != nil {
		return nil, e.err
	}
	defaultVolumes(&p.Spec)
	e.pod = p
	return p, nil
}

// Pod returns the pod template of o, or nil when o has none or it cannot
// be decoded (the scan reports that once).
func (p *Pass) Pod(o *render.Object) *Pod {
	pod, _ := p.scan.pod(o)
	return pod
}

// Containers lists init, regular and ephemeral containers with their paths.
func (p *Pod) Containers() []Container {
	var cs []Container
	for i := range p.Spec.InitContainers {
		cs = append(cs, Container{&p.Spec.InitContainers[i], fmt.Sprintf("%s.initContainers[%d]", p.SpecPath, i), "init container"})
	}
	for i := range p.Spec.Containers {
		cs = append(cs, Container{&p.Spec.Containers[i], fmt.Sprintf("%s.containers[%d]", p.SpecPath, i), "container"})
	}
	for i := range p.Spec.EphemeralContainers {
		c := (*corev1.Container)(&p.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		cs = append(cs, Container{c, fmt.Sprintf("%s.ephemeralContainers[%d]", p.SpecPath, i), "ephemeral container"})
	}
	return cs
}

// Windows reports whether the pod declares the Windows OS, where Linux
// user and capability settings do not apply.
func (p *Pod) Windows() bool {
	return p.Spec.OS != nil && p.Spec.OS.Name == corev1.Windows
}

// Describe names a container for messages: `container "app"`.
func (c Container) Describe() string { return fmt.Sprintf("%s %q", c.Kind, c.Name) }

// SC returns the path of a field of the container's securityContext.
func (c Container) SC(field string) string { return c.Path + ".securityContext." + field }

// A Setting is an effective security-context value and where it comes from.
type Setting[T any] struct {
	Value *T
	Path  string // the field that sets it, or the container field that would
	Pod   bool   // inherited from the pod securityContext
}

// RunAsNonRoot returns the effective runAsNonRoot of c in p: the
// container's own value, else the pod's.
func (p *Pod) RunAsNonRoot(c Container) Setting[bool] {
	if sc := c.SecurityContext; sc != nil && sc.RunAsNonRoot != nil {
		return Setting[bool]{sc.RunAsNonRoot, c.SC("runAsNonRoot"), false}
	}
	if sc := p.Spec.SecurityContext; sc != nil && sc.RunAsNonRoot != nil {
		return Setting[bool]{sc.RunAsNonRoot, p.SpecPath + ".securityContext.runAsNonRoot", true}
	}
	return Setting[bool]{nil, c.SC("runAsNonRoot"), false}
}

// RunAsUser returns the effective runAsUser of c in p.
func (p *Pod) RunAsUser(c Container) Setting[int64] {
	if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return Setting[int64]{sc.RunAsUser, c.SC("runAsUser"), false}
	}
	if sc := p.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return Setting[int64]{sc.RunAsUser, p.SpecPath + ".securityContext.runAsUser", true}
	}
	return Setting[int64]{nil, c.SC("runAsUser"), false}
}

// RunAsGroup returns the effective runAsGroup of c in p.
func (p *Pod) RunAsGroup(c Container) Setting[int64] {
	if sc := c.SecurityContext; sc != nil && sc.RunAsGroup != nil {
		return Setting[int64]{sc.RunAsGroup, c.SC("runAsGroup"), false}
	}
	if sc := p.Spec.SecurityContext; sc != nil && sc.RunAsGroup != nil {
		return Setting[int64]{sc.RunAsGroup, p.SpecPath + ".securityContext.runAsGroup", true}
	}
	return Setting[int64]{nil, c.SC("runAsGroup"), false}
}

// UserNamespace reports whether the pod runs in its own user namespace
// (hostUsers: false), where UID 0 inside is not root on the node.
func (p *Pod) UserNamespace() bool {
	return p.Spec.HostUsers != nil && !*p.Spec.HostUsers
}

// defaultVolumes applies the API server's defaulting of a volume that names
// no source: it becomes an emptyDir, and admission sees it that way.
func defaultVolumes(spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		if (spec.Volumes[i].VolumeSource == corev1.VolumeSource{}) {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
}
