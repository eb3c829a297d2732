package scan

import (
	"fmt"

	"github.com/kubeharden/kubeharden/render"
)

// AdmissionPSSDefaults checks the cluster-wide Pod Security Admission
// defaults of an API server AdmissionConfiguration.
var AdmissionPSSDefaults = &Check{
	ID: "admission-pss-defaults", Title: "Pod Security Admission defaults to privileged",
	Checklist: []string{"pods.pss"}, Severity: Warning, SecuritySeverity: 5.0,
	Rationale: "The PodSecurity plugin configuration of an AdmissionConfiguration sets the level enforced in every namespace without a pod-security.kubernetes.io/enforce label. " +
		"defaults.enforce defaults to privileged, which admits any pod, so a namespace someone forgets to label is unprotected.",
	Remediation: "Set defaults.enforce to baseline (or restricted) in the PodSecurityConfiguration and label the namespaces that need more.",
	Example:     "plugins:\n  - name: PodSecurity\n    configuration:\n      apiVersion: pod-security.admission.config.k8s.io/v1\n      kind: PodSecurityConfiguration\n      defaults:\n        enforce: baseline",
	Object:      admissionPSSDefaults,
}

func admissionPSSDefaults(p *Pass, o *render.Object) {
	if o.Kind != "AdmissionConfiguration" || group(o.APIVersion) != "apiserver.config.k8s.io" {
		return
	}
	var plugins []struct {
		Name          string `json:"name"`
		Configuration *struct {
			Defaults struct {
				Enforce string `json:"enforce"`
			} `json:"defaults"`
		} `json:"configuration"`
	}
	_ = o.Decode("plugins", &plugins)
	for i, pl := range plugins {
		if pl.Name != "PodSecurity" || pl.Configuration == nil {
			continue // a configuration in a separate file (path) is not scanned here
		}
		at := fmt.Sprintf("plugins[%d].configuration.defaults.enforce", i)
		switch e := pl.Configuration.Defaults.Enforce; e {
		case "":
			p.Report(o, at, "the PodSecurity plugin sets no defaults.enforce, so namespaces without an enforce label admit privileged pods")
		case "privileged":
			p.Report(o, at, "the PodSecurity plugin enforces privileged by default: namespaces without an enforce label admit any pod")
		}
	}
}
