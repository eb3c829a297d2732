package scan

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/render"
)

// RKE2 and k3s read their server and agent configuration from
// /etc/rancher/{rke2,k3s}/config.yaml: the CLI flags as keys, components'
// extra flags as lists of "name=value" under kube-apiserver-arg and its
// siblings. Such a file has no apiVersion and kind, so render skips it;
// the scan reads it from the texts and judges its flags with the static
// Pod rules, over each distribution's own defaults.
//
// Sources: https://docs.rke2.io/reference/server_config,
// https://docs.rke2.io/security/hardening_guide,
// https://docs.k3s.io/cli/server, https://docs.k3s.io/security/self-assessment-1.8.

// distroKinds are the kinds the scan gives those files.
const (
	rke2Kind = "RKE2Config"
	k3sKind  = "K3sConfig"
)

// distroArgKeys map the config keys that pass extra flags to components.
var distroArgKeys = []struct{ key, comp string }{
	{"kube-apiserver-arg", apiServer}, {"kube-controller-manager-arg", controllerManager},
	{"kube-scheduler-arg", schedulerBin}, {"etcd-arg", etcdServer}, {"kubelet-arg", kubeletBin},
}

// serverOnlyKeys mark a server's config; a file with only agent keys (and
// a server URL) configures a kubelet alone.
var serverOnlyKeys = []string{"kube-apiserver-arg", "kube-controller-manager-arg", "kube-scheduler-arg", "etcd-arg",
	"secrets-encryption", "write-kubeconfig-mode", "cluster-init", "tls-san", "disable", "cni", "profile", "cluster-cidr"}

// distroKeys mark a file as a distribution config; generic keys
// (disable, server, profile) do not, since values files use them too.
var distroKeys = []string{"kube-apiserver-arg", "kube-controller-manager-arg", "kube-scheduler-arg", "etcd-arg", "kubelet-arg",
	"write-kubeconfig-mode", "secrets-encryption", "protect-kernel-defaults", "cluster-init", "tls-san"}

// distroDefaults are the flags both distributions pass to the components
// they run, which the -arg lists override.
var distroDefaults = map[string]map[string]string{
	apiServer: {
		"anonymous-auth": "false", "authorization-mode": "Node,RBAC", "profiling": "false",
		"enable-admission-plugins": "NodeRestriction", "secure-port": "6443",
		"tls-cert-file": "serving-kube-apiserver.crt", "tls-private-key-file": "serving-kube-apiserver.key",
		"client-ca-file": "client-ca.crt", "kubelet-certificate-authority": "server-ca.crt",
		"kubelet-client-certificate": "client-kube-apiserver.crt", "kubelet-client-key": "client-kube-apiserver.key",
		"etcd-cafile": "etcd/server-ca.crt", "etcd-certfile": "client.crt", "etcd-keyfile": "client.key",
		"service-account-lookup": "true", "service-account-key-file": "service.key",
	},
	controllerManager: {"bind-address": "127.0.0.1", "profiling": "false", "use-service-account-credentials": "true",
		"root-ca-file": "server-ca.crt", "service-account-private-key-file": "service.current.key"},
	schedulerBin: {"bind-address": "127.0.0.1", "profiling": "false"},
	etcdServer: {"client-cert-auth": "true", "peer-client-cert-auth": "true", "cert-file": "server-client.crt",
		"key-file": "server-client.key", "trusted-ca-file": "server-ca.crt", "peer-cert-file": "peer-server-client.crt",
		"peer-key-file": "peer-server-client.key", "peer-trusted-ca-file": "peer-ca.crt",
		"listen-client-urls": "https://127.0.0.1:2379"},
	kubeletBin: {"anonymous-auth": "false", "authentication-token-webhook": "true", "authorization-mode": "Webhook",
		"client-ca-file": "client-ca.crt", "read-only-port": "0", "tls-cert-file": "serving-kubelet.crt",
		"tls-private-key-file": "serving-kubelet.key",
		// The supervisor renews the kubelet's certificates before they
		// expire (https://docs.k3s.io/cli/certificate), which is what
		// the flag is asked for.
		"rotate-certificates": "true"},
}

// distroConfigs reads the RKE2 and k3s config files among texts as objects.
func distroConfigs(texts []render.Text) []*render.Object {
	var out []*render.Object
	for _, t := range texts {
		if ext := path.Ext(t.File); ext != ".yaml" && ext != ".yml" {
			continue
		}
		if !slices.ContainsFunc(distroKeys, func(k string) bool { return bytes.Contains(t.Data, []byte(k+":")) }) {
			continue // most files: not worth parsing again
		}
		var doc yaml.Node
		if yaml.NewDecoder(bytes.NewReader(t.Data)).Decode(&doc) != nil || len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			continue
		}
		o := &render.Object{File: t.File, Node: root, Source: render.Source{Kind: "file"}, Name: t.File}
		if o.Has("apiVersion") || o.Has("kind") || !slices.ContainsFunc(distroKeys, o.Has) {
			continue
		}
		o.Kind = k3sKind
		if strings.Contains(t.File, "rke2") || o.Has("cni") || o.Has("profile") {
			o.Kind = rke2Kind
		}
		out = append(out, o)
	}
	return out
}

func isDistroConfig(o *render.Object) bool {
	return o.APIVersion == "" && (o.Kind == rke2Kind || o.Kind == k3sKind)
}

// distroServer reports whether the file configures a server, which runs
// the control plane, rather than an agent.
func distroServer(o *render.Object) bool {
	return slices.ContainsFunc(serverOnlyKeys, o.Has) || !o.Has("server")
}

// distroArgs returns the components' command lines a distribution config
// sets up: the distribution's defaults with the -arg lists over them.
func distroArgs(o *render.Object) []*argv {
	var out []*argv
	for _, k := range distroArgKeys {
		if k.comp != kubeletBin && !distroServer(o) {
			continue
		}
		if k.comp == etcdServer && o.Has("datastore-endpoint") {
			continue // an external datastore: no etcd of its own
		}
		a := &argv{comp: k.comp, where: k.key, at: k.key, flags: map[string]flagArg{}, defaults: distroDefaults[k.comp]}
		if !o.Has(k.key) {
			a.at = ""
		}
		var items []string
		if o.Decode(k.key, &items) != nil {
			if s := o.String(k.key); s != "" {
				items = []string{s}
			}
		}
		for i, it := range items {
			name, v, _ := strings.Cut(strings.TrimLeft(strings.TrimSpace(it), "-"), "=")
			p := fmt.Sprintf("%s[%d]", k.key, i)
			if !o.Has(p) {
				p = k.key
			}
			a.flags[name] = flagArg{strings.TrimSpace(v), p}
		}
		if k.comp == apiServer {
			a.defaults = distroAPIServerDefaults(o)
			if _, on := a.defaults["encryption-provider-config"]; !on && o.Has("secrets-encryption") {
				// Turned off here: the line to change.
				a.flags["encryption-provider-config"] = flagArg{"", "secrets-encryption"}
			}
		}
		out = append(out, a)
	}
	return out
}

// distroAPIServerDefaults adds what differs between the distributions:
// RKE2 encrypts Secrets at rest and writes an audit log by default; k3s
// does neither unless secrets-encryption is true.
func distroAPIServerDefaults(o *render.Object) map[string]string {
	d := map[string]string{}
	for k, v := range distroDefaults[apiServer] {
		d[k] = v
	}
	encrypt := o.Kind == rke2Kind
	if o.Has("secrets-encryption") {
		encrypt = isTrue(o.String("secrets-encryption"))
	}
	if encrypt {
		d["encryption-provider-config"] = "server/cred/encryption-config.json"
	}
	if o.Kind == rke2Kind {
		d["audit-policy-file"] = "/etc/rancher/rke2/audit-policy.yaml"
		d["audit-log-path"] = "/var/lib/rancher/rke2/server/logs/audit.log"
		d["audit-log-maxage"] = "30"
		d["audit-log-maxbackup"] = "10"
		d["audit-log-maxsize"] = "100"
	}
	return d
}

// distroKubeconfigMode reports a write-kubeconfig-mode that lets other
// users of the node read the admin kubeconfig the server writes.
func distroKubeconfigMode(p *Pass, o *render.Object) {
	if !isDistroConfig(o) || !o.Has("write-kubeconfig-mode") {
		return
	}
	v := o.String("write-kubeconfig-mode")
	mode, err := strconv.ParseUint(v, 8, 32)
	if err != nil || mode&0o077 != 0 {
		p.Report(o, "write-kubeconfig-mode", "write-kubeconfig-mode %q lets users other than root read the cluster-admin kubeconfig the server writes; leave the default 0600", v)
	}
}
