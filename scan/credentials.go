package scan

import (
	"fmt"
	"regexp"
	"strings"

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
		Remediation: "Remove the credential, rotate it, and load it from a Secret managed outside the repository (External Secrets, Sealed Secrets, SOPS); a false positive is accepted with a kubeharden:ignore or gitleaks:allow comment on its line.",
		Example:     "env:\n  - name: API_TOKEN\n    valueFrom:\n      secretKeyRef:\n        name: api\n        key: token",
		Files:       plaintextSecrets,
	}
	SecretManifest = &Check{
		ID: "secret-manifest", Title: "Secret manifest commits its values",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Warning, SecuritySeverity: 6.0,
		Rationale: "A Secret with data or stringData in a repository holds its values in plain text: base64 is an encoding, not encryption. " +
			"SealedSecret, SOPS-encrypted files (sops metadata, ENC[...] values) and ExternalSecret objects keep values out of the repository and pass.",
		Remediation: "Replace the Secret with a SealedSecret, a SOPS-encrypted file or an ExternalSecret that references a secret store.",
		Example:     "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\nspec:\n  secretStoreRef:\n    name: vault\n    kind: ClusterSecretStore\n  target:\n    name: db\n  dataFrom:\n    - extract:\n        key: prod/db",
		Object:      secretManifest,
	}
	CredentialLiteral = &Check{
		ID: "credential-literal", Title: "Credential-named setting holds a literal value",
		Checklist: []string{"network.no-plaintext-credentials"}, Severity: Warning, SecuritySeverity: 6.5,
		Rationale: "An environment variable, ConfigMap key, annotation or command-line flag whose name says password, token, secret or key, and whose value is written in the manifest, puts a credential in configuration in plain text. " +
			"Placeholders (empty, changeme, ${VAR}, $(VAR), template expressions, <...>) and references (secretKeyRef, file paths) are not credentials. " +
			"A value must look like one: at least 8 characters with some variety, and not a digest, an image reference, a hostname, a URL without userinfo, a path, or a plain word or DNS label (kubeflow, redis-master-0); a setting whose name ends in namespace, name, file, path, dir, url, host or image names or locates a credential, and never holds one.",
		Remediation: "Move the value into a Secret managed outside the repository and reference it (env valueFrom.secretKeyRef, a mounted secret file).",
		Example:     "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password",
		Object:      credentialLiterals,
	}
)

var secretRules = []*Check{PlaintextSecret, SecretManifest, CredentialLiteral}

// sopsEncrypted reports whether the object is a SOPS-encrypted document.
func sopsEncrypted(o *render.Object) bool {
	if o.Has("sops") {
		return true
	}
	return false
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

// credentialName reports whether a setting's name says it holds a credential.
func credentialName(name string) bool {
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
					p.scan.secrets.remember(v)
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
				p.scan.secrets.remember(v)
				p.Report(o, render.Join("metadata.annotations", render.Key(k)), "annotation %q holds a literal credential value", k)
			}
		}
	}
	pod := p.Pod(o)
	if pod == nil {
		return
	}
	for _, c := range pod.Containers() {
		for i, e := range c.Env {
			if e.ValueFrom == nil && credentialValue(e.Name, e.Value) {
				p.scan.secrets.remember(e.Value)
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
			p.scan.secrets.remember(value)
			p.Report(o, fmt.Sprintf("%s.%s[%d]", c.Path, field, i), "%s passes a literal credential on its command line (%s)", c.Describe(), "--"+name)
		}
	}
}
