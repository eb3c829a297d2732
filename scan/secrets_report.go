package scan

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/render"
	"gopkg.in/yaml.v3"
)

// referenceRE matches the fields that name a Secret, a ConfigMap or one of
// their keys: gitleaks' generic rule takes `key: k8svaultapikey` for a
// credential, but it is the name of one.
var referenceRE = regexp.MustCompile(`(?:KeyRef|secretRef|configMapRef)\.(?:key|name)$|\.secretName$|\.(?:secret|configMap)\.items\[\d+\]\.(?:key|path)$`)

// lineKey returns the YAML key written on a line, or "".
var keyOnLine = regexp.MustCompile(`^\s*(?:-\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]`)

// objectAt finds the object of file whose document holds line, and the
// path of the deepest field written on that line.
func objectAt(objs []*render.Object, line int) (*render.Object, string) {
	var best *render.Object
	for _, o := range objs {
		if o.Node.Line <= line && (best == nil || o.Node.Line > best.Node.Line) {
			best = o
		}
	}
	if best == nil {
		return nil, ""
	}
	return best, pathOnLine(best.Node, line, "")
}

// pathOnLine walks n for the last key written on line.
func pathOnLine(n *yaml.Node, line int, prefix string) string {
	found := ""
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := render.Join(prefix, render.Key(k.Value))
			if k.Line == line || (k.Line < line && v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && line <= k.Line+strings.Count(v.Value, "\n")+1) {
				found = p
			}
			if k.Line <= line {
				if sub := pathOnLine(v, line, p); sub != "" {
					found = sub
				}
			}
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			if it.Line <= line {
				if sub := pathOnLine(it, line, fmt.Sprintf("%s[%d]", prefix, i)); sub != "" {
					found = sub
				}
			}
		}
	}
	return found
}

// secretFingerprint identifies a credential finding without hashing the
// credential, which a short password would make guessable.
func secretFingerprint(gitleaksRule, file, path string, line int) string {
	h := sha256.Sum256([]byte("plaintext-secret\x00" + gitleaksRule + "\x00" + file + "\x00" + path + fmt.Sprintf("\x00%d", line)))
	if path != "" {
		h = sha256.Sum256([]byte("plaintext-secret\x00" + gitleaksRule + "\x00" + file + "\x00" + path))
	}
	return hex.EncodeToString(h[:16])
}

func plaintextSecrets(p *Pass, set *render.Set) {
	d := p.detector()
	if d == nil {
		return
	}
	// Objects are found by the lines of their own file; rendered objects'
	// nodes carry lines of the rendered output, not of the file.
	byFile := map[string][]*render.Object{}
	for _, o := range set.Objects {
		if o.Source.Kind == "file" {
			byFile[o.File] = append(byFile[o.File], o)
		}
	}
	// gitleaks is the cost of a scan: search the texts on every core, then
	// report in order.
	leaks := make([][]leak, len(set.Texts))
	_ = parallel.ForEach(context.Background(), len(set.Texts), func(ti int) {
		t := set.Texts[ti]
		if !excluded(p.Config.SecretsExclude, t.File) && !onlyCRDs(byFile[t.File]) {
			leaks[ti] = p.leaks(t)
		}
	})
	reported := map[string]bool{} // file:line of each finding, which renderedSecrets does not repeat
	for ti, t := range set.Texts {
		if excluded(p.Config.SecretsExclude, t.File) || onlyCRDs(byFile[t.File]) {
			continue
		}
		type hit struct {
			leak
			o      *render.Object
			path   string
			how    string
			column int
		}
		// One finding a line: a specific rule beats gitleaks' generic one,
		// and a decoded Secret value beats its base64 text.
		best := map[int]hit{}
		offer := func(h hit) {
			if cur, ok := best[h.line]; !ok || (isGeneric(cur.rule) && !isGeneric(h.rule)) {
				best[h.line] = h
			}
		}
		for _, o := range byFile[t.File] {
			if o.Kind != "Secret" || group(o.APIVersion) != "" || encrypted(o) {
				continue
			}
			var data map[string]string
			if o.Decode("data", &data) != nil {
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(data)) {
				raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data[k]))
				if err != nil || len(raw) == 0 {
					continue
				}
				path := render.Join("data", render.Key(k))
				pos, _ := o.Pos(path)
				for _, l := range d.findLeaks(t.File, []byte(k+": "+string(raw))) {
					if isGeneric(l.rule) && !plausibleLeak([]byte(k+": "+string(raw)), l.secret) {
						continue
					}
					l.line = pos.Line
					offer(hit{leak: l, o: o, path: path, how: "base64-decoded ", column: pos.Column})
				}
			}
		}
		for _, l := range leaks[ti] {
			if l.rule == secretManifestRule {
				continue // secret-manifest reports Secret manifests, knowing SOPS and sealed forms
			}
			o, path := objectAt(byFile[t.File], l.line)
			if o != nil && encrypted(o) {
				continue // ciphertext looks random to gitleaks
			}
			if o != nil && isGeneric(l.rule) && referenceRE.MatchString(path) {
				continue
			}
			if isGeneric(l.rule) && !plausibleLeak(render.LineAt(t.Data, l.line), l.secret) {
				continue // a digest, an image, a hostname or a plain word
			}
			offer(hit{leak: l, o: o, path: path, column: max(l.column, 1)})
		}
		for _, line := range slices.Sorted(maps.Keys(best)) {
			h := best[line]
			p.Redact(h.secret)
			reported[fmt.Sprintf("%s:%d", t.File, line)] = true
			p.reportLeak(t.File, line, h.column, h.o, h.path, settingName(h.o, h.path, render.LineAt(t.Data, line)), h.rule, h.description, h.how)
		}
	}
	renderedSecrets(p, d, set, reported)
}

func isGeneric(rule string) bool { return strings.Contains(rule, "generic") }

// settingName names what holds a credential: the env var for an env
// value, else the key written on the line or owning the block.
func settingName(o *render.Object, path string, line []byte) string {
	if o != nil && strings.HasSuffix(path, ".value") {
		if name := o.String(strings.TrimSuffix(path, ".value") + ".name"); name != "" {
			return name
		}
	}
	if m := keyOnLine.FindSubmatch(line); m != nil {
		return string(m[1])
	}
	if segs, err := render.ParsePath(path); err == nil && len(segs) > 0 && !segs[len(segs)-1].IsIdx {
		return segs[len(segs)-1].Key
	}
	return ""
}

func (p *Pass) reportLeak(file string, line, col int, o *render.Object, path, key, rule, description, how string) {
	what := "a value"
	if key != "" {
		what = fmt.Sprintf("the %svalue of %q", how, key)
	}
	fp := secretFingerprint(rule, file, path, line)
	msg := fmt.Sprintf("%s looks like a plaintext credential (gitleaks rule %s: %s); fingerprint %s", what, rule, description, fp[:12])
	if o == nil {
		msg = file + ": " + msg
	}
	p.ReportWith(o, path, msg, WithPos(render.Pos{File: file, Line: line, Column: col}), WithFingerprint(fp), WithSecretKind(rule))
}

// IgnoreComment on a line accepts the findings reported at that line, with
// the rest of the comment as the reason; gitleaks' own gitleaks:allow
// accepts credential findings.
const IgnoreComment = "kubeharden:ignore"

// applyInlineIgnores marks findings whose line carries an ignore comment.
func applyInlineIgnores(fs []Finding, lines *lineIndex) {
	for i := range fs {
		f := &fs[i]
		line, ok := lines.at(f.File, f.Line)
		if !ok || f.Suppressed != nil {
			continue
		}
		marker := IgnoreComment
		j := strings.Index(line, marker)
		if c := Lookup(f.Rule); j < 0 && c != nil && c.GitleaksAllow {
			marker = "gitleaks:allow"
			j = strings.Index(line, marker)
		}
		if j < 0 {
			continue
		}
		why := strings.Trim(strings.TrimSpace(line[j+len(marker):]), "():- ")
		if why == "" {
			why = "(no reason given)"
		}
		f.Suppressed = &Suppression{Kind: "inSource", Justification: why}
	}
}

// mergeCredentials keeps one credential finding a line, the most
// specific: the highest Check.CredentialRank (gitleaks' plaintext-secret,
// then url-credential, then credential-literal).
func mergeCredentials(fs []Finding) []Finding {
	rank := func(id string) int {
		if c := Lookup(id); c != nil {
			return c.CredentialRank
		}
		return 0
	}
	best := map[string]int{}
	for _, f := range fs {
		if r := rank(f.Rule); r > 0 {
			at := fmt.Sprintf("%s:%d", f.File, f.Line)
			best[at] = max(best[at], r)
		}
	}
	out := fs[:0]
	for _, f := range fs {
		if r := rank(f.Rule); r > 0 && r < best[fmt.Sprintf("%s:%d", f.File, f.Line)] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// encrypted reports objects whose values are ciphertext or references:
// SealedSecret, SOPS-encrypted documents.
func encrypted(o *render.Object) bool {
	return o.Kind == "SealedSecret" || sopsEncrypted(o)
}

// excluded reports whether file matches one of the glob patterns, where **
// spans directories.
func excluded(globs []string, file string) bool { return render.MatchPath(globs, file) }

// onlyCRDs reports a file of CustomResourceDefinitions alone: schemas hold
// no credentials, and their descriptions are full of gitleaks' keywords.
func onlyCRDs(objs []*render.Object) bool {
	for _, o := range objs {
		if o.Kind != "CustomResourceDefinition" {
			return false
		}
	}
	return len(objs) > 0
}

// renderedSecrets searches what charts and overlays render, so that a
// credential a template or a generator assembles is found too. Only string
// values that the file their field maps to does not hold verbatim are
// searched: a value copied from a values file was searched there. A
// finding is placed where the object's locator maps the field (the values
// line, the kustomization literal).
func renderedSecrets(p *Pass, d *secrets, set *render.Set, reported map[string]bool) {
	if !slices.ContainsFunc(set.Objects, func(o *render.Object) bool { return o.Source.Kind != "file" }) {
		return // only files' objects, whose texts were searched
	}
	sources := map[string]string{}
	// Every token of every text read, split at blanks and quotes: a value
	// found here was searched where it is written.
	tokens := map[string]bool{}
	blankOrQuote := func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '"' || r == '\''
	}
	for _, t := range set.Texts {
		sources[t.File] = string(t.Data)
		for tok := range strings.FieldsFuncSeq(sources[t.File], blankOrQuote) {
			tokens[tok] = true
		}
	}
	// A value whose every token stands in some text read was searched there.
	searched := func(value string) bool {
		for tok := range strings.FieldsFuncSeq(value, blankOrQuote) {
			if !tokens[tok] {
				return false
			}
		}
		return true
	}
	type leaf struct {
		o          *render.Object
		path, name string
		loc        render.Location
		line       int // in the fragment
	}
	var leaves []leaf
	var frag strings.Builder
	line := 1
	for _, o := range set.Objects {
		if o.Source.Kind == "file" || o.Kind == "CustomResourceDefinition" || encrypted(o) {
			continue
		}
		walkStrings(o.Node, "", func(path, value string) {
			// An assembled credential is short; a private key fits in 4 KiB.
			// Larger values are documents (dashboards, scripts) that a
			// template filled in.
			if len(value) < 8 || len(value) > 4096 || searched(value) || o.Generated[path] {
				return // a generated value (randAlphaNum, genCA) is in no file
			}
			loc := o.Locate(path)
			if src, ok := sources[loc.File]; ok && strings.Contains(src, value) {
				return
			}
			name := path[strings.LastIndexAny(path, ".]")+1:]
			leaves = append(leaves, leaf{o, path, strings.Trim(name, `"[`), loc, line})
			fmt.Fprintf(&frag, "%s: %s\n", name, value)
			line += strings.Count(value, "\n") + 1
		})
	}
	if len(leaves) == 0 {
		return
	}
	fragment := []byte(frag.String())
	for _, l := range d.findLeaks("rendered", fragment) {
		j := sort.Search(len(leaves), func(j int) bool { return leaves[j].line > l.line }) - 1
		if j < 0 || l.rule == "kubernetes-secret-yaml" {
			continue
		}
		lf := leaves[j]
		if isGeneric(l.rule) && !plausibleLeak(render.LineAt(fragment, l.line), l.secret) {
			continue
		}
		at := fmt.Sprintf("%s:%d", lf.loc.File, lf.loc.Line)
		if reported[at] {
			continue
		}
		reported[at] = true
		name := lf.name
		if n := settingName(lf.o, lf.path, nil); n != "" {
			name = n
		}
		p.Redact(l.secret)
		p.reportLeak(lf.loc.File, lf.loc.Line, lf.loc.Column, lf.o, lf.path, name, l.rule, l.description, "rendered ")
	}
}

// walkStrings calls fn for every string scalar under n with its field path.
func walkStrings(n *yaml.Node, path string, fn func(path, value string)) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkStrings(n.Content[i+1], render.Join(path, render.Key(n.Content[i].Value)), fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkStrings(c, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.Tag == "" {
			fn(path, n.Value)
		}
	}
}
