package scan

// SeverityPrinciple is how rules are given their severity: by what an
// attacker can do with the finding alone.
const SeverityPrinciple = "A rule's severity follows the weight of what it finds. `error`: exploitable alone, with nothing else wrong " +
	"(a privileged container, a host namespace or hostPath, cluster-admin for a workload or a stranger, a credential in plain text, an API server or kubelet open to anonymous requests), " +
	"or a scan or deployment that cannot go as written. `warning`: exploitable alone but narrower, or by someone who already holds some access " +
	"(a host port, RBAC verbs that lead to escalation, a mutable image tag). `note`: defence in depth, which limits the damage of another compromise " +
	"but opens nothing by itself (a writable root filesystem, capabilities not dropped, a mounted ServiceAccount token, no NetworkPolicy, Pod Security restricted). " +
	"`--fail-on` defaults to error; `severity:` in .kubeharden.yaml gives a rule another severity."

// severityReasons says, for each rule, why it has its severity.
var severityReasons = map[*Check]string{
	RunAsRoot:                  "UID 0 in the container is UID 0 on the node's kernel: a runtime flaw (runc CVE-2019-5736, CVE-2024-21626) or any writable host mount turns it into node root with nothing else wrong.",
	PrivilegeEscalation:        "Needs an attacker already running code in the container and a setuid binary in the image; it only limits what such a foothold gains.",
	CapabilitiesDropAll:        "The runtime's default set is what every unhardened container has; the capabilities that hand over the node are dangerous-capabilities, an error.",
	DangerousCapabilities:      "SYS_ADMIN, NET_ADMIN, SYS_MODULE and the like are container escapes or node network control on their own.",
	ReadOnlyRootFS:             "A writable root lets a foothold persist tools; it opens nothing by itself, and some containers must write.",
	Privileged:                 "A privileged container is root on the node.",
	HostNamespaces:             "The host network, PID or IPC namespace exposes node traffic, processes or memory to the pod directly.",
	HostPathVolume:             "A hostPath mount reads or writes the node's filesystem directly.",
	HostPort:                   "The port opens on the node's own address, past Services and NetworkPolicy: exposure that needs nothing else.",
	ImageLatest:                "Whoever pushes to the tag changes what runs, unreviewed and unscanned.",
	ImageDigest:                "A version tag is mutable only to the image's publisher; the digest closes that last gap.",
	ImageRegistry:              "The team configured the list of registries it allows: an image from elsewhere breaks its own policy.",
	PSSBaseline:                "Baseline blocks the known privilege escalations; failing it is one of the errors above.",
	PSSRestricted:              "Restricted is current hardening practice beyond baseline: defence in depth.",
	NamespacePSSLabel:          "Without an enforce label any pod, privileged ones included, is admitted to the namespace.",
	PSSNamespaceReject:         "The API server would reject the workload's pods: the change cannot be deployed as written.",
	NamespaceDefaultDeny:       "Open pod networking helps an attacker move on from another compromise; it opens no door by itself.",
	WorkloadNetworkPolicy:      "As namespace-default-deny, for one workload.",
	RBACWildcardAdmin:          "Every verb on every resource is cluster-admin (or namespace owner) for whoever holds the role.",
	RBACWildcard:               "A wildcard grants current and future resources or verbs; the holder gains more than was reviewed.",
	RBACEscalationVerbs:        "escalate, bind and impersonate let the holder grant itself more.",
	RBACExecProxy:              "pods/exec, attach and nodes/proxy run commands in other pods or on the kubelet.",
	RBACClusterSecrets:         "Reading every Secret of the cluster yields every credential.",
	RBACClusterPodCreate:       "Creating pods anywhere runs code as any ServiceAccount of any namespace.",
	ClusterAdminBinding:        "A non-system subject holds cluster-admin.",
	AnonymousBinding:           "Anyone who reaches the API server holds the role.",
	WorkloadAdminSA:            "A compromise of the pod is a compromise of the cluster or namespace.",
	WorkloadDefaultSA:          "The default ServiceAccount holds no permission unless one is bound to it, which workload-admin-serviceaccount reports; sharing it only blurs scoping and audit.",
	SATokenAutomount:           "A mounted token is a credential only as strong as its ServiceAccount's permissions, which the RBAC rules judge.",
	ControlPlaneScheduling:     "A workload on a control-plane node sits beside etcd and the API server's keys.",
	ControlPlaneServiceExposed: "Control-plane endpoints reachable from outside the cluster are attack surface with nothing else wrong.",
	IngressTLS:                 "Plain HTTP exposes the traffic to anyone on the path.",
	PlaintextSecret:            "A credential in the repository is readable by everyone who reads the repository.",
	SecretManifest:             "A Secret's data is base64, readable by everyone who reads the repository.",
	CredentialLiteral:          "A literal credential-named value is likely a credential in plain text; the name is a heuristic, so not an error.",
	URLCredential:              "The password in the URL is readable by everyone who reads the repository.",
	ServiceAccountTokenSecret:  "A long-lived token never expires: a leak stays usable until the Secret is deleted.",
	APIServerAnonymousAuth:     "Anyone who reaches the API server is authenticated as system:anonymous.",
	KubeletAnonymousAuth:       "Anyone who reaches the kubelet can call its API.",
	APIServerAuthorizationMode: "Without Node and RBAC authorization, requests are allowed that should not be.",
	KubeletAuthorizationMode:   "The kubelet authorizes every request, exec into pods included.",
	InsecurePort:               "The port serves without authentication.",
	Profiling:                  "Profiling data leaks memory contents and eases denial of service, to callers who can reach the endpoint.",
	BindAddress:                "The component's endpoints are reachable from every network the node is on.",
	APIServerTLS:               "Traffic to etcd or kubelets can be read or altered on the path.",
	EtcdTLS:                    "Anyone who reaches etcd reads and writes the cluster's state, Secrets included.",
	WeakTLS:                    "Old protocol versions and weak ciphers can be downgraded or broken on the path.",
	KubeletAuthentication:      "The kubelet accepts clients it cannot verify.",
	KubeletCertificates:        "Unverifiable or unrotated kubelet certificates allow interception by someone already on the path.",
	StaticCredentialFiles:      "Static tokens and passwords never expire and cannot be revoked without a restart.",
	ServiceAccountLookup:       "Tokens of deleted ServiceAccounts keep working: a leaked token outlives its account.",
	EncryptionAtRest:           "Every Secret is readable from an etcd backup or disk.",
	APIServerAudit:             "Without an audit log an attack goes unrecorded; that helps detection afterwards but prevents nothing.",
	AuditPolicy:                "A policy that logs Secret bodies writes credentials in plain text to the log.",
	AdmissionPSSDefaults:       "Namespaces without labels admit privileged pods.",
	RemovedAPI:                 "The API server rejects the object: the change cannot be applied, and a removed kind protects nothing.",
	DeprecatedAPI:              "The version still works; moving early only keeps upgrades unblocked.",
	FrozenRegistry:             "The frozen registry gets no security fixes: the image's known vulnerabilities stay.",
	UnsupportedVersion:         "A version past end of support gets no fixes for its published vulnerabilities.",
	RetiredComponent:           "A retired component gets no fixes for vulnerabilities found after its last release; the ingress-nginx controller faces the network.",
	MonitoringPosture:          "Posture of the scanned configuration as a whole, not a defect of one object.",
	KubeconfigCredentials:      "A kubeconfig's credentials grant its user's access to whoever reads the file.",
	InvalidInput:               "What cannot be read is not scanned, and the API server would reject it too: a gate must not pass it silently.",
	SkippedInput:               "What was not read was not checked; the scan says so without failing on it.",
}

// SeverityReason returns why rule c has its severity.
func SeverityReason(c *Check) string { return severityReasons[c] }
