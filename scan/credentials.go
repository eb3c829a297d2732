package scan

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kubeharden/kubeharden/render"
)

// Rules of the checklist item network.no-plaintext-credentials.
var (
	PlaintextSecret = &Check{
		ID: "plaintext-secret", Title: "Credential in plain text",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Error, SecuritySeverity: 8.5,
		Rationale: "A credential committed to a repository is readable by everyone with access to it, forever, in its history. " +
			"Detection uses gitleaks' default rules, in-process, over every file the scan reads (chart templates and values, kustomizations and the files their generators read); the values of Secret data are base64-decoded first, since base64 is not encryption; " +
			"and over what charts and overlays render, so that a credential a template assembles is found at the template line that builds it. " +
			"The credential itself never appears in any output: findings name the key, the gitleaks rule and a fingerprint. " +
			"Matches of gitleaks' generic rule are kept only when the value looks like a credential, as credential-literal judges it: a checksum/secret annotation (a digest of the rendered Secret), an image whose name holds a keyword (valkey), a hostname or a plain word is not one. " +
			"CustomResourceDefinition schemas (files of CRDs only, a chart's crds/ directory) are not searched: they hold no values, only descriptions.",
		Remediation:     "Remove the credential, rotate it, and load it from a Secret managed outside the repository (External Secrets, Sealed Secrets, SOPS); a false positive is accepted with a kubeharden:ignore or gitleaks:allow comment on its line.",
		Example:         "env:\n  - name: API_TOKEN\n    valueFrom:\n      secretKeyRef:\n        name: api\n        key: token",
		Files:           plaintextSecrets,
		HoldsCredential: true, GitleaksAllow: true, CredentialRank: 3,
	}
	SecretManifest = &Check{
		ID: "secret-manifest", Title: "Secret manifest commits its values",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Warning, SecuritySeverity: 6.0,
		Rationale: "A Secret with data or stringData in a repository holds its values in plain text: base64 is an encoding, not encryption. " +
			"SealedSecret, SOPS-encrypted files (sops metadata, ENC[...] values) and ExternalSecret objects keep values out of the repository and pass.",
		Remediation:     "Replace the Secret with a SealedSecret, a SOPS-encrypted file or an ExternalSecret that references a secret store.",
		Example:         "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\nspec:\n  secretStoreRef:\n    name: vault\n    kind: ClusterSecretStore\n  target:\n    name: db\n  dataFrom:\n    - extract:\n        key: prod/db",
		Object:          secretManifest,
		HoldsCredential: true, GitleaksAllow: true,
	}
	CredentialLiteral = &Check{
		ID: "credential-literal", Title: "Credential-named setting holds a literal value",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Warning, SecuritySeverity: 6.5,
		Rationale: "An environment variable, ConfigMap key, annotation or command-line flag whose name says password, token, secret or key, and whose value is written in the manifest, puts a credential in configuration in plain text. " +
			"Placeholders (empty, changeme, ${VAR}, $(VAR), template expressions, <...>) and references (secretKeyRef, file paths) are not credentials. " +
			"A value must look like one: at least 8 characters with some variety, and not a digest, an image reference, a hostname, a URL without userinfo, a path, or a plain word or DNS label (kubeflow, redis-master-0); a setting whose name ends in namespace, name, file, path, dir, url, host or image names or locates a credential, and never holds one.",
		Remediation:     "Move the value into a Secret managed outside the repository and reference it (env valueFrom.secretKeyRef, a mounted secret file).",
		Example:         "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password",
		Object:          credentialLiterals,
		HoldsCredential: true, GitleaksAllow: true, CredentialRank: 1,
	}
	URLCredential = &Check{
		ID: "url-credential", Title: "Connection URL embeds a password",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Error, SecuritySeverity: 8.0,
		Rationale: "A connection URL with userinfo (postgres://app:password@db, amqp://user:pass@rabbitmq, redis://:password@redis) carries the password in plain text wherever the URL goes: a ConfigMap, an env value, a command line, and from there into logs and process listings. " +
			"ConfigMap values (also inside multi-line configuration files), env values and container arguments are searched, whatever the setting is called. " +
			"A password that is a variable or template reference (${PASSWORD}, $(PASS), {{ .Values.password }}, <password>) is filled in at run time and is not reported. The password never appears in any output.",
		Remediation:   "Keep the password in a Secret and pass it separately (most drivers read PGPASSWORD, REDIS_PASSWORD and the like), or build the URL at run time from a secretKeyRef env var: DATABASE_URL: postgres://app:$(DB_PASSWORD)@db/app.",
		Example:       "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n  - name: DATABASE_URL\n    value: postgres://app:$(DB_PASSWORD)@db:5432/app",
		Object:        urlCredentials,
		GitleaksAllow: true, CredentialRank: 2,
	}
	ServiceAccountTokenSecret = &Check{
		ID: "serviceaccount-token-secret", Title: "Secret holds a long-lived ServiceAccount token",
		Checklist: []string{"auth.strong-authn"}, Severity: Warning, SecuritySeverity: 6.0,
		Rationale: "A Secret of type kubernetes.io/service-account-token makes the token controller mint a token for the ServiceAccount that never expires and stays valid until the Secret is deleted; whoever reads the Secret once holds the account for good. " +
			"Since Kubernetes 1.24 pods get short-lived, audience-bound tokens through the TokenRequest API (projected volumes), and the legacy token cleaner removes unused long-lived ones.",
		Remediation: "Delete the Secret; let pods use their projected ServiceAccount token, and give external clients a short-lived token from kubectl create token or the TokenRequest API.",
		Example:     "volumes:\n  - name: token\n    projected:\n      sources:\n        - serviceAccountToken:\n            path: token\n            expirationSeconds: 3600\n            audience: vault",
		Object:      serviceAccountTokenSecret,
	}
)

var secretRules = []*Check{PlaintextSecret, SecretManifest, CredentialLiteral, URLCredential, ServiceAccountTokenSecret}

// sopsEncrypted reports whether the object is a SOPS-encrypted document.
func sopsEncrypted(o *render.Object) bool {
	return o.Has("sops")
}

func secretManifest(p *Pass, o *render.Object) {
	if o.Kind != "Secret" || group(o.APIVersion) != "" || sopsEncrypted(o) {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		var values map[string]string
		if o.Decode(field, &values) != nil || len(values) == 0 {
			continue
		}
		n := 0
		for k, v := range values {
			// A value the chart generates at install (randAlphaNum) is in
			// no file: nothing is committed.
			if !isPlaceholder(v) && !strings.HasPrefix(v, "ENC[") && !o.Generated[render.Join(field, render.Key(k))] {
				n++
			}
		}
		if n == 0 {
			continue
		}
		how := "base64 is an encoding, not encryption"
		if field == "stringData" {
			how = "in plain text"
		}
		p.Report(o, field, "commits %d %s in %s (%s)", n, pluralS(n, "value"), field, how)
	}
}

func pluralS(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// Credential names are judged word by word: DB_PASSWORD and adminToken
// name credentials, DB_PASSWORD_FILE, SESSION_TOKEN_TTL and
// AWS_ACCESS_KEY_ID only point at or describe one.
var (
	credentialWords = map[string]bool{"password": true, "passwd": true, "pwd": true, "secret": true, "token": true,
		"credential": true, "credentials": true, "apikey": true, "passphrase": true}
	keyQualifiers      = map[string]bool{"api": true, "access": true, "private": true, "secret": true, "signing": true, "encryption": true, "auth": true, "master": true, "client": true}
	notCredentialWords = map[string]bool{"file": true, "path": true, "dir": true, "name": true, "ref": true, "url": true, "uri": true,
		"endpoint": true, "header": true, "type": true, "mode": true, "ttl": true, "expiry": true, "expiration": true, "expires": true,
		"length": true, "min": true, "max": true, "enabled": true, "enable": true, "policy": true, "id": true, "algorithm": true,
		"rotation": true, "timeout": true, "lifetime": true, "duration": true, "audience": true, "issuer": true, "kind": true,
		"prefix": true, "field": true, "mount": true, "hash": true, "hashed": true, "version": true, "count": true, "size": true,
		"format": true, "location": true, "provider": true, "store": true, "vault": true, "selector": true, "label": true}
	wordSplit = regexp.MustCompile(`[^A-Za-z0-9]+|([a-z0-9])([A-Z])`)
)

func nameWords(name string) []string {
	return strings.Fields(strings.ToLower(wordSplit.ReplaceAllString(name, "$1 $2")))
}

// credentialName reports whether a setting's name says it holds a
// credential. Names repeat (every workload's LOG_LEVEL), and splitting one
// into words takes an expression: verdicts are kept by name, up to
// maxCredentialNames.
func credentialName(name string) bool {
	if v, ok := credentialNames.Load(name); ok {
		return v.(bool)
	}
	is := credentialNameWords(name)
	if credentialNamesLen.Add(1) <= maxCredentialNames {
		credentialNames.Store(name, is)
	}
	return is
}

var (
	credentialNames    sync.Map // name: credentialNameWords(name)
	credentialNamesLen atomic.Int64
)

const maxCredentialNames = 1 << 14

func credentialNameWords(name string) bool {
	words := nameWords(name)
	found := false
	for i, w := range words {
		if notCredentialWords[w] {
			return false
		}
		if credentialWords[w] || (w == "key" && i > 0 && keyQualifiers[words[i-1]]) {
			found = true
		}
	}
	return found
}

var (
	placeholder = regexp.MustCompile(`(?i)^(|changeme|change[_\-]?me|replace[_\-]?me|todo|tbd|none|null|nil|xxx+|\*+|example|dummy|placeholder|secret|password|redacted|true|false|yes|no|\d{1,3})$|^\$\{[^}]*\}$|^\$\([^)]*\)$|\{\{.*\}\}|^<[^>]*>$|^%\([^)]*\)s$`)
)

// constantCase is a value written as a constant's name (GOOGLE_API_KEY_VAL,
// YOUR_TOKEN_HERE): a token a deploy script replaces, not a credential.
var constantCase = regexp.MustCompile(`^[A-Z]+(?:_[A-Z]+)+$`)

func isPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	return placeholder.MatchString(v) || constantCase.MatchString(v) || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "ENC[")
}

// credentialValue reports whether a setting holds a literal credential:
// its name says so and its value looks like one.
func credentialValue(name, value string) bool {
	return credentialName(name) && plausibleSecret(name, value)
}

var flagValue = regexp.MustCompile(`^--?([A-Za-z0-9][A-Za-z0-9_\-.]*)=(.*)$`)

func credentialLiterals(p *Pass, o *render.Object) {
	if sopsEncrypted(o) {
		return
	}
	if o.Kind == "ConfigMap" && group(o.APIVersion) == "" {
		var data map[string]string
		if o.Decode("data", &data) == nil {
			for k, v := range data {
				if credentialValue(k, v) && !strings.Contains(v, "\n") {
					p.Redact(v)
					p.Report(o, render.Join("data", render.Key(k)), "ConfigMap key %q holds a literal credential value; ConfigMaps are not for secrets", k)
				}
			}
		}
	}
	var ann map[string]string
	if o.Decode("metadata.annotations", &ann) == nil {
		for k, v := range ann {
			if strings.HasPrefix(k, SuppressPrefix) || strings.HasPrefix(k, "kubectl.kubernetes.io/") {
				continue
			}
			// The name is the key's last segment, the plausibility of the
			// value is judged with the whole key (checksum/secret).
			if credentialName(k[strings.LastIndex(k, "/")+1:]) && plausibleSecret(k, v) {
				p.Redact(v)
				p.Report(o, render.Join("metadata.annotations", render.Key(k)), "annotation %q holds a literal credential value", k)
			}
		}
	}
	// Every pod of the object: a workflow or a Spark application has several.
	for _, pod := range p.Pods(o) {
		for _, c := range pod.Containers() {
			for i, e := range c.Env {
				if e.ValueFrom == nil && credentialValue(e.Name, e.Value) {
					p.Redact(e.Value)
					p.Report(o, fmt.Sprintf("%s.env[%d].value", c.Path, i), "%s sets env %s to a literal credential value; use valueFrom.secretKeyRef", c.Describe(), e.Name)
				}
			}
			for _, list := range []struct {
				name string
				args []string
			}{{"command", c.Command}, {"args", c.Args}} {
				checkArgs(p, o, c, list.name, list.args)
			}
		}
	}
}

// checkArgs looks for --password=VALUE and --password VALUE.
func checkArgs(p *Pass, o *render.Object, c Container, field string, args []string) {
	for i, a := range args {
		name, value := "", ""
		if m := flagValue.FindStringSubmatch(a); m != nil {
			name, value = m[1], m[2]
		} else if strings.HasPrefix(a, "-") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			name, value = strings.TrimLeft(a, "-"), args[i+1]
			i++
		}
		if name != "" && credentialValue(name, value) {
			p.Redact(value)
			p.Report(o, fmt.Sprintf("%s.%s[%d]", c.Path, field, i), "%s passes a literal credential on its command line (%s)", c.Describe(), "--"+name)
		}
	}
}

// userinfoRE finds the userinfo of a URL that has a password:
// scheme://user:password@ (user may be empty, as in redis://:password@).
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]{1,30})://([^:/?#@\s'"]*):([^@/?#\s'"]+)@([^/?#\s'"]*)`)

// urlPlaceholder is a password filled in at run time or masked.
var urlPlaceholder = regexp.MustCompile(`^(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[^>]*>|%\(?[a-z_]*\)?s|\*+|x+|X+|\.\.\.|\[redacted\])$`)

// A urlSecret is a password written in a URL.
type urlSecret struct{ scheme, user, host, password, userinfo string }

// urlSecrets returns the passwords written in the URLs of text.
func urlSecrets(text string) []urlSecret {
	// userinfoRE needs both; most values have neither, and the expression
	// is slow to say so.
	if !strings.Contains(text, "://") || !strings.Contains(text, "@") {
		return nil
	}
	var out []urlSecret
	for _, m := range userinfoRE.FindAllStringSubmatch(text, -1) {
		pw := m[3]
		if urlPlaceholder.MatchString(pw) || strings.Contains(pw, "{{") || strings.Contains(pw, "${") || strings.Contains(pw, "$(") {
			continue
		}
		out = append(out, urlSecret{scheme: m[1], user: m[2], host: m[4], password: pw, userinfo: m[2] + ":" + pw + "@"})
	}
	return out
}

// reportURLs reports the URL passwords of value, the setting whose path
// and description where gives: only when there is one, for most values
// hold none.
func reportURLs(p *Pass, o *render.Object, value string, where func() (path, what string)) {
	us := urlSecrets(value)
	if len(us) == 0 {
		return
	}
	u := us[0]
	path, what := where()
	// The password alone when it is long enough not to be a common word;
	// with the URL's "://" and "@" around it, any password, so that a
	// message quoting the URL never shows it.
	p.Redact(u.password)
	p.Redact("://" + u.userinfo)
	user := ""
	if u.user != "" {
		user = fmt.Sprintf(" for user %q", u.user)
	}
	p.Report(o, path, "%s holds a %s:// URL with a password%s in plain text (%s://%s:[redacted]@%s)", what, u.scheme, user, u.scheme, u.user, u.host)
}

func urlCredentials(p *Pass, o *render.Object) {
	if sopsEncrypted(o) {
		return
	}
	if o.Kind == "ConfigMap" && group(o.APIVersion) == "" {
		var data map[string]string
		if o.Decode("data", &data) == nil {
			for _, k := range slices.Sorted(maps.Keys(data)) {
				reportURLs(p, o, data[k], func() (string, string) {
					return render.Join("data", render.Key(k)), fmt.Sprintf("ConfigMap key %q", k)
				})
			}
		}
	}
	// Every pod of the object: a workflow or a Spark application has several.
	for _, pod := range p.Pods(o) {
		for _, c := range pod.Containers() {
			for i, e := range c.Env {
				if e.ValueFrom == nil {
					reportURLs(p, o, e.Value, func() (string, string) {
						return fmt.Sprintf("%s.env[%d].value", c.Path, i), fmt.Sprintf("%s env %s", c.Describe(), e.Name)
					})
				}
			}
			for _, list := range []struct {
				name string
				args []string
			}{{"command", c.Command}, {"args", c.Args}} {
				for i, a := range list.args {
					reportURLs(p, o, a, func() (string, string) {
						return fmt.Sprintf("%s.%s[%d]", c.Path, list.name, i), fmt.Sprintf("%s %s[%d]", c.Describe(), list.name, i)
					})
				}
			}
		}
	}
}

func serviceAccountTokenSecret(p *Pass, o *render.Object) {
	if o.Kind != "Secret" || group(o.APIVersion) != "" || o.String("type") != "kubernetes.io/service-account-token" {
		return
	}
	sa := "an unnamed ServiceAccount"
	var ann map[string]string
	if o.Decode("metadata.annotations", &ann) == nil && ann["kubernetes.io/service-account.name"] != "" {
		sa = fmt.Sprintf("ServiceAccount %q", ann["kubernetes.io/service-account.name"])
	}
	p.Report(o, "type", "is of type kubernetes.io/service-account-token: a token for %s that never expires and stays valid until the Secret is deleted", sa)
}
