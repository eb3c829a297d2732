package scan

import (
	"slices"

	"k8s.io/pod-security-admission/api"
)

// Rules of the Pods section.
var (
	RunAsRoot = &Check{
		ID: "run-as-root", Title: "Container may run as root",
		Checklist: []string{"pods.non-root"}, Severity: Error, SecuritySeverity: 7.0,
		Rationale: "A process running as UID 0 in a container is root on the node's kernel: one container escape or writable host mount away from owning the node. " +
			"The kubelet refuses to start a container whose image would run as root only when runAsNonRoot is true; otherwise the image's USER decides. " +
			"Settings are merged as the kubelet does: the container's securityContext overrides the pod's. Pods in their own user namespace (hostUsers: false) are exempt, as Pod Security restricted exempts them.",
		Remediation: "Set securityContext.runAsNonRoot: true (at pod level to cover every container) and a non-zero runAsUser, and never runAsUser or runAsGroup 0.",
		Example:     "spec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n    runAsGroup: 10001",
		Object:      runAsRoot,
		Flips:       map[string]bool{"runAsNonRoot": true},
	}
	PrivilegeEscalation = &Check{
		ID: "privilege-escalation", Title: "Container allows privilege escalation",
		Checklist: []string{"pods.non-root"}, Severity: Note, SecuritySeverity: 3.5,
		Rationale: "Unless allowPrivilegeEscalation is false, the kernel's no_new_privs flag is off and a setuid binary in the image can raise a process to root. " +
			"The field defaults to true.",
		Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
		Example:     "securityContext:\n  allowPrivilegeEscalation: false",
		Object:      privilegeEscalation,
		Flips:       map[string]bool{"allowPrivilegeEscalation": false},
	}
	CapabilitiesDropAll = &Check{
		ID: "capabilities-drop-all", Title: "Container does not drop all capabilities",
		Checklist: []string{"pods.non-root"}, Severity: Note, SecuritySeverity: 3.0,
		Rationale:   "Container runtimes grant a default set of Linux capabilities (NET_RAW, CHOWN, SETUID and more) that most applications never use; NET_RAW alone allows ARP and DNS spoofing on the pod network.",
		Remediation: "Set securityContext.capabilities.drop: [ALL] and add back only what the process needs, such as NET_BIND_SERVICE.",
		Example:     "securityContext:\n  capabilities:\n    drop: [ALL]",
		Object:      capabilitiesDropAll,
	}
	DangerousCapabilities = &Check{
		ID: "dangerous-capabilities", Title: "Container adds a dangerous capability",
		Checklist: []string{"pods.non-root", "pods.no-privileged"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale:   "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE or ALL give a container root-equivalent control of the node or its network, and are the usual first step of a container escape.",
		Remediation: "Remove the capability from securityContext.capabilities.add; if the workload truly needs it, isolate it on dedicated nodes and accept the finding with an ignore annotation that says why.",
		Example:     "securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]",
		Object:      dangerousCaps,
	}
	ReadOnlyRootFS = &Check{
		ID: "readonly-root-fs", Title: "Container root filesystem is writable",
		Checklist: []string{"pods.immutable-fs"}, Severity: Note, SecuritySeverity: 3.0,
		Rationale: "A writable root filesystem lets an attacker drop tools or alter binaries and configuration inside a running container. " +
			"A read-only root with emptyDir mounts for the paths that must be written keeps the image what was scanned.",
		Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes (for example /tmp). " +
			"A container that must write to its root filesystem is exempted by the annotation ignore.kubeharden.io/readonly-root-fs: \"<reason>\" on the object, which reviewers see.",
		Example: "securityContext:\n  readOnlyRootFilesystem: true\nvolumeMounts:\n  - name: tmp\n    mountPath: /tmp",
		Object:  readOnlyRootFS,
		Flips:   map[string]bool{"readOnlyRootFilesystem": true},
	}
	Privileged = &Check{
		ID: "privileged-container", Title: "Container is privileged",
		Checklist: []string{"pods.no-privileged"}, Severity: Error, SecuritySeverity: 9.0,
		Rationale:   "A privileged container has every capability, every host device and no seccomp or AppArmor confinement: it is root on the node.",
		Remediation: "Remove securityContext.privileged: true; grant the single capability the workload needs instead.",
		Example:     "securityContext:\n  privileged: false",
		Object:      privileged,
		Flips:       map[string]bool{"privileged": false},
	}
	HostNamespaces = &Check{
		ID: "host-namespaces", Title: "Pod shares a host namespace",
		Checklist: []string{"pods.no-privileged"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale:   "hostNetwork, hostPID and hostIPC put the pod in the node's namespaces: it can sniff node traffic and reach node-local services, see and signal every process, or read other workloads' shared memory.",
		Remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
		Example:     "spec:\n  hostNetwork: false\n  hostPID: false\n  hostIPC: false",
		Object:      hostNamespaces,
		Flips:       map[string]bool{"hostNetwork": false, "hostPID": false, "hostIPC": false},
	}
	HostPathVolume = &Check{
		ID: "host-path-volume", Title: "Pod mounts a hostPath volume",
		Checklist: []string{"pods.no-privileged"}, Severity: Error, SecuritySeverity: 7.5,
		Rationale:   "A hostPath volume exposes the node's filesystem to the container; paths such as /, /etc, /var/run/docker.sock or /var/lib/kubelet hand over the node.",
		Remediation: "Replace the hostPath volume with a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume.",
		Example:     "volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: data",
		Object:      hostPathVolumes,
	}
	HostPort = &Check{
		ID: "host-port", Title: "Container binds a host port",
		Checklist: []string{"pods.no-privileged"}, Severity: Warning, SecuritySeverity: 5.0,
		Rationale:   "hostPort binds the port on the node's own addresses, bypassing Services and NetworkPolicy on some network plugins and limiting where the pod can be scheduled.",
		Remediation: "Remove hostPort and expose the port through a Service.",
		Example:     "ports:\n  - containerPort: 8080",
		Object:      hostPorts,
	}
	ImageLatest = &Check{
		ID: "image-latest-tag", Title: "Image has no tag or uses :latest",
		Checklist: []string{"pods.image-scanning"}, Severity: Warning, SecuritySeverity: 5.0,
		Rationale:   "An untagged or :latest image changes whenever someone pushes, so a vulnerability scan of it says nothing about what runs, and rollbacks are not reproducible.",
		Remediation: "Reference the image by an immutable version tag, and better by digest (image: registry/app:1.4.2@sha256:...).",
		Example:     "image: ghcr.io/acme/app:1.4.2@sha256:4f5c6d...",
		Object:      imageLatest,
	}
	ImageDigest = &Check{
		ID: "image-digest", Title: "Image is not pinned by digest",
		Checklist: []string{"pods.image-scanning"}, Severity: Note, SecuritySeverity: 2.0,
		Rationale:   "Tags are mutable: the image behind app:1.4.2 can be replaced after it was scanned. A digest names exactly the bytes that were scanned.",
		Remediation: "Append the digest to the image reference (app:1.4.2@sha256:...); tools such as crane or Renovate keep it current.",
		Example:     "image: ghcr.io/acme/app:1.4.2@sha256:4f5c6d...",
		Object:      imageDigest,
	}
	ImageRegistry = &Check{
		ID: "image-registry", Title: "Image comes from a registry that is not allowed",
		Checklist: []string{"pods.image-scanning"}, Severity: Error, SecuritySeverity: 6.0,
		Rationale:   "Images from registries outside the team's list escape its scanning and signing. The rule runs when allowed registries are configured (--allowed-registries).",
		Remediation: "Mirror the image into an allowed registry and reference it there.",
		Example:     "image: registry.acme.internal/mirror/nginx:1.27.0",
		Object:      imageRegistry,
	}
	PSSBaseline = &Check{
		ID: "pss-baseline", Title: "Pod fails Pod Security Standards baseline",
		Checklist: []string{"pods.pss"}, Severity: Error, SecuritySeverity: 7.0, PSSLevel: string(api.LevelBaseline),
		Rationale: "The baseline Pod Security Standard blocks known privilege escalations. Verdicts come from k8s.io/pod-security-admission, the code the API server runs, at the version chosen with --pss-version. " +
			"Where another rule reports the same field, the two are one finding that carries both checklist ids.",
		Remediation: "Change the named field as the Pod Security Standards baseline level requires.",
		Example:     "securityContext:\n  privileged: false",
		Object:      pssRule(api.LevelBaseline),
		Flips:       map[string]bool{"privileged": false, "hostNetwork": false, "hostPID": false, "hostIPC": false},
	}
	PSSRestricted = &Check{
		ID: "pss-restricted", Title: "Pod fails Pod Security Standards restricted",
		Checklist: []string{"pods.pss"}, Severity: Note, SecuritySeverity: 3.5, PSSLevel: string(api.LevelRestricted),
		Rationale:   "The restricted Pod Security Standard is current pod-hardening practice. Only checks that restricted adds to baseline are reported here; baseline failures are reported as pss-baseline.",
		Remediation: "Change the named field as the Pod Security Standards restricted level requires.",
		Example:     "securityContext:\n  runAsNonRoot: true\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop: [ALL]\n  seccompProfile:\n    type: RuntimeDefault",
		Object:      pssRule(api.LevelRestricted),
		Flips:       map[string]bool{"allowPrivilegeEscalation": false, "runAsNonRoot": true},
	}
	NamespacePSSLabel = &Check{
		ID: "namespace-pss-label", Title: "Namespace does not enforce a Pod Security level",
		Checklist: []string{"pods.pss"}, Severity: Warning, SecuritySeverity: 5.0,
		Rationale:   "Pod Security Admission enforces a standard in a namespace only when the namespace carries the pod-security.kubernetes.io/enforce label; without it, or at privileged, any pod is admitted.",
		Remediation: "Label the Namespace with pod-security.kubernetes.io/enforce: restricted (or baseline), and the matching audit and warn labels.",
		Example:     "metadata:\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: latest",
		Object:      namespaceLabels,
	}
	PSSNamespaceReject = &Check{
		ID: "pss-namespace-reject", Title: "Workload would be rejected by its namespace's Pod Security level",
		Checklist: []string{"pods.pss"}, Severity: Error, SecuritySeverity: 6.0,
		Rationale:   "When the scanned Namespace enforces a Pod Security level, a workload that fails it is rejected at admission (pods of a Deployment fail to be created), which is better found in review than in production.",
		Remediation: "Fix the pod template so it meets the namespace's level, or move the workload to a namespace whose level it is meant to run at.",
		Example:     "metadata:\n  namespace: shop  # enforces restricted; the pod template meets it",
		Graph:       namespaceAdmission,
	}
)

// Rules about the inputs themselves.
var (
	InvalidInput = &Check{
		ID: "invalid-input", Title: "Input cannot be read as Kubernetes configuration",
		Checklist: []string{"staying-secure.scans"}, Severity: Error, SecuritySeverity: 3.0,
		Rationale:   "A manifest that does not parse is not scanned, and the API server or kubectl would refuse it too; the rest of the scan goes on.",
		Remediation: "Fix the syntax or type error at the reported line.",
		Example:     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: valid",
	}
	SkippedInput = &Check{
		ID: "skipped-input", Title: "Input was not scanned",
		Checklist: []string{"staying-secure.scans"}, Severity: Warning, SecuritySeverity: 2.0,
		Rationale:   "Binary files, files over the size limit, links that leave the scanned tree, and input past the scan's limits (bytes and objects a chart renders, documents in a file, objects in a scan) are not read, so whatever they hold is not checked.",
		Remediation: "Rename binary files so they do not end in .yaml, .yml or .json, split or raise --max-file-size for large files, keep links inside the repository, and split generated input or raise the limit it names (limits: in .kubeharden.yaml) when it is legitimate.",
		Example:     "kubeharden scan --max-file-size 20971520 .",
	}
)

// podRules serve the Pods section of the checklist.
var podRules = []*Check{
	RunAsRoot, PrivilegeEscalation, CapabilitiesDropAll, DangerousCapabilities,
	ReadOnlyRootFS, Privileged, HostNamespaces, HostPathVolume, HostPort,
	ImageLatest, ImageDigest, ImageRegistry,
	PSSBaseline, PSSRestricted, NamespacePSSLabel, PSSNamespaceReject,
}

// inputRules report what could not be read.
var inputRules = []*Check{InvalidInput, SkippedInput}

// All is every rule, in the order they run and are listed: pods, cluster
// objects (network, RBAC), credentials, control-plane configuration, inputs.
var All = slices.Concat(podRules, clusterRules, secretRules, controlPlaneRules, inputRules)

// Lookup returns the rule with id, or nil.
func Lookup(id string) *Check {
	return byID[id]
}

// byID indexes All; steps look rules up for every finding.
var byID = func() map[string]*Check {
	m := make(map[string]*Check, len(All))
	for _, c := range All {
		if _, dup := m[c.ID]; !dup {
			m[c.ID] = c
		}
	}
	return m
}()
