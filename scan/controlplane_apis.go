package scan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubeharden/kubeharden/render"
)

// An obsoleteAPI is an API version of a kind that Kubernetes deprecated
// and removes, from the Kubernetes deprecated API migration guide.
type obsoleteAPI struct {
	apiVersion, kind string
	deprecated       int    // minor version that deprecated it
	removed          int    // minor version that no longer serves it; 0: not tied to a Kubernetes release
	replacement      string // apiVersion to use, or what replaces the kind
}

// obsoleteAPIs is checked against the kube-no-trouble rulesets by
// TestKubeNoTrouble.
var obsoleteAPIs = []obsoleteAPI{
	// Removed in 1.16.
	{"extensions/v1beta1", "Deployment", 9, 16, "apps/v1"},
	{"extensions/v1beta1", "DaemonSet", 9, 16, "apps/v1"},
	{"extensions/v1beta1", "ReplicaSet", 9, 16, "apps/v1"},
	{"extensions/v1beta1", "NetworkPolicy", 9, 16, "networking.k8s.io/v1"},
	{"extensions/v1beta1", "PodSecurityPolicy", 10, 16, "policy/v1beta1, itself removed in 1.25"},
	{"apps/v1beta1", "Deployment", 9, 16, "apps/v1"},
	{"apps/v1beta1", "StatefulSet", 9, 16, "apps/v1"},
	{"apps/v1beta2", "Deployment", 9, 16, "apps/v1"},
	{"apps/v1beta2", "DaemonSet", 9, 16, "apps/v1"},
	{"apps/v1beta2", "ReplicaSet", 9, 16, "apps/v1"},
	{"apps/v1beta2", "StatefulSet", 9, 16, "apps/v1"},
	// Removed in 1.22.
	{"admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", 16, 22, "admissionregistration.k8s.io/v1"},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", 16, 22, "admissionregistration.k8s.io/v1"},
	{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", 16, 22, "apiextensions.k8s.io/v1"},
	{"apiregistration.k8s.io/v1beta1", "APIService", 19, 22, "apiregistration.k8s.io/v1"},
	{"authentication.k8s.io/v1beta1", "TokenReview", 19, 22, "authentication.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "SubjectAccessReview", 19, 22, "authorization.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "LocalSubjectAccessReview", 19, 22, "authorization.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "SelfSubjectAccessReview", 19, 22, "authorization.k8s.io/v1"},
	{"certificates.k8s.io/v1beta1", "CertificateSigningRequest", 19, 22, "certificates.k8s.io/v1"},
	{"coordination.k8s.io/v1beta1", "Lease", 19, 22, "coordination.k8s.io/v1"},
	{"extensions/v1beta1", "Ingress", 14, 22, "networking.k8s.io/v1"},
	{"networking.k8s.io/v1beta1", "Ingress", 19, 22, "networking.k8s.io/v1"},
	{"networking.k8s.io/v1beta1", "IngressClass", 19, 22, "networking.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRole", 17, 22, "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", 17, 22, "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "Role", 17, 22, "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "RoleBinding", 17, 22, "rbac.authorization.k8s.io/v1"},
	{"scheduling.k8s.io/v1beta1", "PriorityClass", 14, 22, "scheduling.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "CSIDriver", 19, 22, "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "CSINode", 17, 22, "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "StorageClass", 19, 22, "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "VolumeAttachment", 19, 22, "storage.k8s.io/v1"},
	// Removed in 1.25.
	{"batch/v1beta1", "CronJob", 21, 25, "batch/v1"},
	{"discovery.k8s.io/v1beta1", "EndpointSlice", 21, 25, "discovery.k8s.io/v1"},
	{"events.k8s.io/v1beta1", "Event", 19, 25, "events.k8s.io/v1"},
	{"autoscaling/v2beta1", "HorizontalPodAutoscaler", 22, 25, "autoscaling/v2"},
	{"policy/v1beta1", "PodDisruptionBudget", 21, 25, "policy/v1"},
	{"policy/v1beta1", "PodSecurityPolicy", 21, 25, "Pod Security Admission (pod-security.kubernetes.io namespace labels); PodSecurityPolicy has no replacement API"},
	{"node.k8s.io/v1beta1", "RuntimeClass", 20, 25, "node.k8s.io/v1"},
	// Removed in 1.26.
	{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 23, 26, "flowcontrol.apiserver.k8s.io/v1"},
	{"flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", 23, 26, "flowcontrol.apiserver.k8s.io/v1"},
	{"autoscaling/v2beta2", "HorizontalPodAutoscaler", 23, 26, "autoscaling/v2"},
	// Removed in 1.27.
	{"storage.k8s.io/v1beta1", "CSIStorageCapacity", 24, 27, "storage.k8s.io/v1"},
	// Removed in 1.29.
	{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", 26, 29, "flowcontrol.apiserver.k8s.io/v1"},
	{"flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", 26, 29, "flowcontrol.apiserver.k8s.io/v1"},
	// Removed in 1.32.
	{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 29, 32, "flowcontrol.apiserver.k8s.io/v1"},
	{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", 29, 32, "flowcontrol.apiserver.k8s.io/v1"},
	// Served by the CSI external-snapshotter CRDs, not by Kubernetes:
	// deprecated in snapshotter 4.x, removed in 6.0.
	{"snapshot.storage.k8s.io/v1beta1", "VolumeSnapshot", 20, 0, "snapshot.storage.k8s.io/v1"},
	{"snapshot.storage.k8s.io/v1beta1", "VolumeSnapshotClass", 20, 0, "snapshot.storage.k8s.io/v1"},
	{"snapshot.storage.k8s.io/v1beta1", "VolumeSnapshotContent", 20, 0, "snapshot.storage.k8s.io/v1"},
}

// A supportWindow is when the Kubernetes project stops patching a minor
// version (https://kubernetes.io/releases/, "End of Life").
type supportWindow struct {
	minor int
	end   string // YYYY-MM-DD
}

// SupportTableUpdated is the day the end-of-support table was last
// checked against https://kubernetes.io/releases/.
const SupportTableUpdated = "2026-11-25"

// supportWindows lists end-of-support dates by minor version; a minor
// older than the first entry is past support, one newer than the last is
// unknown and not reported.
var supportWindows = []supportWindow{
	{19, "2021-10-28"}, {20, "2022-02-28"}, {21, "2022-06-28"}, {22, "2022-10-28"},
	{23, "2023-02-28"}, {24, "2023-07-28"}, {25, "2023-10-28"}, {26, "2024-02-28"},
	{27, "2024-06-28"}, {28, "2024-10-28"}, {29, "2025-02-28"}, {30, "2025-06-28"},
	{31, "2025-10-28"}, {32, "2026-02-28"}, {33, "2026-06-28"}, {34, "2026-10-27"},
	{35, "2027-02-28"}, {36, "2027-06-28"}, {37, "2027-10-28"},
}

// newestMinor is the newest minor version the embedded tables know; it is
// the target version when none is configured.
var newestMinor = supportWindows[len(supportWindows)-1].minor

// now is the clock end of support is judged by; tests replace it.
var now = time.Now

// ParseKubeVersion reads "1.N", "v1.N" or "v1.N.P" and returns N.
func ParseKubeVersion(s string) (int, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	major, rest, ok := strings.Cut(t, ".")
	if !ok || major != "1" {
		return 0, fmt.Errorf("kubernetes version %q: want 1.N or v1.N", s)
	}
	minor, _, _ := strings.Cut(rest, ".")
	minor, _, _ = strings.Cut(minor, "-")
	n, err := strconv.Atoi(minor)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("kubernetes version %q: want 1.N or v1.N", s)
	}
	return n, nil
}

// targetMinor is the minor version the scan judges API versions at.
func targetMinor(cfg *Config) int {
	if n, err := ParseKubeVersion(cfg.KubeVersion); err == nil {
		return n
	}
	return newestMinor
}

func lookupObsolete(o *render.Object) (obsoleteAPI, bool) {
	for _, a := range obsoleteAPIs {
		if a.apiVersion == o.APIVersion && a.kind == o.Kind {
			return a, true
		}
	}
	return obsoleteAPI{}, false
}

// Rules of the Staying Secure section.
var (
	RemovedAPI = &Check{
		ID: "removed-api", Title: "Object uses an API version the target Kubernetes no longer serves",
		Checklist: []string{"staying-secure.obsolete"}, Severity: Error, SecuritySeverity: 5.0,
		Rationale: "The API server rejects an object whose API version it no longer serves, so the change cannot be applied, and a removed kind such as PodSecurityPolicy silently stops protecting anything. " +
			"Versions are judged at --kube-version (kubeVersion in .kubeharden.yaml), by default the newest Kubernetes minor the embedded table knows.",
		Remediation: "Move the object to the replacement API version named in the finding (kubectl convert helps), or replace the removed kind.",
		Example:     "apiVersion: batch/v1\nkind: CronJob",
		Object:      obsoleteAPIRule(true),
	}
	DeprecatedAPI = &Check{
		ID: "deprecated-api", Title: "Object uses a deprecated API version",
		Checklist: []string{"staying-secure.obsolete"}, Severity: Note, SecuritySeverity: 3.0,
		Rationale:   "A deprecated API version still works at the target Kubernetes version but is removed later; moving early keeps upgrades, and the security fixes they bring, unblocked.",
		Remediation: "Move the object to the replacement API version named in the finding.",
		Example:     "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema",
		Object:      obsoleteAPIRule(false),
	}
	FrozenRegistry = &Check{
		ID: "k8s-gcr-io-image", Title: "Image comes from the frozen k8s.gcr.io registry",
		Checklist: []string{"staying-secure.obsolete"}, Severity: Warning, SecuritySeverity: 4.0,
		Rationale:   "k8s.gcr.io was frozen in April 2023 and receives no new images or security fixes; the Kubernetes project publishes to registry.k8s.io.",
		Remediation: "Pull the image from registry.k8s.io (same path), and set imageRepository: registry.k8s.io in kubeadm.",
		Example:     "image: registry.k8s.io/kube-apiserver:v1.37.0",
		Object:      frozenRegistry,
	}
	RetiredComponent = &Check{
		ID: "retired-component", Title: "Image of a retired component that gets no security fixes",
		Checklist: []string{"staying-secure.obsolete"}, Severity: Warning, SecuritySeverity: 6.0,
		Rationale: "A component its project has retired gets no more releases: vulnerabilities found after its last release stay open. " +
			"kubeharden knows the retired components of an embedded table, by the repository path of the image (under any registry or mirror prefix): " +
			"the ingress-nginx controller, retired by Kubernetes SIG Network at the end of March 2026 after a series of critical vulnerabilities (IngressNightmare, CVE-2025-1974, among them), " +
			"and Tiller, Helm 2's in-cluster server, unsupported since November 2020.",
		Remediation: "Move to a maintained replacement (for ingress-nginx, a Gateway API implementation or another Ingress controller: ingress2gateway converts Ingress objects; for Tiller, Helm 3, which needs no in-cluster server) and remove the retired component.",
		Example:     "image: registry.k8s.io/ingress-nginx/controller:v1.12.1",
		Object:      retiredComponent,
	}
	UnsupportedVersion = &Check{
		ID: "unsupported-kubernetes-version", Title: "Kubernetes version is past end of support",
		Checklist: []string{"staying-secure.patches"}, Severity: Error, SecuritySeverity: 7.0,
		Rationale: "A Kubernetes minor version gets security patches for about 14 months; after its end-of-life date, vulnerabilities found in it stay open. " +
			"The kubernetesVersion of a kubeadm ClusterConfiguration and --kube-version are judged against an embedded table of end-of-life dates (SupportTableUpdated says when it was last checked); a --kube-version finding is reported at the first control-plane configuration object.",
		Remediation: "Upgrade to a supported minor version (see https://kubernetes.io/releases/) and update kubernetesVersion or --kube-version.",
		Example:     "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.37.0",
		Graph:       unsupportedVersion,
	}
)

func obsoleteAPIRule(removed bool) func(p *Pass, o *render.Object) {
	return func(p *Pass, o *render.Object) {
		a, ok := lookupObsolete(o)
		if !ok {
			return
		}
		target := targetMinor(p.Config)
		gone := a.removed != 0 && target >= a.removed
		switch {
		case removed && gone:
			p.Report(o, "apiVersion", "%s %s is not served from Kubernetes 1.%d (target 1.%d); use %s", a.apiVersion, a.kind, a.removed, target, a.replacement)
		case !removed && !gone && target >= a.deprecated:
			when := "a later release of the component that serves it"
			if a.removed != 0 {
				when = fmt.Sprintf("Kubernetes 1.%d", a.removed)
			}
			p.Report(o, "apiVersion", "%s %s is deprecated since 1.%d and removed in %s; use %s", a.apiVersion, a.kind, a.deprecated, when, a.replacement)
		}
	}
}

func frozenRegistry(p *Pass, o *render.Object) {
	if o.Kind == "ClusterConfiguration" && isKubeadm(o) {
		if r := strings.TrimSuffix(o.String("imageRepository"), "/"); r == "k8s.gcr.io" || strings.HasPrefix(r, "k8s.gcr.io/") {
			p.Report(o, "imageRepository", "imageRepository is %s, frozen since 2023; use registry.k8s.io", r)
		}
		return
	}
	forContainers(p, o, func(pod *Pod, c Container) {
		if r := parseImage(c.Image); r.registry == "k8s.gcr.io" {
			p.Report(o, c.Path+".image", "%s image %q comes from k8s.gcr.io, frozen since 2023; use registry.k8s.io/%s", c.Describe(), c.Image, r.repository)
		}
	})
}

// A retired is a component its project no longer maintains, known by the
// repository paths of its images.
type retired struct {
	name         string
	repositories []string // repository paths, registry left out; a mirror's may prefix them
	since        string
	instead      string
}

// retiredComponents are components whose projects announced their end:
// no releases, so no security fixes, after since.
var retiredComponents = []retired{
	{"the ingress-nginx controller", []string{"ingress-nginx/controller", "ingress-nginx/controller-chroot",
		"kubernetes-ingress-controller/nginx-ingress-controller", "bitnami/nginx-ingress-controller"},
		"March 2026", "a Gateway API implementation or another Ingress controller"},
	{"Tiller (Helm 2)", []string{"kubernetes-helm/tiller", "helm/tiller"},
		"November 2020", "Helm 3, which needs no in-cluster server"},
}

func retiredComponent(p *Pass, o *render.Object) {
	forContainers(p, o, func(pod *Pod, c Container) {
		repo := parseImage(c.Image).repository
		for _, r := range retiredComponents {
			if slices.ContainsFunc(r.repositories, func(path string) bool { return repo == path || strings.HasSuffix(repo, "/"+path) }) {
				p.Report(o, c.Path+".image", "%s image %q is %s, retired in %s: it gets no security fixes; move to %s", c.Describe(), c.Image, r.name, r.since, r.instead)
				return
			}
		}
	})
}

// endOfSupport returns the end-of-life date of minor, and whether the
// table knows (or, for older minors, implies) one.
func endOfSupport(minor int) (time.Time, bool) {
	first := supportWindows[0]
	if minor < first.minor {
		t, _ := time.Parse(time.DateOnly, first.end)
		return t, true
	}
	for _, w := range supportWindows {
		if w.minor == minor {
			t, err := time.Parse(time.DateOnly, w.end)
			return t, err == nil
		}
	}
	return time.Time{}, false
}

func unsupportedVersion(p *Pass, objs []*render.Object) {
	today := now().UTC().Truncate(24 * time.Hour)
	past := func(minor int) (string, bool) {
		end, ok := endOfSupport(minor)
		if !ok || today.Before(end) {
			return "", false
		}
		return end.Format(time.DateOnly), true
	}
	for _, o := range objs {
		if o.Kind != "ClusterConfiguration" || !isKubeadm(o) {
			continue
		}
		v := o.String("kubernetesVersion")
		minor, err := ParseKubeVersion(v)
		if err != nil {
			continue // "stable" and other labels resolve at install time
		}
		if end, ok := past(minor); ok {
			p.Report(o, "kubernetesVersion", "kubernetesVersion %s: Kubernetes 1.%d %s", v, minor, eolText(minor, end))
		}
	}
	if p.Config.KubeVersion == "" {
		return
	}
	minor, err := ParseKubeVersion(p.Config.KubeVersion)
	if err != nil {
		return
	}
	end, ok := past(minor)
	if !ok {
		return
	}
	if o := firstControlPlane(p, objs); o != nil {
		p.Report(o, "", "the target Kubernetes version %s (--kube-version) %s", p.Config.KubeVersion, eolText(minor, end))
	}
}

func eolText(minor int, end string) string {
	if first := supportWindows[0].minor; minor < first {
		return fmt.Sprintf("is older than 1.%d, which reached end of support on %s", first, end)
	}
	return "reached end of support on " + end
}

func firstControlPlane(p *Pass, objs []*render.Object) *render.Object {
	for _, o := range objs {
		if isControlPlaneConfig(p, o) {
			return o
		}
	}
	return nil
}

// NewestMinor is the newest Kubernetes minor version the embedded tables
// know, the default target.
func NewestMinor() int { return newestMinor }
