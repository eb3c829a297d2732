package scan

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubeharden/kubeharden/render"
)

// IngressTLS is the network.tls rule for traffic entering the cluster.
var IngressTLS = &Check{
	ID: "ingress-tls", Title: "Ingress serves plain HTTP",
	Checklist: []string{"network.tls"}, Severity: Warning, SecuritySeverity: 5.5,
	Rationale: "An Ingress without spec.tls serves its hosts over plain HTTP: credentials, session cookies and tokens cross the network readable and alterable. " +
		"With TLS, ingress-nginx redirects HTTP to HTTPS unless an annotation turns the redirect off (ssl-redirect: \"false\" without force-ssl-redirect: \"true\"), which leaves the plain-HTTP entry open. " +
		"A host of the rules that no spec.tls entry lists is served without TLS too. " +
		"Ingresses whose TLS is terminated by a cloud load balancer configured in annotations (AWS ALB certificate-arn, GKE pre-shared or managed certificates, Azure Application Gateway ssl-cert) pass.",
	Remediation: "Add spec.tls with the Ingress's hosts and a certificate Secret (cert-manager can issue it), and keep the HTTP-to-HTTPS redirect on.",
	Example:     "spec:\n  tls:\n    - hosts: [shop.example.com]\n      secretName: shop-tls\n  rules:\n    - host: shop.example.com",
	Object:      ingressTLS,
}

// lbTLSAnnotations configure TLS on a cloud load balancer in front of the
// Ingress, in place of spec.tls.
var lbTLSAnnotations = []string{
	"alb.ingress.kubernetes.io/certificate-arn",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"networking.gke.io/managed-certificates",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
	"service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
}

// redirectPrefixes are the annotation prefixes of ingress-nginx (and of
// the controllers that copied its names).
var redirectPrefixes = []string{"nginx.ingress.kubernetes.io/", "ingress.kubernetes.io/"}

func ingressTLS(p *Pass, o *render.Object) {
	if o.Kind != "Ingress" || (group(o.APIVersion) != "networking.k8s.io" && group(o.APIVersion) != "extensions") {
		return
	}
	var ing networkingv1.Ingress
	if o.Decode("", &ing) != nil {
		return
	}
	ann := ing.Annotations
	for _, a := range lbTLSAnnotations {
		if ann[a] != "" {
			return
		}
	}
	if len(ing.Spec.TLS) == 0 {
		p.Report(o, "spec", "has no spec.tls, so its hosts are served over plain HTTP")
		return
	}
	on := func(name string) (string, bool) {
		for _, pre := range redirectPrefixes {
			if v, ok := ann[pre+name]; ok {
				return pre + name, strings.EqualFold(strings.TrimSpace(v), "true")
			}
		}
		return "", true
	}
	// ssl-redirect defaults to true once spec.tls is set; force-ssl-redirect
	// "true" redirects even when it is off, and "false" alone changes nothing.
	sslKey, ssl := on("ssl-redirect")
	forceKey, force := on("force-ssl-redirect")
	if !ssl && (forceKey == "" || !force) {
		also := ""
		if forceKey != "" {
			also = fmt.Sprintf(" (and %s is not \"true\")", forceKey)
		}
		p.Report(o, render.Join("metadata.annotations", render.Key(sslKey)), "has TLS but %s: \"false\" turns off the redirect to HTTPS%s, so its hosts still answer over plain HTTP", sslKey, also)
	}
	covered := func(host string) bool {
		for _, t := range ing.Spec.TLS {
			if len(t.Hosts) == 0 {
				return true // the controller's default certificate serves every host
			}
			if slices.ContainsFunc(t.Hosts, func(h string) bool { return hostMatches(h, host) }) {
				return true
			}
		}
		return false
	}
	for i, r := range ing.Spec.Rules {
		if r.Host != "" && !covered(r.Host) {
			p.Report(o, fmt.Sprintf("spec.rules[%d].host", i), "serves host %q, which no spec.tls entry lists, over plain HTTP", r.Host)
		}
	}
}

// hostMatches reports whether a TLS host (possibly *.example.com) covers
// host, as a certificate's name would: a wildcard stands for one label.
func hostMatches(pattern, host string) bool {
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		i := strings.IndexByte(host, '.')
		return i > 0 && host[i+1:] == rest
	}
	return false
}
