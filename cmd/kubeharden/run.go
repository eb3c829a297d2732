package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kubeharden/kubeharden/report"
	ghreport "github.com/kubeharden/kubeharden/report/github"
	"github.com/kubeharden/kubeharden/scan"
)

// Exit codes.
const (
	exitFindings = 1
	exitUsage    = 2
)

// An exitError ends the program with code; msg, when set, goes to stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

const usage = `kubeharden scans Kubernetes configuration against the hardening checklist.

Usage:
  kubeharden scan [flags] [PATH...]   scan files and directories (default .)
  kubeharden rules                    list every rule
  kubeharden explain RULE             show a rule's rationale, fix and example
  kubeharden init [DIR]               write a starter .kubeharden.yaml and workflow
  kubeharden version                  print the version

Run 'kubeharden scan -h' for the scan flags.
`

// run is the whole CLI: main only maps its error to an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: exitUsage}
	}
	switch args[0] {
	case "scan":
		token := os.Getenv("GITHUB_TOKEN")
		return redactError(runScan(ctx, args[1:], token, stdout, stderr), token)
	case "action":
		token := actionToken(os.Getenv)
		return redactError(runScan(ctx, actionArgs(os.Getenv), token, stdout, stderr), token)
	case "init":
		return runInit(args[1:], stdout)
	case "rules":
		return report.RulesTable(stdout, scan.All)
	case "explain":
		if len(args) != 2 {
			return usageError("explain takes one rule id; 'kubeharden rules' lists them")
		}
		c := scan.Lookup(args[1])
		if c == nil {
			return usageError("no rule %q; 'kubeharden rules' lists them", args[1])
		}
		return report.Explain(stdout, c)
	case "version", "--version":
		return printVersion(stdout, scan.SupportTableUpdated, scan.NewestMinor())
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	fmt.Fprint(stderr, usage)
	return usageError("unknown command %q", args[0])
}

// runScan runs the scan command; token, when set, lets it review a pull
// request. Its phases: the flags, merged with the config file; the
// writers; in GitHub Actions the fail scope; the scan; the reports; in
// GitHub Actions the annotations, summary and outputs, and the review; the
// exit code.
func runScan(ctx context.Context, args []string, token string, stdout, stderr io.Writer) error {
	o, err := parseScanFlags(args, stderr)
	if o == nil {
		return err
	}
	st, err := loadSettings("", o.fl, o.paths)
	if err != nil {
		return usageError("%v", err)
	}
	effective := o.effective(st.fc)
	threshold, err := parseFailOn(firstNonEmpty(o.failOn, st.fc.FailOn, "error"))
	if err != nil {
		return usageError("--fail-on: %v", err)
	}
	filter, err := ghreport.ParseFilterMode(o.reviewFilter)
	if err != nil {
		return usageError("--review-filter: %v", err)
	}
	if o.failScope != "all" && o.failScope != "changed" && o.failScope != "new" {
		return usageError("--fail-scope: unknown scope %q (want all, new or changed)", o.failScope)
	}
	prefix, sarifDir := repoLayout()
	writer, extra, err := o.writers(stdout, threshold, sarifDir)
	if err != nil {
		return err
	}

	actions := os.Getenv("GITHUB_ACTIONS") == "true"
	// The runner reads workflow commands from stdout and stderr alike. A
	// JSON or SARIF report on stdout must be followed by nothing, so our
	// own commands (annotations, notices) go to stderr then.
	commands := stdout
	if actions && o.output == "" && o.format != "text" {
		commands = stderr
	}
	if actions && o.output == "" && o.format == "text" {
		writer = ghreport.Fenced{Writer: writer}
	}

	start := time.Now()
	// The fail scope is read before the scan, whose scope step applies it.
	var scope failScope
	if actions {
		scope = readFailScope(ctx, o, st, prefix, token, commands)
	}
	rep, err := scanTree(ctx, o, st, stderr)
	if err != nil {
		return err
	}
	if prefix != "" {
		rep.Rebase(prefix)
	}
	rep.Effective = effective
	rep.Rules = scan.All
	scope.describe(rep)
	failed := writeReports(o, stdout, writer, extra, sarifDir, rep)
	if actions {
		sarifOut := o.sarifFile
		if len(failed) > 0 {
			sarifOut = "" // the output names no file that was not written
		}
		if err := publishGitHub(commands, rep, threshold, sarifOut, time.Since(start)); err != nil {
			failed = append(failed, err)
		}
		if o.review {
			reviewPullRequest(ctx, commands, os.Getenv, token, filter, o.category, scannedPaths(prefix, o.paths), rep, scope.diff)
		}
	} else {
		if o.review {
			fmt.Fprintln(stderr, "kubeharden: --github-review works only in GitHub Actions (GITHUB_ACTIONS=true): no review posted")
		}
		if o.failScope != "all" {
			fmt.Fprintf(stderr, "kubeharden: --fail-scope %s works only on a pull request in GitHub Actions: every finding can fail\n", o.failScope)
		}
	}
	if err := errors.Join(failed...); err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	if rep.Fails(threshold) {
		return &exitError{code: exitFindings}
	}
	return nil
}
