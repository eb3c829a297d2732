package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubeharden/kubeharden/report"
	ghreport "github.com/kubeharden/kubeharden/report/github"
	"github.com/kubeharden/kubeharden/scan"
)

// formatNames lists the formats of --format and --report.
const formatNames = "text, json, sarif, junit, gitlab or checkstyle"

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func useColor(mode string, stdout io.Writer, output string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return output == "" && os.Getenv("NO_COLOR") == "" && isTerminal(stdout)
}

// writeFile writes a report to path, truncating what was there and
// creating the directories it needs. A failed close is a failed write.
func writeFile(path string, w report.Writer, rep *report.Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := w.Write(f, rep); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeOutput writes the report to the --output file, or to stdout when
// there is none.
func writeOutput(output string, stdout io.Writer, w report.Writer, rep *report.Report) error {
	if output == "" {
		return w.Write(stdout, rep)
	}
	return writeFile(output, w, rep)
}

// publishGitHub annotates the most severe findings on stdout, where the
// runner reads workflow commands, and writes the job summary and outputs.
func publishGitHub(stdout io.Writer, rep *report.Report, failOn scan.Severity, sarifFile string, took time.Duration) error {
	if err := (ghreport.Annotations{}).Write(stdout, rep); err != nil {
		return err
	}
	sum := ghreport.StepSummary{
		Server:     firstNonEmpty(os.Getenv("GITHUB_SERVER_URL"), "https://github.com"),
		Repository: os.Getenv("GITHUB_REPOSITORY"),
		SHA:        ghreport.HeadSHA(os.Getenv),
		FailOn:     failOn,
		Duration:   took,
	}
	var b strings.Builder
	if err := sum.Write(&b, rep); err != nil {
		return err
	}
	return ghreport.PublishGitHub(os.Getenv, b.String(), ghreport.Outputs(rep, failOn, sarifFile))
}

// An extraReport is a --report FORMAT=FILE.
type extraReport struct {
	file   string
	writer report.Writer
}

// writers makes the writer of --format and those of --report.
func (o *scanOptions) writers(stdout io.Writer, threshold scan.Severity, sarifDir string) (report.Writer, []extraReport, error) {
	newWriter := func(format string, color bool) report.Writer {
		switch format {
		case "text":
			return report.Text{Color: color}
		case "json":
			return report.JSON{}
		case "sarif":
			return report.SARIF{Rules: scan.All, Category: o.category, Dir: sarifDir}
		case "junit":
			return report.JUnit{FailOn: threshold}
		case "gitlab":
			return report.GitLab{}
		case "checkstyle":
			return report.Checkstyle{}
		}
		return nil
	}
	writer := newWriter(o.format, useColor(o.color, stdout, o.output))
	if writer == nil {
		return nil, nil, usageError("--format: unknown format %q (want %s)", o.format, formatNames)
	}
	var extra []extraReport
	for _, r := range o.reports {
		name, file, _ := strings.Cut(r, "=")
		w := newWriter(name, false)
		if w == nil || file == "" {
			return nil, nil, usageError("--report %q: want FORMAT=FILE, FORMAT one of %s", r, formatNames)
		}
		extra = append(extra, extraReport{file, w})
	}
	return writer, extra, nil
}

// writeReports writes the report (--output or stdout), the SARIF log and
// every --report. A file that cannot be written still leaves the others,
// the annotations, the job summary and the outputs; the run then fails.
func writeReports(o *scanOptions, stdout io.Writer, writer report.Writer, extra []extraReport, sarifDir string, rep *report.Report) []error {
	var failed []error
	if err := writeOutput(o.output, stdout, writer, rep); err != nil {
		failed = append(failed, err)
	}
	if o.sarifFile != "" {
		if err := writeFile(o.sarifFile, report.SARIF{Rules: scan.All, Category: o.category, Dir: sarifDir}, rep); err != nil {
			failed = append(failed, err)
		}
	}
	for _, r := range extra {
		if err := writeFile(r.file, r.writer, rep); err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}
