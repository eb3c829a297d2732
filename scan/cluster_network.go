package scan

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/render"
)

// A netPolicy is what the default-deny rules need from one policy object of
// any flavour (Kubernetes, Cilium, Calico): the namespace it applies to
// ("*" for cluster-wide ones), whether it denies each direction to every
// pod it covers, and which workloads it selects.
type netPolicy struct {
	obj                  *render.Object
	ns                   string
	denyIngress, denyEgr bool
	selects              func(w *workload) bool
	// Of a Kubernetes NetworkPolicy that selects every pod of its
	// namespace: where its effective policyTypes are written (the spec when
	// defaulted), and the rule that allows all traffic in a direction ({}:
	// no peers, no ports), if any.
	typesPath               string
	openIngress, openEgress string
}

// netPolicies reads every network policy of the scan.
func netPolicies(ix *index) []*netPolicy {
	var out []*netPolicy
	for _, o := range ix.objs {
		var np *netPolicy
		switch g := group(o.APIVersion); {
		case g == "networking.k8s.io" && o.Kind == "NetworkPolicy":
			np = k8sPolicy(o)
		case g == "cilium.io" && (o.Kind == "CiliumNetworkPolicy" || o.Kind == "CiliumClusterwideNetworkPolicy"):
			np = ciliumPolicy(o)
		case (g == "projectcalico.org" || g == "crd.projectcalico.org") && (o.Kind == "NetworkPolicy" || o.Kind == "GlobalNetworkPolicy"):
			np = calicoPolicy(o)
		}
		if np != nil {
			out = append(out, np)
		}
	}
	return out
}

func k8sPolicy(o *render.Object) *netPolicy {
	var spec networkingv1.NetworkPolicySpec
	if err := o.Decode("spec", &spec); err != nil {
		return nil
	}
	types := spec.PolicyTypes
	if len(types) == 0 { // the API server's defaulting
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) != 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	all := emptySelector(&spec.PodSelector)
	sel := selectorOf(&spec.PodSelector)
	ns := namespaceOf(o)
	np := &netPolicy{
		obj:         o,
		ns:          ns,
		denyIngress: all && slices.Contains(types, networkingv1.PolicyTypeIngress) && len(spec.Ingress) == 0,
		denyEgr:     all && slices.Contains(types, networkingv1.PolicyTypeEgress) && len(spec.Egress) == 0,
		selects:     func(w *workload) bool { return sel.Matches(labels.Set(w.pod.Meta.Labels)) },
		typesPath:   "spec.policyTypes",
	}
	if !all {
		return np
	}
	// Rules of a type the policy does not list are ignored, and a rule
	// with neither peers nor ports matches every connection.
	if slices.Contains(types, networkingv1.PolicyTypeIngress) {
		if i := slices.IndexFunc(spec.Ingress, func(r networkingv1.NetworkPolicyIngressRule) bool { return len(r.From) == 0 && len(r.Ports) == 0 }); i >= 0 {
			np.openIngress = fmt.Sprintf("spec.ingress[%d]", i)
		}
	}
	if slices.Contains(types, networkingv1.PolicyTypeEgress) {
		if i := slices.IndexFunc(spec.Egress, func(r networkingv1.NetworkPolicyEgressRule) bool { return len(r.To) == 0 && len(r.Ports) == 0 }); i >= 0 {
			np.openEgress = fmt.Sprintf("spec.egress[%d]", i)
		}
	}
	return np
}

// ciliumSpec is the part of a Cilium policy rule the rules read.
type ciliumSpec struct {
	EndpointSelector  *metav1.LabelSelector `json:"endpointSelector"`
	Ingress           []map[string]any      `json:"ingress"`
	Egress            []map[string]any      `json:"egress"`
	IngressDeny       []ciliumDenyRule      `json:"ingressDeny"`
	EgressDeny        []ciliumDenyRule      `json:"egressDeny"`
	EnableDefaultDeny struct {
		Ingress *bool `json:"ingress"`
		Egress  *bool `json:"egress"`
	} `json:"enableDefaultDeny"`
	hasIngress, hasEgress bool
}

type ciliumDenyRule struct {
	FromEntities []string `json:"fromEntities"`
	ToEntities   []string `json:"toEntities"`
}

// ciliumPolicy reads a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy.
// A direction is denied when a rule with an empty endpointSelector has a
// section for it whose rules are all empty ({}), which turns on Cilium's
// default deny without allowing anything, or a deny rule from or to the
// "all" entity; enableDefaultDeny false turns the default deny off.
func ciliumPolicy(o *render.Object) *netPolicy {
	var specs []ciliumSpec
	read := func(path string) {
		var s ciliumSpec
		if o.Decode(path, &s) == nil {
			s.hasIngress, s.hasEgress = o.Has(path+".ingress"), o.Has(path+".egress")
			specs = append(specs, s)
		}
	}
	if o.Has("spec") {
		read("spec")
	}
	var n []any
	if o.Decode("specs", &n) == nil {
		for i := range n {
			read(fmt.Sprintf("specs[%d]", i))
		}
	}
	ns := namespaceOf(o)
	if o.Kind == "CiliumClusterwideNetworkPolicy" {
		ns = "*"
	}
	np := &netPolicy{obj: o, ns: ns}
	var sels []*metav1.LabelSelector
	for _, s := range specs {
		if s.EndpointSelector == nil {
			continue // a host policy (nodeSelector) or invalid
		}
		sels = append(sels, s.EndpointSelector)
		if !emptySelector(s.EndpointSelector) {
			continue
		}
		allEmpty := func(rs []map[string]any) bool {
			return !slices.ContainsFunc(rs, func(r map[string]any) bool { return len(r) > 0 })
		}
		denyAll := func(rs []ciliumDenyRule, in bool) bool {
			return slices.ContainsFunc(rs, func(r ciliumDenyRule) bool {
				if in {
					return slices.Contains(r.FromEntities, "all")
				}
				return slices.Contains(r.ToEntities, "all")
			})
		}
		off := func(b *bool) bool { return b != nil && !*b }
		if denyAll(s.IngressDeny, true) || (s.hasIngress && allEmpty(s.Ingress) && !off(s.EnableDefaultDeny.Ingress)) {
			np.denyIngress = true
		}
		if denyAll(s.EgressDeny, false) || (s.hasEgress && allEmpty(s.Egress) && !off(s.EnableDefaultDeny.Egress)) {
			np.denyEgr = true
		}
	}
	np.selects = func(w *workload) bool {
		for _, s := range sels {
			if ciliumMatches(s, w) {
				return true
			}
		}
		return false
	}
	return np
}

// ciliumMatches matches a Cilium endpoint selector against a workload. Keys
// may carry a source prefix (k8s:, any:); the namespace and service account
// pseudo-labels are compared with the workload's own.
func ciliumMatches(s *metav1.LabelSelector, w *workload) bool {
	set := labels.Set{}
	for k, v := range w.pod.Meta.Labels {
		set[k] = v
	}
	set["io.kubernetes.pod.namespace"] = w.ns
	set["io.cilium.k8s.policy.serviceaccount"] = serviceAccountName(w.pod)
	strip := func(k string) string {
		for _, p := range []string{"k8s:", "any:"} {
			k = strings.TrimPrefix(k, p)
		}
		return k
	}
	c := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for k, v := range s.MatchLabels {
		c.MatchLabels[strip(k)] = v
	}
	for _, e := range s.MatchExpressions {
		e.Key = strip(e.Key)
		c.MatchExpressions = append(c.MatchExpressions, e)
	}
	return selectorOf(c).Matches(set)
}

type calicoRule struct {
	Action string `json:"action"`
}

// calicoPolicy reads a Calico NetworkPolicy or GlobalNetworkPolicy. types
// default as Calico documents: Egress when only egress rules are present,
// both when both are, Ingress otherwise. A direction is denied when the
// policy selects all() pods (an empty selector means all()), lists the
// type, and has no Allow or Pass rule for it.
func calicoPolicy(o *render.Object) *netPolicy {
	var spec struct {
		Selector          string       `json:"selector"`
		NamespaceSelector string       `json:"namespaceSelector"`
		Types             []string     `json:"types"`
		Ingress           []calicoRule `json:"ingress"`
		Egress            []calicoRule `json:"egress"`
	}
	if err := o.Decode("spec", &spec); err != nil {
		return nil
	}
	types := spec.Types
	if len(types) == 0 {
		switch {
		case len(spec.Ingress) == 0 && len(spec.Egress) > 0:
			types = []string{"Egress"}
		case len(spec.Egress) > 0:
			types = []string{"Ingress", "Egress"}
		default:
			types = []string{"Ingress"}
		}
	}
	ns := namespaceOf(o)
	sel, known := calicoSelector(spec.Selector)
	all := strings.TrimSpace(spec.Selector) == "" || strings.ReplaceAll(spec.Selector, " ", "") == "all()"
	if o.Kind == "GlobalNetworkPolicy" {
		ns = "*"
		nsAll := strings.TrimSpace(spec.NamespaceSelector) == "" || strings.ReplaceAll(spec.NamespaceSelector, " ", "") == "all()"
		all = all && nsAll
		if !nsAll {
			known = false // namespace selectors over namespace labels are not evaluated
		}
	}
	allows := func(rs []calicoRule) bool {
		return slices.ContainsFunc(rs, func(r calicoRule) bool { return r.Action == "Allow" || r.Action == "Pass" })
	}
	return &netPolicy{
		obj:         o,
		ns:          ns,
		denyIngress: all && slices.Contains(types, "Ingress") && !allows(spec.Ingress),
		denyEgr:     all && slices.Contains(types, "Egress") && !allows(spec.Egress),
		selects: func(w *workload) bool {
			return !known || sel(w.pod.Meta.Labels)
		},
	}
}

// calicoWord is a label key or value as Calico selectors write them.
var calicoWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-/]*$`)

// calicoSelector understands the common Calico selector forms joined by
// &&: all(), has(k), !has(k), k == 'v', k != 'v', k in {'a', 'b'}. It
// reports false for anything else, which callers treat as "may select".
func calicoSelector(s string) (func(map[string]string) bool, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all()" {
		return func(map[string]string) bool { return true }, true
	}
	if strings.Contains(s, "||") {
		return nil, false
	}
	var terms []func(map[string]string) bool
	for _, t := range strings.Split(s, "&&") {
		t = strings.TrimSpace(t)
		unq := func(v string) string { return strings.Trim(strings.TrimSpace(v), `'"`) }
		switch {
		case t == "all()":
			terms = append(terms, func(map[string]string) bool { return true })
		case strings.HasPrefix(t, "has(") && strings.HasSuffix(t, ")"):
			k := strings.TrimSpace(t[4 : len(t)-1])
			terms = append(terms, func(l map[string]string) bool { _, ok := l[k]; return ok })
		case strings.HasPrefix(t, "!has(") && strings.HasSuffix(t, ")"):
			k := strings.TrimSpace(t[5 : len(t)-1])
			terms = append(terms, func(l map[string]string) bool { _, ok := l[k]; return !ok })
		case strings.Contains(t, "=="):
			k, v, _ := strings.Cut(t, "==")
			k, v = strings.TrimSpace(k), unq(v)
			if !calicoWord.MatchString(k) || !calicoWord.MatchString(v) {
				return nil, false
			}
			terms = append(terms, func(l map[string]string) bool { x, ok := l[k]; return ok && x == v })
		case strings.Contains(t, "!="):
			k, v, _ := strings.Cut(t, "!=")
			k, v = strings.TrimSpace(k), unq(v)
			if !calicoWord.MatchString(k) || !calicoWord.MatchString(v) {
				return nil, false
			}
			terms = append(terms, func(l map[string]string) bool { return l[k] != v })
		case strings.Contains(t, " in ") && strings.HasSuffix(t, "}"):
			k, vs, _ := strings.Cut(t, " in ")
			k = strings.TrimSpace(k)
			vs = strings.Trim(strings.TrimSpace(vs), "{}")
			var set []string
			for _, v := range strings.Split(vs, ",") {
				set = append(set, unq(v))
			}
			terms = append(terms, func(l map[string]string) bool { x, ok := l[k]; return ok && slices.Contains(set, x) })
		default:
			return nil, false
		}
	}
	return func(l map[string]string) bool {
		for _, f := range terms {
			if !f(l) {
				return false
			}
		}
		return true
	}, true
}

// nsDeny is the default-deny state of one namespace.
type nsDeny struct{ ingress, egress bool }

func (d nsDeny) missing() string {
	switch {
	case !d.ingress && !d.egress:
		return "ingress and egress"
	case !d.ingress:
		return "ingress"
	default:
		return "egress"
	}
}

func denyState(ps *policySet, ns string) nsDeny {
	var d nsDeny
	for _, pols := range [][]*netPolicy{ps.byNS[ns], ps.everywhere} {
		for _, np := range pols {
			d.ingress = d.ingress || np.denyIngress
			d.egress = d.egress || np.denyEgr
		}
	}
	return d
}

// A policySet is a scan's network policies (netPolicies) by namespace:
// the rules ask for those of every namespace that runs a workload, or of
// every workload, and a scan of many repositories holds thousands of
// each.
type policySet struct {
	// byNS holds the policies of each namespace, in scan order;
	// everywhere those of every namespace (ns "*"), in scan order.
	byNS       map[string][]*netPolicy
	everywhere []*netPolicy
}

// policies returns the scan's network policies, found once for every
// rule that reads them.
func policies(p *Pass, ix *index) *policySet {
	return cached(p, policiesKey{}, func() *policySet {
		ps := &policySet{byNS: map[string][]*netPolicy{}}
		for _, np := range netPolicies(ix) {
			if np.ns == "*" {
				ps.everywhere = append(ps.everywhere, np)
			} else {
				ps.byNS[np.ns] = append(ps.byNS[np.ns], np)
			}
		}
		return ps
	})
}

// policiesKey is the policy set's key in the scan's cache.
type policiesKey struct{}

// workloadNamespaces lists the namespaces that run workloads, in scan
// order, leaving out pods whose controller keeps a NetworkPolicy for them.
func workloadNamespaces(ix *index) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range ix.workloads {
		if !seen[w.ns] && !w.pod.PolicyManaged {
			seen[w.ns] = true
			out = append(out, w.ns)
		}
	}
	return out
}

func namespaceDefaultDeny(p *Pass, objs []*render.Object) {
	ix := newIndex(p, objs)
	ps := policies(p, ix)
	for _, ns := range workloadNamespaces(ix) {
		d := denyState(ps, ns)
		// Policies add up: a rule that allows everything to every pod
		// undoes any default deny of its direction.
		reported := nsDeny{}
		for _, np := range ps.byNS[ns] {
			if np.openIngress != "" && !reported.ingress {
				p.Report(np.obj, np.openIngress, "ingress rule {} (no from, no ports) allows every connection into every pod of namespace %q (podSelector: {}), whatever else denies it", ns)
				d.ingress, reported.ingress = false, true
			}
			if np.openEgress != "" && !reported.egress {
				p.Report(np.obj, np.openEgress, "egress rule {} (no to, no ports) allows every connection out of every pod of namespace %q (podSelector: {}), whatever else denies it", ns)
				d.egress, reported.egress = false, true
			}
		}
		missing := nsDeny{ingress: !d.ingress && !reported.ingress, egress: !d.egress && !reported.egress}
		if !missing.ingress && !missing.egress {
			continue
		}
		if gapPolicy(p, ps, ns, d, missing) {
			continue
		}
		partial := ""
		if d.ingress || d.egress {
			partial = fmt.Sprintf(" (only %s is denied by default)", map[bool]string{true: "ingress", false: "egress"}[d.ingress])
		}
		msg := "runs workloads but has no default-deny %s NetworkPolicy (podSelector: {}, policyTypes [Ingress, Egress], no rules)%s, so its pods accept and open any connection"
		want := nsDeny{ingress: !missing.ingress, egress: !missing.egress}
		if o, ok := ix.namespaces[ns]; ok {
			p.Report(o, "metadata.name", msg, want.missing(), partial)
			continue
		}
		// The namespace's first workload without a policy of its own.
		i := slices.IndexFunc(ix.workloadsByNS[ns], func(w *workload) bool { return !w.pod.PolicyManaged })
		w := ix.workloadsByNS[ns][i]
		p.Report(w.obj, metaPath(w.obj), "namespace %q "+msg, ns, want.missing(), partial)
	}
}

// gapPolicy reports a namespace's default deny that covers one direction
// only on the policyTypes of the Kubernetes policy that denies the other:
// that is the line to change. It reports whether there was one.
func gapPolicy(p *Pass, ps *policySet, ns string, d nsDeny, missing nsDeny) bool {
	if missing.ingress && missing.egress {
		return false
	}
	for _, np := range ps.byNS[ns] {
		if np.typesPath == "" || !(np.denyIngress || np.denyEgr) {
			continue
		}
		open, denied := "egress", "ingress"
		if missing.ingress {
			open, denied = "ingress", "egress"
		}
		if np.obj.Has(np.typesPath) {
			p.Report(np.obj, np.typesPath, "default deny of namespace %q covers %s only: policyTypes does not list %s, so every pod's %s stays open", ns, denied, strings.ToUpper(open[:1])+open[1:], open)
		} else {
			p.Report(np.obj, np.typesPath, "default deny of namespace %q covers %s only: without policyTypes the API server sets [Ingress] (Egress only when egress rules are written), so every pod's %s stays open", ns, denied, open)
		}
		return true
	}
	return false
}

func workloadNetworkPolicy(p *Pass, objs []*render.Object) {
	ix := newIndex(p, objs)
	ps := policies(p, ix)
	for _, w := range ix.workloads {
		if w.pod.Spec.HostNetwork || w.pod.PolicyManaged {
			continue // network policies do not apply to host-network pods; its controller keeps one
		}
		selects := func(np *netPolicy) bool { return np.selects(w) }
		selected := slices.ContainsFunc(ps.byNS[w.ns], selects) || slices.ContainsFunc(ps.everywhere, selects)
		if selected {
			continue
		}
		path := render.Join(w.pod.MetaPath, "labels")
		if !w.obj.Has(path) {
			path = w.pod.MetaPath
		}
		p.Report(w.obj, path, "no NetworkPolicy in namespace %q selects this pod template's labels, so its traffic is unrestricted", w.ns)
	}
}
