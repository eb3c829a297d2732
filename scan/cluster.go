package scan

// Rules of the Network and Authentication and Authorization sections that
// look across objects: NetworkPolicy, RBAC, bindings, control-plane
// exposure. See issue 4 and docs/cluster-rules.md.
var (
	NamespaceDefaultDeny = &Check{
		ID: "namespace-default-deny", Title: "Namespace has no default-deny NetworkPolicy",
		Checklist: []string{"network.default-deny"}, Severity: Note, SecuritySeverity: 3.5,
		Rationale: "Without a policy that isolates every pod, Kubernetes allows all traffic: one compromised pod can reach every other pod, the cloud metadata endpoint and the internet. " +
			"A namespace that runs workloads (namespace as written, empty meaning \"default\") must deny both directions by default; allow policies then open what each workload needs. " +
			"A direction counts as denied by a NetworkPolicy with podSelector: {} whose effective policyTypes include it and that has no rule for it (policyTypes defaults to Ingress, plus Egress only when egress rules exist, so a policy without policyTypes never denies egress); " +
			"ingress and egress may be denied by two policies. Also recognised: a CiliumNetworkPolicy (or, for every namespace, a CiliumClusterwideNetworkPolicy) with an empty endpointSelector and an ingress or egress section whose rules are all empty ({}), or an ingressDeny/egressDeny rule from or to the \"all\" entity, unless enableDefaultDeny turns it off; " +
			"a Calico NetworkPolicy (or GlobalNetworkPolicy with no or an all() namespaceSelector), apiVersion projectcalico.org/v3 or crd.projectcalico.org/v1, with selector all() (or none) whose types include the direction and that has no Allow or Pass rule for it. " +
			"A rule that allows everything ({}: no peers, no ports) in a policy with podSelector: {} opens its direction for the whole namespace whatever else denies it, and is reported on that rule. " +
			"A default deny of one direction only is reported on the policyTypes of the policy that makes it (on its spec when policyTypes is omitted); a namespace with no default deny at all is reported on the Namespace object when it is scanned, else on the namespace of the first workload in it.",
		Remediation: "Add a NetworkPolicy named default-deny with podSelector: {}, policyTypes: [Ingress, Egress] and no rules to the namespace, then allow each workload's traffic (including DNS egress) with its own policies.",
		Example:     "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]",
		Graph:       namespaceDefaultDeny,
	}
	WorkloadNetworkPolicy = &Check{
		ID: "workload-network-policy", Title: "No NetworkPolicy selects the workload",
		Checklist: []string{"network.default-deny"}, Severity: Note, SecuritySeverity: 3.0,
		Rationale: "A pod that no policy selects is not isolated in either direction. Each workload is matched by its pod template labels against the podSelector of the NetworkPolicies of its namespace, " +
			"the endpointSelector of Cilium policies (k8s: and any: prefixes and the namespace and service-account pseudo-labels understood) and the selector of Calico policies (all(), has(), ==, !=, in, joined by &&; other expressions are assumed to select). " +
			"Host-network pods are skipped: network policies do not apply to them.",
		Remediation: "Add a default-deny NetworkPolicy to the namespace, or a policy whose podSelector matches the workload's pod labels and allows only the traffic it needs.",
		Example:     "spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: web\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: frontend",
		Graph:       workloadNetworkPolicy,
	}
	RBACWildcardAdmin = &Check{
		ID: "rbac-wildcard-admin", Title: "Role grants every verb on every resource",
		Checklist: []string{"auth.rbac"}, Severity: Error, SecuritySeverity: 9.0,
		Rationale: "A rule with verbs: [\"*\"] and resources: [\"*\"] in every API group (apiGroups: [\"*\"]), the core group (\"\") or rbac.authorization.k8s.io is cluster-admin (in a ClusterRole bound cluster-wide) or namespace owner (in a Role): it reads every Secret, runs any pod as any ServiceAccount, or rewrites RBAC itself. " +
			"The same rule over another API group only (dex.coreos.com, serving.knative.dev) owns that group's objects, not the cluster: it is reported as rbac-wildcard. " +
			"ClusterRoles named system:* (or labelled kubernetes.io/bootstrapping: rbac-defaults) that are bound only to system subjects are the platform's own and are not reported.",
		Remediation: "Replace the wildcard rule with the verbs, API groups and resources the subject needs.",
		Example:     "rules:\n  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get, list, watch, update]",
		Graph:       rbacWildcardAdmin,
	}
	RBACWildcard = &Check{
		ID: "rbac-wildcard", Title: "Role uses a wildcard",
		Checklist: []string{"auth.rbac"}, Severity: Warning, SecuritySeverity: 5.0,
		Rationale: "A \"*\" in apiGroups, resources or verbs grants every current and future group, resource or verb, including those added later by CRDs and new Kubernetes versions. " +
			"Rules with both wildcard verbs and resources in every API group, the core group or the RBAC group are reported as rbac-wildcard-admin instead.",
		Remediation: "List the API groups, resources and verbs explicitly.",
		Example:     "rules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    verbs: [get, list, watch]",
		Graph:       rbacWildcard,
	}
	RBACEscalationVerbs = &Check{
		ID: "rbac-escalation-verbs", Title: "Role grants escalate, bind or impersonate",
		Checklist: []string{"auth.rbac"}, Severity: Warning, SecuritySeverity: 7.0,
		Rationale: "RBAC prevents privilege escalation by refusing to let a subject create or bind a role with permissions it lacks; the escalate and bind verbs switch that protection off, and impersonate lets the holder act as any user, group or ServiceAccount. " +
			"The rule reports the verb, or a \"*\" verb, where the rule's API groups and resources cover what it acts on (roles and clusterroles of rbac.authorization.k8s.io; users, groups and serviceaccounts of the core group), in any Role or ClusterRole, bound in the scan or not, since roles are bound outside repositories too; rules limited to named objects (resourceNames) are not reported.",
		Remediation: "Remove the verb; controllers that manage RBAC should be given bind or escalate on named roles only (resourceNames).",
		Example:     "rules:\n  - apiGroups: [rbac.authorization.k8s.io]\n    resources: [roles]\n    verbs: [get, list]",
		Graph:       rbacEscalationVerbs,
	}
	RBACExecProxy = &Check{
		ID: "rbac-exec-proxy", Title: "Role grants pods/exec, pods/attach or nodes/proxy",
		Checklist: []string{"auth.rbac"}, Severity: Warning, SecuritySeverity: 6.5,
		Rationale: "pods/exec and pods/attach give a shell in other workloads' containers, with their tokens and Secrets; nodes/proxy reaches the kubelet API, which runs commands in any pod on the node and is not audited per pod. " +
			"Reported when the rule covers the core API group and the subresource as the RBAC authorizer matches it (the subresource itself, \"*/exec\", or \"*\"), its verbs include create, get or \"*\" (exec over websockets needs only get) and no resourceNames limit it; pods/* is no pattern to the authorizer and grants nothing.",
		Remediation: "Remove the subresource from the rule; grant exec only to break-glass roles, bound to people, and never nodes/proxy to workloads.",
		Example:     "rules:\n  - apiGroups: [\"\"]\n    resources: [pods, pods/log]\n    verbs: [get, list]",
		Graph:       rbacExecProxy,
	}
	RBACClusterSecrets = &Check{
		ID: "rbac-cluster-secrets", Title: "ClusterRole bound cluster-wide reads Secrets",
		Checklist: []string{"auth.rbac"}, Severity: Warning, SecuritySeverity: 7.5,
		Rationale: "get, list or watch on secrets in a ClusterRole that a ClusterRoleBinding grants to a non-system subject reads every Secret of every namespace: service-account tokens, TLS keys, passwords. " +
			"Aggregated ClusterRoles are followed (a rule aggregated into a bound role is reported where it is written), and bindings of the built-in admin and edit roles are reported at roleRef.name. " +
			"Explicit secrets only: a \"*\" resource is reported by rbac-wildcard. Rules limited by resourceNames are not reported.",
		Remediation: "Bind the role with RoleBindings in the namespaces that need it, or restrict the rule to named Secrets with resourceNames.",
		Example:     "kind: RoleBinding\nmetadata:\n  namespace: shop\nroleRef:\n  kind: ClusterRole\n  name: secret-reader",
		Graph:       rbacClusterSecrets,
	}
	RBACClusterPodCreate = &Check{
		ID: "rbac-cluster-pod-create", Title: "ClusterRole bound cluster-wide creates Pods",
		Checklist: []string{"auth.rbac"}, Severity: Warning, SecuritySeverity: 7.0,
		Rationale: "Whoever creates pods in a namespace can run them as any ServiceAccount of it and mount any of its Secrets; cluster-wide, that reaches kube-system. " +
			"Reported for create on pods in a ClusterRole bound by a ClusterRoleBinding to a non-system subject, following aggregation, and for bindings of the built-in admin and edit roles.",
		Remediation: "Grant pod creation with RoleBindings in the namespaces that need it, or let a controller (Deployment, Job) create pods instead.",
		Example:     "kind: RoleBinding\nmetadata:\n  namespace: ci\nroleRef:\n  kind: ClusterRole\n  name: pod-runner",
		Graph:       rbacClusterPodCreate,
	}
	ClusterAdminBinding = &Check{
		ID: "cluster-admin-binding", Title: "Admin-equivalent role bound to a non-system subject",
		Checklist: []string{"auth.rbac"}, Severity: Error, SecuritySeverity: 9.0,
		Rationale: "cluster-admin, or any role with wildcard verbs on wildcard resources of every API group, the core group or the RBAC group, is unlimited power over the cluster (ClusterRoleBinding) or the namespace (RoleBinding). " +
			"It should be held only by system subjects: the system:masters group and users or groups named system:*. ServiceAccounts are never system subjects here: their tokens sit in ordinary pods. " +
			"Each non-system subject is a finding.",
		Remediation: "Bind a role that grants only what the subject needs; keep cluster-admin for break-glass access through system:masters certificates.",
		Example:     "kind: ClusterRoleBinding\nroleRef:\n  kind: ClusterRole\n  name: view\nsubjects:\n  - kind: Group\n    name: sre",
		Graph:       clusterAdminBinding,
	}
	AnonymousBinding = &Check{
		ID: "anonymous-binding", Title: "Binding grants a role to anonymous users",
		Checklist: []string{"auth.no-anonymous"}, Severity: Error, SecuritySeverity: 8.5,
		Rationale:   "Requests without credentials are user system:anonymous in group system:unauthenticated. A RoleBinding or ClusterRoleBinding to either grants its role to anyone who can reach the API server.",
		Remediation: "Remove the system:anonymous or system:unauthenticated subject; bind the role to authenticated users or groups that need it.",
		Example:     "subjects:\n  - kind: Group\n    name: system:authenticated",
		Graph:       anonymousBinding,
	}
	WorkloadAdminSA = &Check{
		ID: "workload-admin-serviceaccount", Title: "Workload runs as an admin-equivalent ServiceAccount",
		Checklist: []string{"auth.rbac"}, Severity: Error, SecuritySeverity: 9.0,
		Rationale: "A pod's ServiceAccount token is readable by anything that runs in it; if the account is admin-equivalent, a compromise of the pod is a compromise of the cluster or namespace. " +
			"The rule follows the workload to its serviceAccountName (default \"default\"), to RoleBindings and ClusterRoleBindings naming it (kind ServiceAccount with its namespace, defaulted to the RoleBinding's; its system:serviceaccount: username; the system:serviceaccounts groups) and to their role, including ClusterRoles aggregated by label. " +
			"Admin-equivalent means cluster-admin or a rule with wildcard verbs on wildcard resources. Pods that mount no token (automountServiceAccountToken false and no projected token) are skipped.",
		Remediation: "Give the workload its own ServiceAccount bound to a role with only the permissions it uses.",
		Example:     "spec:\n  template:\n    spec:\n      serviceAccountName: web  # bound to a narrow Role",
		Graph:       workloadAdminSA,
	}
	WorkloadDefaultSA = &Check{
		ID: "workload-default-serviceaccount", Title: "Workload runs under the default ServiceAccount",
		Checklist: []string{"auth.rbac"}, Severity: Note, SecuritySeverity: 3.0,
		Rationale: "Every pod that names no ServiceAccount runs as \"default\", so any permission granted to it is granted to all of them, and audit logs cannot tell them apart. " +
			"Explicit serviceAccountName: default is reported too.",
		Remediation: "Create a ServiceAccount for the workload and set spec.serviceAccountName in its pod template.",
		Example:     "spec:\n  serviceAccountName: web\n  automountServiceAccountToken: false",
		Graph:       workloadDefaultSA,
	}
	SATokenAutomount = &Check{
		ID: "serviceaccount-token-automount", Title: "Pod mounts a ServiceAccount token",
		Checklist: []string{"auth.strong-authn"}, Severity: Note, SecuritySeverity: 3.0,
		Rationale: "Unless automountServiceAccountToken is false on the pod or on its ServiceAccount, every container gets a token that authenticates to the API server; most applications never call it, and a stolen token is a credential. " +
			"The pod's setting wins over the ServiceAccount's, as in the kubelet; a ServiceAccount that is not scanned counts as mounting.",
		Remediation: "Set automountServiceAccountToken: false on the pod spec or its ServiceAccount, and mount a projected token only in the workloads that call the API.",
		Example:     "spec:\n  automountServiceAccountToken: false",
		Graph:       saTokenAutomount,
		Flips:       map[string]bool{"automountServiceAccountToken": false},
	}
	ControlPlaneScheduling = &Check{
		ID: "control-plane-scheduling", Title: "Workload may run on control-plane nodes",
		Checklist: []string{"network.control-plane-access"}, Severity: Warning, SecuritySeverity: 6.0,
		Rationale: "Control-plane nodes hold the etcd data, the API server's keys and admin kubeconfigs; a workload scheduled there is one escape away from all of them, and shares the isolated network the checklist asks for. " +
			"Reported: tolerations of node-role.kubernetes.io/control-plane or master, tolerations with operator Exists and no key (they tolerate every taint), and nodeSelector or node affinity (In or Exists) on those labels.",
		Remediation: "Remove the toleration, nodeSelector or affinity; run only control-plane components on control-plane nodes, and accept the finding with an ignore annotation for node agents that must run everywhere.",
		Example:     "tolerations:\n  - key: dedicated\n    operator: Equal\n    value: batch\n    effect: NoSchedule",
		Object:      controlPlaneScheduling,
	}
	ControlPlaneServiceExposed = &Check{
		ID: "control-plane-service-exposed", Title: "Service exposes control-plane pods outside the cluster",
		Checklist: []string{"network.control-plane-access"}, Severity: Warning, SecuritySeverity: 7.5,
		Rationale: "A NodePort or LoadBalancer Service opens a port on every node or on an external load balancer. Pointing one at the API server, etcd, the controller manager or the scheduler bypasses the firewall that should isolate the control plane. " +
			"A Service counts when its selector names component: kube-apiserver, etcd, kube-controller-manager or kube-scheduler, or tier: control-plane, or matches the labels of a scanned pod that carries them.",
		Remediation: "Use type ClusterIP (or remove the Service) and reach control-plane components through the API server endpoint behind the cluster's firewall.",
		Example:     "spec:\n  type: ClusterIP",
		Graph:       controlPlaneServiceExposed,
	}
)

// clusterRules check across objects: NetworkPolicy, RBAC, bindings,
// control-plane exposure. See issue 4.
var clusterRules = []*Check{
	NamespaceDefaultDeny, WorkloadNetworkPolicy,
	RBACWildcardAdmin, RBACWildcard, RBACEscalationVerbs, RBACExecProxy, RBACClusterSecrets, RBACClusterPodCreate,
	ClusterAdminBinding, AnonymousBinding, WorkloadAdminSA, WorkloadDefaultSA, SATokenAutomount,
	ControlPlaneScheduling, ControlPlaneServiceExposed, IngressTLS,
}
