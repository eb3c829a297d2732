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
var severityReasons = map[string]string{
	"run-as-root":                     "UID 0 in the container is UID 0 on the node's kernel: a runtime flaw (runc CVE-2019-5736, CVE-2024-21626) or any writable host mount turns it into node root with nothing else wrong.",
	"privilege-escalation":            "Needs an attacker already running code in the container and a setuid binary in the image; it only limits what such a foothold gains.",
	"capabilities-drop-all":           "The runtime's default set is what every unhardened container has; the capabilities that hand over the node are dangerous-capabilities, an error.",
	"dangerous-capabilities":          "SYS_ADMIN, NET_ADMIN, SYS_MODULE and the like are container escapes or node network control on their own.",
	"readonly-root-fs":                "A writable root lets a foothold persist tools; it opens nothing by itself, and some containers must write.",
	"privileged-container":            "A privileged container is root on the node.",
	"host-namespaces":                 "The host network, PID or IPC namespace exposes node traffic, processes or memory to the pod directly.",
	"host-path-volume":                "A hostPath mount reads or writes the node's filesystem directly.",
	"host-port":                       "The port opens on the node's own address, past Services and NetworkPolicy: exposure that needs nothing else.",
	"image-latest-tag":                "Whoever pushes to the tag changes what runs, unreviewed and unscanned.",
	"image-digest":                    "A version tag is mutable only to the image's publisher; the digest closes that last gap.",
	"image-registry":                  "The team configured the list of registries it allows: an image from elsewhere breaks its own policy.",
	"pss-baseline":                    "Baseline blocks the known privilege escalations; failing it is one of the errors above.",
	"pss-restricted":                  "Restricted is current hardening practice beyond baseline: defence in depth.",
	"namespace-pss-label":             "Without an enforce label any pod, privileged ones included, is admitted to the namespace.",
	"pss-namespace-reject":            "The API server would reject the workload's pods: the change cannot be deployed as written.",
	"namespace-default-deny":          "Open pod networking helps an attacker move on from another compromise; it opens no door by itself.",
	"workload-network-policy":         "As namespace-default-deny, for one workload.",
	"rbac-wildcard-admin":             "Every verb on every resource is cluster-admin (or namespace owner) for whoever holds the role.",
	"rbac-wildcard":                   "A wildcard grants current and future resources or verbs; the holder gains more than was reviewed.",
	"rbac-escalation-verbs":           "escalate, bind and impersonate let the holder grant itself more.",
	"rbac-exec-proxy":                 "pods/exec, attach and nodes/proxy run commands in other pods or on the kubelet.",
	"rbac-cluster-secrets":            "Reading every Secret of the cluster yields every credential.",
	"rbac-cluster-pod-create":         "Creating pods anywhere runs code as any ServiceAccount of any namespace.",
	"cluster-admin-binding":           "A non-system subject holds cluster-admin.",
	"anonymous-binding":               "Anyone who reaches the API server holds the role.",
	"workload-admin-serviceaccount":   "A compromise of the pod is a compromise of the cluster or namespace.",
	"workload-default-serviceaccount": "The default ServiceAccount holds no permission unless one is bound to it, which workload-admin-serviceaccount reports; sharing it only blurs scoping and audit.",
	"serviceaccount-token-automount":  "A mounted token is a credential only as strong as its ServiceAccount's permissions, which the RBAC rules judge.",
	"control-plane-scheduling":        "A workload on a control-plane node sits beside etcd and the API server's keys.",
	"control-plane-service-exposed":   "Control-plane endpoints reachable from outside the cluster are attack surface with nothing else wrong.",
	"ingress-tls":                     "Plain HTTP exposes the traffic to anyone on the path.",
	"plaintext-secret":                "A credential in the repository is readable by everyone who reads the repository.",
	"secret-manifest":                 "A Secret's data is base64, readable by everyone who reads the repository.",
	"credential-literal":              "A literal credential-named value is likely a credential in plain text; the name is a heuristic, so not an error.",
	"url-credential":                  "The password in the URL is readable by everyone who reads the repository.",
	"serviceaccount-token-secret":     "A long-lived token never expires: a leak stays usable until the Secret is deleted.",
	"apiserver-anonymous-auth":        "Anyone who reaches the API server is authenticated as system:anonymous.",
	"kubelet-anonymous-auth":          "Anyone who reaches the kubelet can call its API.",
	"apiserver-authorization-mode":    "Without Node and RBAC authorization, requests are allowed that should not be.",
	"kubelet-authorization-mode":      "The kubelet authorizes every request, exec into pods included.",
	"insecure-port":                   "The port serves without authentication.",
	"profiling-enabled":               "Profiling data leaks memory contents and eases denial of service, to callers who can reach the endpoint.",
	"control-plane-bind-address":      "The component's endpoints are reachable from every network the node is on.",
	"apiserver-tls":                   "Traffic to etcd or kubelets can be read or altered on the path.",
	"etcd-tls":                        "Anyone who reaches etcd reads and writes the cluster's state, Secrets included.",
	"weak-tls":                        "Old protocol versions and weak ciphers can be downgraded or broken on the path.",
	"kubelet-authentication":          "The kubelet accepts clients it cannot verify.",
	"kubelet-serving-certificates":    "Unverifiable or unrotated kubelet certificates allow interception by someone already on the path.",
	"static-credential-files":         "Static tokens and passwords never expire and cannot be revoked without a restart.",
	"service-account-lookup":          "Tokens of deleted ServiceAccounts keep working: a leaked token outlives its account.",
	"secrets-encryption-at-rest":      "Every Secret is readable from an etcd backup or disk.",
	"apiserver-audit-log":             "Without an audit log an attack goes unrecorded; that helps detection afterwards but prevents nothing.",
	"audit-policy":                    "A policy that logs Secret bodies writes credentials in plain text to the log.",
	"admission-pss-defaults":          "Namespaces without labels admit privileged pods.",
	"removed-api":                     "The API server rejects the object: the change cannot be applied, and a removed kind protects nothing.",
	"deprecated-api":                  "The version still works; moving early only keeps upgrades unblocked.",
	"k8s-gcr-io-image":                "The frozen registry gets no security fixes: the image's known vulnerabilities stay.",
	"unsupported-kubernetes-version":  "A version past end of support gets no fixes for its published vulnerabilities.",
	"monitoring-posture":              "Posture of the scanned configuration as a whole, not a defect of one object.",
	"kubeconfig-credentials":          "A kubeconfig's credentials grant its user's access to whoever reads the file.",
	"invalid-input":                   "What cannot be read is not scanned, and the API server would reject it too: a gate must not pass it silently.",
	"skipped-input":                   "What was not read was not checked; the scan says so without failing on it.",
}

// SeverityReason returns why the rule with id has its severity.
func SeverityReason(id string) string { return severityReasons[id] }
