package scan

import (
	"fmt"

	"github.com/kubeharden/kubeharden/render"
)

// This file assembles the pods that controllers create from CRDs which
// carry containers and pod settings in fields of their own rather than in
// a PodTemplateSpec. docs/pods.md cites the controller code each follows.

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func newDraft(name, specPath string) *podDraft {
	return &podDraft{name: name, specPath: specPath, metaPath: render.Join(specPath, "metadata"),
		spec: map[string]any{}, meta: map[string]any{}, fields: map[string]string{}, initPaths: []string{}, paths: []string{}}
}

// container adds c, found at path, to the pod's containers (or init
// containers).
func (d *podDraft) container(init bool, c map[string]any, path string) {
	list, paths := "containers", &d.paths
	if init {
		list, paths = "initContainers", &d.initPaths
	}
	d.spec[list] = append(asList(d.spec[list]), c)
	*paths = append(*paths, path)
}

// from sets the pod field from the first of paths o has, and otherwise
// records the first as where it would be written.
func (d *podDraft) from(o *render.Object, field string, paths ...string) {
	for _, p := range paths {
		if v := valueAt(o.Value(), p); v != nil {
			d.spec[field], d.fields[field] = v, p
			return
		}
	}
	if len(paths) > 0 {
		d.fields[field] = paths[0]
	}
}

// volumes appends the volumes of the list at path that keep returns true for.
func (d *podDraft) volumes(o *render.Object, path string, keep func(map[string]any) bool) {
	for i, v := range asList(valueAt(o.Value(), path)) {
		if keep != nil && !keep(asMap(v)) {
			continue
		}
		n := len(asList(d.spec["volumes"]))
		d.spec["volumes"] = append(asList(d.spec["volumes"]), v)
		d.fields[fmt.Sprintf("volumes[%d]", n)] = fmt.Sprintf("%s[%d]", path, i)
	}
}

// withName returns a copy of c named name when it has no name.
func withName(c map[string]any, name string) map[string]any {
	out := map[string]any{"name": name}
	for k, v := range c {
		out[k] = v
	}
	return out
}

// argoPodFields are the pod settings an Argo template sets for its own
// pod, falling back to the workflow's (workflowpod.go, createWorkflowPod).
var argoPodFields = []string{"securityContext", "serviceAccountName", "automountServiceAccountToken",
	"nodeSelector", "tolerations", "affinity", "priorityClassName", "hostAliases", "schedulerName"}

// argoWorkflow reads the WorkflowSpec at spec: each template that runs a
// container (container, script or containerSet) is one pod, its main
// container with the template's init containers and sidecars; steps, dag,
// resource and suspend templates run none of the workflow's containers.
func argoWorkflow(spec string) func(o *render.Object) []*podDraft {
	return func(o *render.Object) []*podDraft {
		wf := asMap(valueAt(o.Value(), spec))
		var out []*podDraft
		for i, t := range asList(wf["templates"]) {
			tm := asMap(t)
			tp := fmt.Sprintf("%s.templates[%d]", spec, i)
			d := newDraft(fmt.Sprintf("template %q", fmt.Sprint(tm["name"])), tp)
			for _, f := range []string{"container", "script"} {
				if c := asMap(tm[f]); c != nil {
					d.container(false, withName(c, "main"), tp+"."+f)
				}
			}
			for j, c := range asList(valueAt(tm, "containerSet.containers")) {
				d.container(false, asMap(c), fmt.Sprintf("%s.containerSet.containers[%d]", tp, j))
			}
			if len(d.paths) == 0 {
				continue
			}
			for j, c := range asList(tm["sidecars"]) {
				d.container(false, asMap(c), fmt.Sprintf("%s.sidecars[%d]", tp, j))
			}
			for j, c := range asList(tm["initContainers"]) {
				d.container(true, asMap(c), fmt.Sprintf("%s.initContainers[%d]", tp, j))
			}
			for _, f := range argoPodFields {
				d.from(o, f, tp+"."+f, spec+"."+f)
			}
			d.from(o, "hostNetwork", spec+".hostNetwork")
			d.volumes(o, spec+".volumes", nil)
			d.volumes(o, tp+".volumes", nil)
			for _, m := range []any{valueAt(wf, "podMetadata"), tm["metadata"]} {
				for _, part := range []string{"labels", "annotations"} {
					for k, v := range asMap(asMap(m)[part]) {
						if d.meta[part] == nil {
							d.meta[part] = map[string]any{}
						}
						d.meta[part].(map[string]any)[k] = v
					}
				}
			}
			out = append(out, d)
		}
		return out
	}
}

// sparkApplication reads a SparkApplicationSpec at spec: the driver and the
// executors are pods whose main container ("spark-kubernetes-driver",
// "spark-kubernetes-executor") gets the role's image, securityContext, env
// and mounts, and whose pod gets the role's podSecurityContext,
// hostNetwork, serviceAccount and the application volumes it mounts (the
// operator's mutating webhook, internal/webhook/sparkpod_defaulter.go).
func sparkApplication(spec string) func(o *render.Object) []*podDraft {
	return func(o *render.Object) []*podDraft {
		app := asMap(valueAt(o.Value(), spec))
		if app == nil {
			return nil
		}
		var out []*podDraft
		for _, role := range []string{"driver", "executor"} {
			rp := spec + "." + role
			r := asMap(app[role])
			d := newDraft(role, rp)
			d.metaPath = rp // labels and annotations are the role's own fields
			c := map[string]any{"name": "spark-kubernetes-" + role, "image": app["image"]}
			for _, f := range []string{"image", "securityContext", "env", "envFrom", "volumeMounts", "ports", "lifecycle"} {
				if r[f] != nil {
					c[f] = r[f]
				}
			}
			for j, ic := range asList(r["initContainers"]) {
				d.container(true, asMap(ic), fmt.Sprintf("%s.initContainers[%d]", rp, j))
			}
			d.container(false, c, rp)
			for j, sc := range asList(r["sidecars"]) {
				d.container(false, asMap(sc), fmt.Sprintf("%s.sidecars[%d]", rp, j))
			}
			d.from(o, "securityContext", rp+".podSecurityContext")
			d.from(o, "serviceAccountName", rp+".serviceAccount")
			for _, f := range []string{"hostNetwork", "shareProcessNamespace", "tolerations", "affinity", "hostAliases", "dnsConfig", "priorityClassName", "schedulerName"} {
				d.from(o, f, rp+"."+f)
			}
			d.from(o, "nodeSelector", rp+".nodeSelector", spec+".nodeSelector")
			mounted := map[string]bool{}
			for _, ct := range append(asList(d.spec["initContainers"]), asList(d.spec["containers"])...) {
				for _, m := range asList(asMap(ct)["volumeMounts"]) {
					mounted[fmt.Sprint(asMap(m)["name"])] = true
				}
			}
			d.volumes(o, spec+".volumes", func(v map[string]any) bool { return mounted[fmt.Sprint(v["name"])] })
			for _, part := range []string{"labels", "annotations"} {
				if m := asMap(r[part]); m != nil {
					d.meta[part] = m
				}
			}
			out = append(out, d)
		}
		return out
	}
}

// tektonTask reads the TaskSpec at spec as the pod of a TaskRun: one
// container per step, each merged onto the stepTemplate, and the sidecars
// (pkg/pod/pod.go, MergeStepsWithStepTemplate). The pod settings come from
// the run's podTemplate, at podTemplate when the object is a run.
func tektonTask(spec, podTemplate, serviceAccount string) func(o *render.Object) []*podDraft {
	return func(o *render.Object) []*podDraft {
		if d := tektonDraft(o, spec, "", podTemplate, serviceAccount); d != nil {
			return []*podDraft{d}
		}
		return nil
	}
}

// tektonPipeline reads the tasks and finally tasks of the PipelineSpec at
// spec: each embedded taskSpec is the pod of one TaskRun.
func tektonPipeline(spec, podTemplate, serviceAccount string) func(o *render.Object) []*podDraft {
	return func(o *render.Object) []*podDraft {
		var out []*podDraft
		for _, list := range []string{"tasks", "finally"} {
			for i, t := range asList(valueAt(o.Value(), spec+"."+list)) {
				tp := fmt.Sprintf("%s.%s[%d].taskSpec", spec, list, i)
				if d := tektonDraft(o, tp, fmt.Sprintf("task %q", fmt.Sprint(asMap(t)["name"])), podTemplate, serviceAccount); d != nil {
					out = append(out, d)
				}
			}
		}
		return out
	}
}

func tektonDraft(o *render.Object, spec, name, podTemplate, serviceAccount string) *podDraft {
	ts := asMap(valueAt(o.Value(), spec))
	if ts == nil {
		return nil
	}
	d := newDraft(name, spec)
	tmpl := asMap(ts["stepTemplate"])
	for i, s := range asList(ts["steps"]) {
		d.container(false, mergeMaps(tmpl, asMap(s)), fmt.Sprintf("%s.steps[%d]", spec, i))
	}
	if len(d.paths) == 0 {
		return nil
	}
	for i, s := range asList(ts["sidecars"]) {
		d.container(false, asMap(s), fmt.Sprintf("%s.sidecars[%d]", spec, i))
	}
	d.volumes(o, spec+".volumes", nil)
	if podTemplate == "" {
		// A Task or Pipeline: its run decides the pod settings and the
		// ServiceAccount.
		d.byRun = true
		return d
	}
	for _, f := range []string{"securityContext", "hostNetwork", "nodeSelector", "tolerations", "affinity",
		"automountServiceAccountToken", "hostAliases", "priorityClassName", "schedulerName", "dnsConfig"} {
		d.from(o, f, podTemplate+"."+f)
	}
	d.volumes(o, podTemplate+".volumes", nil)
	d.from(o, "serviceAccountName", serviceAccount)
	return d
}

// mergeMaps returns over merged onto base, maps recursively, as a strategic
// merge of a Container does for its securityContext and resources.
func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if b, ok := out[k].(map[string]any); ok {
			if m, ok := v.(map[string]any); ok {
				out[k] = mergeMaps(b, m)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// sandboxTemplate applies what the agent-sandbox controller does with the
// pods it creates from a SandboxTemplate (for a SandboxClaim or a
// SandboxWarmPool): it sets automountServiceAccountToken to false when the
// template leaves it unset, and, unless spec.networkPolicyManagement is
// Unmanaged, keeps a NetworkPolicy that selects them (spec.networkPolicy,
// else its own default).
func sandboxTemplate(o *render.Object, p *Pod) {
	if p.Spec.AutomountServiceAccountToken == nil {
		p.Spec.AutomountServiceAccountToken = new(bool)
	}
	p.PolicyManaged = o.String("spec.networkPolicyManagement") != "Unmanaged"
}

// A PodKindDoc says where kubeharden reads the pod specs of some kinds and
// which controller behaviour that relies on; docs/rules.md lists them.
type PodKindDoc struct {
	Kinds      []string // group/Kind, "" group for core
	Paths      string
	Controller string
	Source     string
}

// PodKindDocs documents every built-in entry of the pod adapter;
// TestPodKindDocs keeps it and the adapter in step.
var PodKindDocs = []PodKindDoc{
	{[]string{"/Pod", "/PodTemplate", "/ReplicationController", "apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "extensions/Deployment", "extensions/DaemonSet", "extensions/ReplicaSet", "batch/Job", "batch/CronJob"},
		"the object; `template`; `spec.template`; `spec.jobTemplate.spec.template`",
		"The built-in controllers create pods from the PodTemplateSpec as written, after the API server's defaulting (a volume without a source becomes an emptyDir).",
		"https://kubernetes.io/docs/concepts/workloads/pods/#pod-templates"},
	{[]string{"/DeploymentConfig", "apps.openshift.io/DeploymentConfig"}, "`spec.template`",
		"OpenShift's deployer creates a ReplicationController from `spec.template`; OpenShift 3 served the kind as `v1`.",
		"https://docs.openshift.com/container-platform/4.17/applications/deployments/what-deployments-are.html"},
	{[]string{"argoproj.io/Rollout"}, "`spec.template`",
		"The Argo Rollouts controller creates ReplicaSets from `spec.template`. A Rollout with `spec.workloadRef` has no template: it runs the referenced Deployment's pods, which are checked on the Deployment, once.",
		"https://argo-rollouts.readthedocs.io/en/stable/migrating/#reference-deployment-from-rollout"},
	{[]string{"serving.knative.dev/Service", "serving.knative.dev/Configuration", "serving.knative.dev/Revision"}, "`spec.template` (metadata and spec); a Revision's `spec`",
		"Knative Serving creates a Revision from the template, and a Deployment from the Revision whose user container is the RevisionSpec's (a PodSpec subset, plus containerConcurrency and timeouts) beside Knative's queue-proxy. `secure-pod-defaults` is off by default, so nothing is assumed from it.",
		"https://knative.dev/docs/serving/reference/serving-api/#serving.knative.dev/v1.RevisionSpec"},
	{[]string{"keda.sh/ScaledJob"}, "`spec.jobTargetRef.template`",
		"KEDA creates batch/v1 Jobs whose JobSpec is `spec.jobTargetRef`.",
		"https://keda.sh/docs/latest/reference/scaledjob-spec/"},
	{[]string{"apps.kruise.io/CloneSet", "apps.kruise.io/StatefulSet", "apps.kruise.io/DaemonSet", "apps.kruise.io/BroadcastJob", "apps.kruise.io/AdvancedCronJob"},
		"`spec.template`; AdvancedCronJob `spec.template.jobTemplate.spec.template` and `spec.template.broadcastJobTemplate.spec.template`",
		"OpenKruise creates pods (or Jobs, BroadcastJobs) from the PodTemplateSpec as written.",
		"https://openkruise.io/docs/user-manuals/advancedcronjob"},
	{[]string{"flink.apache.org/FlinkDeployment"}, "`spec.podTemplate`, `spec.jobManager.podTemplate`, `spec.taskManager.podTemplate`",
		"The Flink operator builds the JobManager and TaskManager pods from these Pod templates; its main container is the template's `flink-main-container`. Each template is checked as written; the operator merges a role's template onto `spec.podTemplate`, which is not modelled, and a main container the templates do not list is not seen.",
		"https://nightlies.apache.org/flink/flink-kubernetes-operator-docs-main/docs/custom-resource/pod-template/"},
	{[]string{"batch.volcano.sh/Job"}, "`spec.tasks[*].template`", "Volcano creates each task's pods from its template.", "https://volcano.sh/en/docs/vcjob/"},
	{[]string{"jobset.x-k8s.io/JobSet"}, "`spec.replicatedJobs[*].template.spec.template`", "JobSet creates Jobs from each replicated job's JobTemplateSpec.", "https://jobset.sigs.k8s.io/docs/reference/jobset.v1alpha2/"},
	{[]string{"kubeflow.org/PyTorchJob", "kubeflow.org/TFJob", "kubeflow.org/MPIJob", "kubeflow.org/XGBoostJob", "kubeflow.org/PaddleJob", "kubeflow.org/MXJob", "kubeflow.org/JAXJob"}, "`spec.<framework>ReplicaSpecs.*.template`",
		"The Kubeflow training operator creates each replica type's pods from its template.", "https://www.kubeflow.org/docs/components/trainer/legacy-v1/"},
	{[]string{"kubeflow.org/Notebook"}, "`spec.template`",
		"The Kubeflow notebook controller runs `spec.template` in a StatefulSet of one replica, adding labels of its own.",
		"https://www.kubeflow.org/docs/components/notebooks/"},
	{[]string{"serving.kserve.io/InferenceService"}, "`spec.predictor`, `spec.transformer`, `spec.explainer`, each that lists `containers`",
		"KServe runs each component that lists `containers` in a pod of its own, the component's PodSpec fields (`securityContext`, `serviceAccountName`, `volumes`...) its pod's. The container KServe makes from a predictor's `model` (or a framework field such as `sklearn`) takes its image and settings from the ServingRuntime and is not modelled.",
		"https://github.com/kserve/kserve/blob/master/pkg/apis/serving/v1beta1/predictor.go"},
	{[]string{"sources.knative.dev/ContainerSource"}, "`spec.template`",
		"Knative Eventing runs a ContainerSource's `spec.template` in a Deployment, adding the sink's address to its environment.",
		"https://knative.dev/docs/eventing/custom-event-source/containersource/"},
	{[]string{"ray.io/RayCluster", "ray.io/RayJob", "ray.io/RayService"}, "`headGroupSpec.template`, `workerGroupSpecs[*].template` (under `spec.rayClusterSpec` for a RayJob, `spec.rayClusterConfig` for a RayService); a RayJob's `spec.submitterPodTemplate`",
		"KubeRay creates the head and worker pods from these templates.", "https://docs.ray.io/en/latest/cluster/kubernetes/user-guides/config.html"},
	{[]string{"argoproj.io/Workflow", "argoproj.io/WorkflowTemplate", "argoproj.io/ClusterWorkflowTemplate", "argoproj.io/CronWorkflow"}, "`spec.templates[*]` (`spec.workflowSpec` for a CronWorkflow)",
		"The workflow controller runs one pod per template with a `container`, `script` or `containerSet` (main container \"main\" unless named), with the template's `initContainers` and `sidecars`. The template's `securityContext`, `serviceAccountName`, `automountServiceAccountToken`, `nodeSelector`, `tolerations`, `affinity` and `priorityClassName` replace the workflow's; `hostNetwork` is the workflow's; volumes are the workflow's and the template's. Argo's own init and wait containers, `templateDefaults` and `podSpecPatch` are not modelled.",
		"https://argo-workflows.readthedocs.io/en/latest/workflow-pod-security-context/"},
	{[]string{"sparkoperator.k8s.io/SparkApplication", "sparkoperator.k8s.io/ScheduledSparkApplication"}, "`spec.driver`, `spec.executor` (under `spec.template` for a ScheduledSparkApplication)",
		"The operator's webhook gives the driver and executor pods the role's `securityContext` on the main container (`spark-kubernetes-driver`, `-executor`, image the role's or `spec.image`), `podSecurityContext`, `hostNetwork`, `serviceAccount`, `sidecars`, `initContainers`, and the `spec.volumes` the role mounts. The role's `template` (a PodTemplateSpec Spark merges under these) is not modelled.",
		"https://www.kubeflow.org/docs/components/spark-operator/user-guide/writing-sparkapplication/"},
	{[]string{"agents.x-k8s.io/Sandbox"}, "`spec.podTemplate`",
		"The agent-sandbox controller creates one pod from `spec.podTemplate` (metadata and spec) as written.",
		"https://github.com/kubernetes-sigs/agent-sandbox/blob/main/docs/api.md"},
	{[]string{"extensions.agents.x-k8s.io/SandboxTemplate"}, "`spec.podTemplate`",
		"The controller creates a Sandbox's pod from the template for each SandboxClaim and SandboxWarmPool, with `automountServiceAccountToken: false` when the template leaves it unset, and, unless `spec.networkPolicyManagement` is `Unmanaged`, keeps a NetworkPolicy that selects those pods (`spec.networkPolicy`, else its own default), so the network rules do not ask for one.",
		"https://github.com/kubernetes-sigs/agent-sandbox/blob/main/docs/api.md"},
	{[]string{"tekton.dev/Task", "tekton.dev/ClusterTask", "tekton.dev/TaskRun", "tekton.dev/Pipeline", "tekton.dev/PipelineRun"}, "`spec.steps[*]` (a TaskRun's `spec.taskSpec`; each `taskSpec` of a Pipeline's `tasks` and `finally`)",
		"Each TaskRun is one pod: a container per step, merged onto `stepTemplate`, and the sidecars. Pod settings and the ServiceAccount come from the run (`spec.podTemplate` and `spec.serviceAccountName` of a TaskRun, `spec.taskRunTemplate` of a PipelineRun), so a Task or Pipeline is checked for its containers only and is not a workload for network or RBAC rules. Tekton's own init containers are not modelled.",
		"https://tekton.dev/docs/pipelines/podtemplates/"},
}
