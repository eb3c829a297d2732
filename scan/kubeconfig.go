package scan

import (
	"fmt"

	"github.com/kubeharden/kubeharden/render"
)

// KubeconfigCredentials reports committed kubeconfig files that carry
// credentials or turn off server verification.
var KubeconfigCredentials = &Check{
	ID: "kubeconfig-credentials", Title: "Kubeconfig holds credentials or skips TLS verification",
	Checklist: []string{"network.no-plaintext-credentials", "auth.strong-authn"}, Severity: Error, SecuritySeverity: 8.0,
	Rationale: "A kubeconfig (apiVersion v1, kind Config) committed to a repository hands its user's access to everyone who can read the repository: a static bearer token (token), a client private key (client-key-data), a password, or an auth-provider's id-token, refresh-token or client-secret are long-lived and rarely rotated. " +
		"insecure-skip-tls-verify: true makes the client accept any server certificate, so whoever sits on the path receives those credentials. " +
		"An RKE2 or k3s config.yaml whose write-kubeconfig-mode lets group or other read the admin kubeconfig (default 0600) is reported too. " +
		"File references (client-key, tokenFile) and exec credential plugins keep the secret out of the file and are not reported. Values are never written to any report.",
	Remediation: "Remove the credential from the file and rotate it; authenticate with an exec credential plugin (cloud CLI, kubelogin) or OIDC, and give the cluster's certificate-authority(-data) instead of insecure-skip-tls-verify.",
	Example:     "users:\n  - name: dev\n    user:\n      exec:\n        apiVersion: client.authentication.k8s.io/v1\n        command: kubelogin\n        args: [get-token]",
	Object:      kubeconfigCredentials,
}

// kubeconfigSecrets are the fields of a kubeconfig user that hold a
// credential as a literal, and how a message names each.
var kubeconfigSecrets = []struct{ field, what string }{
	{"token", "a static bearer token"},
	{"client-key-data", "a client private key"},
	{"password", "a password"},
	{"auth-provider.config.id-token", "an auth-provider id-token"},
	{"auth-provider.config.refresh-token", "an auth-provider refresh-token"},
	{"auth-provider.config.client-secret", "an auth-provider client-secret"},
}

func kubeconfigCredentials(p *Pass, o *render.Object) {
	distroKubeconfigMode(p, o)
	if o.Kind != "Config" || o.APIVersion != "v1" {
		return
	}
	var users []struct {
		Name string `json:"name"`
	}
	_ = o.Decode("users", &users)
	for i, u := range users {
		for _, s := range kubeconfigSecrets {
			path := fmt.Sprintf("users[%d].user.%s", i, s.field)
			v := o.String(path)
			if v == "" {
				continue
			}
			p.Redact(v)
			p.Report(o, path, "user %q holds %s in the file (%s)", u.Name, s.what, s.field)
		}
	}
	var clusters []struct {
		Name    string `json:"name"`
		Cluster struct {
			Insecure bool `json:"insecure-skip-tls-verify"`
		} `json:"cluster"`
	}
	_ = o.Decode("clusters", &clusters)
	for i, c := range clusters {
		if c.Cluster.Insecure {
			p.Report(o, fmt.Sprintf("clusters[%d].cluster.insecure-skip-tls-verify", i), "cluster %q sets insecure-skip-tls-verify: true, so any server certificate is accepted and credentials go to whoever answers", c.Name)
		}
	}
}
