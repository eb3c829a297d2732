package report

import (
	"encoding/xml"
	"io"

	"github.com/kubeharden/kubeharden/scan"
)

// Checkstyle writes Checkstyle 4.3 XML, which Jenkins' Warnings Next
// Generation plugin and other code-quality tools read: a <file> per file
// with findings, an <error> per finding with the rule id as its source.
// Accepted findings are left out, as in the text report.
type Checkstyle struct{}

var _ Writer = Checkstyle{}

type checkstyleDoc struct {
	XMLName xml.Name         `xml:"checkstyle"`
	Version string           `xml:"version,attr"`
	Files   []checkstyleFile `xml:"file"`
}

type checkstyleFile struct {
	Name   string            `xml:"name,attr"`
	Errors []checkstyleError `xml:"error"`
}

type checkstyleError struct {
	Line     int    `xml:"line,attr"`
	Column   int    `xml:"column,attr"`
	Severity string `xml:"severity,attr"`
	Message  string `xml:"message,attr"`
	Source   string `xml:"source,attr"`
}

func (Checkstyle) Write(w io.Writer, r *Report) error {
	doc := checkstyleDoc{Version: "4.3", Files: []checkstyleFile{}}
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			continue
		}
		if n := len(doc.Files); n == 0 || doc.Files[n-1].Name != f.File {
			doc.Files = append(doc.Files, checkstyleFile{Name: f.File})
		}
		file := &doc.Files[len(doc.Files)-1]
		file.Errors = append(file.Errors, checkstyleError{Line: max(f.Line, 1), Column: max(f.Column, 1),
			Severity: checkstyleSeverity(f.Severity), Message: describe(f, r.Rules.Lookup(f.Rule)), Source: f.Rule})
	}
	return writeXML(w, doc)
}

// checkstyleSeverity maps ours onto Checkstyle's error, warning and info.
func checkstyleSeverity(s scan.Severity) string {
	switch s {
	case scan.Error:
		return "error"
	case scan.Warning:
		return "warning"
	}
	return "info"
}
