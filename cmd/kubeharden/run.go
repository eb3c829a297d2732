package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/kubeharden/kubeharden/render"
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
// request.
func runScan(ctx context.Context, args []string, token string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: "+formatNames)
	sarifFile := fs.String("sarif", "", "also write a SARIF log to this file, whatever --format is")
	category := fs.String("category", "kubeharden/", "SARIF automationDetails.id: the code scanning category")
	output := fs.String("output", "", "write the report to this file instead of stdout")
	failOn := fs.String("fail-on", "", "exit 1 when a finding is at least this severe: error, warning, note or none (default error)")
	pssVersion := fs.String("pss-version", "", "Pod Security Standards version: latest or v1.N (default latest)")
	kubeVersion := fs.String("kube-version", "", "Kubernetes version the configuration targets, 1.N (default: the newest the rules know)")
	registries := fs.String("allowed-registries", "", "comma-separated registries (or registry/path prefixes) images may come from")
	maxSize := fs.Int64("max-file-size", 0, "largest file to read, in bytes (default 10 MiB)")
	var limits render.Limits
	fs.Int64Var(&limits.RenderedBytes, "max-rendered-bytes", 0, "most bytes one Helm chart may render per value set (default 64 MiB)")
	fs.IntVar(&limits.ChartObjects, "max-chart-objects", 0, "most objects one Helm chart may render per value set (default 20000)")
	fs.IntVar(&limits.FileDocuments, "max-documents", 0, "most YAML documents read from one file (default 10000)")
	fs.IntVar(&limits.Objects, "max-objects", 0, "most objects one scan checks (default 200000)")
	configPath := fs.String("config", "", "config file (default .kubeharden.yaml when present)")
	color := fs.String("color", "auto", "colour text output: auto, always or never")
	releaseName := fs.String("release-name", "", "Helm release name charts are rendered with (default release-name)")
	namespace := fs.String("namespace", "", "Helm release namespace (default default)")
	helmDeps := fs.String("helm-dependencies", "", "fetch: fetch the dependencies a Helm chart does not vendor (https://, oci://, file:// inside the repository) into a temporary cache; off (default): report them missing")
	review := fs.Bool("github-review", false, "in GitHub Actions, on pull_request and pull_request_target events, comment the findings on the pull request's changed lines (token: GITHUB_TOKEN)")
	reviewFilter := fs.String("review-filter", string(ghreport.FilterAdded), "which findings the review carries: added, diff_context, file or nofilter")
	failScope := fs.String("fail-scope", "all", "which findings can fail the build: all; on a pull request in GitHub Actions, new (those its base commit does not have) or changed (those on the lines it adds or changes)")
	var values, sets, exclude, disable listFlag
	fs.Var(&exclude, "exclude", "path glob to pass over (** spans directories; repeatable)")
	fs.Var(&disable, "disable", "rule id not to run (repeatable, or comma-separated)")
	baselineFile := fs.String("baseline", "", "JSON report of accepted findings: those in it are reported as accepted and never fail")
	var reports listFlag
	fs.Var(&reports, "report", "also write a report, as FORMAT=FILE (a --format format; repeatable; creates FILE's directory)")
	fs.Var(&values, "values", "values file for the one chart scanned, as helm template -f (repeatable)")
	fs.Var(&sets, "set", "value for the one chart scanned, as helm template --set (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kubeharden scan [flags] [PATH...]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	fl := scanFlags{config: *configPath, pssVersion: *pssVersion, kubeVersion: *kubeVersion, registries: *registries,
		baseline: *baselineFile, releaseName: *releaseName, namespace: *namespace, helmDeps: *helmDeps,
		values: values, sets: sets, exclude: exclude, disable: disable, limits: limits}
	st, err := loadSettings("", fl, paths)
	if err != nil {
		return usageError("%v", err)
	}
	fc, cfg, excludes, baseline, helm := st.fc, st.cfg, st.excludes, st.baseline, st.helm
	// A flag (or action input) that is set beats the config file, which
	// beats the default; the job summary says which gave each value.
	var effective []report.Setting
	from := func(name, flag, file, def string) {
		switch {
		case flag != "":
			effective = append(effective, report.Setting{Name: name, Value: flag, From: "flag or input"})
		case file != "":
			effective = append(effective, report.Setting{Name: name, Value: file, From: "config file " + firstNonEmpty(*configPath, ".kubeharden.yaml")})
		default:
			effective = append(effective, report.Setting{Name: name, Value: def, From: "default"})
		}
	}
	size := func(n int64) string {
		if n > 0 {
			return fmt.Sprint(n)
		}
		return ""
	}
	from("fail-on", *failOn, fc.FailOn, "error")
	from("pss-version", *pssVersion, fc.PSSVersion, "latest")
	from("kube-version", *kubeVersion, fc.KubeVersion, "the newest the rules know")
	from("allowed-registries", *registries, strings.Join(fc.AllowedRegistries, ","), "any")
	from("baseline", *baselineFile, fc.Baseline, "none")
	from("max-file-size", size(*maxSize), size(fc.MaxFileSize), fmt.Sprint(render.DefaultMaxFileSize))
	from("release-name", *releaseName, fc.Helm.ReleaseName, render.DefaultReleaseName)
	from("namespace", *namespace, fc.Helm.Namespace, render.DefaultNamespace)
	// A pull request can raise the limits in .kubeharden.yaml: reviewers
	// see it here.
	from("max-rendered-bytes", size(limits.RenderedBytes), size(fc.Limits.RenderedBytes), fmt.Sprint(render.DefaultMaxRenderedBytes))
	from("max-chart-objects", size(int64(limits.ChartObjects)), size(int64(fc.Limits.ChartObjects)), fmt.Sprint(render.DefaultMaxChartObjects))
	from("max-documents", size(int64(limits.FileDocuments)), size(int64(fc.Limits.FileDocuments)), fmt.Sprint(render.DefaultMaxFileDocuments))
	from("max-objects", size(int64(limits.Objects)), size(int64(fc.Limits.Objects)), fmt.Sprint(render.DefaultMaxObjects))
	from("helm-dependencies", *helmDeps, fc.Helm.Dependencies, "off")
	threshold, err := parseFailOn(firstNonEmpty(*failOn, fc.FailOn, "error"))
	if err != nil {
		return usageError("--fail-on: %v", err)
	}
	filter, err := ghreport.ParseFilterMode(*reviewFilter)
	if err != nil {
		return usageError("--review-filter: %v", err)
	}
	if *failScope != "all" && *failScope != "changed" && *failScope != "new" {
		return usageError("--fail-scope: unknown scope %q (want all, new or changed)", *failScope)
	}
	// In GitHub Actions files are named from the repository root, as code
	// scanning, annotations and reviews need, also when the scan runs in a
	// subdirectory of the workspace.
	var prefix, sarifDir string
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if prefix = repoPrefix(os.Getenv("GITHUB_WORKSPACE")); prefix != "" {
			sarifDir = os.Getenv("GITHUB_WORKSPACE")
		}
	} else if os.Getenv("GITLAB_CI") == "true" {
		// Code Quality places findings by paths from the repository root.
		prefix = repoPrefix(os.Getenv("CI_PROJECT_DIR"))
	}
	newWriter := func(format string, color bool) report.Writer {
		switch format {
		case "text":
			return report.Text{Color: color}
		case "json":
			return report.JSON{}
		case "sarif":
			return report.SARIF{Rules: scan.All, Category: *category, Dir: sarifDir}
		case "junit":
			return report.JUnit{FailOn: threshold}
		case "gitlab":
			return report.GitLab{}
		case "checkstyle":
			return report.Checkstyle{}
		}
		return nil
	}
	writer := newWriter(*format, useColor(*color, stdout, *output))
	if writer == nil {
		return usageError("--format: unknown format %q (want %s)", *format, formatNames)
	}
	type extraReport struct {
		file   string
		writer report.Writer
	}
	var extra []extraReport
	for _, r := range reports {
		name, file, _ := strings.Cut(r, "=")
		w := newWriter(name, false)
		if w == nil || file == "" {
			return usageError("--report %q: want FORMAT=FILE, FORMAT one of %s", r, formatNames)
		}
		extra = append(extra, extraReport{file, w})
	}

	start := time.Now()
	opt := render.Options{MaxFileSize: firstPositive(*maxSize, fc.MaxFileSize), Helm: helm, Exclude: excludes, Limits: st.limits}
	prog := newProgress(stderr)
	if prog != nil {
		opt.Progress = prog.update
	}
	set, err := render.Load(ctx, paths, opt)
	if err != nil {
		prog.done()
		return usageError("%v", err)
	}
	prog.checking(len(set.Objects))
	findings, err := scan.Run(ctx, set, scan.All, cfg)
	prog.done()
	if err != nil {
		return usageError("%v", err)
	}
	var accepted, stale int
	if baseline != nil {
		accepted, stale = baseline.Apply(findings)
	}
	rep := report.New(report.Tool{Name: "kubeharden", Version: version()}, findings, set.Files, len(set.Objects))
	rep.Summary.NotManifests = set.NotManifests
	rep.Settings = settings(cfg, excludes)
	if baseline != nil {
		rep.Settings = append(rep.Settings, fmt.Sprintf("baseline %s: %s accepted; %d of its entries no longer found", baseline.Name,
			pluralize(accepted, "finding"), stale))
	}
	for _, c := range set.Charts {
		sets := []string{render.DefaultValueSet}
		if vs, ok := helm.ValueSets[c]; ok {
			sets = nil
			for _, v := range vs {
				sets = append(sets, firstNonEmpty(v.Name, render.DefaultValueSet))
			}
		}
		rep.Charts = append(rep.Charts, report.Chart{Dir: c, ValueSets: sets})
	}
	roots := map[string]bool{}
	for _, o := range set.Objects {
		if o.Source.Kind == "kustomize" && o.Source.Root != "" && !roots[o.Source.Root] {
			roots[o.Source.Root] = true
			rep.Overlays = append(rep.Overlays, o.Source.Root)
		}
	}
	slices.Sort(rep.Overlays)
	if prefix != "" {
		rep.Rebase(prefix)
	}
	rep.Skipped = set.Skipped
	rep.Effective = effective
	rep.Rules = scan.All
	actions := os.Getenv("GITHUB_ACTIONS") == "true"
	// The runner reads workflow commands from stdout and stderr alike. A
	// JSON or SARIF report on stdout must be followed by nothing, so our
	// own commands (annotations, notices) go to stderr then.
	commands := stdout
	if actions && *output == "" && *format != "text" {
		commands = stderr
	}
	if actions && *output == "" && *format == "text" {
		writer = ghreport.Fenced{Writer: writer}
	}
	// A report or SARIF file that cannot be written still leaves the
	// annotations, the job summary and the outputs; the run then fails.
	var failed []error
	if err := writeOutput(*output, stdout, writer, rep); err != nil {
		failed = append(failed, err)
	}
	if *sarifFile != "" {
		if err := writeFile(*sarifFile, report.SARIF{Rules: scan.All, Category: *category, Dir: sarifDir}, rep); err != nil {
			failed = append(failed, err)
		}
	}
	for _, r := range extra {
		if err := writeFile(r.file, r.writer, rep); err != nil {
			failed = append(failed, err)
		}
	}
	if actions {
		var diff ghreport.Diff
		if *failScope == "changed" {
			var why string
			if diff, why = changedLines(ctx, os.Getenv, token, commands); diff != nil {
				rep.Scope = func(f scan.Finding) bool { return diff.Changed(f.File, f.Line) }
				rep.Settings = append(rep.Settings, "fail scope: only findings on lines this pull request adds or changes can fail it")
			} else {
				githubactions.New(githubactions.WithWriter(commands)).Noticef("kubeharden: fail-scope changed: %s; every finding can fail the build", why)
			}
		}
		if *failScope == "new" {
			if why := compareWithBase(ctx, os.Getenv, token, commands, fl, paths, *maxSize, rep); why != "" {
				githubactions.New(githubactions.WithWriter(commands)).Noticef("kubeharden: fail-scope new: %s; every finding can fail the build", why)
			}
		}
		sarifOut := *sarifFile
		if len(failed) > 0 {
			sarifOut = "" // the output names no file that was not written
		}
		if err := publishGitHub(commands, rep, threshold, sarifOut, time.Since(start)); err != nil {
			failed = append(failed, err)
		}
		if *review {
			reviewPullRequest(ctx, commands, os.Getenv, token, filter, *category, scannedPaths(prefix, paths), rep, diff)
		}
	} else {
		if *review {
			fmt.Fprintln(stderr, "kubeharden: --github-review works only in GitHub Actions (GITHUB_ACTIONS=true): no review posted")
		}
		if *failScope != "all" {
			fmt.Fprintf(stderr, "kubeharden: --fail-scope %s works only on a pull request in GitHub Actions: every finding can fail\n", *failScope)
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
