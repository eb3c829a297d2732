package scan

import (
	"math"
	"net/url"
	"regexp"
	"strings"
)

// Plausibility: a value is reported as a credential, or redacted from other
// messages, only when it could be one. credential-literal, the filtering of
// gitleaks' generic rule and the redaction set all ask plausibleSecret, so
// that "kubeflow" in --webhook-secret-namespace=kubeflow, a Helm
// checksum/secret annotation or the tag of a valkey image is neither
// reported nor redacted from the messages that name it.

// minSecretLen is the shortest value taken for a credential: shorter ones
// are words that occur everywhere.
const minSecretLen = 8

// minSecretEntropy is the least Shannon entropy, in bits a character, of a
// credential: below it the value repeats a few characters (aaaaaaaa,
// 12121212). Human passwords such as hunter2hunter2 sit near 2.8.
const minSecretEntropy = 2.5

var (
	// digestRE is a digest written with its algorithm (sha256:...), as
	// image digests and checksums are.
	digestRE = regexp.MustCompile(`^(?i)(?:sha(?:1|224|256|384|512)|md5|blake2b|xxh\d*)[:=-][0-9a-f]{16,}$`)
	// imageRE is a container image reference: lowercase repository path
	// with at least one slash, an optional tag and an optional digest.
	imageRE = regexp.MustCompile(`^(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9._-]+(?:/[a-z0-9._-]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`)
	// hostRE is a DNS name with a dot, or an IPv4 address, with an
	// optional port.
	hostRE = regexp.MustCompile(`^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?\.?$`)
	// schemeRE starts a URL.
	schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	// segmentRE splits a value into its words.
	segmentRE = regexp.MustCompile(`[-_.]+`)
	// lettersRE and digitsRE are whole words of one class.
	lettersRE = regexp.MustCompile(`^[A-Za-z]+$`)
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
)

// Settings whose name ends in one of these words name, locate or describe
// a thing, whatever else the name says (--webhook-secret-namespace,
// SECRET_STORE_HOST): a credential is never what they hold.
var notSecretLastWords = map[string]bool{"namespace": true, "namespaces": true, "name": true, "names": true, "file": true, "files": true,
	"path": true, "paths": true, "dir": true, "directory": true, "url": true, "uri": true, "host": true, "hostname": true, "image": true,
	"repository": true, "repo": true, "tag": true, "port": true, "user": true, "username": true, "email": true, "domain": true,
	"server": true, "address": true, "addr": true, "region": true, "bucket": true}

// Settings whose name holds one of these words hold a digest of content,
// not the content: Helm's checksum/secret annotation is a SHA-256 of the
// rendered Secret.
var digestWords = map[string]bool{"checksum": true, "digest": true, "sha": true, "sha1": true, "sha256": true, "sha512": true, "md5": true, "fingerprint": true}

// notSecretName reports whether a setting's name says it cannot hold a
// credential.
func notSecretName(name string) bool {
	words := nameWords(name)
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if digestWords[w] {
			return true
		}
	}
	return notSecretLastWords[words[len(words)-1]]
}

// plausibleSecret reports whether value, held by the setting name (empty
// when unknown), looks like a credential: long enough, varied enough, and
// none of the things configuration is full of that a keyword search
// mistakes for one: placeholders, digests, image references, hostnames,
// URLs without userinfo, paths, and plain words or DNS labels.
func plausibleSecret(name, value string) bool {
	v := strings.Trim(strings.TrimSpace(value), `"'`)
	if len(v) < minSecretLen || strings.ContainsAny(v, " \t\r\n") || isPlaceholder(v) {
		return false
	}
	if schemeRE.MatchString(v) {
		// A URL is a credential only through its userinfo.
		u, err := url.Parse(v)
		if err != nil || u.User == nil {
			return false
		}
		if pw, ok := u.User.Password(); ok {
			return !isPlaceholder(pw)
		}
		return plausibleSecret("", u.User.Username())
	}
	if name != "" && notSecretName(name) {
		return false
	}
	switch {
	case digestRE.MatchString(v), hostRE.MatchString(v), pathLike(v), plainWords(v):
		return false
	case strings.ContainsAny(v, "/@") && imageRE.MatchString(v):
		return false
	}
	return entropy(v) >= minSecretEntropy
}

// pathLike reports a filesystem path.
func pathLike(v string) bool {
	for _, p := range []string{"/", "./", "../", "~/", "file:"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return len(v) > 2 && v[1] == ':' && (v[2] == '\\' || v[2] == '/')
}

// plainWords reports a value made of words joined by -, _ or ., each all
// letters or all digits, in one case: kubeflow, my-namespace,
// redis-master-0, ADMIN_USER. A password mixes classes within a word
// (hunter2hunter2, s3cr3t) or cases (Pa55word).
func plainWords(v string) bool {
	if v != strings.ToLower(v) && v != strings.ToUpper(v) {
		return false
	}
	for _, w := range segmentRE.Split(v, -1) {
		if w != "" && !lettersRE.MatchString(w) && !digitsRE.MatchString(w) {
			return false
		}
	}
	return true
}

// entropy returns the Shannon entropy of s in bits a character.
func entropy(s string) float64 {
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	e := 0.0
	for _, c := range counts {
		p := float64(c) / float64(n)
		e -= p * math.Log2(p)
	}
	return e
}

// settingRE reads the key and the value written on a line: `key: value`,
// `KEY=value`, `- --flag=value`.
var settingRE = regexp.MustCompile(`^\s*(?:-\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]\s*(.*?)\s*$`)

// plausibleLeak reports whether secret, which gitleaks' generic rule found
// on line, looks like a credential. The setting the line writes is judged
// with its whole value when that value is the secret or holds it without
// blanks (an image reference, a URL, a path), else the secret alone.
func plausibleLeak(line []byte, secret string) bool {
	m := settingRE.FindSubmatch(line)
	if m == nil {
		return plausibleSecret("", secret)
	}
	name, value := string(m[1]), string(m[2])
	if i := strings.Index(value, " #"); i >= 0 {
		value = strings.TrimSpace(value[:i])
	}
	value = strings.Trim(value, `"'`)
	if !strings.Contains(value, secret) || strings.ContainsAny(value, " \t") {
		if notSecretName(name) {
			return false
		}
		return plausibleSecret("", secret)
	}
	return plausibleSecret(name, value)
}
