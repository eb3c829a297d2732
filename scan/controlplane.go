package scan

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/render"
)

// Rules of control-plane configuration: static Pod manifests of the
// control-plane components, kubeadm, kubelet, encryption and audit config.
var (
	APIServerAnonymousAuth = &Check{
		ID: "apiserver-anonymous-auth", Title: "API server accepts anonymous requests",
		Checklist: []string{"auth.no-anonymous"}, Severity: Error, SecuritySeverity: 7.5,
		Rationale: "With --anonymous-auth true, a request without credentials is served as system:anonymous, and any binding that grants that user or system:unauthenticated is open to the network. " +
			"The flag defaults to true in every kube-apiserver release, and kubeadm does not set it, so a manifest or ClusterConfiguration that omits it is anonymous-enabled. " +
			"With --authentication-config the anonymous settings live in that file: an AuthenticationConfiguration (apiserver.config.k8s.io) that enables anonymous without conditions is reported; without an anonymous section the flag decides.",
		Remediation: "Pass --anonymous-auth=false to kube-apiserver (in kubeadm: apiServer.extraArgs), or restrict anonymous access to health endpoints with an AuthenticationConfiguration.",
		Example:     "command:\n  - kube-apiserver\n  - --anonymous-auth=false",
		Object:      apiServerAnonymous,
	}
	KubeletAnonymousAuth = &Check{
		ID: "kubelet-anonymous-auth", Title: "Kubelet accepts anonymous requests",
		Checklist: []string{"auth.no-anonymous"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale: "An anonymous request to the kubelet's port 10250 can list pods and, with a permissive authorizer, exec into them. " +
			"The --anonymous-auth flag defaults to true; in a KubeletConfiguration file (v1beta1) authentication.anonymous.enabled defaults to false.",
		Remediation: "Set authentication.anonymous.enabled: false in the KubeletConfiguration (or pass --anonymous-auth=false).",
		Example:     "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false",
		Graph:       kubeletRule(kubeletAnonymous),
	}
	APIServerAuthorizationMode = &Check{
		ID: "apiserver-authorization-mode", Title: "API server authorization is not Node and RBAC",
		Checklist: []string{"network.control-plane-access"}, Severity: Error, SecuritySeverity: 9.0,
		Rationale: "--authorization-mode decides who may do what. AlwaysAllow grants every authenticated (and, with anonymous auth, unauthenticated) request everything; without RBAC, roles are not enforced; without Node, any kubelet can read every Secret. " +
			"The flag defaults to AlwaysAllow when neither it nor --authorization-config is set; kubeadm sets Node,RBAC. " +
			"An AuthorizationConfiguration (apiserver.config.k8s.io) is reported when its chain reaches an AlwaysAllow authorizer (requests the earlier ones have no opinion on fall through to it, unless an AlwaysDeny comes first) or lacks Node and RBAC.",
		Remediation: "Pass --authorization-mode=Node,RBAC (and never AlwaysAllow).",
		Example:     "command:\n  - kube-apiserver\n  - --authorization-mode=Node,RBAC",
		Object:      apiServerAuthz,
	}
	KubeletAuthorizationMode = &Check{
		ID: "kubelet-authorization-mode", Title: "Kubelet authorizes every request",
		Checklist: []string{"network.control-plane-access"}, Severity: Error, SecuritySeverity: 8.5,
		Rationale: "With authorization mode AlwaysAllow, anyone who reaches the kubelet's port can run commands in every pod of the node. " +
			"The --authorization-mode flag defaults to AlwaysAllow; in a KubeletConfiguration file authorization.mode defaults to Webhook, which asks the API server (SubjectAccessReview).",
		Remediation: "Set authorization.mode: Webhook in the KubeletConfiguration (or pass --authorization-mode=Webhook).",
		Example:     "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthorization:\n  mode: Webhook",
		Graph:       kubeletRule(kubeletAuthz),
	}
	InsecurePort = &Check{
		ID: "insecure-port", Title: "Component serves an unauthenticated port",
		Checklist: []string{"network.control-plane-access"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale: "The API server's insecure port (--insecure-port, default 0 since 1.20 and removed in 1.24) serves every request without authentication or authorization; --secure-port=0 turns off the TLS port. " +
			"The kubelet's read-only port (10255) serves pod and node details without authentication: the --read-only-port flag defaults to 10255, a KubeletConfiguration file defaults readOnlyPort to 0.",
		Remediation: "Remove --insecure-port and --insecure-bind-address (or set --insecure-port=0), keep --secure-port non-zero, and set readOnlyPort: 0 for the kubelet.",
		Example:     "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0",
		Graph:       insecurePorts,
	}
	Profiling = &Check{
		ID: "profiling-enabled", Title: "Control-plane component serves profiling data",
		Checklist: []string{"network.control-plane-access"}, Severity: Warning, SecuritySeverity: 4.0,
		Rationale: "--profiling exposes /debug/pprof, which reveals program internals and lets a caller burn CPU. " +
			"It defaults to true for kube-apiserver, kube-controller-manager and kube-scheduler, and kubeadm does not change it.",
		Remediation: "Pass --profiling=false to kube-apiserver, kube-controller-manager and kube-scheduler.",
		Example:     "command:\n  - kube-scheduler\n  - --profiling=false",
		Object:      profiling,
	}
	BindAddress = &Check{
		ID: "control-plane-bind-address", Title: "Control-plane component listens on every address",
		Checklist: []string{"network.control-plane-access"}, Severity: Error, SecuritySeverity: 7.0,
		Rationale: "kube-controller-manager and kube-scheduler need only be reached from the node; their --bind-address defaults to 0.0.0.0 (kubeadm sets 127.0.0.1). " +
			"etcd holds every Secret of the cluster and must listen only on loopback or a private address (--listen-client-urls; its default is http://localhost:2379, kubeadm's https://127.0.0.1:2379 and the node address).",
		Remediation: "Pass --bind-address=127.0.0.1 to kube-controller-manager and kube-scheduler, and list only loopback or private addresses in etcd's --listen-client-urls.",
		Example:     "command:\n  - kube-controller-manager\n  - --bind-address=127.0.0.1",
		Object:      bindAddress,
	}
	APIServerTLS = &Check{
		ID: "apiserver-tls", Title: "API server does not use TLS certificates to its peers",
		Checklist: []string{"network.tls"}, Severity: Error, SecuritySeverity: 7.5,
		Rationale: "Without --tls-cert-file and --tls-private-key-file the API server serves a self-signed certificate clients cannot verify; without --kubelet-certificate-authority it does not verify the kubelets it connects to (exec, logs), and without --kubelet-client-certificate/key they cannot authenticate it; " +
			"without --etcd-cafile, --etcd-certfile and --etcd-keyfile its connection to etcd is unverified or unauthenticated. None of these has a default; kubeadm sets all but --kubelet-certificate-authority.",
		Remediation: "Pass --tls-cert-file, --tls-private-key-file, --kubelet-certificate-authority, --kubelet-client-certificate, --kubelet-client-key, --etcd-cafile, --etcd-certfile and --etcd-keyfile, and never --kubelet-https=false.",
		Example:     "command:\n  - kube-apiserver\n  - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
		Object:      apiServerTLS,
	}
	EtcdTLS = &Check{
		ID: "etcd-tls", Title: "etcd does not require TLS client certificates",
		Checklist: []string{"network.tls"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale: "etcd stores every Secret unencrypted unless encryption at rest is on. --client-cert-auth and --peer-client-cert-auth default to false, so any client that reaches the port can read and write; " +
			"--auto-tls and --peer-auto-tls use self-signed certificates nobody verifies; --cert-file/--key-file and --peer-cert-file/--peer-key-file have no default, and without them etcd speaks plain HTTP. kubeadm sets all of these.",
		Remediation: "Pass --cert-file, --key-file, --client-cert-auth=true, --trusted-ca-file, --peer-cert-file, --peer-key-file and --peer-client-cert-auth=true to etcd, never --auto-tls or --peer-auto-tls, and use https:// listen URLs.",
		Example:     "command:\n  - etcd\n  - --client-cert-auth=true\n  - --peer-client-cert-auth=true",
		Object:      etcdTLS,
	}
	WeakTLS = &Check{
		ID: "weak-tls", Title: "Component allows old TLS versions or weak cipher suites",
		Checklist: []string{"network.tls"}, Severity: Error, SecuritySeverity: 6.0,
		Rationale: "TLS 1.0 and 1.1 and CBC, RC4 and 3DES cipher suites have known attacks. The components are Go programs: with no --tls-min-version they accept TLS 1.2 and later, and with no --tls-cipher-suites they use Go's secure defaults, so only explicit settings are reported. " +
			"A cipher-suite name Go does not know stops the component from starting.",
		Remediation: "Set --tls-min-version=VersionTLS12 (or VersionTLS13) and list only ECDHE AEAD suites in --tls-cipher-suites (tlsMinVersion and tlsCipherSuites for the kubelet), or leave both unset.",
		Example:     "command:\n  - kube-apiserver\n  - --tls-min-version=VersionTLS12",
		Graph:       weakTLS,
	}
	KubeletAuthentication = &Check{
		ID: "kubelet-authentication", Title: "Kubelet does not authenticate clients strongly",
		Checklist: []string{"auth.strong-authn"}, Severity: Error, SecuritySeverity: 7.5,
		Rationale: "The kubelet authenticates the API server and users by client certificate (authentication.x509.clientCAFile) and bearer tokens by webhook (authentication.webhook.enabled). " +
			"Without a client CA no certificate is trusted and without the webhook no token is; with anonymous access off that breaks exec and logs, with it on every caller is anonymous. " +
			"The --authentication-token-webhook flag defaults to false, the config field to true; the client CA has no default (kubeadm sets /etc/kubernetes/pki/ca.crt).",
		Remediation: "Set authentication.webhook.enabled: true and authentication.x509.clientCAFile in the KubeletConfiguration.",
		Example:     "authentication:\n  webhook:\n    enabled: true\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt",
		Graph:       kubeletRule(kubeletAuthn),
	}
	KubeletCertificates = &Check{
		ID: "kubelet-serving-certificates", Title: "Kubelet certificates are not rotated or verifiable",
		Checklist: []string{"network.tls"}, Severity: Warning, SecuritySeverity: 5.0,
		Rationale: "rotateCertificates renews the kubelet's client certificate before it expires; it defaults to false (kubeadm sets true). " +
			"Without serverTLSBootstrap (default false) or tlsCertFile the kubelet serves a self-signed certificate, so the API server cannot verify it (see apiserver-tls). " +
			"The RotateKubeletServerCertificate feature gate must not be turned off.",
		Remediation: "Set rotateCertificates: true and serverTLSBootstrap: true in the KubeletConfiguration, and approve kubelet serving CSRs.",
		Example:     "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nrotateCertificates: true\nserverTLSBootstrap: true",
		Graph:       kubeletCertsAndGates,
	}
	StaticCredentialFiles = &Check{
		ID: "static-credential-files", Title: "API server accepts static tokens or passwords",
		Checklist: []string{"auth.strong-authn"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale:   "--token-auth-file and --basic-auth-file (removed in 1.19) hold long-lived credentials in plain text on the control-plane node; they cannot be rotated without a restart and never expire.",
		Remediation: "Remove --token-auth-file and --basic-auth-file; authenticate users with OIDC or client certificates and workloads with service account tokens.",
		Example:     "command:\n  - kube-apiserver\n  - --oidc-issuer-url=https://login.example.com",
		Object:      staticCredentials,
	}
	ServiceAccountLookup = &Check{
		ID: "service-account-lookup", Title: "API server accepts tokens of deleted service accounts",
		Checklist: []string{"auth.strong-authn"}, Severity: Warning, SecuritySeverity: 5.0,
		Rationale:   "With --service-account-lookup=false the API server accepts a legacy service account token after its ServiceAccount or Secret was deleted. The flag defaults to true, so only an explicit false is reported.",
		Remediation: "Remove --service-account-lookup=false (or set it to true).",
		Example:     "command:\n  - kube-apiserver\n  - --service-account-lookup=true",
		Object:      serviceAccountLookup,
	}
	EncryptionAtRest = &Check{
		ID: "secrets-encryption-at-rest", Title: "Secrets are not encrypted at rest",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Error, SecuritySeverity: 7.0,
		Rationale: "Without --encryption-provider-config the API server writes Secrets to etcd in plain text (base64 is not encryption), and anyone with an etcd backup reads them. " +
			"In an EncryptionConfiguration the first provider of a resource encrypts new writes: identity first means Secrets are stored unencrypted.",
		Remediation: "Pass --encryption-provider-config with an EncryptionConfiguration that lists secrets with kms (v2), aescbc, aesgcm or secretbox first, and identity only last.",
		Example:     "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - kms:\n          apiVersion: v2\n          name: kms\n          endpoint: unix:///run/kms.sock\n      - identity: {}",
		Object:      encryptionAtRest,
	}
	APIServerAudit = &Check{
		ID: "apiserver-audit-log", Title: "API server does not keep an audit log",
		Checklist: []string{"logging.audit"}, Severity: Note, SecuritySeverity: 3.5,
		Rationale: "Without --audit-policy-file the API server records no audit events, and without --audit-log-path or --audit-webhook-config-file they go nowhere. " +
			"A log file needs retention: --audit-log-maxage (days, 30 or more), --audit-log-maxbackup (10 or more) and --audit-log-maxsize (MB, 100 or more); their defaults of 0 keep files forever and never rotate by size. None is set by kubeadm.",
		Remediation: "Pass --audit-policy-file and --audit-log-path (with --audit-log-maxage=30, --audit-log-maxbackup=10, --audit-log-maxsize=100) or --audit-webhook-config-file.",
		Example:     "command:\n  - kube-apiserver\n  - --audit-policy-file=/etc/kubernetes/audit-policy.yaml\n  - --audit-log-path=/var/log/kubernetes/audit.log\n  - --audit-log-maxage=30\n  - --audit-log-maxbackup=10\n  - --audit-log-maxsize=100",
		Object:      apiServerAudit,
	}
	AuditPolicy = &Check{
		ID: "audit-policy", Title: "Audit policy logs Secret bodies or misses requests",
		Checklist: []string{"logging.audit"}, Severity: Error, SecuritySeverity: 6.5,
		Rationale: "The first rule of an audit Policy that matches a request sets its level. At Request or RequestResponse, Secret (and ConfigMap) payloads are copied into the audit log, which is read far more widely than the Secrets themselves. " +
			"A request no rule matches is not recorded, so a policy needs a last catch-all rule at Metadata or above; and a rule without a filter at level None (often written first to drop noise) matches every request, so nothing after it is recorded.",
		Remediation: "Put a rule for secrets and configmaps at level Metadata before any Request or RequestResponse rule, and end the policy with a catch-all rule (no resources, users or verbs) at level Metadata.",
		Example:     "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    resources:\n      - group: \"\"\n        resources: [secrets, configmaps]\n  - level: Metadata",
		Object:      auditPolicy,
	}
)

// controlPlaneRules check control-plane configuration found in a
// repository and obsolete components. See issue 4.
var controlPlaneRules = []*Check{
	APIServerAnonymousAuth, KubeletAnonymousAuth, APIServerAuthorizationMode, KubeletAuthorizationMode,
	InsecurePort, Profiling, BindAddress, APIServerTLS, EtcdTLS, WeakTLS, KubeletAuthentication,
	KubeletCertificates, StaticCredentialFiles, ServiceAccountLookup, EncryptionAtRest,
	APIServerAudit, AuditPolicy, AdmissionPSSDefaults, RemovedAPI, DeprecatedAPI, FrozenRegistry, RetiredComponent, UnsupportedVersion,
	MonitoringPosture, KubeconfigCredentials,
}

func apiServerAnonymous(p *Pass, o *render.Object) {
	authenticationConfig(p, o)
	for _, a := range componentArgs(p, o, apiServer) {
		if _, ok := a.explicit("authentication-config"); ok {
			continue // structured authentication: anonymous access is set in that file
		}
		v, at, set := a.get("anonymous-auth")
		switch {
		case !set:
			p.Report(o, at, "%s does not pass --anonymous-auth=false; kube-apiserver defaults it to true", a.where)
		case !isFalse(v):
			p.Report(o, at, "%s passes --anonymous-auth=%s: unauthenticated requests are served as system:anonymous", a.where, v)
		}
	}
}

func apiServerAuthz(p *Pass, o *render.Object) {
	authorizationConfig(p, o)
	for _, a := range componentArgs(p, o, apiServer) {
		if _, ok := a.explicit("authorization-config"); ok {
			continue // structured authorization: the modes live in that file
		}
		v, at, set := a.get("authorization-mode")
		if !set {
			p.Report(o, at, "%s does not pass --authorization-mode, so it defaults to AlwaysAllow", a.where)
			continue
		}
		modes := splitList(v)
		var miss []string
		for _, m := range []string{"Node", "RBAC"} {
			if !slices.Contains(modes, m) {
				miss = append(miss, m)
			}
		}
		var why []string
		if slices.Contains(modes, "AlwaysAllow") {
			why = append(why, "includes AlwaysAllow, so every request is authorized")
		}
		if len(miss) > 0 {
			why = append(why, "is without "+strings.Join(miss, " and "))
		}
		if len(why) > 0 {
			p.Report(o, at, "%s passes --authorization-mode=%s, which %s", a.where, v, strings.Join(why, " and "))
		}
	}
}

func profiling(p *Pass, o *render.Object) {
	for _, a := range allArgs(p, o) {
		if a.comp != apiServer && a.comp != controllerManager && a.comp != schedulerBin {
			continue
		}
		v, at, set := a.get("profiling")
		switch {
		case !set:
			p.Report(o, at, "%s (%s) does not pass --profiling=false; it defaults to true", a.where, a.comp)
		case !isFalse(v):
			p.Report(o, at, "%s (%s) passes --profiling=%s", a.where, a.comp, v)
		}
	}
}

// openHost reports whether a listen address accepts connections on every
// interface.
func openHost(h string) bool {
	h = strings.Trim(h, "[]")
	return h == "" || h == "0.0.0.0" || h == "::" || h == "0:0:0:0:0:0:0:0"
}

func bindAddress(p *Pass, o *render.Object) {
	for _, a := range allArgs(p, o) {
		switch a.comp {
		case controllerManager, schedulerBin:
			v, at, set := a.get("bind-address")
			switch {
			case !set:
				p.Report(o, at, "%s (%s) does not pass --bind-address, so it listens on 0.0.0.0", a.where, a.comp)
			case openHost(v):
				p.Report(o, at, "%s (%s) passes --bind-address=%s: it listens on every address", a.where, a.comp, v)
			}
		case etcdServer:
			v, at, set := a.get("listen-client-urls")
			if !set {
				continue // http://localhost:2379
			}
			for _, u := range splitList(v) {
				if pu, err := url.Parse(u); err == nil && openHost(pu.Hostname()) {
					p.Report(o, at, "%s (etcd) listens for clients on %s, every address of the node", a.where, u)
					break
				}
			}
		}
	}
}

// missingFiles returns the flags of names that are not set or empty.
func missingFiles(a *argv, names ...string) []string {
	var miss []string
	for _, n := range names {
		if v, _, set := a.get(n); !set || strings.TrimSpace(v) == "" {
			miss = append(miss, "--"+n)
		}
	}
	return miss
}

func apiServerTLS(p *Pass, o *render.Object) {
	for _, a := range componentArgs(p, o, apiServer) {
		miss := missingFiles(a, "tls-cert-file", "tls-private-key-file", "kubelet-certificate-authority",
			"kubelet-client-certificate", "kubelet-client-key", "etcd-cafile", "etcd-certfile", "etcd-keyfile")
		if len(miss) > 0 {
			p.Report(o, a.at, "%s does not set %s", a.where, strings.Join(miss, ", "))
		}
		if f, ok := a.explicit("kubelet-https"); ok && isFalse(f.value) {
			p.Report(o, f.path, "%s passes --kubelet-https=false: it talks to kubelets in plain HTTP", a.where)
		}
	}
}

func etcdTLS(p *Pass, o *render.Object) {
	for _, a := range componentArgs(p, o, etcdServer) {
		miss := missingFiles(a, "cert-file", "key-file", "peer-cert-file", "peer-key-file")
		for _, name := range []string{"client-cert-auth", "peer-client-cert-auth"} {
			v, at, set := a.get(name)
			switch {
			case !set:
				miss = append(miss, "--"+name+"=true")
			case !isTrue(v):
				who := "clients"
				if strings.HasPrefix(name, "peer") {
					who = "peers"
				}
				p.Report(o, at, "%s (etcd) passes --%s=%s: etcd accepts %s without a certificate", a.where, name, v, who)
			}
		}
		if len(miss) > 0 {
			p.Report(o, a.at, "%s (etcd) does not set %s", a.where, strings.Join(miss, ", "))
		}
		for _, f := range []string{"auto-tls", "peer-auto-tls"} {
			if e, ok := a.explicit(f); ok && isTrue(e.value) {
				p.Report(o, e.path, "%s passes --%s=true: etcd uses self-signed certificates nobody verifies", a.where, f)
			}
		}
		if v, at, set := a.get("listen-client-urls"); set {
			for _, u := range splitList(v) {
				if pu, err := url.Parse(u); err == nil && pu.Scheme == "http" && !loopback(pu.Hostname()) {
					p.Report(o, at, "%s (etcd) serves clients in plain HTTP on %s", a.where, u)
					break
				}
			}
		}
	}
}

func loopback(h string) bool {
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

// tlsVersions maps the spellings of kube components (VersionTLS12) and
// etcd (TLS1.2) to a comparable number.
var tlsVersions = map[string]int{
	"VersionTLS10": 10, "VersionTLS11": 11, "VersionTLS12": 12, "VersionTLS13": 13,
	"TLS1.0": 10, "TLS1.1": 11, "TLS1.2": 12, "TLS1.3": 13,
}

// weakCipher says why a cipher suite is weak, or "" when it is not.
func weakCipher(name string) string {
	for _, c := range tls.InsecureCipherSuites() {
		if c.Name == name {
			return "insecure"
		}
	}
	for _, c := range tls.CipherSuites() {
		if c.Name == name {
			if strings.Contains(name, "_CBC_") {
				return "CBC mode"
			}
			return ""
		}
	}
	return "unknown to Go, so the component will not start"
}

func weakTLS(p *Pass, objs []*render.Object) {
	check := func(o *render.Object, who, minVer, minAt string, suites []string, suiteAt func(i int) string) {
		b := newBatch(o)
		if minVer != "" {
			if n, ok := tlsVersions[minVer]; !ok || n < 12 {
				b.add(minAt, "%s allows TLS older than 1.2 (minimum version %s)", who, minVer)
			}
		}
		for i, s := range suites {
			if why := weakCipher(s); why != "" {
				b.add(suiteAt(i), "%s allows cipher suite %s (%s)", who, s, why)
			}
		}
		b.report(p)
	}
	for _, o := range objs {
		if o.Kind == "KubeletConfiguration" {
			var suites []string
			_ = o.Decode("tlsCipherSuites", &suites)
			check(o, "the kubelet", o.String("tlsMinVersion"), "tlsMinVersion", suites, func(i int) string { return fmt.Sprintf("tlsCipherSuites[%d]", i) })
			continue
		}
		for _, a := range allArgs(p, o) {
			who := fmt.Sprintf("%s (%s)", a.where, a.comp)
			minVer, minAt := "", ""
			if f, ok := a.explicit("tls-min-version"); ok {
				minVer, minAt = f.value, f.path
			}
			f, ok := a.explicit("tls-cipher-suites")
			if !ok && a.comp == etcdServer {
				f, ok = a.explicit("cipher-suites")
			}
			var suites []string
			if ok {
				suites = splitList(f.value)
			}
			check(o, who, minVer, minAt, suites, func(int) string { return f.path })
		}
	}
}

func staticCredentials(p *Pass, o *render.Object) {
	for _, a := range componentArgs(p, o, apiServer) {
		for _, f := range []string{"token-auth-file", "basic-auth-file"} {
			if e, ok := a.explicit(f); ok {
				p.Report(o, e.path, "%s passes --%s: static credentials in a file on the node", a.where, f)
			}
		}
	}
}

func serviceAccountLookup(p *Pass, o *render.Object) {
	for _, a := range componentArgs(p, o, apiServer) {
		if e, ok := a.explicit("service-account-lookup"); ok && isFalse(e.value) {
			p.Report(o, e.path, "%s passes --service-account-lookup=false: tokens of deleted service accounts stay valid", a.where)
		}
	}
}

func apiServerAudit(p *Pass, o *render.Object) {
	for _, a := range componentArgs(p, o, apiServer) {
		var miss []string
		if _, _, set := a.get("audit-policy-file"); !set {
			miss = append(miss, "--audit-policy-file (without it no events are recorded)")
		}
		logPath, _, hasLog := a.get("audit-log-path")
		_, _, hasHook := a.get("audit-webhook-config-file")
		if !hasLog && !hasHook {
			miss = append(miss, "--audit-log-path or --audit-webhook-config-file")
		}
		for _, r := range []struct {
			flag string
			min  int
		}{{"audit-log-maxage", 30}, {"audit-log-maxbackup", 10}, {"audit-log-maxsize", 100}} {
			v, at, set := a.get(r.flag)
			switch {
			case !set && hasLog && logPath != "-":
				miss = append(miss, "--"+r.flag)
			case set:
				if n, err := strconv.Atoi(v); err != nil || n < r.min {
					p.Report(o, at, "%s passes --%s=%s; keep at least %d", a.where, r.flag, v, r.min)
				}
			}
		}
		if len(miss) > 0 {
			p.Report(o, a.at, "%s does not set %s", a.where, strings.Join(miss, ", "))
		}
	}
}
