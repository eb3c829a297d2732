package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeharden/kubeharden/render"
)

// A kubeletSrc is one kubelet configuration: a KubeletConfiguration file
// (args nil) or a kubelet command line (a static Pod container, or the
// kubeletExtraArgs of a kubeadm InitConfiguration or JoinConfiguration).
type kubeletSrc struct {
	o    *render.Object
	args *argv
	// kubeadm is set for a KubeletConfiguration kept beside kubeadm
	// configuration, which kubeadm defaults before the kubelet reads it.
	kubeadm bool
	who     string
}

// A kubeletSetting names one setting in both spellings, with the default
// of each: the config file's, the flag's and kubeadm's.
type kubeletSetting struct {
	field, flag                    string
	configDef, flagDef, kubeadmDef string
}

var (
	kAnonymous   = kubeletSetting{"authentication.anonymous.enabled", "anonymous-auth", "false", "true", ""}
	kAuthzMode   = kubeletSetting{"authorization.mode", "authorization-mode", "Webhook", "AlwaysAllow", ""}
	kWebhook     = kubeletSetting{"authentication.webhook.enabled", "authentication-token-webhook", "true", "false", ""}
	kClientCA    = kubeletSetting{"authentication.x509.clientCAFile", "client-ca-file", "", "", "/etc/kubernetes/pki/ca.crt"}
	kReadOnly    = kubeletSetting{"readOnlyPort", "read-only-port", "0", "10255", ""}
	kRotate      = kubeletSetting{"rotateCertificates", "rotate-certificates", "false", "false", "true"}
	kServerTLS   = kubeletSetting{"serverTLSBootstrap", "", "false", "false", ""}
	kTLSCertFile = kubeletSetting{"tlsCertFile", "tls-cert-file", "", "", ""}
	kTLSKeyFile  = kubeletSetting{"tlsPrivateKeyFile", "tls-private-key-file", "", "", ""}
)

// get returns the effective value of s, where to report it, and whether
// the configuration sets it.
func (k *kubeletSrc) get(s kubeletSetting) (value, at string, explicit bool) {
	if k.args == nil {
		if k.o.Has(s.field) {
			return k.o.String(s.field), s.field, true
		}
		if k.kubeadm && s.kubeadmDef != "" {
			return s.kubeadmDef, s.field, false
		}
		return s.configDef, s.field, false
	}
	if s.flag != "" {
		if f, ok := k.args.explicit(s.flag); ok {
			return f.value, f.path, true
		}
	}
	if v, ok := k.args.defaults[s.flag]; ok && s.flag != "" {
		return v, k.args.at, false // a distribution's own default
	}
	if k.args.kubeadm {
		// kubeadm starts the kubelet with the config file it generates.
		if s.kubeadmDef != "" {
			return s.kubeadmDef, k.args.at, false
		}
		return s.configDef, k.args.at, false
	}
	if _, ok := k.args.explicit("config"); ok {
		// A flag left out takes the config file's value, which is not
		// scanned here; judge it by the file format's default.
		return s.configDef, k.args.at, false
	}
	return s.flagDef, k.args.at, false
}

// name returns how a message names the setting in this source.
func (k *kubeletSrc) name(s kubeletSetting) string {
	if k.args == nil || s.flag == "" {
		return s.field
	}
	return "--" + s.flag
}

func kubeletRule(fn func(p *Pass, k *kubeletSrc)) func(p *Pass, objs []*render.Object) {
	return func(p *Pass, objs []*render.Object) {
		for _, k := range kubeletSources(p, objs) {
			fn(p, k)
		}
	}
}

func kubeletSources(p *Pass, objs []*render.Object) []*kubeletSrc {
	kubeadmFiles := map[string]bool{}
	for _, o := range objs {
		if isKubeadm(o) {
			kubeadmFiles[o.File] = true
		}
	}
	var out []*kubeletSrc
	for _, o := range objs {
		if o.Kind == "KubeletConfiguration" && group(o.APIVersion) == "kubelet.config.k8s.io" {
			out = append(out, &kubeletSrc{o: o, kubeadm: kubeadmFiles[o.File], who: "the kubelet"})
			continue
		}
		for _, a := range componentArgs(p, o, kubeletBin) {
			out = append(out, &kubeletSrc{o: o, args: a, who: a.where})
		}
	}
	return out
}

func kubeletAnonymous(p *Pass, k *kubeletSrc) {
	v, at, explicit := k.get(kAnonymous)
	if isFalse(v) {
		return
	}
	if explicit {
		p.Report(k.o, at, "%s sets %s to %s: anonymous requests reach the kubelet API", k.who, k.name(kAnonymous), v)
		return
	}
	p.Report(k.o, at, "%s does not disable anonymous access (%s defaults to true)", k.who, k.name(kAnonymous))
}

func kubeletAuthz(p *Pass, k *kubeletSrc) {
	v, at, explicit := k.get(kAuthzMode)
	if v == "Webhook" {
		return
	}
	if explicit {
		p.Report(k.o, at, "%s sets %s to %s: every request to the kubelet API is authorized", k.who, k.name(kAuthzMode), v)
		return
	}
	p.Report(k.o, at, "%s does not set %s=Webhook; it defaults to %s", k.who, k.name(kAuthzMode), v)
}

func kubeletAuthn(p *Pass, k *kubeletSrc) {
	b := newBatch(k.o)
	v, at, explicit := k.get(kWebhook)
	switch {
	case explicit && isFalse(v):
		b.add(at, "%s sets %s to %s: bearer tokens are not checked with the API server", k.who, k.name(kWebhook), v)
	case !explicit && isFalse(v):
		b.add(at, "%s does not turn on webhook token authentication (%s defaults to false)", k.who, k.name(kWebhook))
	}
	if v, at, _ := k.get(kClientCA); strings.TrimSpace(v) == "" {
		b.add(at, "%s sets no client CA (%s), so it cannot verify client certificates", k.who, k.name(kClientCA))
	}
	b.report(p)
}

func kubeletCerts(p *Pass, k *kubeletSrc) {
	b := newBatch(k.o)
	if v, at, _ := k.get(kRotate); !isTrue(v) {
		b.add(at, "%s does not rotate its client certificate (%s is %s)", k.who, k.name(kRotate), v)
	}
	boot, bootAt, _ := k.get(kServerTLS)
	cert, certAt, _ := k.get(kTLSCertFile)
	key, keyAt, _ := k.get(kTLSKeyFile)
	cert, key = strings.TrimSpace(cert), strings.TrimSpace(key)
	switch {
	case k.args != nil && k.args.kubeadm && cert == "" && key == "":
		// Serving certificates are configured in the KubeletConfiguration
		// kubeadm is given, which is judged on its own.
	case !isTrue(boot) && cert == "" && key == "":
		b.add(bootAt, "%s serves a self-signed certificate: neither serverTLSBootstrap nor %s is set", k.who, k.name(kTLSCertFile))
	case cert != "" && key == "":
		b.add(certAt, "%s sets %s without %s, so the certificate cannot be served", k.who, k.name(kTLSCertFile), k.name(kTLSKeyFile))
	case cert == "" && key != "":
		b.add(keyAt, "%s sets %s without %s, so the key cannot be served", k.who, k.name(kTLSKeyFile), k.name(kTLSCertFile))
	}
	if k.args == nil {
		if k.o.String("featureGates.RotateKubeletServerCertificate") == "false" {
			b.add("featureGates.RotateKubeletServerCertificate", "%s turns off the RotateKubeletServerCertificate feature gate", k.who)
		}
	} else if f, ok := k.args.explicit("feature-gates"); ok && gateOff(f.value, "RotateKubeletServerCertificate") {
		b.add(f.path, "%s turns off the RotateKubeletServerCertificate feature gate", k.who)
	}
	b.report(p)
}

// gateOff reports whether a --feature-gates value turns gate off.
func gateOff(v, gate string) bool {
	for _, g := range splitList(v) {
		if n, val, _ := strings.Cut(g, "="); strings.TrimSpace(n) == gate && isFalse(val) {
			return true
		}
	}
	return false
}

// kubeletCertsAndGates adds the controller manager's feature gate, which
// approves and signs kubelet serving certificates.
func kubeletCertsAndGates(p *Pass, objs []*render.Object) {
	kubeletRule(kubeletCerts)(p, objs)
	for _, o := range objs {
		for _, a := range componentArgs(p, o, controllerManager) {
			if f, ok := a.explicit("feature-gates"); ok && gateOff(f.value, "RotateKubeletServerCertificate") {
				p.Report(o, f.path, "%s (kube-controller-manager) turns off the RotateKubeletServerCertificate feature gate", a.where)
			}
		}
	}
}

func insecurePorts(p *Pass, objs []*render.Object) {
	for _, o := range objs {
		for _, a := range componentArgs(p, o, apiServer) {
			if f, ok := a.explicit("insecure-port"); ok && f.value != "0" {
				p.Report(o, f.path, "%s passes --insecure-port=%s: that port serves every request without authentication or authorization", a.where, f.value)
			}
			if f, ok := a.explicit("insecure-bind-address"); ok {
				p.Report(o, f.path, "%s passes --insecure-bind-address=%s for the unauthenticated port", a.where, f.value)
			}
			if f, ok := a.explicit("secure-port"); ok && f.value == "0" {
				p.Report(o, f.path, "%s passes --secure-port=0: the TLS port is off", a.where)
			}
		}
	}
	for _, k := range kubeletSources(p, objs) {
		v, at, explicit := k.get(kReadOnly)
		if v == "0" || v == "" && explicit {
			continue
		}
		if explicit {
			p.Report(k.o, at, "%s sets %s to %s: pod and node details are served without authentication", k.who, k.name(kReadOnly), v)
		} else {
			p.Report(k.o, at, "%s does not pass --read-only-port=0; the flag defaults to 10255, served without authentication", k.who)
		}
	}
}

// secretsResource reports whether an EncryptionConfiguration resource
// entry covers core Secrets.
func secretsResource(r string) bool {
	return r == "secrets" || r == "*." || r == "*.*"
}

func encryptionAtRest(p *Pass, o *render.Object) {
	for _, a := range componentArgs(p, o, apiServer) {
		if v, at, set := a.get("encryption-provider-config"); !set || strings.TrimSpace(v) == "" {
			p.Report(o, at, "%s does not pass --encryption-provider-config: Secrets are stored in etcd in plain text", a.where)
		}
	}
	if o.Kind != "EncryptionConfiguration" || (group(o.APIVersion) != "apiserver.config.k8s.io" && group(o.APIVersion) != "apiserver.k8s.io") {
		return
	}
	var res []struct {
		Resources []string         `json:"resources"`
		Providers []map[string]any `json:"providers"`
	}
	_ = o.Decode("resources", &res)
	for i, r := range res {
		if !slices.ContainsFunc(r.Resources, secretsResource) {
			continue
		}
		switch {
		case len(r.Providers) == 0:
			p.Report(o, fmt.Sprintf("resources[%d].providers", i), "the entry for secrets lists no provider")
		case hasKey(r.Providers[0], "identity"):
			p.Report(o, fmt.Sprintf("resources[%d].providers[0]", i), "the first provider for secrets is identity, so new Secrets are written unencrypted")
		}
		return
	}
	p.Report(o, "resources", "no entry covers secrets, so Secrets are stored unencrypted")
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// An auditRule is one rule of an audit.k8s.io/v1 Policy.
type auditRule struct {
	Level           string   `json:"level"`
	Users           []string `json:"users"`
	UserGroups      []string `json:"userGroups"`
	Verbs           []string `json:"verbs"`
	Namespaces      []string `json:"namespaces"`
	NonResourceURLs []string `json:"nonResourceURLs"`
	Resources       []struct {
		Group         string   `json:"group"`
		Resources     []string `json:"resources"`
		ResourceNames []string `json:"resourceNames"`
	} `json:"resources"`
}

// catchAll reports whether the rule has no filter, so matches every request.
func (r auditRule) catchAll() bool {
	return len(r.Users)+len(r.UserGroups)+len(r.Verbs)+len(r.Namespaces)+len(r.Resources)+len(r.NonResourceURLs) == 0
}

// matchesSecrets reports whether the rule can match a request for Secret
// objects, and whether it matches every such request.
func (r auditRule) matchesSecrets() (some, all bool) {
	if len(r.NonResourceURLs) > 0 {
		return false, false
	}
	all = len(r.Users) == 0 && len(r.UserGroups) == 0 && len(r.Verbs) == 0 && len(r.Namespaces) == 0
	if len(r.Resources) == 0 {
		return true, all
	}
	for _, g := range r.Resources {
		if g.Group != "" && g.Group != "*" {
			continue
		}
		if len(g.Resources) == 0 || slices.ContainsFunc(g.Resources, func(s string) bool { return s == "secrets" || s == "*" || s == "secrets/*" }) {
			return true, all && len(g.ResourceNames) == 0
		}
	}
	return false, false
}

func auditPolicy(p *Pass, o *render.Object) {
	if o.Kind != "Policy" || group(o.APIVersion) != "audit.k8s.io" {
		return
	}
	var rules []auditRule
	_ = o.Decode("rules", &rules)
	for i, r := range rules {
		some, all := r.matchesSecrets()
		if !some {
			continue
		}
		if r.Level == "Request" || r.Level == "RequestResponse" {
			p.Report(o, fmt.Sprintf("rules[%d].level", i), "rule %d records Secret requests at level %s, copying Secret data into the audit log", i+1, r.Level)
		}
		if all {
			break
		}
	}
	if len(rules) == 0 {
		p.Report(o, "rules", "the policy has no rules, so no request is recorded")
		return
	}
	// The first rule without a filter matches every request that reaches
	// it: at level None, those requests are not recorded and the rules
	// after it are never read.
	for i, r := range rules {
		if !r.catchAll() {
			continue
		}
		if r.Level != "None" && r.Level != "" {
			return
		}
		switch {
		case i == 0:
			p.Report(o, "rules[0].level", "the first rule matches every request at level None, so the policy records nothing")
		case i < len(rules)-1:
			p.Report(o, fmt.Sprintf("rules[%d].level", i), "rule %d matches every request at level None: requests no earlier rule matches are not recorded, and the %d rules after it are never applied", i+1, len(rules)-1-i)
		default:
			p.Report(o, fmt.Sprintf("rules[%d]", i), "the last rule is not a catch-all at level Metadata or above, so requests no rule matches are not recorded")
		}
		return
	}
	if last := rules[len(rules)-1]; !last.catchAll() || last.Level == "None" || last.Level == "" {
		p.Report(o, fmt.Sprintf("rules[%d]", len(rules)-1), "the last rule is not a catch-all at level Metadata or above, so requests no rule matches are not recorded")
	}
}
