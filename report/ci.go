package report

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// describe is a finding's message with the remediation of its rule c
// (nil when unknown), as SARIF has it: the one line a CI system shows
// beside a file and line.
func describe(f scan.Finding, c *scan.Check) string {
	msg := f.Message
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	if c != nil {
		msg += " " + c.Remediation
	}
	return msg
}

// details is the text of a finding for a test report's failure or
// output: what is wrong, where, how to fix it. It holds only what scan
// has redacted (messages, related messages) and the rule's own text (c,
// nil when unknown).
func details(f scan.Finding, c *scan.Check) string {
	var b strings.Builder
	b.WriteString(f.Message + "\n")
	fmt.Fprintf(&b, "at %s:%d:%d", f.File, f.Line, f.Column)
	if f.Object != nil {
		fmt.Fprintf(&b, " (%s", objectName(f.Object))
		if f.Path != "" {
			b.WriteString(", " + f.Path)
		}
		b.WriteString(")")
	}
	b.WriteString("\n")
	for _, r := range f.Related {
		fmt.Fprintf(&b, "also %s:%d: %s\n", r.File, r.Line, r.Message)
	}
	fmt.Fprintf(&b, "severity %s", f.Severity)
	if len(f.Checklist) > 0 {
		b.WriteString("; checklist " + strings.Join(f.Checklist, ", "))
	}
	b.WriteString("\n")
	if c != nil {
		fmt.Fprintf(&b, "Fix: %s\n%s\n", c.Remediation, c.HelpURL())
	}
	return b.String()
}

// objectName is "Deployment shop/web", "Namespace shop" for an object
// without a namespace, or "KubeletConfiguration" for one without a name.
func objectName(o *render.Ref) string {
	switch {
	case o.Name == "":
		return o.Kind
	case o.Namespace != "":
		return o.Kind + " " + o.Namespace + "/" + o.Name
	}
	return o.Kind + " " + o.Name
}
