package scan

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/render"
)

// controlPlaneNodeLabels are the node labels and taint keys kubeadm and
// most distributions put on control-plane nodes.
var controlPlaneNodeLabels = []string{"node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"}

func controlPlaneScheduling(p *Pass, o *render.Object) {
	for _, pod := range p.Pods(o) {
		controlPlaneSchedulingOf(p, o, pod)
	}
}

func controlPlaneSchedulingOf(p *Pass, o *render.Object, pod *Pod) {
	for i, t := range pod.Spec.Tolerations {
		path := pod.Path(fmt.Sprintf("tolerations[%d]", i))
		switch {
		case t.Key == "" && t.Operator == corev1.TolerationOpExists:
			p.Report(o, path, "toleration %d (operator: Exists, no key) tolerates every taint, including the control-plane taint, so its pods may run beside the API server and etcd", i)
		case slices.Contains(controlPlaneNodeLabels, t.Key):
			p.Report(o, path, "toleration %d tolerates the %s taint, so its pods may run on control-plane nodes beside the API server and etcd", i, t.Key)
		}
	}
	keys := make([]string, 0, len(pod.Spec.NodeSelector))
	for k := range pod.Spec.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(controlPlaneNodeLabels, k) {
			p.Report(o, render.Join(pod.Path("nodeSelector"), render.Key(k)), "nodeSelector %s places its pods on control-plane nodes", k)
		}
	}
	aff := pod.Spec.Affinity
	if aff == nil || aff.NodeAffinity == nil {
		return
	}
	na := aff.NodeAffinity
	check := func(base string, term corev1.NodeSelectorTerm) {
		for j, e := range term.MatchExpressions {
			if !slices.Contains(controlPlaneNodeLabels, e.Key) {
				continue
			}
			if e.Operator == corev1.NodeSelectorOpIn || e.Operator == corev1.NodeSelectorOpExists {
				p.Report(o, fmt.Sprintf("%s.matchExpressions[%d]", base, j), "node affinity selects control-plane nodes (%s %s)", e.Key, e.Operator)
			}
		}
	}
	if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
		for i, t := range r.NodeSelectorTerms {
			check(pod.Path(fmt.Sprintf("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[%d]", i)), t)
		}
	}
	for i, t := range na.PreferredDuringSchedulingIgnoredDuringExecution {
		check(pod.Path(fmt.Sprintf("affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d].preference", i)), t.Preference)
	}
}

// controlPlanePodLabels are the labels kubeadm puts on the static pods of
// the control plane.
var controlPlanePodLabels = map[string][]string{
	"component": {"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"},
	"tier":      {"control-plane"},
}

func controlPlaneServiceExposed(p *Pass, objs []*render.Object) {
	ix := newIndex(p, objs)
	// The workloads whose pods carry a control-plane label, in scan order:
	// a Service exposes control-plane pods only through them.
	var cp []*workload
	for _, w := range ix.workloads {
		if slices.ContainsFunc([]string{"component", "tier"}, func(k string) bool {
			return slices.Contains(controlPlanePodLabels[k], w.pod.Meta.Labels[k])
		}) {
			cp = append(cp, w)
		}
	}
	for _, o := range ix.kind("/Service") {
		var spec corev1.ServiceSpec
		if o.Decode("spec", &spec) != nil || len(spec.Selector) == 0 {
			continue
		}
		if spec.Type != corev1.ServiceTypeLoadBalancer && spec.Type != corev1.ServiceTypeNodePort {
			continue
		}
		target := ""
		for _, k := range []string{"component", "tier"} {
			if v, ok := spec.Selector[k]; ok && slices.Contains(controlPlanePodLabels[k], v) && target == "" {
				target = fmt.Sprintf("%s: %s", k, v)
			}
		}
		if target == "" {
			// A scanned control-plane pod whose labels the selector matches.
			sel, ns := labels.SelectorFromSet(spec.Selector), namespaceOf(o)
			for _, w := range cp {
				if w.ns != ns || !sel.Matches(labels.Set(w.pod.Meta.Labels)) {
					continue
				}
				for _, k := range []string{"component", "tier"} {
					if v := w.pod.Meta.Labels[k]; slices.Contains(controlPlanePodLabels[k], v) && target == "" {
						target = fmt.Sprintf("%s %q (%s: %s)", w.obj.Kind, w.obj.Name, k, v)
					}
				}
			}
		}
		if target == "" {
			continue
		}
		p.Report(o, "spec.type", "type %s exposes control-plane pods (%s) on every node's address or an external load balancer", spec.Type, target)
	}
}
