package scan

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/render"
)

const rbacGroup = "rbac.authorization.k8s.io"

// A role is a Role or ClusterRole of the scan with its decoded rules.
type role struct {
	obj     *render.Object
	cluster bool
	ns      string // Roles only
	name    string
	rules   []rbacv1.PolicyRule
	agg     *rbacv1.AggregationRule
	aggSel  []labels.Selector
	labels  map[string]string
}

// A ruleRef is one rule of a role, where it is written.
type ruleRef struct {
	role *role
	i    int
	rule rbacv1.PolicyRule
}

func (r ruleRef) path(field string, j int) string {
	if field == "" {
		return fmt.Sprintf("rules[%d]", r.i)
	}
	return fmt.Sprintf("rules[%d].%s[%d]", r.i, field, j)
}

// A binding is a RoleBinding or ClusterRoleBinding.
type binding struct {
	obj     *render.Object
	cluster bool
	ns      string
	b       rbacv1.RoleBinding // ClusterRoleBindings decode into the same shape
}

// An rbacGraph indexes the roles and bindings of a scan.
type rbacGraph struct {
	ix       *index
	roles    map[string][]*role // "ns/name" for Roles, "/name" for ClusterRoles
	bindings []*binding
	order    []*role
	eff      map[*role][]ruleRef
	agg      map[*role][]*role
	parents  map[*role][]*role    // ClusterRoles that aggregate a role
	byRole   map[*role][]*binding // bindings that refer to a role
	granted  map[*role][]*binding // bindingsOf, memoized
}

// newRBAC returns the scan's RBAC graph, built once for every RBAC rule;
// its memoised role expansions are shared too.
func newRBAC(p *Pass, objs []*render.Object) *rbacGraph {
	return cached(p, rbacKey{}, func() *rbacGraph { return buildRBAC(p, objs) })
}

// rbacKey is the RBAC graph's key in the scan's cache.
type rbacKey struct{}

func buildRBAC(p *Pass, objs []*render.Object) *rbacGraph {
	g := &rbacGraph{ix: newIndex(p, objs), roles: map[string][]*role{}, eff: map[*role][]ruleRef{}, agg: map[*role][]*role{}}
	for _, o := range g.ix.kind(rbacGroup+"/Role", rbacGroup+"/ClusterRole") {
		r := &role{obj: o, cluster: o.Kind == "ClusterRole", name: o.Name}
		if !r.cluster {
			r.ns = namespaceOf(o)
		}
		if o.Decode("rules", &r.rules) != nil {
			continue
		}
		var meta struct {
			Labels map[string]string `json:"labels"`
		}
		_ = o.Decode("metadata", &meta)
		r.labels = meta.Labels
		if r.cluster && o.Has("aggregationRule") {
			r.agg = &rbacv1.AggregationRule{}
			if o.Decode("aggregationRule", r.agg) != nil {
				r.agg = nil
			} else {
				for i := range r.agg.ClusterRoleSelectors {
					r.aggSel = append(r.aggSel, selectorOf(&r.agg.ClusterRoleSelectors[i]))
				}
			}
		}
		key := r.ns + "/" + r.name
		g.roles[key] = append(g.roles[key], r)
		g.order = append(g.order, r)
	}
	for _, o := range g.ix.kind(rbacGroup+"/RoleBinding", rbacGroup+"/ClusterRoleBinding") {
		b := &binding{obj: o, cluster: o.Kind == "ClusterRoleBinding"}
		if !b.cluster {
			b.ns = namespaceOf(o)
		}
		if o.Decode("", &b.b) != nil {
			continue
		}
		g.bindings = append(g.bindings, b)
	}
	g.parents, g.byRole, g.granted = map[*role][]*role{}, map[*role][]*binding{}, map[*role][]*binding{}
	for _, c := range g.order {
		for _, child := range g.aggregated(c) {
			g.parents[child] = append(g.parents[child], c)
		}
	}
	for _, b := range g.bindings {
		if r := g.roleOf(b); r != nil {
			g.byRole[r] = append(g.byRole[r], b)
		}
	}
	return g
}

// roleOf returns the role a binding refers to, or nil when it is not in the scan.
func (g *rbacGraph) roleOf(b *binding) *role {
	var rs []*role
	switch b.b.RoleRef.Kind {
	case "ClusterRole":
		rs = g.roles["/"+b.b.RoleRef.Name]
	case "Role":
		if !b.cluster {
			rs = g.roles[b.ns+"/"+b.b.RoleRef.Name]
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return rs[nearest(len(rs), func(i int) *render.Object { return rs[i].obj }, b.obj)]
}

// rules returns the effective rules of r: its own and, for an aggregated
// ClusterRole, those of every ClusterRole its selectors match, transitively,
// as the aggregation controller writes them.
func (g *rbacGraph) rules(r *role) []ruleRef {
	if rs, ok := g.eff[r]; ok {
		return rs
	}
	seen := map[*role]bool{}
	var out []ruleRef
	var walk func(r *role)
	walk = func(r *role) {
		if seen[r] {
			return
		}
		seen[r] = true
		for i, rule := range r.rules {
			out = append(out, ruleRef{r, i, rule})
		}
		for _, c := range g.aggregated(r) {
			walk(c)
		}
	}
	walk(r)
	g.eff[r] = out
	return out
}

// aggregated returns the ClusterRoles r aggregates.
func (g *rbacGraph) aggregated(r *role) []*role {
	if r.agg == nil {
		return nil
	}
	if out, ok := g.agg[r]; ok {
		return out
	}
	out := []*role{}
	defer func() { g.agg[r] = out }()
	for _, c := range g.order {
		if !c.cluster || c == r {
			continue
		}
		for _, sel := range r.aggSel {
			if sel.Matches(labels.Set(c.labels)) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// withParents returns r and the ClusterRoles that aggregate it, transitively.
func (g *rbacGraph) withParents(r *role) []*role {
	out := []*role{r}
	seen := map[*role]bool{r: true}
	for i := 0; i < len(out); i++ {
		for _, c := range g.parents[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// bindingsOf returns the bindings that grant r, directly or through a
// ClusterRole that aggregates it.
func (g *rbacGraph) bindingsOf(r *role) []*binding {
	if bs, ok := g.granted[r]; ok {
		return bs
	}
	var out []*binding
	for _, pr := range g.withParents(r) {
		out = append(out, g.byRole[pr]...)
	}
	g.granted[r] = out
	return out
}

func has(list []string, vals ...string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return slices.Contains(vals, s) })
}

// The RBAC authorizer matches a rule as these helpers do (after
// k8s.io/kubernetes/pkg/apis/rbac/v1's evaluation helpers): "*" matches
// every verb, API group and resource, "*/sub" the subresource sub of every
// resource, and nothing else is a pattern (pods/* names no subresource).

// groupMatches reports whether rule covers API group g ("" is core).
func groupMatches(rule rbacv1.PolicyRule, g string) bool { return has(rule.APIGroups, g, "*") }

// resourceIndex returns the index of the entry of rule.Resources that
// covers res ("pods" or "pods/exec"), or -1; an explicit entry is
// preferred to a wildcard.
func resourceIndex(rule rbacv1.PolicyRule, res string) int {
	if j := slices.Index(rule.Resources, res); j >= 0 {
		return j
	}
	if _, sub, ok := strings.Cut(res, "/"); ok {
		if j := slices.Index(rule.Resources, "*/"+sub); j >= 0 {
			return j
		}
	}
	return slices.Index(rule.Resources, "*")
}

// groupName names an API group in a message.
func groupName(g string) string {
	switch g {
	case "":
		return "the core API group"
	case "*":
		return "every API group"
	}
	return fmt.Sprintf("API group %q", g)
}

// Every verb on every resource of one of these groups is admin-equivalent:
// of every group, plainly; of the core group, because it reads every
// Secret, creates pods as any ServiceAccount, mints ServiceAccount tokens
// and reaches kubelets through nodes/proxy; of the RBAC group, because
// bind and escalate grant any permission. Every verb on every resource of
// another group (dex.coreos.com, serving.knative.dev) is that group's
// admin only, which rbac-wildcard reports.
var adminGroups = []string{"*", "", rbacGroup}

// adminRule reports whether a rule grants every verb on every resource of
// a group that makes it admin-equivalent, and names that group.
func adminRule(r rbacv1.PolicyRule) (string, bool) {
	if !has(r.Verbs, "*") || !has(r.Resources, "*") {
		return "", false
	}
	for _, g := range adminGroups {
		if slices.Contains(r.APIGroups, g) {
			return groupName(g), true
		}
	}
	return "", false
}

// adminEquivalent reports whether a role reference grants what
// cluster-admin grants: it is cluster-admin, or one of its effective rules
// is an adminRule.
func (g *rbacGraph) adminEquivalent(b *binding) (bool, string) {
	if b.b.RoleRef.Kind == "ClusterRole" && b.b.RoleRef.Name == "cluster-admin" {
		return true, "cluster-admin"
	}
	if r := g.roleOf(b); r != nil {
		for _, rr := range g.rules(r) {
			if in, ok := adminRule(rr.rule); ok {
				return true, fmt.Sprintf("%s %q (every verb on every resource of %s)", r.obj.Kind, r.name, in)
			}
		}
	}
	return false, ""
}

// systemSubject reports whether a subject is part of the platform: the
// system:masters group or a user or group named system:*, except the
// names that stand for everyone (system:authenticated,
// system:unauthenticated, system:anonymous) and for service accounts
// (system:serviceaccount:*, system:serviceaccounts*). Service accounts are
// never system subjects: their tokens are credentials held by ordinary pods.
// kubeadm's kubeadm:cluster-admins group, which its admin.conf uses in place
// of system:masters since v1.29, counts as a system subject.
func systemSubject(s rbacv1.Subject) bool {
	n := s.Name
	switch {
	case s.Kind == "Group" && n == "kubeadm:cluster-admins":
		return true
	case s.Kind == "ServiceAccount", !strings.HasPrefix(n, "system:"):
		return false
	case n == "system:authenticated", n == "system:unauthenticated", n == "system:anonymous":
		return false
	case strings.HasPrefix(n, "system:serviceaccount"):
		return false
	}
	return true
}

// systemRole reports whether a role ships with Kubernetes or kubeadm.
func systemRole(r *role) bool {
	return r.cluster && (strings.HasPrefix(r.name, "system:") || r.labels["kubernetes.io/bootstrapping"] == "rbac-defaults")
}

// quiet reports whether findings on the rules of r are withheld: a system
// role bound only to system subjects is the platform's own business.
func (g *rbacGraph) quiet(r *role) bool {
	if !systemRole(r) {
		return false
	}
	for _, b := range g.bindingsOf(r) {
		for _, s := range b.b.Subjects {
			if !systemSubject(s) {
				return false
			}
		}
	}
	return true
}

func describeSubject(s rbacv1.Subject) string {
	if s.Kind == "ServiceAccount" && s.Namespace != "" {
		return fmt.Sprintf("ServiceAccount %q", s.Namespace+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// groupsName names the API groups of a rule in a message.
func groupsName(groups []string) string {
	if has(groups, "*") || len(groups) == 0 {
		return groupName("*")
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = groupName(g)
	}
	return strings.Join(names, " and ")
}

// rbacWildcard reports wildcards in rules; an admin-equivalent rule is
// left to rbac-wildcard-admin.
func rbacWildcard(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, r := range g.order {
		if g.quiet(r) {
			continue
		}
		for i, rule := range r.rules {
			if _, admin := adminRule(rule); admin {
				continue
			}
			rr := ruleRef{r, i, rule}
			in := groupsName(rule.APIGroups)
			for j, v := range rule.APIGroups {
				if v == "*" {
					p.Report(r.obj, rr.path("apiGroups", j), "rule %d grants its resources in every API group (apiGroups: [\"*\"]), which includes every current and future one", i)
				}
			}
			for j, v := range rule.Resources {
				if v == "*" {
					p.Report(r.obj, rr.path("resources", j), "rule %d grants every resource of %s (resources: [\"*\"]), which includes every current and future one", i, in)
				}
			}
			for j, v := range rule.Verbs {
				if v == "*" {
					on := strings.Join(rule.Resources, ", ")
					if has(rule.Resources, "*") {
						on = "every resource"
					}
					p.Report(r.obj, rr.path("verbs", j), "rule %d grants every verb (verbs: [\"*\"]) on %s of %s, which includes every current and future one", i, on, in)
				}
			}
		}
	}
}

func rbacWildcardAdmin(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, r := range g.order {
		if g.quiet(r) {
			continue
		}
		for i, rule := range r.rules {
			in, admin := adminRule(rule)
			if !admin {
				continue
			}
			j := slices.Index(rule.Verbs, "*")
			scope := "cluster-wide when bound by a ClusterRoleBinding"
			if !r.cluster {
				scope = fmt.Sprintf("in namespace %q", r.ns)
			}
			p.Report(r.obj, ruleRef{r, i, rule}.path("verbs", j), "rule %d grants every verb on every resource of %s (verbs and resources \"*\"), the power of cluster-admin %s", i, in, scope)
		}
	}
}

// A target is a resource of an API group that a verb acts on; a resource
// ending in "/" stands for each of its subresources.
type target struct{ group, resource string }

// covers returns the index of the resource entry of rule that covers t,
// or -1.
func covers(rule rbacv1.PolicyRule, t target) int {
	if !groupMatches(rule, t.group) {
		return -1
	}
	if strings.HasSuffix(t.resource, "/") {
		for j, res := range rule.Resources {
			if strings.HasPrefix(res, t.resource) || strings.HasPrefix(res, "*/") {
				return j
			}
		}
		return slices.Index(rule.Resources, "*")
	}
	return resourceIndex(rule, t.resource)
}

// escalation describes the verbs that bypass RBAC's escalation checks,
// with the resources they act on.
var escalation = []struct {
	verb, why string
	on        []target
}{
	{"bind", "lets the holder bind any role, including ones with more permissions than its own",
		[]target{{rbacGroup, "roles"}, {rbacGroup, "clusterroles"}}},
	{"escalate", "lets the holder create or update roles with permissions it does not have",
		[]target{{rbacGroup, "roles"}, {rbacGroup, "clusterroles"}}},
	{"impersonate", "lets the holder act as any user, group or service account it can name",
		[]target{{"", "users"}, {"", "groups"}, {"", "serviceaccounts"}, {"authentication.k8s.io", "uids"}, {"authentication.k8s.io", "userextras/"}}},
}

// onWhat names the first target of on that rule covers, or "".
func onWhat(rule rbacv1.PolicyRule, on []target) string {
	for _, t := range on {
		if j := covers(rule, t); j >= 0 {
			return fmt.Sprintf("%s of %s", rule.Resources[j], groupName(t.group))
		}
	}
	return ""
}

func rbacEscalationVerbs(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, r := range g.order {
		if g.quiet(r) {
			continue
		}
		for i, rule := range r.rules {
			if len(rule.ResourceNames) > 0 {
				continue // limited to named objects, the recommended way to grant these
			}
			if _, admin := adminRule(rule); admin {
				continue // rbac-wildcard-admin
			}
			for j, v := range rule.Verbs {
				var verbs, whys []string
				on := ""
				for _, e := range escalation {
					if w := onWhat(rule, e.on); w != "" && (strings.EqualFold(v, e.verb) || v == "*") {
						verbs, whys = append(verbs, fmt.Sprintf("%q", e.verb)), append(whys, e.verb+" "+e.why)
						if on == "" {
							on = w
						}
					}
				}
				switch {
				case len(verbs) == 0:
				case v == "*":
					p.Report(r.obj, ruleRef{r, i, rule}.path("verbs", j), "rule %d grants every verb (verbs: [\"*\"]) on %s, including %s: %s", i, on, strings.Join(verbs, " and "), strings.Join(whys, "; "))
				default:
					p.Report(r.obj, ruleRef{r, i, rule}.path("verbs", j), "rule %d grants the %q verb on %s, which %s", i, v, on, strings.TrimPrefix(whys[0], strings.ToLower(v)+" "))
				}
			}
		}
	}
}

// shellResources give a shell in a container or on a node's kubelet.
var shellResources = []struct {
	resource, why string
}{
	{"pods/exec", "run commands in any container of the pods it covers"},
	{"pods/attach", "attach to the running process of any container it covers"},
	{"nodes/proxy", "reach the kubelet API of nodes, which runs commands in every pod on them"},
}

func rbacExecProxy(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, r := range g.order {
		if g.quiet(r) {
			continue
		}
		for i, rule := range r.rules {
			if !has(rule.Verbs, "create", "get", "*") || len(rule.ResourceNames) > 0 {
				continue // exec and attach need create (get over websockets); proxy needs get or create
			}
			if _, admin := adminRule(rule); admin {
				continue // rbac-wildcard-admin
			}
			// One finding an entry: a wildcard entry may cover all three.
			byEntry := map[int][]int{}
			var entries []int
			for k, s := range shellResources {
				if j := covers(rule, target{"", s.resource}); j >= 0 {
					if byEntry[j] == nil {
						entries = append(entries, j)
					}
					byEntry[j] = append(byEntry[j], k)
				}
			}
			slices.Sort(entries)
			for _, j := range entries {
				var names, whys []string
				for _, k := range byEntry[j] {
					names = append(names, shellResources[k].resource)
					whys = append(whys, shellResources[k].why)
				}
				what := names[0]
				if rule.Resources[j] != what {
					what = fmt.Sprintf("%s (which includes %s)", rule.Resources[j], strings.Join(names, ", "))
				}
				p.Report(r.obj, ruleRef{r, i, rule}.path("resources", j), "rule %d grants %s on %s of the core API group, which lets the holder %s", i, strings.Join(rule.Verbs, ", "), what, strings.Join(whys, ", and "))
			}
		}
	}
}

// builtinClusterRoles lists what the default ClusterRoles that are rarely
// in a repository grant, for bindings to them.
var builtinClusterRoles = map[string]struct{ secrets, createPods bool }{
	"admin": {true, true},
	"edit":  {true, true},
}

// clusterWideGrant reports rules of ClusterRoles that a ClusterRoleBinding
// makes effective in every namespace, when match picks them.
func clusterWideGrant(p *Pass, objs []*render.Object, what, why string, match func(rbacv1.PolicyRule) (field string, j int, ok bool), builtin func(name string) bool) {
	g := newRBAC(p, objs)
	for _, r := range g.order {
		if !r.cluster || g.quiet(r) {
			continue
		}
		var crbs, via []string
		for _, b := range g.bindingsOf(r) {
			if b.cluster && slices.ContainsFunc(b.b.Subjects, func(s rbacv1.Subject) bool { return !systemSubject(s) }) {
				crbs = append(crbs, b.obj.Name)
				if br := g.roleOf(b); br != r && !slices.Contains(via, br.name) {
					via = append(via, br.name)
				}
			}
		}
		if len(crbs) == 0 {
			continue
		}
		agg := ""
		if len(via) > 0 {
			agg = fmt.Sprintf(" through ClusterRole %s, which aggregates it", quoteAll(via))
		}
		for i, rule := range r.rules {
			if len(rule.ResourceNames) > 0 {
				continue
			}
			if field, j, ok := match(rule); ok {
				p.Report(r.obj, ruleRef{r, i, rule}.path(field, j), "rule %d lets its subjects %s in every namespace%s: the role is bound cluster-wide by ClusterRoleBinding %s%s", i, what, why, quoteAll(crbs), agg)
			}
		}
	}
	for _, b := range g.bindings {
		if b.cluster && b.b.RoleRef.Kind == "ClusterRole" && g.roleOf(b) == nil && builtin(b.b.RoleRef.Name) &&
			slices.ContainsFunc(b.b.Subjects, func(s rbacv1.Subject) bool { return !systemSubject(s) }) {
			p.Report(b.obj, "roleRef.name", "binds the built-in ClusterRole %q cluster-wide, letting its subjects %s in every namespace%s", b.b.RoleRef.Name, what, why)
		}
	}
}

// quoteAll names the first few of ss, and counts the rest.
func quoteAll(ss []string) string {
	var q []string
	for i, s := range ss {
		if i == 3 {
			q = append(q, fmt.Sprintf("and %d more", len(ss)-3))
			break
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

// coreResource returns the index of resource res in a rule that covers the
// core API group, or -1.
func coreResource(rule rbacv1.PolicyRule, res string) int {
	if !has(rule.APIGroups, "", "*") {
		return -1
	}
	return slices.Index(rule.Resources, res)
}

func rbacClusterSecrets(p *Pass, objs []*render.Object) {
	clusterWideGrant(p, objs, "read Secrets", "", func(rule rbacv1.PolicyRule) (string, int, bool) {
		j := coreResource(rule, "secrets")
		return "resources", j, j >= 0 && has(rule.Verbs, "get", "list", "watch", "*")
	}, func(n string) bool { return builtinClusterRoles[n].secrets })
}

func rbacClusterPodCreate(p *Pass, objs []*render.Object) {
	clusterWideGrant(p, objs, "create Pods", " (a pod runs as any ServiceAccount and mounts any Secret of its namespace)", func(rule rbacv1.PolicyRule) (string, int, bool) {
		j := coreResource(rule, "pods")
		return "resources", j, j >= 0 && has(rule.Verbs, "create", "*")
	}, func(n string) bool { return builtinClusterRoles[n].createPods })
}

func clusterAdminBinding(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, b := range g.bindings {
		admin, what := g.adminEquivalent(b)
		if !admin {
			continue
		}
		scope := "cluster-wide"
		if !b.cluster {
			scope = fmt.Sprintf("in namespace %q", b.ns)
		}
		for i, s := range b.b.Subjects {
			if systemSubject(s) || anonymousSubject(s) {
				continue // anonymous subjects are reported by anonymous-binding
			}
			p.Report(b.obj, fmt.Sprintf("subjects[%d]", i), "grants %s to %s %s; only system subjects (system:masters) should hold it", what, describeSubject(s), scope)
		}
	}
}

func anonymousSubject(s rbacv1.Subject) bool {
	return (s.Kind == "User" && s.Name == "system:anonymous") || (s.Kind == "Group" && s.Name == "system:unauthenticated")
}

func anonymousBinding(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, b := range g.bindings {
		for i, s := range b.b.Subjects {
			if anonymousSubject(s) {
				p.Report(b.obj, fmt.Sprintf("subjects[%d]", i), "binds %s %q to %s %q, granting it to every request that presents no credentials", b.b.RoleRef.Kind, b.b.RoleRef.Name, s.Kind, s.Name)
			}
		}
	}
}

// serviceAccountName returns the ServiceAccount a pod runs under.
func serviceAccountName(pod *Pod) string {
	switch {
	case pod.Spec.ServiceAccountName != "":
		return pod.Spec.ServiceAccountName
	case pod.Spec.DeprecatedServiceAccount != "":
		return pod.Spec.DeprecatedServiceAccount
	}
	return "default"
}

// saPath is where a finding about a pod's ServiceAccount points.
func saPath(o *render.Object, pod *Pod) string {
	for _, f := range []string{"serviceAccountName", "serviceAccount"} {
		if p := pod.Path(f); o.Has(p) {
			return p
		}
	}
	return pod.Path("serviceAccountName")
}

// subjectIsSA reports whether subject s of a binding in namespace bns
// (empty for ClusterRoleBindings) names ServiceAccount ns/name, directly,
// by username or through the service-account groups.
func subjectIsSA(s rbacv1.Subject, bns, ns, name string) bool {
	switch s.Kind {
	case "ServiceAccount":
		sns := s.Namespace
		if sns == "" {
			sns = bns // as the RBAC authorizer defaults it
		}
		return sns == ns && s.Name == name
	case "User":
		return s.Name == "system:serviceaccount:"+ns+":"+name
	case "Group":
		return s.Name == "system:serviceaccounts" || s.Name == "system:serviceaccounts:"+ns
	}
	return false
}

// automount returns whether a pod gets a ServiceAccount token, and the
// scanned ServiceAccount that decides it when the pod does not.
func automount(ix *index, o *render.Object, pod *Pod) (bool, *render.Object) {
	if v := pod.Spec.AutomountServiceAccountToken; v != nil {
		return *v, nil
	}
	var sas []*render.Object
	for _, sa := range ix.inNamespace(namespaceOf(o), "/ServiceAccount") {
		if sa.Name == serviceAccountName(pod) {
			sas = append(sas, sa)
		}
	}
	if len(sas) == 0 {
		return true, nil
	}
	sa := sas[nearest(len(sas), func(i int) *render.Object { return sas[i] }, o)]
	var v bool
	if sa.Has("automountServiceAccountToken") && sa.Decode("automountServiceAccountToken", &v) == nil {
		return v, sa
	}
	return true, nil
}

// projectsToken reports whether the pod mounts a ServiceAccount token
// through a projected volume, which automount false does not stop.
func projectsToken(pod *Pod) bool {
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return true
			}
		}
	}
	return false
}

func workloadAdminSA(p *Pass, objs []*render.Object) {
	g := newRBAC(p, objs)
	for _, w := range g.ix.workloads {
		if mounted, _ := automount(g.ix, w.obj, w.pod); !mounted && !projectsToken(w.pod) {
			continue // the pod holds no token for the account
		}
		sa := serviceAccountName(w.pod)
		for _, b := range g.bindings {
			admin, what := g.adminEquivalent(b)
			if !admin || !slices.ContainsFunc(b.b.Subjects, func(s rbacv1.Subject) bool { return subjectIsSA(s, b.ns, w.ns, sa) }) {
				continue
			}
			scope := "cluster-wide"
			if !b.cluster {
				scope = fmt.Sprintf("in namespace %q", b.ns)
			}
			p.Report(w.obj, saPath(w.obj, w.pod), "runs as ServiceAccount %q, which %s %q makes admin-equivalent %s (%s); anyone who compromises this pod owns that scope", w.ns+"/"+sa, b.obj.Kind, b.obj.Name, scope, what)
			break
		}
	}
}

func workloadDefaultSA(p *Pass, objs []*render.Object) {
	ix := newIndex(p, objs)
	for _, w := range ix.workloads {
		if serviceAccountName(w.pod) != "default" {
			continue
		}
		how := "sets no serviceAccountName, so it"
		if w.pod.Spec.ServiceAccountName != "" || w.pod.Spec.DeprecatedServiceAccount != "" {
			how = "explicitly"
		}
		p.Report(w.obj, saPath(w.obj, w.pod), "%s runs under the namespace's \"default\" ServiceAccount, which every pod that names none shares: its permissions cannot be scoped to this workload", how)
	}
}

func saTokenAutomount(p *Pass, objs []*render.Object) {
	ix := newIndex(p, objs)
	for _, w := range ix.workloads {
		mounted, by := automount(ix, w.obj, w.pod)
		if !mounted {
			continue
		}
		sa := serviceAccountName(w.pod)
		path := w.pod.Path("automountServiceAccountToken")
		switch {
		case w.pod.Spec.AutomountServiceAccountToken != nil:
			p.Report(w.obj, path, "sets automountServiceAccountToken: true, mounting a token for ServiceAccount %q into every container", sa)
		case by != nil:
			p.Report(w.obj, path, "mounts a token for ServiceAccount %q into every container: the ServiceAccount sets automountServiceAccountToken: true and the pod does not override it", sa)
		default:
			p.Report(w.obj, path, "mounts a token for ServiceAccount %q into every container: neither the pod nor a scanned ServiceAccount sets automountServiceAccountToken: false", sa)
		}
	}
}
