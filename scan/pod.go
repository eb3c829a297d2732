package scan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/render"
)

// A Pod is a pod spec an object makes the cluster run, with the field
// paths of its metadata and spec.
type Pod struct {
	Object   *render.Object
	Meta     metav1.ObjectMeta
	Spec     corev1.PodSpec
	MetaPath string // "metadata" for a Pod, "spec.template.metadata" for a Deployment...
	SpecPath string
	// Name tells the pods of one object apart in messages ("template
	// \"build\"", "driver"); "" when the object has one pod.
	Name string
	// fields maps the PodSpec fields ("securityContext", "volumes[1]") that
	// a CRD keeps elsewhere than under SpecPath to where it keeps them.
	fields map[string]string
	// paths of the init and regular containers, when a CRD assembles them
	// from its own fields rather than listing them under SpecPath.
	initPaths, containerPaths []string
	// ByRun marks the pod of a definition (a Tekton Task) whose
	// ServiceAccount and pod settings the run that references it decides:
	// it is no workload of its own for network and RBAC rules.
	ByRun bool
	// PolicyManaged marks a pod that its controller puts under a
	// NetworkPolicy of its own (an agent-sandbox SandboxTemplate's, unless
	// Unmanaged): the network rules do not ask for one.
	PolicyManaged bool
}

// A Container is one container of a pod, of any of the three lists.
type Container struct {
	*corev1.Container
	Path string // e.g. spec.template.spec.initContainers[0]
	Kind string // "container", "init container" or "ephemeral container"
	Pod  string // the Name of its Pod
}

// Path returns where o writes field of the pod spec ("securityContext.runAsUser",
// "volumes[0].hostPath"), whether or not it is set.
func (p *Pod) Path(field string) string {
	head, rest := field, ""
	if i := strings.IndexAny(field, ".["); i >= 0 {
		head, rest = field[:i], field[i:]
	}
	if rest != "" && rest[0] == '[' {
		// An item of a list a CRD assembles from several of its own lists.
		end := strings.IndexByte(rest, ']')
		if at, ok := p.fields[head+rest[:end+1]]; ok && end > 0 {
			return at + rest[end+1:]
		}
	}
	if at, ok := p.fields[head]; ok {
		return at + rest
	}
	return render.Join(p.SpecPath, field)
}

// podSource says where objects of one kind keep pod specs.
type podSource struct {
	// paths are PodTemplateSpecs (metadata and spec) or PodSpecs; "" is
	// the object itself, [*] any item of a list, .* any value of a map.
	paths []string
	// build assembles the pods a controller creates from a CRD's own
	// fields, for kinds that have no PodSpec as such.
	build func(o *render.Object) []*podDraft
	// controller, when set, applies to each decoded pod what the kind's
	// controller sets on the pods it creates.
	controller func(o *render.Object, p *Pod)
}

// podSources maps group/kind to where its pod specs are. docs/pods.md
// says, for each, what the controller does with them.
var podSources = map[string]podSource{
	"/Pod":                               {paths: []string{""}},
	"/PodTemplate":                       {paths: []string{"template"}},
	"/ReplicationController":             {paths: []string{"spec.template"}},
	"apps/Deployment":                    {paths: []string{"spec.template"}},
	"apps/StatefulSet":                   {paths: []string{"spec.template"}},
	"apps/DaemonSet":                     {paths: []string{"spec.template"}},
	"apps/ReplicaSet":                    {paths: []string{"spec.template"}},
	"extensions/Deployment":              {paths: []string{"spec.template"}},
	"extensions/DaemonSet":               {paths: []string{"spec.template"}},
	"extensions/ReplicaSet":              {paths: []string{"spec.template"}},
	"batch/Job":                          {paths: []string{"spec.template"}},
	"batch/CronJob":                      {paths: []string{"spec.jobTemplate.spec.template"}},
	"argoproj.io/Rollout":                {paths: []string{"spec.template"}},
	"serving.knative.dev/Service":        {paths: []string{"spec.template"}},
	"serving.knative.dev/Configuration":  {paths: []string{"spec.template"}},
	"serving.knative.dev/Revision":       {paths: []string{"spec"}},
	"apps.kruise.io/CloneSet":            {paths: []string{"spec.template"}},
	"apps.kruise.io/StatefulSet":         {paths: []string{"spec.template"}},
	"apps.kruise.io/DaemonSet":           {paths: []string{"spec.template"}},
	"apps.kruise.io/BroadcastJob":        {paths: []string{"spec.template"}},
	"apps.kruise.io/AdvancedCronJob":     {paths: []string{"spec.template.jobTemplate.spec.template", "spec.template.broadcastJobTemplate.spec.template"}},
	"keda.sh/ScaledJob":                  {paths: []string{"spec.jobTargetRef.template"}},
	"apps.openshift.io/DeploymentConfig": {paths: []string{"spec.template"}},
	// OpenShift 3 served DeploymentConfig as apiVersion v1.
	"/DeploymentConfig":                              {paths: []string{"spec.template"}},
	"flink.apache.org/FlinkDeployment":               {paths: []string{"spec.podTemplate", "spec.jobManager.podTemplate", "spec.taskManager.podTemplate"}},
	"batch.volcano.sh/Job":                           {paths: []string{"spec.tasks[*].template"}},
	"jobset.x-k8s.io/JobSet":                         {paths: []string{"spec.replicatedJobs[*].template.spec.template"}},
	"kubeflow.org/PyTorchJob":                        {paths: []string{"spec.pytorchReplicaSpecs.*.template"}},
	"kubeflow.org/TFJob":                             {paths: []string{"spec.tfReplicaSpecs.*.template"}},
	"kubeflow.org/MPIJob":                            {paths: []string{"spec.mpiReplicaSpecs.*.template"}},
	"kubeflow.org/XGBoostJob":                        {paths: []string{"spec.xgbReplicaSpecs.*.template"}},
	"kubeflow.org/PaddleJob":                         {paths: []string{"spec.paddleReplicaSpecs.*.template"}},
	"kubeflow.org/MXJob":                             {paths: []string{"spec.mxReplicaSpecs.*.template"}},
	"kubeflow.org/JAXJob":                            {paths: []string{"spec.jaxReplicaSpecs.*.template"}},
	"kubeflow.org/Notebook":                          {paths: []string{"spec.template"}},
	"sources.knative.dev/ContainerSource":            {paths: []string{"spec.template"}},
	"serving.kserve.io/InferenceService":             {paths: []string{"spec.predictor", "spec.transformer", "spec.explainer"}},
	"ray.io/RayCluster":                              {paths: []string{"spec.headGroupSpec.template", "spec.workerGroupSpecs[*].template"}},
	"ray.io/RayJob":                                  {paths: []string{"spec.rayClusterSpec.headGroupSpec.template", "spec.rayClusterSpec.workerGroupSpecs[*].template", "spec.submitterPodTemplate"}},
	"ray.io/RayService":                              {paths: []string{"spec.rayClusterConfig.headGroupSpec.template", "spec.rayClusterConfig.workerGroupSpecs[*].template"}},
	"argoproj.io/Workflow":                           {build: argoWorkflow("spec")},
	"argoproj.io/WorkflowTemplate":                   {build: argoWorkflow("spec")},
	"argoproj.io/ClusterWorkflowTemplate":            {build: argoWorkflow("spec")},
	"argoproj.io/CronWorkflow":                       {build: argoWorkflow("spec.workflowSpec")},
	"sparkoperator.k8s.io/SparkApplication":          {build: sparkApplication("spec")},
	"sparkoperator.k8s.io/ScheduledSparkApplication": {build: sparkApplication("spec.template")},
	"tekton.dev/Task":                                {build: tektonTask("spec", "", "")},
	"tekton.dev/ClusterTask":                         {build: tektonTask("spec", "", "")},
	"tekton.dev/TaskRun":                             {build: tektonTask("spec.taskSpec", "spec.podTemplate", "spec.serviceAccountName")},
	"tekton.dev/Pipeline":                            {build: tektonPipeline("spec", "", "")},
	"tekton.dev/PipelineRun":                         {build: tektonPipeline("spec.pipelineSpec", "spec.taskRunTemplate.podTemplate", "spec.taskRunTemplate.serviceAccountName")},
	"agents.x-k8s.io/Sandbox":                        {paths: []string{"spec.podTemplate"}},
	"extensions.agents.x-k8s.io/SandboxTemplate":     {paths: []string{"spec.podTemplate"}, controller: sandboxTemplate},
}

// A PodSpecKind is a kind a repository adds to those whose pod specs are
// checked (.kubeharden.yaml podSpecs).
type PodSpecKind struct {
	// APIVersion is group/version (or the group alone); only the group is
	// compared, so every version of the kind is read.
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// Path is the PodTemplateSpec or PodSpec, "" for the object itself;
	// [*] is any item of a list and .* any value of a map.
	Path string `yaml:"path"`
}

// Check reports what is wrong with the entry.
func (k PodSpecKind) Check() error {
	if k.Kind == "" || k.APIVersion == "" {
		return fmt.Errorf("podSpecs entry %+v: apiVersion and kind are required", k)
	}
	if _, err := render.ParsePath(strings.ReplaceAll(strings.ReplaceAll(k.Path, "[*]", "[0]"), ".*", ".x")); err != nil {
		return fmt.Errorf("podSpecs entry %s %s: path %q: %w", k.APIVersion, k.Kind, k.Path, err)
	}
	return nil
}

func (k PodSpecKind) groupKind() string {
	g := group(k.APIVersion)
	if !strings.Contains(k.APIVersion, "/") && strings.Contains(k.APIVersion, ".") {
		g = k.APIVersion // a group alone
	}
	return g + "/" + k.Kind
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

// TemplatePath returns the path of o's first pod template (or pod spec)
// and whether o has one. Kinds whose pods a controller assembles from its
// own fields report the path of their spec.
func TemplatePath(o *render.Object) (string, bool) {
	src, ok := podSources[groupKind(o)]
	if !ok {
		return "", false
	}
	for _, pattern := range src.paths {
		for _, p := range expandPath(o, pattern) {
			if p == "" || o.Has(p) {
				return p, true
			}
		}
	}
	if src.build != nil {
		if ds := src.build(o); len(ds) > 0 {
			return ds[0].specPath, true
		}
	}
	return "", false // an Argo Rollout with workloadRef, say
}

// expandPath returns the paths of o that pattern matches, in document order
// (map keys sorted).
func expandPath(o *render.Object, pattern string) []string {
	if !strings.Contains(pattern, "*") {
		return []string{pattern}
	}
	i := strings.Index(pattern, "*")
	prefix, rest := pattern[:i], pattern[i+1:]
	var out []string
	switch {
	case strings.HasSuffix(prefix, "["):
		base := strings.TrimSuffix(prefix, "[")
		list, _ := valueAt(o.Value(), base).([]any)
		rest = strings.TrimPrefix(rest, "]")
		for j := range list {
			out = append(out, expandPath(o, fmt.Sprintf("%s[%d]%s", base, j, rest))...)
		}
	case strings.HasSuffix(prefix, "."):
		base := strings.TrimSuffix(prefix, ".")
		m, _ := valueAt(o.Value(), base).(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, expandPath(o, render.Join(base, render.Key(k))+rest)...)
		}
	}
	return out
}

// valueAt returns the generic value at path of v, or nil.
func valueAt(v any, path string) any {
	segs, err := render.ParsePath(path)
	if err != nil {
		return nil
	}
	for _, s := range segs {
		switch c := v.(type) {
		case map[string]any:
			if s.IsIdx {
				return nil
			}
			v = c[s.Key]
		case []any:
			if !s.IsIdx || s.Index >= len(c) {
				return nil
			}
			v = c[s.Index]
		default:
			return nil
		}
	}
	return v
}

// A podDraft is a pod a controller assembles from a CRD's fields, as
// generic data, with where each part came from.
type podDraft struct {
	name               string
	meta               map[string]any
	metaPath, specPath string
	spec               map[string]any
	fields             map[string]string
	initPaths, paths   []string
	byRun              bool
}

// podError is a pod spec that does not decode, with the path its
// decoder's field names are relative to.
type podError struct {
	base string
	err  error
}

func (e *podError) Error() string { return e.err.Error() }
func (e *podError) Unwrap() error { return e.err }

// podsOf returns where o keeps pod specs: its kind's, or those the
// configuration adds.
func podsOf(cfg *Config, o *render.Object) (podSource, bool) {
	gk := groupKind(o)
	src, ok := podSources[gk]
	for _, k := range cfg.PodSpecs {
		if k.groupKind() == gk {
			src.paths = append(slices.Clone(src.paths), k.Path)
			ok = true
		}
	}
	return src, ok
}

// decodePods returns o's pod specs as cfg reads them.
func decodePods(cfg *Config, o *render.Object) ([]*Pod, error) {
	src, ok := podsOf(cfg, o)
	if !ok {
		return nil, nil
	}
	var pods []*Pod
	for _, pattern := range src.paths {
		for _, tp := range expandPath(o, pattern) {
			p, err := decodePod(o, tp)
			if err != nil {
				return nil, err
			}
			if p != nil && !slices.ContainsFunc(pods, func(q *Pod) bool { return q.SpecPath == p.SpecPath }) {
				p.Name = tp
				pods = append(pods, p)
			}
		}
	}
	if src.build != nil {
		for _, d := range src.build(o) {
			p, err := d.decode(o)
			if err != nil {
				return nil, err
			}
			pods = append(pods, p)
		}
	}
	if len(pods) == 1 && src.build == nil {
		pods[0].Name = ""
	}
	for _, p := range pods {
		defaultVolumes(&p.Spec)
		if src.controller != nil {
			src.controller(o, p)
		}
	}
	return pods, nil
}

// decodePod reads the PodTemplateSpec or PodSpec at tp; nil when o has
// neither there.
func decodePod(o *render.Object, tp string) (*Pod, error) {
	p := &Pod{Object: o, MetaPath: render.Join(tp, "metadata"), SpecPath: render.Join(tp, "spec")}
	switch {
	case o.Has(p.SpecPath):
		// One decode of the whole template: metadata and spec together.
		var t corev1.PodTemplateSpec
		if err := o.Decode(tp, &t); err != nil {
			return nil, &podError{tp, err}
		}
		p.Meta, p.Spec = t.ObjectMeta, t.Spec
	case tp != "" && o.Has(render.Join(tp, "containers")):
		// A bare PodSpec (a Knative Revision's spec): the pod's metadata
		// is the object's.
		p.MetaPath, p.SpecPath = "metadata", tp
		if err := o.Decode(tp, &p.Spec); err != nil {
			return nil, &podError{tp, err}
		}
		if err := o.Decode("metadata", &p.Meta); err != nil {
			return nil, &podError{"metadata", err}
		}
	default:
		return nil, nil
	}
	return p, nil
}

func (d *podDraft) decode(o *render.Object) (*Pod, error) {
	p := &Pod{Object: o, Name: d.name, MetaPath: d.metaPath, SpecPath: d.specPath, fields: d.fields,
		initPaths: d.initPaths, containerPaths: d.paths, ByRun: d.byRun}
	if err := remarshal(d.meta, &p.Meta); err != nil {
		return nil, &podError{d.metaPath, err}
	}
	if err := remarshal(d.spec, &p.Spec); err != nil {
		return nil, &podError{d.specPath, err}
	}
	return p, nil
}

func remarshal(v, into any) error {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// Containers lists init, regular and ephemeral containers with their paths.
func (p *Pod) Containers() []Container {
	cs := make([]Container, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers)+len(p.Spec.EphemeralContainers))
	path := func(own []string, list string, i int) string {
		if own != nil {
			return own[i]
		}
		return p.SpecPath + "." + list + "[" + strconv.Itoa(i) + "]"
	}
	for i := range p.Spec.InitContainers {
		cs = append(cs, Container{&p.Spec.InitContainers[i], path(p.initPaths, "initContainers", i), "init container", p.Name})
	}
	for i := range p.Spec.Containers {
		cs = append(cs, Container{&p.Spec.Containers[i], path(p.containerPaths, "containers", i), "container", p.Name})
	}
	for i := range p.Spec.EphemeralContainers {
		c := (*corev1.Container)(&p.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		cs = append(cs, Container{c, path(nil, "ephemeralContainers", i), "ephemeral container", p.Name})
	}
	return cs
}

// graphView returns a copy of p with only what the cross-object rules
// read of a pod (Graph: cluster*.go, controlplane*.go, and namespaceAdmission,
// which runs the Pod Security evaluator on it): its labels and annotations,
// the service account and its token, the host namespaces, security
// contexts, scheduling, volumes and OS, and of each container its name,
// image, command, arguments, ports and security context (and its probes
// and hooks when one names a host). A copy, not p
// with fields cleared: what p alone refers to (probes, environment,
// resources, mounts, lifecycle) is then garbage, and what stays is laid
// out afresh rather than pinned between freed values.
func (p *Pod) graphView() *Pod {
	q := *p
	q.Meta = metav1.ObjectMeta{Name: p.Meta.Name, Namespace: p.Meta.Namespace, Labels: p.Meta.Labels, Annotations: p.Meta.Annotations}
	s := &p.Spec
	q.Spec = corev1.PodSpec{
		ServiceAccountName:           s.ServiceAccountName,
		DeprecatedServiceAccount:     s.DeprecatedServiceAccount,
		AutomountServiceAccountToken: s.AutomountServiceAccountToken,
		HostNetwork:                  s.HostNetwork,
		HostPID:                      s.HostPID,
		HostIPC:                      s.HostIPC,
		HostUsers:                    s.HostUsers,
		SecurityContext:              s.SecurityContext,
		OS:                           s.OS,
		NodeSelector:                 s.NodeSelector,
		Tolerations:                  s.Tolerations,
		Volumes:                      s.Volumes,
		InitContainers:               graphContainers(s.InitContainers),
		Containers:                   graphContainers(s.Containers),
	}
	if s.Affinity != nil && s.Affinity.NodeAffinity != nil {
		q.Spec.Affinity = &corev1.Affinity{NodeAffinity: s.Affinity.NodeAffinity}
	}
	if len(s.EphemeralContainers) > 0 {
		q.Spec.EphemeralContainers = make([]corev1.EphemeralContainer, len(s.EphemeralContainers))
		for i := range s.EphemeralContainers {
			c := &s.EphemeralContainers[i].EphemeralContainerCommon
			q.Spec.EphemeralContainers[i].EphemeralContainerCommon = corev1.EphemeralContainerCommon(graphContainer(corev1.Container(*c)))
		}
	}
	return &q
}

func graphContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		out[i] = graphContainer(cs[i])
	}
	return out
}

// graphContainer keeps a container's probes and lifecycle hooks only when
// one names a host, all the Pod Security evaluator reads of them.
func graphContainer(c corev1.Container) corev1.Container {
	g := corev1.Container{Name: c.Name, Image: c.Image, Command: c.Command, Args: c.Args, Ports: c.Ports, SecurityContext: c.SecurityContext}
	if probeHost(c.LivenessProbe) || probeHost(c.ReadinessProbe) || probeHost(c.StartupProbe) ||
		(c.Lifecycle != nil && (handlerHost(c.Lifecycle.PostStart) || handlerHost(c.Lifecycle.PreStop))) {
		g.LivenessProbe, g.ReadinessProbe, g.StartupProbe, g.Lifecycle = c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle
	}
	return g
}

func probeHost(p *corev1.Probe) bool {
	return p != nil && ((p.HTTPGet != nil && p.HTTPGet.Host != "") || (p.TCPSocket != nil && p.TCPSocket.Host != ""))
}

func handlerHost(h *corev1.LifecycleHandler) bool {
	return h != nil && ((h.HTTPGet != nil && h.HTTPGet.Host != "") || (h.TCPSocket != nil && h.TCPSocket.Host != ""))
}

// prefix names the pod at the start of a message when its object has more
// than one: `template "build": `.
func (p *Pod) prefix() string {
	if p.Name == "" {
		return ""
	}
	return p.Name + ": "
}

// Windows reports whether the pod declares the Windows OS, where Linux
// user and capability settings do not apply.
func (p *Pod) Windows() bool {
	return p.Spec.OS != nil && p.Spec.OS.Name == corev1.Windows
}

// Describe names a container for messages: `container "app"`, or, for a
// container a CRD leaves unnamed (a Knative Service's, a Tekton step),
// `unnamed container spec.template.spec.containers[0]`.
func (c Container) Describe() string {
	s := c.Kind + " " + strconv.Quote(c.Name)
	if c.Name == "" {
		s = "unnamed " + c.Kind + " " + c.Path
	}
	if c.Pod != "" {
		return s + " (" + c.Pod + ")"
	}
	return s
}

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
		return Setting[bool]{sc.RunAsNonRoot, p.Path("securityContext.runAsNonRoot"), true}
	}
	return Setting[bool]{nil, c.SC("runAsNonRoot"), false}
}

// RunAsUser returns the effective runAsUser of c in p.
func (p *Pod) RunAsUser(c Container) Setting[int64] {
	if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return Setting[int64]{sc.RunAsUser, c.SC("runAsUser"), false}
	}
	if sc := p.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return Setting[int64]{sc.RunAsUser, p.Path("securityContext.runAsUser"), true}
	}
	return Setting[int64]{nil, c.SC("runAsUser"), false}
}

// RunAsGroup returns the effective runAsGroup of c in p.
func (p *Pod) RunAsGroup(c Container) Setting[int64] {
	if sc := c.SecurityContext; sc != nil && sc.RunAsGroup != nil {
		return Setting[int64]{sc.RunAsGroup, c.SC("runAsGroup"), false}
	}
	if sc := p.Spec.SecurityContext; sc != nil && sc.RunAsGroup != nil {
		return Setting[int64]{sc.RunAsGroup, p.Path("securityContext.runAsGroup"), true}
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

// PodsOf returns the pod specs of o as a scan with cfg reads them: what
// the controller of its kind would run.
func PodsOf(o *render.Object, cfg Config) ([]*Pod, error) {
	return decodePods(&cfg, o)
}

// PodKinds lists the group/kinds whose pod specs are read without
// configuration, sorted.
func PodKinds() []string {
	return slices.Sorted(maps.Keys(podSources))
}
