package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubeharden/kubeharden/scan"
)

// RulesTable lists rules as aligned text: id, severity, checklist ids, title.
func RulesTable(w io.Writer, checks []*scan.Check) error {
	var b strings.Builder
	idw, clw := len("RULE"), len("CHECKLIST")
	for _, c := range checks {
		idw = max(idw, len(c.ID))
		clw = max(clw, len(strings.Join(c.Checklist, ",")))
	}
	fmt.Fprintf(&b, "%-*s  %-8s  %-*s  %s\n", idw, "RULE", "SEVERITY", clw, "CHECKLIST", "TITLE")
	for _, c := range checks {
		fmt.Fprintf(&b, "%-*s  %-8s  %-*s  %s\n", idw, c.ID, c.Severity, clw, strings.Join(c.Checklist, ","), c.Title)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Explain writes a rule's rationale, remediation and example fix.
func Explain(w io.Writer, c *scan.Check) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", c.ID, c.Title)
	fmt.Fprintf(&b, "Severity:   %s (security-severity %.1f)\n", c.Severity, c.SecuritySeverity)
	fmt.Fprintf(&b, "Checklist:  %s\n", strings.Join(c.Checklist, ", "))
	if c.PSSLevel != "" {
		fmt.Fprintf(&b, "PSS level:  %s\n", c.PSSLevel)
	}
	fmt.Fprintf(&b, "Docs:       %s\n\n", c.HelpURL())
	fmt.Fprintf(&b, "Why:\n%s\n\n", indent(c.Rationale))
	fmt.Fprintf(&b, "Fix:\n%s\n\n", indent(c.Remediation))
	fmt.Fprintf(&b, "Example:\n%s\n\n", indent(c.Example))
	fmt.Fprintf(&b, "Accept a finding on one object with the annotation %s%s: \"<why>\".\n", scan.SuppressPrefix, c.ID)
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// RulesMarkdown writes docs/rules.md from the registry.
func RulesMarkdown(w io.Writer, checks []*scan.Check) error {
	var b strings.Builder
	b.WriteString("# Rules\n\n<!-- Generated from the rule registry by `go test ./cmd/kubeharden -run TestRulesDoc -update`; do not edit. -->\n\n")
	b.WriteString("| rule | severity | checklist | title |\n|---|---|---|---|\n")
	for _, c := range checks {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", c.ID, c.ID, c.Severity, strings.Join(c.Checklist, ", "), c.Title)
	}
	b.WriteString("\nAny finding can be accepted on one object with the annotation `" + scan.SuppressPrefix + "<rule>: \"<why>\"` on the object " +
		"(for pod templates, on the workload's own metadata). Accepted findings stay in JSON output with their justification and never fail a build.\n")
	severities(&b, checks)
	podKinds(&b)
	for _, c := range checks {
		fmt.Fprintf(&b, "\n## %s\n\n**%s.** Severity `%s` (security-severity %.1f). Checklist: %s.", c.ID, c.Title, c.Severity, c.SecuritySeverity, strings.Join(c.Checklist, ", "))
		if c.PSSLevel != "" {
			fmt.Fprintf(&b, " PSS level: %s.", c.PSSLevel)
		}
		fmt.Fprintf(&b, "\n\n%s\n\n**Fix.** %s\n\n```yaml\n%s\n```\n", c.Rationale, c.Remediation, c.Example)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// severities writes the severity principle, how findings of one cause are
// folded, and each rule's reason.
func severities(b *strings.Builder, checks []*scan.Check) {
	b.WriteString("\n## Severity\n\n" + scan.SeverityPrinciple + "\n\n" +
		"Findings that share an object, a place and a root cause are one finding: a container without a securityContext gets one finding that names " +
		"run-as-root, privilege-escalation, capabilities-drop-all and readonly-root-fs, not four; a pod that runs under the default ServiceAccount and mounts its token, one; " +
		"two pod rules on the same field, one. The most severe rule names the finding and keeps its fingerprint; the others are listed in its message and in `folded` (JSON) " +
		"or `rules` (SARIF properties), with their checklist ids added. An ignore annotation for one rule leaves the others reported, " +
		"a baseline accepts the finding when it holds each of its rules, and `severity:` applies to each rule's part.\n\n")
	b.WriteString("| rule | severity | why |\n|---|---|---|\n")
	for _, c := range checks {
		fmt.Fprintf(b, "| [`%s`](#%s) | %s | %s |\n", c.ID, c.ID, c.Severity, scan.SeverityReason(c))
	}
}

// podKinds writes where the pod rules read pod specs, from the adapter's
// own documentation.
func podKinds(b *strings.Builder) {
	b.WriteString("\n## Where pod specs are read\n\nThe pod rules, the Pod Security Standards verdicts and the network and RBAC rules that follow a pod to its ServiceAccount read every pod spec below, " +
		"as its controller would create the pod. An object may run several pods (an Argo Workflow one per template); findings name the pod when it does. " +
		"A repository adds its own kinds in `.kubeharden.yaml`: `podSpecs: [{apiVersion: acme.example.com/v1, kind: Worker, path: spec.pod}]`, where `path` is a PodTemplateSpec or a PodSpec, " +
		"`[*]` any item of a list and `.*` any value of a map; only the group of `apiVersion` is compared.\n\n")
	b.WriteString("| kinds | pod spec | controller behaviour relied on | source |\n|---|---|---|---|\n")
	for _, d := range scan.PodKindDocs {
		kinds := make([]string, len(d.Kinds))
		for i, k := range d.Kinds {
			kinds[i] = "`" + strings.TrimPrefix(k, "/") + "`"
		}
		fmt.Fprintf(b, "| %s | %s | %s | <%s> |\n", strings.Join(kinds, ", "), d.Paths, strings.ReplaceAll(d.Controller, "|", "\\|"), d.Source)
	}
}
