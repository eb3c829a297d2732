package scan

import (
	"path"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/render"
)

// An index holds every object of a scan by kind and by namespace, so that
// cross-object rules (NetworkPolicy, RBAC, Services) can find the objects
// that select, bind or run beside one another.
type index struct {
	objs       []*render.Object
	byKind     map[string][]*render.Object // "group/Kind"
	byNS       map[string][]*render.Object // effective namespace; "" for cluster-scoped
	namespaces map[string]*render.Object   // Namespace objects by name
	workloads  []*workload
	// workloadsByNS holds the workloads by namespace, in scan order;
	// nsKinds the answers of inNamespace, each computed once: rules ask
	// them for every workload, and a namespace can hold thousands.
	workloadsByNS map[string][]*workload
	nsKinds       map[string][]*render.Object
}

// A workload is an object with a pod template, in its effective namespace.
type workload struct {
	obj *render.Object
	pod *Pod
	ns  string
}

// newIndex returns the scan's index of objs, built once for every
// cross-object rule.
func newIndex(p *Pass, objs []*render.Object) *index {
	return cached(p, indexKey{}, func() *index { return buildIndex(p, objs) })
}

// indexKey is the index's key in the scan's cache.
type indexKey struct{}

func buildIndex(p *Pass, objs []*render.Object) *index {
	ix := &index{
		objs:       objs,
		byKind:     map[string][]*render.Object{},
		byNS:       map[string][]*render.Object{},
		namespaces: map[string]*render.Object{},

		workloadsByNS: map[string][]*workload{},
		nsKinds:       map[string][]*render.Object{},
	}
	for _, o := range objs {
		gk := groupKind(o)
		ix.byKind[gk] = append(ix.byKind[gk], o)
		ns := namespaceOf(o)
		ix.byNS[ns] = append(ix.byNS[ns], o)
		if gk == "/Namespace" {
			if _, dup := ix.namespaces[o.Name]; !dup {
				ix.namespaces[o.Name] = o
			}
		}
		if staticControlPlane(p, o) {
			continue
		}
		for _, pod := range p.Pods(o) {
			if !pod.ByRun {
				w := &workload{obj: o, pod: pod, ns: ns}
				ix.workloads = append(ix.workloads, w)
				ix.workloadsByNS[ns] = append(ix.workloadsByNS[ns], w)
			}
		}
	}
	return ix
}

// kind returns the objects of any of the group/kinds, in scan order.
func (ix *index) kind(gks ...string) []*render.Object {
	if len(gks) == 1 {
		return ix.byKind[gks[0]]
	}
	var out []*render.Object
	for _, o := range ix.objs {
		for _, gk := range gks {
			if groupKind(o) == gk {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// inNamespace returns the objects of the kinds in namespace ns.
func (ix *index) inNamespace(ns string, gks ...string) []*render.Object {
	key := ns + "\x00" + strings.Join(gks, "\x00")
	if out, ok := ix.nsKinds[key]; ok {
		return out
	}
	out := []*render.Object{}
	for _, o := range ix.byNS[ns] {
		for _, gk := range gks {
			if groupKind(o) == gk {
				out = append(out, o)
				break
			}
		}
	}
	ix.nsKinds[key] = out
	return out
}

func groupKind(o *render.Object) string { return group(o.APIVersion) + "/" + o.Kind }

// clusterScopedKinds are the kinds that live outside namespaces, keyed by
// kind alone: a namespace set on them is ignored by the API server.
var clusterScopedKinds = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ComponentStatus": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"StorageClass": true, "VolumeAttachment": true, "CSIDriver": true, "CSINode": true,
	"PriorityClass": true, "RuntimeClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"APIService": true, "CertificateSigningRequest": true, "PodSecurityPolicy": true,
	"FlowSchema": true, "PriorityLevelConfiguration": true, "ClusterTrustBundle": true,
	"CiliumClusterwideNetworkPolicy": true, "GlobalNetworkPolicy": true, "GlobalNetworkSet": true,
	"HostEndpoint": true, "Tier": true, "ClusterIssuer": true, "ClusterPolicy": true,
	"ClusterSecretStore": true, "GatewayClass": true, "AdminNetworkPolicy": true,
	"BaselineAdminNetworkPolicy": true, "DeviceClass": true,
}

// namespaceOf returns the namespace an object lives in once applied: ""
// for cluster-scoped kinds, "default" for a namespaced object that sets none.
func namespaceOf(o *render.Object) string {
	if clusterScopedKinds[o.Kind] {
		return ""
	}
	return o.EffectiveNamespace()
}

// selectorOf converts a LabelSelector; a nil selector matches nothing, an
// empty one everything, as for NetworkPolicy and aggregation rules.
func selectorOf(s *metav1.LabelSelector) labels.Selector {
	if s == nil {
		return labels.Nothing()
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return labels.Nothing()
	}
	return sel
}

func emptySelector(s *metav1.LabelSelector) bool {
	return s != nil && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// metaPath returns the path to report a namespace-level fact on for o:
// metadata.namespace when written, else metadata.
func metaPath(o *render.Object) string {
	if o.Has("metadata.namespace") {
		return "metadata.namespace"
	}
	return "metadata"
}

// nearest picks, among n objects with the same identity, the one closest to
// from: in the same file, else in the same directory, else the first. A
// repository that keeps one directory per environment defines the same
// role or ServiceAccount several times; a reference means its neighbour.
func nearest(n int, obj func(int) *render.Object, from *render.Object) int {
	best, score := 0, -1
	for i := 0; i < n; i++ {
		o, s := obj(i), 0
		switch {
		case o.File == from.File:
			s = 2
		case path.Dir(o.File) == path.Dir(from.File):
			s = 1
		}
		if s > score {
			best, score = i, s
		}
	}
	return best
}

// staticControlPlane reports a static Pod of a control-plane component
// (kube-apiserver, etcd, kube-controller-manager, kube-scheduler): the
// kubelet runs it from a file, it cannot use a ServiceAccount, and it is
// not a workload that namespace NetworkPolicy or RBAC rules govern.
func staticControlPlane(p *Pass, o *render.Object) bool {
	if o.Kind != "Pod" || group(o.APIVersion) != "" {
		return false
	}
	for _, a := range allArgs(p, o) {
		switch a.comp {
		case "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler":
			return true
		}
	}
	return false
}
