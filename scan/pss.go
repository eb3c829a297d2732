package scan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubeharden/kubeharden/render"
)

// pssCheck is one Pod Security Standards check at the scan's version.
type pssCheck struct {
	id    string
	level api.Level
	fn    policy.CheckPodFn
}

type pssEvaluator struct {
	version   api.Version
	checks    []pssCheck
	evaluator policy.Evaluator // whole-pod verdicts for namespace admission
	cache     map[*Pod][]pssFailure
}

// fork returns the evaluator with a verdict cache of its own, for another
// goroutine.
func (e *pssEvaluator) fork() *pssEvaluator {
	f := *e
	f.cache = map[*Pod][]pssFailure{}
	return &f
}

// A pssFailure is a failed check located at one field.
type pssFailure struct {
	check  string
	level  api.Level
	path   string
	reason string
}

// ParsePSSVersion reads "latest" or "v1.N" as Pod Security Admission does.
func ParsePSSVersion(s string) (api.Version, error) {
	v, err := api.ParseVersion(s)
	if err != nil {
		return api.Version{}, fmt.Errorf("pss version %q: want latest or v1.N", s)
	}
	return v, nil
}

func newPSSEvaluator(version string) (*pssEvaluator, error) {
	v, err := ParsePSSVersion(version)
	if err != nil {
		return nil, err
	}
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, err
	}
	e := &pssEvaluator{version: v, evaluator: ev, cache: map[*Pod][]pssFailure{}}
	for _, c := range policy.DefaultChecks() {
		var fn policy.CheckPodFn
		for _, vc := range c.Versions {
			if v.Latest() || !v.Older(vc.MinimumVersion) {
				fn = vc.CheckPod
			}
		}
		if fn != nil {
			e.checks = append(e.checks, pssCheck{id: string(c.ID), level: c.Level, fn: fn})
		}
	}
	return e, nil
}

// evaluate runs every check on pod and locates each failure at the fields
// that cause it: checks are re-run on the pod without containers and on
// each container alone to tell pod-level from container-level causes.
func (e *pssEvaluator) evaluate(pod *Pod) []pssFailure {
	if f, ok := e.cache[pod]; ok {
		return f
	}
	var out []pssFailure
	meta, spec := &pod.Meta, &pod.Spec
	for _, c := range e.checks {
		if r := c.fn(meta, spec); r.Allowed {
			continue
		}
		n := len(out)
		add := func(path string, r policy.CheckResult) {
			out = append(out, pssFailure{check: c.id, level: c.level, path: path, reason: reason(r)})
		}
		podOnly := *spec
		podOnly.Containers, podOnly.InitContainers, podOnly.EphemeralContainers = nil, nil, nil
		r0 := c.fn(meta, &podOnly)
		if !r0.Allowed {
			for _, path := range e.locatePod(c, pod, &podOnly) {
				add(path, r0)
			}
		}
		// A pod with no securityContext, volumes or host namespaces.
		bare := corev1.PodSpec{OS: spec.OS, HostUsers: spec.HostUsers}
		for _, ct := range pod.Containers() {
			r := c.fn(meta, withContainer(podOnly, ct))
			if r.Allowed {
				continue
			}
			// Failing also without the pod's settings means the container's
			// own fields are at fault; otherwise the pod-level field is.
			if c.fn(meta, withContainer(bare, ct)).Allowed && !r0.Allowed {
				continue
			}
			if ct.Name == "" {
				// Pod Security names the container it faults: `container ""`.
				r.ForbiddenDetail = strings.ReplaceAll(r.ForbiddenDetail, `container ""`, "unnamed "+ct.Kind+" "+ct.Path)
			}
			for _, path := range locateContainer(c.id, pod, ct, !r0.Allowed) {
				add(path, r)
			}
		}
		if len(out) == n {
			add(pod.SpecPath, c.fn(meta, spec))
		}
	}
	e.cache[pod] = out
	return out
}

// seLinuxPath points at the SELinux option Pod Security forbids: a type
// other than the container types, or any user or role.
func seLinuxPath(sc string, o *corev1.SELinuxOptions) string {
	switch {
	case o == nil:
	case o.Type != "" && o.Type != "container_t" && o.Type != "container_init_t" && o.Type != "container_kvm_t" && o.Type != "container_engine_t":
		return sc + ".seLinuxOptions.type"
	case o.User != "":
		return sc + ".seLinuxOptions.user"
	case o.Role != "":
		return sc + ".seLinuxOptions.role"
	}
	return sc + ".seLinuxOptions"
}

func withContainer(spec corev1.PodSpec, c Container) *corev1.PodSpec {
	switch c.Kind {
	case "init container":
		spec.InitContainers = []corev1.Container{*c.Container}
	case "ephemeral container":
		spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(*c.Container)}}
	default:
		spec.Containers = []corev1.Container{*c.Container}
	}
	return &spec
}

func reason(r policy.CheckResult) string {
	if r.ForbiddenDetail != "" {
		return r.ForbiddenReason + ": " + r.ForbiddenDetail
	}
	return r.ForbiddenReason
}

func annotationPath(pod *Pod, key string) string {
	return render.Join(pod.MetaPath+".annotations", render.Key(key))
}

// volumeSourcePath names the volume source field (hostPath, nfs...) of
// volume i, as written.
func volumeSourcePath(pod *Pod, i int) string {
	base := pod.Path(fmt.Sprintf("volumes[%d]", i))
	if v, err := render.ParsePath(base); err == nil {
		if n := render.ValueAt(pod.Object.Tree(), v); n != nil {
			for j := 0; j+1 < len(n.Content); j += 2 {
				if k := n.Content[j].Value; k != "name" {
					return base + render.Key(k)
				}
			}
		}
	}
	return base
}

func (e *pssEvaluator) locatePod(c pssCheck, pod *Pod, podOnly *corev1.PodSpec) []string {
	sc := pod.Path("securityContext")
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	var paths []string
	switch c.id {
	case "hostNamespaces":
		for _, f := range []struct {
			on   bool
			name string
		}{{pod.Spec.HostNetwork, "hostNetwork"}, {pod.Spec.HostPID, "hostPID"}, {pod.Spec.HostIPC, "hostIPC"}} {
			if f.on {
				paths = append(paths, pod.Path(f.name))
			}
		}
	case "hostPathVolumes", "restrictedVolumes":
		for i := range pod.Spec.Volumes {
			one := *podOnly
			one.Volumes = pod.Spec.Volumes[i : i+1]
			if !c.fn(&pod.Meta, &one).Allowed {
				paths = append(paths, volumeSourcePath(pod, i))
			}
		}
	case "sysctls":
		for i := range psc.Sysctls {
			one := *podOnly
			osc := *psc
			osc.Sysctls = psc.Sysctls[i : i+1]
			one.SecurityContext = &osc
			if !c.fn(&pod.Meta, &one).Allowed {
				paths = append(paths, fmt.Sprintf("%s.sysctls[%d]", sc, i))
			}
		}
	case "runAsNonRoot", "runAsUser":
		paths = append(paths, sc+"."+c.id)
	case "seLinuxOptions":
		paths = append(paths, seLinuxPath(sc, psc.SELinuxOptions))
	case "seccompProfile_baseline", "seccompProfile_restricted":
		if psc.SeccompProfile == nil && pod.Meta.Annotations[corev1.SeccompPodAnnotationKey] != "" {
			paths = append(paths, annotationPath(pod, corev1.SeccompPodAnnotationKey))
		} else {
			paths = append(paths, sc+".seccompProfile.type")
		}
	case "appArmorProfile":
		if psc.AppArmorProfile != nil {
			paths = append(paths, sc+".appArmorProfile.type")
		}
		for _, k := range slices.Sorted(maps.Keys(pod.Meta.Annotations)) {
			v := pod.Meta.Annotations[k]
			if strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) &&
				v != corev1.DeprecatedAppArmorBetaProfileRuntimeDefault && !strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix) {
				paths = append(paths, annotationPath(pod, k))
			}
		}
	case "windowsHostProcess":
		paths = append(paths, sc+".windowsOptions.hostProcess")
	}
	return paths
}

// baselineCapabilities are the capabilities Pod Security baseline allows to add.
var baselineCapabilities = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

func locateContainer(id string, pod *Pod, c Container, podFails bool) []string {
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	caps := sc.Capabilities
	if caps == nil {
		caps = &corev1.Capabilities{}
	}
	var paths []string
	switch id {
	case "allowPrivilegeEscalation", "privileged", "procMount", "runAsNonRoot":
		field := id
		if id == "runAsNonRoot" && sc.RunAsNonRoot == nil && podFails {
			return nil // inherited from the pod-level setting
		}
		paths = append(paths, c.SC(field))
	case "procMount_restricted":
		paths = append(paths, c.SC("procMount"))
	case "runAsUser", "seLinuxOptions", "windowsHostProcess", "appArmorProfile":
		set := map[string]bool{
			"runAsUser":          sc.RunAsUser != nil,
			"seLinuxOptions":     sc.SELinuxOptions != nil,
			"windowsHostProcess": sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil,
			"appArmorProfile":    sc.AppArmorProfile != nil,
		}[id]
		field := map[string]string{"windowsHostProcess": "windowsOptions.hostProcess", "appArmorProfile": "appArmorProfile.type"}[id]
		if field == "" {
			field = id
		}
		switch {
		case set && id == "seLinuxOptions":
			paths = append(paths, seLinuxPath(c.Path+".securityContext", sc.SELinuxOptions))
		case set:
			paths = append(paths, c.SC(field))
		case id == "appArmorProfile":
			if k := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.Name; pod.Meta.Annotations[k] != "" {
				paths = append(paths, annotationPath(pod, k))
			}
		}
	case "seccompProfile_baseline", "seccompProfile_restricted":
		k := corev1.SeccompContainerAnnotationKeyPrefix + c.Name
		switch {
		case sc.SeccompProfile != nil:
			paths = append(paths, c.SC("seccompProfile.type"))
		case pod.Meta.Annotations[k] != "":
			paths = append(paths, annotationPath(pod, k))
		case id == "seccompProfile_restricted" && !podFails:
			// Unset everywhere: one pod-level setting fixes every container.
			paths = append(paths, pod.Path("securityContext.seccompProfile.type"))
		}
	case "capabilities_baseline", "capabilities_restricted":
		if id == "capabilities_restricted" && !slices.ContainsFunc(caps.Drop, func(c corev1.Capability) bool { return c == "ALL" }) {
			paths = append(paths, c.SC("capabilities.drop"))
		}
		for i, a := range caps.Add {
			ok := a == "NET_BIND_SERVICE"
			if id == "capabilities_baseline" {
				ok = slices.Contains(baselineCapabilities, string(a))
			}
			if !ok {
				paths = append(paths, c.SC(fmt.Sprintf("capabilities.add[%d]", i)))
			}
		}
	case "hostPorts":
		for i, p := range c.Ports {
			if p.HostPort != 0 {
				paths = append(paths, fmt.Sprintf("%s.ports[%d].hostPort", c.Path, i))
			}
		}
	case "hostProbesAndHostLifecycle":
		paths = hostProbePaths(c)
	}
	if len(paths) == 0 && !podFails {
		paths = append(paths, c.Path)
	}
	return paths
}

func hostProbePaths(c Container) []string {
	var paths []string
	handler := func(base string, h *corev1.ProbeHandler) {
		if h == nil {
			return
		}
		if h.HTTPGet != nil && h.HTTPGet.Host != "" {
			paths = append(paths, base+".httpGet.host")
		}
		if h.TCPSocket != nil && h.TCPSocket.Host != "" {
			paths = append(paths, base+".tcpSocket.host")
		}
	}
	for name, p := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
		if p != nil {
			handler(c.Path+"."+name, &p.ProbeHandler)
		}
	}
	if l := c.Lifecycle; l != nil {
		for name, h := range map[string]*corev1.LifecycleHandler{"postStart": l.PostStart, "preStop": l.PreStop} {
			if h != nil {
				handler(c.Path+".lifecycle."+name, &corev1.ProbeHandler{HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket})
			}
		}
	}
	slices.Sort(paths)
	return paths
}

func pssRule(level api.Level) func(p *Pass, o *render.Object) {
	return func(p *Pass, o *render.Object) {
		for _, pod := range p.Pods(o) {
			for _, f := range p.pss().evaluate(pod) {
				if f.level != level {
					continue
				}
				p.ReportWith(o, f.path, fmt.Sprintf("%sfails Pod Security Standards %s check %q (%s)", pod.prefix(), level, f.check, f.reason), WithPSSCheck(f.check))
			}
		}
	}
}

// PSS labels on Namespaces.
const (
	pssEnforceLabel        = api.EnforceLevelLabel
	pssEnforceVersionLabel = api.EnforceVersionLabel
)

func namespaceLabels(p *Pass, o *render.Object) {
	if o.Kind != "Namespace" || group(o.APIVersion) != "" {
		return
	}
	path := render.Join("metadata.labels", render.Key(pssEnforceLabel))
	level := o.String(path)
	switch {
	case !o.Has(path):
		p.Report(o, path, "has no %s label, so Pod Security Admission enforces nothing in it", pssEnforceLabel)
	case level == string(api.LevelPrivileged):
		p.Report(o, path, "sets %s: privileged, which admits every pod", pssEnforceLabel)
	default:
		if _, err := api.ParseLevel(level); err != nil {
			p.Report(o, path, "sets %s to %q, which is not a level (privileged, baseline, restricted); the API server rejects the Namespace", pssEnforceLabel, level)
		}
	}
}

// namespaceAdmission reports workloads that the enforce level of their
// Namespace, when the scan has that Namespace, would reject.
func namespaceAdmission(p *Pass, objs []*render.Object) {
	levels := map[string]api.LevelVersion{}
	for _, o := range objs {
		if o.Kind != "Namespace" || group(o.APIVersion) != "" {
			continue
		}
		lvl, err := api.ParseLevel(o.String(render.Join("metadata.labels", render.Key(pssEnforceLabel))))
		if err != nil || lvl == api.LevelPrivileged {
			continue
		}
		ver := api.LatestVersion()
		if vs := o.String(render.Join("metadata.labels", render.Key(pssEnforceVersionLabel))); vs != "" {
			if v, err := api.ParseVersion(vs); err == nil {
				ver = v
			}
		}
		levels[o.Name] = api.LevelVersion{Level: lvl, Version: ver}
	}
	if len(levels) == 0 {
		return
	}
	for _, o := range objs {
		lv, ok := levels[o.EffectiveNamespace()]
		if !ok || o.Kind == "Namespace" {
			continue
		}
		for _, pod := range p.Pods(o) {
			r := policy.AggregateCheckResults(p.pss().evaluator.EvaluatePod(lv, &pod.Meta, namedByPath(pod)))
			if r.Allowed {
				continue
			}
			p.Report(o, "metadata.namespace", "%swould be rejected by namespace %q, which enforces Pod Security %s:%s: %s", pod.prefix(), o.EffectiveNamespace(), lv.Level, lv.Version, r.ForbiddenDetail())
			break
		}
	}
}

// namedByPath returns the pod's spec, or, when a container has no name (a
// CRD may leave it optional), a copy in which each unnamed container is
// named by its field, so that Pod Security's reasons, which quote container
// names, say `container "spec.steps[0]"` rather than `container ""`.
func namedByPath(pod *Pod) *corev1.PodSpec {
	cs := pod.Containers()
	if !slices.ContainsFunc(cs, func(c Container) bool { return c.Name == "" }) {
		return &pod.Spec
	}
	spec := pod.Spec
	spec.InitContainers = slices.Clone(spec.InitContainers)
	spec.Containers = slices.Clone(spec.Containers)
	spec.EphemeralContainers = slices.Clone(spec.EphemeralContainers)
	i, j := 0, 0
	for _, c := range cs {
		switch c.Kind {
		case "init container":
			if c.Name == "" {
				spec.InitContainers[i].Name = c.Path
			}
			i++
		case "container":
			if c.Name == "" {
				spec.Containers[j].Name = c.Path
			}
			j++
		}
	}
	for k := range spec.EphemeralContainers {
		if spec.EphemeralContainers[k].Name == "" {
			spec.EphemeralContainers[k].Name = cs[i+j+k].Path
		}
	}
	return &spec
}
