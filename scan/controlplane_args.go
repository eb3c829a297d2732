package scan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kubeharden/kubeharden/render"
	corev1 "k8s.io/api/core/v1"
)

// Control-plane components, named as their binaries are.
const (
	apiServer         = "kube-apiserver"
	etcdServer        = "etcd"
	controllerManager = "kube-controller-manager"
	schedulerBin      = "kube-scheduler"
	kubeletBin        = "kubelet"
)

var components = []string{apiServer, etcdServer, controllerManager, schedulerBin, kubeletBin}

// An argv is the command line of one control-plane component as a
// repository configures it: a static Pod container's command and args, or
// the extraArgs of a kubeadm ClusterConfiguration.
type argv struct {
	comp  string
	where string // for messages: `container "x"` or `apiServer.extraArgs`
	at    string // the path a missing flag is reported at
	flags map[string]flagArg
	// defaults are the flags kubeadm writes into the manifests it
	// generates, which extraArgs override.
	defaults map[string]string
	kubeadm  bool
}

// A flagArg is one flag's value and the field that sets it.
type flagArg struct {
	value string
	path  string
}

// get returns the flag's value and where it is set; for kubeadm, a flag
// kubeadm sets itself counts as set at the extraArgs field.
func (a *argv) get(name string) (value, at string, set bool) {
	if f, ok := a.flags[name]; ok {
		return f.value, f.path, true
	}
	if v, ok := a.defaults[name]; ok {
		return v, a.at, true
	}
	return "", a.at, false
}

// explicit returns the flag only when the configuration itself sets it.
func (a *argv) explicit(name string) (flagArg, bool) {
	f, ok := a.flags[name]
	return f, ok
}

// boolFlags take no separate value item: "--profiling" alone means true.
var boolFlags = map[string]bool{
	"anonymous-auth": true, "profiling": true, "client-cert-auth": true, "peer-client-cert-auth": true,
	"auto-tls": true, "peer-auto-tls": true, "service-account-lookup": true, "kubelet-https": true,
	"rotate-certificates": true, "authentication-token-webhook": true, "enable-debugging-handlers": true,
	"use-service-account-credentials": true, "leader-elect": true, "allow-privileged": true,
}

// componentOf recognises a component by the program a container runs: the
// command, else the first argument, else (when the image's entrypoint runs)
// the image name. It returns the component and the index of the first
// item after the program name.
func componentOf(items []string, image string, hasCommand bool) (string, int) {
	for i, s := range items {
		if strings.HasPrefix(s, "-") || i > 2 {
			break
		}
		base := path.Base(strings.TrimSpace(s))
		if slices.Contains(components, base) {
			return base, i + 1
		}
		if base == "hyperkube" && i+1 < len(items) {
			next := strings.TrimPrefix(items[i+1], "kube-")
			for _, c := range components {
				if strings.TrimPrefix(c, "kube-") == next {
					return c, i + 2
				}
			}
		}
	}
	if hasCommand || image == "" || !slices.ContainsFunc(components, func(c string) bool { return strings.Contains(image, c) }) {
		return "", 0 // the repository's name holds the component's
	}
	repo := path.Base(parseImage(image).repository)
	for _, suffix := range []string{"-amd64", "-arm64", "-arm", "-ppc64le", "-s390x"} {
		repo = strings.TrimSuffix(repo, suffix)
	}
	if slices.Contains(components, repo) {
		return repo, 0
	}
	return "", 0
}

// containerComponent is componentOf a container's command line and image.
func containerComponent(c *corev1.Container) (string, int) {
	// componentOf reads no further than the fourth item.
	var head [4]string
	n := copy(head[:], c.Command)
	n += copy(head[n:], c.Args)
	return componentOf(head[:n], c.Image, len(c.Command) > 0)
}

// runsComponent reports whether a container of spec runs a component.
func runsComponent(spec *corev1.PodSpec) bool {
	is := func(c *corev1.Container) bool {
		comp, _ := containerComponent(c)
		return comp != ""
	}
	for i := range spec.InitContainers {
		if is(&spec.InitContainers[i]) {
			return true
		}
	}
	for i := range spec.Containers {
		if is(&spec.Containers[i]) {
			return true
		}
	}
	for i := range spec.EphemeralContainers {
		if is((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon)) {
			return true
		}
	}
	return false
}

// parseFlags reads "--name=value", "--name value" and "--name" items.
func parseFlags(items []string, paths []string) map[string]flagArg {
	flags := map[string]flagArg{}
	for i := 0; i < len(items); i++ {
		s := strings.TrimSpace(items[i])
		if !strings.HasPrefix(s, "-") {
			continue
		}
		name := strings.TrimLeft(s, "-")
		if n, v, ok := strings.Cut(name, "="); ok {
			flags[n] = flagArg{strings.TrimSpace(v), paths[i]}
			continue
		}
		if !boolFlags[name] && i+1 < len(items) && !strings.HasPrefix(items[i+1], "-") {
			flags[name] = flagArg{strings.TrimSpace(items[i+1]), paths[i+1]}
			i++
			continue
		}
		if boolFlags[name] {
			flags[name] = flagArg{"true", paths[i]}
		} else {
			flags[name] = flagArg{"", paths[i]}
		}
	}
	return flags
}

// componentArgs returns the command lines of comp that o configures.
func componentArgs(p *Pass, o *render.Object, comp string) []*argv {
	var out []*argv
	for _, a := range allArgs(p, o) {
		if a.comp == comp {
			out = append(out, a)
		}
	}
	return out
}

// allArgs returns every control-plane command line in o.
func allArgs(p *Pass, o *render.Object) []*argv {
	if isKubeadm(o) {
		return kubeadmArgs(o)
	}
	if isDistroConfig(o) {
		return distroArgs(o)
	}
	pod := p.Pod(o)
	if pod == nil || !runsComponent(&pod.Spec) {
		return nil // the rules ask every object, many times each
	}
	var out []*argv
	for _, c := range pod.Containers() {
		comp, start := containerComponent(c.Container)
		if comp == "" {
			continue
		}
		items := slices.Concat(c.Command, c.Args)
		var paths []string
		for i := range c.Command {
			paths = append(paths, fmt.Sprintf("%s.command[%d]", c.Path, i))
		}
		for i := range c.Args {
			paths = append(paths, fmt.Sprintf("%s.args[%d]", c.Path, i))
		}
		at := c.Path + ".command"
		if len(c.Command) == 0 {
			at = c.Path + ".args"
		}
		if start > 0 {
			at = paths[start-1]
		} else if len(items) == 0 {
			at = c.Path + ".image"
		}
		out = append(out, &argv{
			comp: comp, where: c.Describe(), at: at,
			flags: parseFlags(items[start:], paths[start:]),
		})
	}
	return out
}

func isKubeadm(o *render.Object) bool {
	return strings.HasPrefix(o.APIVersion, "kubeadm.k8s.io/")
}

// kubeadmDefaults are the flags kubeadm (v1.2x and later) writes into the
// static Pod manifests it generates, before extraArgs are applied.
var kubeadmDefaults = map[string]map[string]string{
	apiServer: {
		"authorization-mode": "Node,RBAC", "enable-admission-plugins": "NodeRestriction",
		"client-ca-file": "/etc/kubernetes/pki/ca.crt", "secure-port": "6443",
		"tls-cert-file": "/etc/kubernetes/pki/apiserver.crt", "tls-private-key-file": "/etc/kubernetes/pki/apiserver.key",
		"kubelet-client-certificate":  "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
		"kubelet-client-key":          "/etc/kubernetes/pki/apiserver-kubelet-client.key",
		"etcd-cafile":                 "/etc/kubernetes/pki/etcd/ca.crt",
		"etcd-certfile":               "/etc/kubernetes/pki/apiserver-etcd-client.crt",
		"etcd-keyfile":                "/etc/kubernetes/pki/apiserver-etcd-client.key",
		"service-account-key-file":    "/etc/kubernetes/pki/sa.pub",
		"enable-bootstrap-token-auth": "true",
	},
	controllerManager: {
		"bind-address": "127.0.0.1", "use-service-account-credentials": "true",
		"root-ca-file": "/etc/kubernetes/pki/ca.crt", "service-account-private-key-file": "/etc/kubernetes/pki/sa.key",
	},
	schedulerBin: {"bind-address": "127.0.0.1"},
	etcdServer: {
		"client-cert-auth": "true", "peer-client-cert-auth": "true",
		"cert-file": "/etc/kubernetes/pki/etcd/server.crt", "key-file": "/etc/kubernetes/pki/etcd/server.key",
		"peer-cert-file": "/etc/kubernetes/pki/etcd/peer.crt", "peer-key-file": "/etc/kubernetes/pki/etcd/peer.key",
		"trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt", "peer-trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt",
		"listen-client-urls": "https://127.0.0.1:2379",
	},
}

// kubeadmArgs reads the extraArgs of a ClusterConfiguration (a map in
// v1beta3 and earlier, a list of {name, value} from v1beta4) and the
// kubeletExtraArgs of InitConfiguration and JoinConfiguration.
func kubeadmArgs(o *render.Object) []*argv {
	var out []*argv
	switch o.Kind {
	case "ClusterConfiguration":
		for _, s := range []struct{ comp, field string }{
			{apiServer, "apiServer"}, {controllerManager, "controllerManager"},
			{schedulerBin, "scheduler"}, {etcdServer, "etcd.local"},
		} {
			if s.comp == etcdServer && o.Has("etcd.external") {
				continue // kubeadm does not run this etcd
			}
			a := extraArgs(o, s.field+".extraArgs")
			a.comp = s.comp
			a.defaults = kubeadmDefaults[s.comp]
			if s.comp == apiServer && o.Has("etcd.external") {
				a.defaults = externalEtcdDefaults(o)
			}
			out = append(out, a)
		}
	case "InitConfiguration", "JoinConfiguration":
		if o.Has("nodeRegistration.kubeletExtraArgs") {
			a := extraArgs(o, "nodeRegistration.kubeletExtraArgs")
			a.comp = kubeletBin
			out = append(out, a)
		}
	}
	return out
}

// externalEtcdDefaults: with external etcd, kubeadm passes the client
// certificate files named under etcd.external, and nothing else.
func externalEtcdDefaults(o *render.Object) map[string]string {
	d := map[string]string{}
	for k, v := range kubeadmDefaults[apiServer] {
		if !strings.HasPrefix(k, "etcd-") {
			d[k] = v
		}
	}
	for flag, field := range map[string]string{"etcd-cafile": "caFile", "etcd-certfile": "certFile", "etcd-keyfile": "keyFile"} {
		if v := o.String("etcd.external." + field); v != "" {
			d[flag] = v
		}
	}
	return d
}

func extraArgs(o *render.Object, field string) *argv {
	a := &argv{where: field, at: field, flags: map[string]flagArg{}, kubeadm: true}
	if !o.Has(field) {
		a.at = strings.TrimSuffix(field, ".extraArgs")
		for !o.Has(a.at) && strings.Contains(a.at, ".") {
			a.at = a.at[:strings.LastIndexByte(a.at, '.')]
		}
		return a
	}
	var list []map[string]any
	if err := o.Decode(field, &list); err == nil {
		for i, e := range list {
			name, _ := e["name"].(string)
			p := fmt.Sprintf("%s[%d].value", field, i)
			if !o.Has(p) {
				p = fmt.Sprintf("%s[%d]", field, i)
			}
			v := ""
			if e["value"] != nil {
				v = strings.TrimSpace(fmt.Sprint(e["value"]))
			}
			a.flags[name] = flagArg{v, p}
		}
		return a
	}
	var m map[string]any
	if err := o.Decode(field, &m); err == nil {
		for k, v := range m {
			a.flags[k] = flagArg{strings.TrimSpace(fmt.Sprint(v)), render.Join(field, render.Key(k))}
		}
	}
	return a
}

// isControlPlaneConfig reports whether o is control-plane or node
// configuration: a config file kind, or a static Pod (kind Pod) that runs
// a component. An etcd StatefulSet among app manifests is checked by the
// etcd rules but does not make the folder control-plane configuration.
func isControlPlaneConfig(p *Pass, o *render.Object) bool {
	switch group(o.APIVersion) {
	case "kubeadm.k8s.io", "kubelet.config.k8s.io", "audit.k8s.io", "apiserver.config.k8s.io", "apiserver.k8s.io", "kubeproxy.config.k8s.io":
		return true
	}
	return isDistroConfig(o) || (o.Kind == "Pod" && len(allArgs(p, o)) > 0)
}

// A flag value is true unless it says false, as pflag reads booleans.
func isFalse(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "0", "f":
		return true
	}
	return false
}

func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "t":
		return true
	}
	return false
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// A batch collects a rule's messages about one object and reports those
// on the same field as one finding, since a field carries one finding of
// a rule.
type batch struct {
	o     *render.Object
	paths []string
	msgs  map[string][]string
}

func newBatch(o *render.Object) *batch { return &batch{o: o, msgs: map[string][]string{}} }

func (b *batch) add(path, format string, args ...any) {
	if _, ok := b.msgs[path]; !ok {
		b.paths = append(b.paths, path)
	}
	b.msgs[path] = append(b.msgs[path], fmt.Sprintf(format, args...))
}

func (b *batch) report(p *Pass) {
	for _, path := range b.paths {
		p.Report(b.o, path, "%s", strings.Join(b.msgs[path], "; "))
	}
}
