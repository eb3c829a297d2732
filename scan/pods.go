package scan

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/render"
)

// forContainers calls fn for each container of each of o's pod specs.
func forContainers(p *Pass, o *render.Object, fn func(pod *Pod, c Container)) {
	for _, pod := range p.Pods(o) {
		for _, c := range pod.Containers() {
			fn(pod, c)
		}
	}
}

func inherited(pod bool) string {
	if pod {
		return " (inherited from the pod securityContext)"
	}
	return ""
}

func runAsRoot(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if pod.Windows() || pod.UserNamespace() {
			return
		}
		nonRoot, user, grp := pod.RunAsNonRoot(c), pod.RunAsUser(c), pod.RunAsGroup(c)
		switch {
		case user.Value != nil && *user.Value == 0:
			p.Report(o, user.Path, "%s runs as UID 0 (runAsUser: 0%s)", c.Describe(), inherited(user.Pod))
		case user.Value != nil:
			// A non-zero UID is not root, whatever runAsNonRoot says.
		case nonRoot.Value != nil && !*nonRoot.Value:
			p.Report(o, nonRoot.Path, "%s sets runAsNonRoot: false%s and no non-zero runAsUser, so it runs as root when the image does", c.Describe(), inherited(nonRoot.Pod))
		case nonRoot.Value == nil:
			p.Report(o, nonRoot.Path, "%s may run as root: securityContext.runAsNonRoot is not true and runAsUser is not set, in the container or the pod", c.Describe())
		}
		if grp.Value != nil && *grp.Value == 0 {
			p.Report(o, grp.Path, "%s runs with GID 0, the root group (runAsGroup: 0%s)", c.Describe(), inherited(grp.Pod))
		}
	})
}

func privilegeEscalation(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if pod.Windows() {
			return
		}
		sc := c.SecurityContext
		switch {
		case sc != nil && sc.Privileged != nil && *sc.Privileged:
			// privileged-container reports it; escalation is implied.
		case sc == nil || sc.AllowPrivilegeEscalation == nil:
			p.Report(o, c.SC("allowPrivilegeEscalation"), "%s does not set securityContext.allowPrivilegeEscalation: false, so setuid binaries can gain privileges", c.Describe())
		case *sc.AllowPrivilegeEscalation:
			p.Report(o, c.SC("allowPrivilegeEscalation"), "%s sets securityContext.allowPrivilegeEscalation: true", c.Describe())
		}
	})
}

func capName(c corev1.Capability) string {
	return strings.TrimPrefix(strings.ToUpper(string(c)), "CAP_")
}

func capabilitiesDropAll(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if pod.Windows() {
			return
		}
		sc := c.SecurityContext
		if sc != nil && sc.Capabilities != nil && slices.ContainsFunc(sc.Capabilities.Drop, func(x corev1.Capability) bool { return capName(x) == "ALL" }) {
			return
		}
		p.Report(o, c.SC("capabilities.drop"), "%s does not drop ALL capabilities (securityContext.capabilities.drop)", c.Describe())
	})
}

// dangerousCapabilities grant root-equivalent power or break isolation.
var dangerousCapabilities = []string{
	"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT",
	"SYS_TIME", "DAC_READ_SEARCH", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG",
	"LINUX_IMMUTABLE", "SYS_RESOURCE", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_CONTROL", "CHECKPOINT_RESTORE",
}

func dangerousCaps(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		sc := c.SecurityContext
		if sc == nil || sc.Capabilities == nil {
			return
		}
		for i, a := range sc.Capabilities.Add {
			if slices.Contains(dangerousCapabilities, capName(a)) {
				p.Report(o, c.SC(fmt.Sprintf("capabilities.add[%d]", i)), "%s adds the %s capability", c.Describe(), capName(a))
			}
		}
	})
}

func readOnlyRootFS(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if pod.Windows() {
			return
		}
		sc := c.SecurityContext
		switch {
		case sc == nil || sc.ReadOnlyRootFilesystem == nil:
			p.Report(o, c.SC("readOnlyRootFilesystem"), "%s has a writable root filesystem: securityContext.readOnlyRootFilesystem is not set", c.Describe())
		case !*sc.ReadOnlyRootFilesystem:
			p.Report(o, c.SC("readOnlyRootFilesystem"), "%s sets securityContext.readOnlyRootFilesystem: false", c.Describe())
		}
	})
}

func privileged(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			p.Report(o, c.SC("privileged"), "%s is privileged (securityContext.privileged: true): it has every capability and all host devices", c.Describe())
		}
	})
}

func hostNamespaces(p *Pass, o *render.Object) {
	for _, pod := range p.Pods(o) {
		hostNamespacesOf(p, o, pod)
	}
}

func hostNamespacesOf(p *Pass, o *render.Object, pod *Pod) {
	for _, f := range []struct {
		on         bool
		field, why string
	}{
		{pod.Spec.HostNetwork, "hostNetwork", "the node's network stack, including its loopback services"},
		{pod.Spec.HostPID, "hostPID", "every process on the node"},
		{pod.Spec.HostIPC, "hostIPC", "the node's shared memory and IPC"},
	} {
		if f.on {
			p.Report(o, pod.Path(f.field), "%ssets %s: true, so its containers see %s", pod.prefix(), f.field, f.why)
		}
	}
}

func hostPathVolumes(p *Pass, o *render.Object) {
	for _, pod := range p.Pods(o) {
		for i, v := range pod.Spec.Volumes {
			if v.HostPath != nil {
				p.Report(o, pod.Path(fmt.Sprintf("volumes[%d].hostPath", i)), "%svolume %q mounts the node path %q (hostPath)", pod.prefix(), v.Name, v.HostPath.Path)
			}
		}
	}
}

func hostPorts(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		for i, port := range c.Ports {
			if port.HostPort != 0 {
				p.Report(o, fmt.Sprintf("%s.ports[%d].hostPort", c.Path, i), "%s binds host port %d (hostPort)", c.Describe(), port.HostPort)
			}
		}
	})
}

// An imageRef is a container image reference split into its parts.
type imageRef struct {
	registry, repository, tag, digest string
	// Byte offsets in the reference: where the tag starts (or would go),
	// and where the registry ends (0 when it is implied).
	tagAt, registryEnd int
}

// parseImage splits an image reference the way container runtimes read
// it: a first component with a dot, a colon or "localhost" is a registry,
// anything else is on Docker Hub.
func parseImage(s string) imageRef {
	var r imageRef
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s, r.digest = s[:i], s[i+1:]
	}
	r.tagAt = len(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "/") {
		s, r.tag = s[:i], s[i+1:]
		r.tagAt = i + 1
	}
	first, rest, found := strings.Cut(s, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.registry, r.repository = first, rest
		r.registryEnd = len(first)
	} else {
		r.registry, r.repository = "docker.io", s
		if !found {
			r.repository = "library/" + s
		}
	}
	return r
}

func imageLatest(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if c.Image == "" {
			return
		}
		r := parseImage(c.Image)
		switch {
		case r.digest != "":
		case r.tag == "":
			p.ReportPart(o, c.Path+".image", r.tagAt, r.tagAt, "%s image %q has no tag, so it means :latest and changes under you", c.Describe(), c.Image)
		case r.tag == "latest":
			p.ReportPart(o, c.Path+".image", r.tagAt, r.tagAt+len(r.tag), "%s image %q uses the :latest tag, which changes under you", c.Describe(), c.Image)
		}
	})
}

func imageDigest(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		if c.Image == "" {
			return
		}
		if r := parseImage(c.Image); r.digest == "" && r.tag != "" && r.tag != "latest" {
			p.ReportPart(o, c.Path+".image", r.tagAt, r.tagAt+len(r.tag), "%s image %q is not pinned by digest, so a scan of the tag may not be what runs", c.Describe(), c.Image)
		}
	})
}

func imageRegistry(p *Pass, o *render.Object) {
	allowed := p.Config.AllowedRegistries
	if len(allowed) == 0 {
		return
	}
	forContainers(p, o, func(pod *Pod, c Container) {
		if c.Image == "" {
			return
		}
		r := parseImage(c.Image)
		full := r.registry + "/" + r.repository
		for _, a := range allowed {
			a = strings.TrimSuffix(a, "/")
			if full == a || strings.HasPrefix(full, a+"/") || r.registry == a {
				return
			}
		}
		p.ReportPart(o, c.Path+".image", 0, max(r.registryEnd, 1), "%s image %q comes from %s, which is not an allowed registry (%s)", c.Describe(), c.Image, r.registry, strings.Join(allowed, ", "))
	})
}
