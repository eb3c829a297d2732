// Package report turns findings into what people and tools read: text,
// JSON, SARIF, JUnit, Checkstyle and GitLab Code Quality. GitHub's
// annotations, job summary and pull request review are in report/github.
package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// A Tool names the program that made a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// A Summary counts what a scan read and found. Suppressed findings are
// counted apart and never in Findings.
type Summary struct {
	Files      int            `json:"files"`
	Objects    int            `json:"objects"`
	Findings   map[string]int `json:"findings"`
	Suppressed int            `json:"suppressed"`
	// NotManifests counts the files read that are YAML or JSON but no
	// Kubernetes manifest (data files, other tools' configuration).
	NotManifests int `json:"notManifests,omitempty"`
}

// A Report is the result of one scan, in the JSON contract other tools
// rely on.
type Report struct {
	Tool     Tool           `json:"tool"`
	Findings []scan.Finding `json:"findings"`
	Summary  Summary        `json:"summary"`
	// Charts lists the Helm charts rendered, each with its value sets, for
	// the job summary.
	Charts []Chart `json:"-"`
	// Overlays lists the kustomizations built as roots.
	Overlays []string `json:"-"`
	// Settings lists what the configuration turned off or changed (rules
	// disabled, severities, paths excluded), for the job summary.
	Settings []string `json:"-"`
	// Base, when set, compares the findings with those of the pull
	// request's base commit (fail-scope new), for the job summary.
	Base *BaseComparison `json:"-"`
	// Effective lists the settings that a flag (or action input), the
	// config file or a built-in default can each give, with the value in
	// effect and where it came from, for the job summary.
	Effective []Setting `json:"-"`
	// Skipped lists the directories the scan did not enter, and why.
	Skipped []render.SkippedDir `json:"-"`
	// Rules are the rules the scan ran with, which the writers take a
	// finding's title, remediation and help from.
	Rules Rules `json:"-"`
}

// Rules are a scan's rules.
type Rules []*scan.Check

// Lookup returns the rule of an id, nil when there is none.
func (rs Rules) Lookup(id string) *scan.Check {
	for _, c := range rs {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// A Setting is the value in effect for one setting and its source: "flag
// or input", "config file <name>" or "default".
type Setting struct {
	Name, Value, From string
}

// A Chart is a rendered Helm chart and the value sets it was scanned with.
type Chart struct {
	Dir       string
	ValueSets []string
}

// New builds a report from sorted findings and what was read.
func New(tool Tool, findings []scan.Finding, files, objects int) *Report {
	r := &Report{Tool: tool, Findings: findings, Summary: Summary{Files: files, Objects: objects,
		Findings: map[string]int{"error": 0, "warning": 0, "note": 0}}}
	if r.Findings == nil {
		r.Findings = []scan.Finding{}
	}
	for _, f := range findings {
		if f.Suppressed != nil {
			r.Summary.Suppressed++
			continue
		}
		r.Summary.Findings[f.Severity.String()]++
	}
	return r
}

// Fails reports whether a finding fails a build that fails at threshold:
// unsuppressed, within the fail scope, and at least as severe (a zero
// threshold never fails).
func (r *Report) Fails(threshold scan.Severity) bool {
	for i := range r.Findings {
		if r.Findings[i].Fails(threshold) {
			return true
		}
	}
	return false
}

// A Writer writes a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// JSON writes the report as indented JSON.
type JSON struct{}

var _ Writer = JSON{}

func (JSON) Write(w io.Writer, r *Report) error {
	// The report is written a few thousand findings at a time, as one
	// json.Encoder with two-space indents writes it whole
	// (TestJSONWriterStreams): a report of 100,000 findings would otherwise
	// be held twice more in memory. The findings of each batch are encoded
	// on every core, in pieces, and written in order.
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := appendJSONValue(nil, "{\n  \"tool\": ", "  ", r.Tool)
	if err != nil {
		return err
	}
	head = append(head, ",\n  \"findings\": ["...)
	if len(r.Findings) == 0 {
		head = append(head, ']')
	}
	if _, err := bw.Write(head); err != nil {
		return err
	}
	const piece, batch = 256, 16 // findings a piece; pieces encoded at once
	pieces := make([][]byte, batch)
	errs := make([]error, batch)
	n := len(r.Findings)
	for from := 0; from < n; from += piece * batch {
		k := min(batch, (n-from+piece-1)/piece)
		_ = parallel.ForEach(context.Background(), k, func(p int) {
			lo := from + p*piece
			pieces[p], errs[p] = pieces[p][:0], nil
			for i := lo; i < min(n, lo+piece) && errs[p] == nil; i++ {
				pieces[p], errs[p] = appendJSONValue(pieces[p], "\n    ", "    ", &r.Findings[i])
				if i == n-1 {
					pieces[p] = append(pieces[p], "\n  ]"...)
				} else {
					pieces[p] = append(pieces[p], ',')
				}
			}
		})
		for p := range k {
			if errs[p] != nil {
				return errs[p]
			}
			if _, err := bw.Write(pieces[p]); err != nil {
				return err
			}
		}
	}
	tail, err := appendJSONValue(nil, ",\n  \"summary\": ", "  ", r.Summary)
	if err != nil {
		return err
	}
	if _, err := bw.Write(append(tail, "\n}\n"...)); err != nil {
		return err
	}
	return bw.Flush()
}

// appendJSONValue appends head, then v encoded at the indent of a field
// (prefix "  ") or of a finding ("    "), "##[" rewritten.
func appendJSONValue(dst []byte, head, prefix string, v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	dst = append(dst, head...)
	start := len(dst)
	dst = indentJSON(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n")), prefix, "  ")
	if bytes.Contains(dst[start:], []byte("##[")) {
		dst = append(dst[:start], noLegacyCommands(dst[start:])...)
	}
	return dst, nil
}

// indentJSON appends src, compact JSON as json.Marshal writes it, indented
// as json.Indent indents it (an empty object or array stays "{}" or "[]"),
// without json.Indent's validating scanner, which took most of the time of
// writing a report.
func indentJSON(dst, src []byte, prefix, indent string) []byte {
	newline := func(depth int) {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	depth, inString := 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			dst = append(dst, c)
			switch c {
			case '\\':
				i++
				dst = append(dst, src[i])
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			dst = append(dst, c)
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				i++
				dst = append(dst, src[i])
				continue
			}
			depth++
			newline(depth)
		case ',':
			dst = append(dst, c)
			newline(depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			depth--
			newline(depth)
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// noLegacyCommands rewrites "##[" in a JSON document as "##\u005b", the
// same string to a JSON reader: the Actions runner honours a "##[command]"
// anywhere in a line of a step's output, and a scanned name or value
// printed there must not become one. Outside strings JSON has no "#".
func noLegacyCommands(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("##["), []byte(`##\u005b`))
}

// Rebase makes the findings' files relative to the directory prefix
// names: the repository root, when a scan ran below it.
func (r *Report) Rebase(prefix string) {
	for i := range r.Findings {
		f := &r.Findings[i]
		f.File = RepoPath(prefix, f.File)
		for j := range f.Related {
			f.Related[j].File = RepoPath(prefix, f.Related[j].File)
		}
	}
}

// RepoPath is a finding's file relative to the repository root.
func RepoPath(prefix, file string) string {
	if prefix == "" {
		return path.Clean(file)
	}
	return path.Clean(path.Join(prefix, file))
}
