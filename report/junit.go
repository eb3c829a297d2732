package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/kubeharden/kubeharden/scan"
)

// JUnit writes a JUnit XML test report, the format GitLab's test report,
// Jenkins, Azure Pipelines and Bitbucket Pipelines read. Each file with
// findings is a testsuite; each finding a testcase named by its rule, its
// object and field, so that a name stays the same across runs and systems
// that compare runs (GitLab's "new failures") can follow it. A finding at
// or above FailOn is a failure, one below it a passing case with the
// details as output, an accepted one a skipped case with the reason.
type JUnit struct {
	// FailOn is the least severe finding that fails its testcase; zero
	// fails none, as --fail-on none.
	FailOn scan.Severity
}

var _ Writer = JUnit{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitText struct {
	Text string `xml:",innerxml"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",innerxml"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func (j JUnit) Write(w io.Writer, r *Report) error {
	doc := junitSuites{Name: r.Tool.Name}
	names := map[string]int{}
	for _, f := range r.Findings {
		if n := len(doc.Suites); n == 0 || doc.Suites[n-1].Name != f.File {
			doc.Suites = append(doc.Suites, junitSuite{Name: f.File})
			clear(names)
		}
		s := &doc.Suites[len(doc.Suites)-1]
		name := caseName(f)
		// Two findings a name cannot tell apart (two problems in one file)
		// still need cases of their own.
		if names[name]++; names[name] > 1 {
			name = fmt.Sprintf("%s (%d)", name, names[name])
		}
		c := junitCase{Name: name, Classname: f.File, File: f.File}
		switch {
		case f.Suppressed != nil:
			c.Skipped = &junitSkipped{Message: fmt.Sprintf("accepted (%s): %s", f.Suppressed.Kind, f.Suppressed.Justification)}
			s.Skipped++
		case j.FailOn != 0 && f.Severity >= j.FailOn:
			c.Failure = &junitFailure{Message: f.Message, Type: f.Rule, Text: xmlText(details(f, r.Rules.Lookup(f.Rule)))}
			s.Failures++
		default:
			c.SystemOut = &junitText{xmlText(fmt.Sprintf("%s, below --fail-on: passes\n%s", f.Severity, details(f, r.Rules.Lookup(f.Rule))))}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	return writeXML(w, doc)
}

// caseName names a finding's testcase by rule, object and field, never by
// line: "run-as-root: Deployment shop/web spec.template.spec...".
func caseName(f scan.Finding) string {
	var parts []string
	if f.Object != nil {
		parts = append(parts, objectName(f.Object))
	}
	if f.Path != "" {
		parts = append(parts, f.Path)
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("line %d", f.Line))
	}
	return f.Rule + ": " + strings.Join(parts, " ")
}

// xmlText escapes s as element content. Unlike encoding/xml's chardata it
// keeps newlines as they are, for a report a person reads.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails a write
	return strings.ReplaceAll(b.String(), "&#xA;", "\n")
}

// writeXML writes an indented document with its declaration. encoding/xml
// escapes markup and replaces characters XML cannot hold, so the document
// is well-formed whatever a message quotes.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
