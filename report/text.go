package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubeharden/kubeharden/scan"
)

// Text writes findings grouped by file, one per line as
// `line:col  severity  rule  message`, and a closing count.
type Text struct {
	Color bool
}

var _ Writer = Text{}

const (
	bold   = "\x1b[1m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (t Text) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + reset
}

func (t Text) Write(w io.Writer, r *Report) error {
	var b strings.Builder
	file := ""
	shown := 0
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			continue
		}
		if f.File != file {
			if file != "" {
				b.WriteString("\n")
			}
			file = f.File
			b.WriteString(t.paint(bold, file) + "\n")
		}
		sev := fmt.Sprintf("%-7s", f.Severity)
		switch f.Severity {
		case scan.Error:
			sev = t.paint(red, sev)
		case scan.Warning:
			sev = t.paint(yellow, sev)
		default:
			sev = t.paint(cyan, sev)
		}
		loc := fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
		fmt.Fprintf(&b, "  %s  %s  %s  %s\n", loc, sev, t.paint(dim, f.Rule), f.Message)
		shown++
	}
	if shown > 0 {
		b.WriteString("\n")
	}
	s := r.Summary
	fmt.Fprintf(&b, "%s, %s, %s in %d %s (%d %s scanned)",
		plural(s.Findings["error"], "error"), plural(s.Findings["warning"], "warning"), plural(s.Findings["note"], "note"),
		s.Files, pluralWord(s.Files, "file"), s.Objects, pluralWord(s.Objects, "object"))
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, "; %d accepted (ignore annotations or comments, or the baseline)", s.Suppressed)
	}
	if s.NotManifests > 0 {
		fmt.Fprintf(&b, "; %s not Kubernetes manifests, not checked", plural(s.NotManifests, "file"))
	}
	b.WriteString("\n")
	if len(r.Skipped) > 0 {
		var dirs []string
		for i, d := range r.Skipped {
			if i == 20 {
				dirs = append(dirs, fmt.Sprintf("%d more", len(r.Skipped)-i))
				break
			}
			dirs = append(dirs, fmt.Sprintf("%s (%s)", d.Dir, d.Reason))
		}
		fmt.Fprintf(&b, "Not scanned: %s\n", strings.Join(dirs, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, word)) }

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
