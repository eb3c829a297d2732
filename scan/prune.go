package scan

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/render"
)

// Once the rules that read one object at a time are done with it, an
// object is kept only for the cross-object rules (Graph): namespaces,
// network policies, RBAC, service accounts and the control plane. They
// read pod specs from the typed specs the scan keeps (scanner.forget), and
// of the node tree identities, labels, selectors, RBAC rules and the
// fields they report on: a pod's service account and token settings, a
// container's name, image, command and arguments. pruneObject removes from
// o's node tree what weighs most and none of them reads: the rest of each
// pod spec and container, of a core workload's spec all but its pod
// template, of a Service's spec all but its type and selector, of a
// ConfigMap or Secret all but its name and annotations, CRD schemas,
// managed fields, the last-applied annotation, and the entries of labels
// but those of Namespaces and Roles (labelsRead). TestPruneKeepsGraphFindings holds the findings
// of scans to those without pruning.
func pruneObject(o *render.Object) {
	if o.Node == nil || o.Node.Kind != yaml.MappingNode {
		return
	}
	drop(o.Node, "metadata", "managedFields")
	if md := child(o.Node, "metadata"); md != nil {
		drop(md, "annotations", "kubectl.kubernetes.io/last-applied-configuration")
	}
	switch {
	case (o.Kind == "ConfigMap" || o.Kind == "Secret") && o.APIVersion == "v1":
		// Read by name (and their ignore annotations) only.
		keepKeys(o.Node, []string{"apiVersion", "kind", "metadata"})
		if md := child(o.Node, "metadata"); md != nil {
			keepKeys(md, []string{"name", "namespace", "annotations"})
		}
		return
	case o.Kind == "Service" && o.APIVersion == "v1":
		if md := child(o.Node, "metadata"); md != nil {
			emptyLabels(md)
		}
		if spec := child(o.Node, "spec"); spec != nil {
			keepKeys(spec, []string{"type", "selector"})
		}
		return
	case o.Kind == "CustomResourceDefinition":
		if spec := child(o.Node, "spec"); spec != nil {
			dropKeys(spec, "validation")
			if vs := child(spec, "versions"); vs != nil && vs.Kind == yaml.SequenceNode {
				for _, v := range vs.Content {
					if v.Kind == yaml.MappingNode {
						dropKeys(v, "schema")
					}
				}
			}
		}
		return
	}
	if !labelsRead(o) {
		if md := child(o.Node, "metadata"); md != nil {
			emptyLabels(md)
		}
	}
	pruneTemplates(o)
	prunePods(o.Node, 0)
}

// labelsRead reports the kinds whose own labels a cross-object rule reads:
// a Namespace's Pod Security Admission labels, a ClusterRole's for
// aggregation. Pod labels, the only others they match, are read from the
// typed pod specs the scan keeps.
func labelsRead(o *render.Object) bool {
	return (o.Kind == "Namespace" && o.APIVersion == "v1") ||
		((o.Kind == "ClusterRole" || o.Kind == "Role") && strings.HasPrefix(o.APIVersion, "rbac.authorization.k8s.io/"))
}

// emptyLabels empties the labels of metadata md, keeping the field where it
// is written: a finding on a pod template's labels is reported there.
func emptyLabels(md *yaml.Node) {
	if md.Kind != yaml.MappingNode {
		return
	}
	if l := child(md, "labels"); l != nil && l.Kind == yaml.MappingNode {
		l.Content = nil
	}
}

// templatePaths lead from a core workload to its pod template.
var templatePaths = map[string][]string{
	"apps/v1/Deployment":       {"spec", "template"},
	"apps/v1/StatefulSet":      {"spec", "template"},
	"apps/v1/DaemonSet":        {"spec", "template"},
	"apps/v1/ReplicaSet":       {"spec", "template"},
	"batch/v1/Job":             {"spec", "template"},
	"batch/v1/CronJob":         {"spec", "jobTemplate", "spec", "template"},
	"v1/ReplicationController": {"spec", "template"},
}

// pruneTemplates keeps of each mapping on a core workload's way to its pod
// template (templatePaths) only the next field, and of the template's
// metadata its name and labels: the cross-object rules read the rest of
// the pod from its typed spec.
func pruneTemplates(o *render.Object) {
	path, ok := templatePaths[o.APIVersion+"/"+o.Kind]
	if !ok {
		return
	}
	n := child(o.Node, path[0])
	for _, k := range path[1:] {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		keepKeys(n, []string{k})
		n = child(n, k)
	}
	if n != nil && n.Kind == yaml.MappingNode {
		if md := child(n, "metadata"); md != nil {
			keepKeys(md, []string{"name", "namespace", "labels"})
			emptyLabels(md)
		}
	}
}

// containerLists are the keys of a pod spec's container lists.
var containerLists = map[string]bool{"containers": true, "initContainers": true, "ephemeralContainers": true}

// containerKept are the fields of a container a cross-object rule reads
// or reports on in the node tree.
var containerKept = []string{"name", "image", "command", "args"}

// podKept are the fields of a pod spec a cross-object rule reports on or
// reads in the node tree.
var podKept = []string{"containers", "initContainers", "ephemeralContainers", "serviceAccountName", "serviceAccount",
	"automountServiceAccountToken", "hostNetwork", "hostPID", "hostIPC", "nodeName", "nodeSelector", "tolerations"}

// prunePods keeps podKept of every pod spec below n (a mapping with a
// container list), at any depth (pod specs of every kind), and
// containerKept of each of its containers. Aliases are not followed: an anchor is pruned where it
// is written, if it is a container there.
func prunePods(n *yaml.Node, depth int) {
	if depth > 256 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		pod := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if containerLists[k.Value] && v.Kind == yaml.SequenceNode {
				pod = true
				for _, c := range v.Content {
					if c.Kind == yaml.MappingNode {
						keepKeys(c, containerKept)
					}
				}
				continue
			}
			prunePods(v, depth+1)
		}
		if pod {
			keepKeys(n, podKept)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			prunePods(c, depth+1)
		}
	}
}

// child returns the value of key in mapping m, nil when it has none.
func child(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// drop removes key from the mapping at m's field parent, when it is one.
func drop(m *yaml.Node, parent, key string) {
	if p := child(m, parent); p != nil && p.Kind == yaml.MappingNode {
		dropKeys(p, key)
	}
}

// keepKeys removes from mapping m every key but keep.
func keepKeys(m *yaml.Node, keep []string) {
	filterKeys(m, func(k string) bool { return slices.Contains(keep, k) })
}

// dropKeys removes keys from mapping m. The mapping gets a new content
// slice: nodes elsewhere are not changed.
func dropKeys(m *yaml.Node, keys ...string) {
	filterKeys(m, func(k string) bool { return !slices.Contains(keys, k) })
}

// filterKeys keeps the fields of mapping m whose key keep accepts.
func filterKeys(m *yaml.Node, keep func(string) bool) {
	if m.Kind != yaml.MappingNode {
		return
	}
	var out []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if keep(m.Content[i].Value) {
			out = append(out, m.Content[i], m.Content[i+1])
		}
	}
	if len(out) != len(m.Content) {
		m.Content = out
	}
}

// A compactor freezes the pruned trees of plain files (render.Object.Freeze),
// sharing the strings that repeat (keys, label values): a frozen node
// takes a quarter of a yaml.Node, and pruning frees nodes scattered among
// the kept ones, which would otherwise hold the freed memory of their
// neighbours.
type compactor struct {
	strs map[string]string
	// paths shares the field paths of the findings: a few hundred
	// distinct ones among a hundred thousand findings.
	paths map[string]string
	// msgs shares the findings' messages, which name the object apart
	// (record.msg): a rule says the same of every container called "app".
	// The 20,000-file generated tree has 20,000 distinct messages among
	// 110,000 findings, which kept 31 MB of the 230 MB a scan holds at its
	// end, and every byte a scan holds is marked again in every
	// collection.
	msgs map[string]string
}

// maxInterned bounds the strings a compactor shares; longer strings and
// those past the bound are kept as they are.
const (
	maxInterned    = 1 << 16
	maxInternedLen = 64
)

func (c *compactor) intern(s string) string {
	if s == "" || len(s) > maxInternedLen {
		return s
	}
	return share(&c.strs, s, maxInternedLen)
}

// share returns the copy of s that set holds, and adds s to it when s is
// at most maxLen bytes long and set holds fewer than maxInterned strings.
func share(set *map[string]string, s string, maxLen int) string {
	if t, ok := (*set)[s]; ok {
		return t
	}
	if len(s) <= maxLen && len(*set) < maxInterned {
		if *set == nil {
			*set = map[string]string{}
		}
		(*set)[s] = s
	}
	return s
}

// path returns the shared copy of a finding's field path.
func (c *compactor) path(p string) string { return share(&c.paths, p, maxInternedPath) }

// maxInternedPath bounds the field paths a compactor shares.
const maxInternedPath = 256

// msg returns the shared copy of a finding's message.
func (c *compactor) msg(m string) string { return share(&c.msgs, m, maxInternedMsg) }

// maxInternedMsg bounds the messages a compactor shares.
const maxInternedMsg = 1024

// compact freezes o's node tree. Objects whose nodes a locator holds
// (Helm, Kustomize) keep theirs: the locator finds them by address.
func (c *compactor) compact(o *render.Object) {
	o.Freeze(c.intern)
}
