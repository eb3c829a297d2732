package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/render"
)

var (
	defaultDetector     *detect.Detector
	defaultDetectorErr  error
	defaultDetectorOnce sync.Once
)

// secretDetector returns gitleaks' detector with its default rules, built
// once: building it compiles a few hundred expressions.
func secretDetector() (*detect.Detector, error) {
	defaultDetectorOnce.Do(func() {
		// gitleaks logs matches at some levels; nothing it logs may reach ours.
		logging.Logger = zerolog.Nop()
		defaultDetector, defaultDetectorErr = detect.NewDetectorDefaultConfig()
		if defaultDetector != nil {
			defaultDetector.MaxDecodeDepth = 5 // gitleaks' own default
		}
	})
	return defaultDetector, defaultDetectorErr
}

// A leak is one credential gitleaks found, without its value.
type leak struct {
	rule, description string
	line, column      int
}

// findLeaks runs gitleaks over text and drops the values: only the rule and
// position leave this function.
func findLeaks(d *detect.Detector, file string, text []byte) []leak {
	var out []leak
	for _, f := range d.Detect(detect.Fragment{Raw: string(text), FilePath: file, StartLine: 1}) {
		out = append(out, leak{rule: f.RuleID, description: f.Description, line: f.StartLine, column: f.StartColumn})
	}
	return out
}

// lineKey returns the YAML key written on a line, or "".
var keyOnLine = regexp.MustCompile(`^\s*(?:-\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]`)

func lineAt(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(text, '\n')
		if j < 0 {
			return nil
		}
		text = text[j+1:]
	}
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	return text
}

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
	d, err := secretDetector()
	if err != nil {
		return
	}
	byFile := map[string][]*render.Object{}
	for _, o := range set.Objects {
		byFile[o.File] = append(byFile[o.File], o)
	}
	for _, t := range set.Texts {
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
				for _, l := range findLeaks(d, t.File, []byte(k+": "+string(raw))) {
					l.line = pos.Line
					offer(hit{leak: l, o: o, path: path, how: "base64-decoded ", column: pos.Column})
				}
			}
		}
		for _, l := range findLeaks(d, t.File, t.Data) {
			if l.rule == "kubernetes-secret-yaml" {
				continue // secret-manifest reports Secret manifests, knowing SOPS and sealed forms
			}
			o, path := objectAt(byFile[t.File], l.line)
			if o != nil && encrypted(o) {
				continue // ciphertext looks random to gitleaks
			}
			offer(hit{leak: l, o: o, path: path, column: max(l.column, 1)})
		}
		for _, line := range slices.Sorted(maps.Keys(best)) {
			h := best[line]
			p.reportLeak(t.File, line, h.column, h.o, h.path, settingName(h.o, h.path, lineAt(t.Data, line)), h.rule, h.description, h.how)
		}
	}
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
	msg := fmt.Sprintf("%s: %s looks like a plaintext credential (gitleaks rule %s: %s); fingerprint %s", file, what, rule, description, fp[:12])
	f := Finding{
		Rule: p.Check.ID, Checklist: slices.Clone(p.Check.Checklist), Severity: p.Check.Severity,
		Message: msg, File: file, Line: line, Column: col, Path: path,
		Fingerprint: fp, Precision: "exact", SecretKind: rule,
	}
	if o != nil {
		ref := o.Ref()
		f.Object = &ref
		f.Message = describe(o) + ": " + strings.TrimPrefix(msg, file+": ")
		if why, ok := suppressed(o, p.Check.ID); ok {
			f.Suppressed = &Suppression{Kind: "annotation", Justification: why}
		}
	}
	p.scan.findings = append(p.scan.findings, f)
}

// IgnoreComment on a line accepts the findings reported at that line, with
// the rest of the comment as the reason; gitleaks' own gitleaks:allow
// accepts credential findings.
const IgnoreComment = "kubeharden:ignore"

// applyInlineIgnores marks findings whose line carries an ignore comment.
func applyInlineIgnores(fs []Finding, texts []render.Text) {
	byFile := map[string][]byte{}
	for _, t := range texts {
		byFile[t.File] = t.Data
	}
	for i := range fs {
		f := &fs[i]
		data, ok := byFile[f.File]
		if !ok || f.Suppressed != nil {
			continue
		}
		line := string(lineAt(data, f.Line))
		marker := IgnoreComment
		j := strings.Index(line, marker)
		if j < 0 && isCredentialRule(f.Rule) {
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

func isCredentialRule(id string) bool {
	return id == "plaintext-secret" || id == "secret-manifest" || id == "credential-literal"
}

// mergeCredentials drops a credential-literal finding where gitleaks
// reported the same line: one line, one finding, the more specific one.
func mergeCredentials(fs []Finding) []Finding {
	leaks := map[string]bool{}
	for _, f := range fs {
		if f.Rule == "plaintext-secret" {
			leaks[fmt.Sprintf("%s:%d", f.File, f.Line)] = true
		}
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Rule == "credential-literal" && leaks[fmt.Sprintf("%s:%d", f.File, f.Line)] {
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
