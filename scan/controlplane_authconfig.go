package scan

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/render"
)

// The structured authentication and authorization configuration of the
// API server (--authentication-config, --authorization-config), kinds of
// apiserver.config.k8s.io:
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-authenticator-configuration
// https://kubernetes.io/docs/reference/access-authn-authz/authorization/#using-configuration-file-for-authorization

func isAPIServerConfig(o *render.Object, kind string) bool {
	return o.Kind == kind && group(o.APIVersion) == "apiserver.config.k8s.io"
}

// authenticationConfig reports an AuthenticationConfiguration that enables
// the anonymous authenticator without conditions: every path is then
// served to unauthenticated requests as system:anonymous. Without an
// anonymous section the --anonymous-auth flag decides, which the static
// Pod rules judge.
func authenticationConfig(p *Pass, o *render.Object) {
	if !isAPIServerConfig(o, "AuthenticationConfiguration") || !o.Has("anonymous") {
		return
	}
	enabled := o.String("anonymous.enabled")
	if !isTrue(enabled) {
		return
	}
	var conds []any
	if o.Decode("anonymous.conditions", &conds) == nil && len(conds) > 0 {
		return
	}
	p.Report(o, "anonymous.enabled", "enables anonymous authentication without conditions, so requests to every path are served as system:anonymous; list the paths anonymous requests may reach (conditions: [{path: /livez}, {path: /readyz}, {path: /healthz}])")
}

// authorizationConfig reports an AuthorizationConfiguration whose chain
// reaches an AlwaysAllow authorizer (requests every earlier authorizer has
// no opinion on fall through to it, unless an AlwaysDeny comes first), or
// that lacks Node and RBAC.
func authorizationConfig(p *Pass, o *render.Object) {
	if !isAPIServerConfig(o, "AuthorizationConfiguration") {
		return
	}
	var chain []struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if err := o.Decode("authorizers", &chain); err != nil {
		return
	}
	var types []string
	for i, a := range chain {
		types = append(types, a.Type)
		if a.Type == "AlwaysDeny" {
			break
		}
		if a.Type == "AlwaysAllow" {
			before := "it is first, so it authorizes every request"
			if i > 0 {
				before = fmt.Sprintf("every request %s has no opinion on falls through to it and is authorized", strings.Join(types[:i], ", "))
			}
			p.Report(o, fmt.Sprintf("authorizers[%d].type", i), "authorizer %d (%q) is AlwaysAllow: %s", i, a.Name, before)
			return
		}
	}
	var miss []string
	for _, t := range []string{"Node", "RBAC"} {
		found := false
		for _, a := range chain {
			found = found || a.Type == t
		}
		if !found {
			miss = append(miss, t)
		}
	}
	if len(miss) > 0 {
		p.Report(o, "authorizers", "the authorizer chain (%s) is without %s", strings.Join(types, ", "), strings.Join(miss, " and "))
	}
}
