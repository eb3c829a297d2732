package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"
	"gopkg.in/yaml.v3"

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

// A fileConfig is .kubeharden.yaml: the settings a repository keeps for
// every scan of it. Flags override it.
type fileConfig struct {
	PSSVersion        string   `yaml:"pssVersion"`
	AllowedRegistries []string `yaml:"allowedRegistries"`
	FailOn            string   `yaml:"failOn"`
	MaxFileSize       int64    `yaml:"maxFileSize"`
	KubeVersion       string   `yaml:"kubeVersion"`
	// SecretsExclude lists path globs secret detection passes over.
	SecretsExclude []string `yaml:"secretsExclude"`
	// Exclude lists path globs the scan passes over entirely.
	Exclude []string `yaml:"exclude"`
	// Baseline is a JSON report of accepted findings.
	Baseline string `yaml:"baseline"`
	// PodSpecs adds the repository's own kinds whose pod specs are checked.
	PodSpecs []scan.PodSpecKind `yaml:"podSpecs"`
	Rules    struct {
		// Disable lists rule ids that are not run.
		Disable []string `yaml:"disable"`
		// Severity gives rules, by id, another severity.
		Severity map[string]string `yaml:"severity"`
	} `yaml:"rules"`
	Helm struct {
		ReleaseName string `yaml:"releaseName"`
		Namespace   string `yaml:"namespace"`
		// Dependencies is fetch to fetch the dependencies a chart does
		// not vendor; off (the default) leaves them a finding.
		Dependencies string `yaml:"dependencies"`
		// ValueSets lists, by chart directory, the value sets each chart
		// is rendered and scanned with.
		ValueSets map[string][]struct {
			Name  string   `yaml:"name"`
			Files []string `yaml:"files"`
			Set   []string `yaml:"set"`
		} `yaml:"valueSets"`
	} `yaml:"helm"`
	// Limits bound what a scan renders and loads (render.Limits); 0 is
	// the default.
	Limits struct {
		RenderedBytes int64 `yaml:"renderedBytes"`
		ChartObjects  int   `yaml:"chartObjects"`
		FileDocuments int   `yaml:"fileDocuments"`
		Objects       int   `yaml:"objects"`
	} `yaml:"limits"`
}

// helmOptions turns the config file's and the flags' Helm settings into
// render options for the tree at dir ("" for the working directory).
// Values files named in the config file, which a pull request can change,
// must stay inside the tree.
func (fc fileConfig) helmOptions(dir, releaseName, namespace, kubeVersion, deps string, values, set []string, paths []string) (render.HelmOptions, error) {
	switch d := firstNonEmpty(deps, fc.Helm.Dependencies); d {
	case "", "off", render.DependenciesFetch:
	default:
		return render.HelmOptions{}, fmt.Errorf("helm dependencies %q: want fetch or off", d)
	}
	h := render.HelmOptions{
		Dependencies: firstNonEmpty(deps, fc.Helm.Dependencies),
		ReleaseName:  firstNonEmpty(releaseName, fc.Helm.ReleaseName),
		Namespace:    firstNonEmpty(namespace, fc.Helm.Namespace),
		KubeVersion:  kubeVersion,
		ValueSets:    map[string][]render.ValueSet{},
	}
	for chart, sets := range fc.Helm.ValueSets {
		chart = filepath.ToSlash(filepath.Clean(chart))
		for _, vs := range sets {
			for _, f := range vs.Files {
				if filepath.IsAbs(f) || insideDir(dir, filepath.Join(chart, f)) != nil {
					return h, fmt.Errorf("helm value set %q of %s: values file %q is outside the repository", vs.Name, chart, f)
				}
			}
			h.ValueSets[chart] = append(h.ValueSets[chart], render.ValueSet{Name: vs.Name, Files: vs.Files, Set: vs.Set})
		}
	}
	if len(values) > 0 || len(set) > 0 {
		if len(paths) != 1 {
			return h, fmt.Errorf("--values and --set apply to one chart: give exactly one chart directory")
		}
		if _, err := os.Stat(filepath.Join(dir, paths[0], "Chart.yaml")); err != nil {
			return h, fmt.Errorf("--values and --set apply to a chart, and %s has no Chart.yaml", paths[0])
		}
		// Both sides absolute: Rel cannot relate a relative path to an
		// absolute one. The chart is keyed as render names it, relative to
		// the working directory.
		chartAbs, err := filepath.Abs(paths[0])
		if err != nil {
			return h, fmt.Errorf("chart %s: %w", paths[0], err)
		}
		chart := filepath.ToSlash(filepath.Clean(paths[0]))
		if wd, err := os.Getwd(); err == nil {
			if r, err := filepath.Rel(wd, chartAbs); err == nil {
				chart = filepath.ToSlash(r)
			}
		}
		// Relative to the chart, so findings name the values file as the
		// repository does, never by an absolute path.
		var files []string
		for _, v := range values {
			abs, err := filepath.Abs(v)
			if err == nil {
				_, err = os.Stat(abs)
			}
			if err != nil {
				return h, fmt.Errorf("--values %s: %w", v, err)
			}
			r, err := filepath.Rel(chartAbs, abs)
			if err != nil {
				return h, fmt.Errorf("--values %s: cannot be named from chart %s: %w", v, paths[0], err)
			}
			files = append(files, r)
		}
		h.ValueSets[chart] = []render.ValueSet{{Name: render.DefaultValueSet, Files: files, Set: set}}
	}
	return h, nil
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func loadConfig(path string, explicit bool) (fileConfig, error) {
	var fc fileConfig
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return fc, nil
		}
		return fc, fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, fmt.Errorf("config %s: %w", path, err)
	}
	return fc, nil
}

// formatNames lists the formats of --format and --report.
const formatNames = "text, json, sarif, junit, gitlab or checkstyle"

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

// scanFlags are the flags that, merged with a tree's config file, make
// the settings a scan of it runs with.
type scanFlags struct {
	config, pssVersion, kubeVersion, registries, baseline string
	releaseName, namespace, helmDeps                      string
	values, sets, exclude, disable                        []string
	limits                                                render.Limits
}

// A scanSettings is what a scan of one tree runs with.
type scanSettings struct {
	fc       fileConfig
	cfg      scan.Config
	excludes []string
	baseline *scan.Baseline
	helm     render.HelmOptions
	limits   render.Limits // flags over the config file
}

// loadSettings merges the flags with the config file of the tree at dir:
// the working directory when dir is "", else a pull request's base
// commit, whose files are named as the working directory's are. At the
// base a config file or baseline that is missing counts as none: the pull
// request may be the one that adds it.
func loadSettings(dir string, fl scanFlags, paths []string) (*scanSettings, error) {
	at := func(name string) string {
		if dir == "" || filepath.IsAbs(name) {
			return name
		}
		return filepath.Join(dir, name)
	}
	fc, err := loadConfig(at(firstNonEmpty(fl.config, ".kubeharden.yaml")), fl.config != "" && dir == "")
	if err != nil {
		return nil, err
	}
	cfg := scan.Config{PSSVersion: firstNonEmpty(fl.pssVersion, fc.PSSVersion, "latest"), AllowedRegistries: fc.AllowedRegistries,
		KubeVersion: firstNonEmpty(fl.kubeVersion, fc.KubeVersion), SecretsExclude: fc.SecretsExclude}
	// A repository's own gitleaks configuration, in gitleaks' format.
	if _, err := os.Stat(at(".gitleaks.toml")); err == nil {
		cfg.GitleaksConfig = at(".gitleaks.toml")
	}
	if fl.registries != "" {
		cfg.AllowedRegistries = strings.Split(fl.registries, ",")
	}
	cfg.Disable = fc.Rules.Disable
	for _, d := range fl.disable {
		cfg.Disable = append(cfg.Disable, strings.Split(d, ",")...)
	}
	for id, sev := range fc.Rules.Severity {
		s, err := scan.ParseSeverity(sev)
		if err != nil {
			return nil, fmt.Errorf("rules.severity.%s: %w", id, err)
		}
		if cfg.Severity == nil {
			cfg.Severity = map[string]scan.Severity{}
		}
		cfg.Severity[id] = s
	}
	if err := cfg.CheckRules(); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	for _, k := range fc.PodSpecs {
		if err := k.Check(); err != nil {
			return nil, err
		}
	}
	cfg.PodSpecs = fc.PodSpecs
	var baseline *scan.Baseline
	if name := firstNonEmpty(fl.baseline, fc.Baseline); name != "" {
		if fl.baseline == "" {
			// The config file is the repository's, which a pull request
			// can change: its baseline stays inside the working directory.
			if err := insideDir(dir, name); err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
		}
		f, err := os.Open(at(name))
		switch {
		case err != nil && dir != "" && errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("baseline: %w", err)
		default:
			baseline, err = scan.ReadBaseline(name, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	excludes := append(append([]string{}, fc.Exclude...), fl.exclude...)
	if err := render.CheckGlobs(append(excludes, cfg.SecretsExclude...)); err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	if _, err := scan.ParsePSSVersion(cfg.PSSVersion); err != nil {
		return nil, fmt.Errorf("--pss-version: %w", err)
	}
	if cfg.KubeVersion != "" {
		if _, err := scan.ParseKubeVersion(cfg.KubeVersion); err != nil {
			return nil, fmt.Errorf("--kube-version: %w", err)
		}
	}
	helm, err := fc.helmOptions(dir, fl.releaseName, fl.namespace, cfg.KubeVersion, fl.helmDeps, fl.values, fl.sets, paths)
	if err != nil {
		return nil, err
	}
	limits := render.Limits{
		RenderedBytes: firstPositive(fl.limits.RenderedBytes, fc.Limits.RenderedBytes),
		ChartObjects:  int(firstPositive(int64(fl.limits.ChartObjects), int64(fc.Limits.ChartObjects))),
		FileDocuments: int(firstPositive(int64(fl.limits.FileDocuments), int64(fc.Limits.FileDocuments))),
		Objects:       int(firstPositive(int64(fl.limits.Objects), int64(fc.Limits.Objects))),
	}
	return &scanSettings{fc: fc, cfg: cfg, excludes: excludes, baseline: baseline, helm: helm, limits: limits}, nil
}

// insideDir refuses a path that leaves the directory dir (the working
// directory when dir is ""), lexically or through a symbolic link: the
// files a repository's config names (values files, a baseline), which a
// pull request can change.
func insideDir(dir, name string) error {
	shown, wd := name, dir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return err
		}
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(wd, name)
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if realWd, err := filepath.EvalSymlinks(wd); err == nil {
		wd = realWd
	}
	if r, err := filepath.Rel(wd, abs); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s is outside the working directory", shown)
	}
	return nil
}

// settings lists what the configuration leaves out or changes, for the
// job summary: a pull request can change .kubeharden.yaml, and reviewers
// should see what it turns off.
func settings(cfg scan.Config, excludes []string) []string {
	var out []string
	if len(cfg.Disable) > 0 {
		out = append(out, "rules disabled: "+strings.Join(cfg.Disable, ", "))
	}
	var ids []string
	for id := range cfg.Severity {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, fmt.Sprintf("severity of %s: %s", id, cfg.Severity[id]))
	}
	if len(excludes) > 0 {
		out = append(out, "paths excluded: "+strings.Join(excludes, ", "))
	}
	if len(cfg.SecretsExclude) > 0 {
		out = append(out, "paths excluded from secret detection: "+strings.Join(cfg.SecretsExclude, ", "))
	}
	return out
}

func parseFailOn(s string) (scan.Severity, error) {
	if s == "none" {
		return 0, nil
	}
	return scan.ParseSeverity(s)
}

// parseInterleaved lets flags follow paths: `kubeharden scan . --format json`.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func firstPositive(n ...int64) int64 {
	for _, x := range n {
		if x > 0 {
			return x
		}
	}
	return 0
}

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

// progress shows, on a terminal's stderr, what a long scan is doing:
// files read, kustomizations built, charts rendered, objects checked. It
// stays silent in CI logs and pipes, and for scans too short to need it.
type progress struct {
	w           io.Writer
	now         func() time.Time
	start, last time.Time
	shown       bool
}

// Progress waits this long before its first line, and this long between
// lines.
const (
	progressDelay = 300 * time.Millisecond
	progressEvery = 100 * time.Millisecond
)

func newProgress(stderr io.Writer) *progress {
	if !isTerminal(stderr) || os.Getenv("CI") != "" {
		return nil
	}
	return &progress{w: stderr, now: time.Now, start: time.Now()}
}

var progressVerbs = map[render.Stage]string{
	render.StageFiles:          "reading",
	render.StageKustomizations: "building",
	render.StageCharts:         "rendering",
}

func (p *progress) update(stage render.Stage, done, total int) {
	p.show(fmt.Sprintf("%s %s: %d/%d", progressVerbs[stage], stage, done, total), done == total)
}

// checking says the renderers are done and the checks run.
func (p *progress) checking(objects int) {
	if p != nil {
		p.show(fmt.Sprintf("checking %d objects", objects), true)
	}
}

func (p *progress) show(line string, force bool) {
	now := p.now()
	if now.Sub(p.start) < progressDelay || (!force && now.Sub(p.last) < progressEvery) {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprint(p.w, "\r\x1b[K"+line)
}

func (p *progress) done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
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

// actionInputs maps the action's inputs (action.yml) to scan flags; the
// runner passes them as INPUT_<NAME> with the name upper-cased and its
// hyphens kept.
var actionInputs = []struct{ input, flag string }{
	{"fail-on", "--fail-on"},
	{"sarif-file", "--sarif"},
	{"category", "--category"},
	{"pss-version", "--pss-version"},
	{"allowed-registries", "--allowed-registries"},
	{"config", "--config"},
	{"pr-review", "--github-review"},
	{"review-filter", "--review-filter"},
	{"fail-scope", "--fail-scope"},
	{"helm-dependencies", "--helm-dependencies"},
}

// actionToken is the token of the action's github-token input. It never
// goes on the scan's command line.
func actionToken(getenv func(string) string) string {
	return firstNonEmpty(strings.TrimSpace(getenv("INPUT_GITHUB-TOKEN")), getenv("GITHUB_TOKEN"))
}

// actionArgs builds the scan command line of the GitHub Action entrypoint.
func actionArgs(getenv func(string) string) []string {
	input := func(name string) string {
		return strings.TrimSpace(getenv("INPUT_" + strings.ToUpper(name)))
	}
	var args []string
	for _, in := range actionInputs {
		if v := input(in.input); v != "" {
			args = append(args, in.flag+"="+v)
		}
	}
	args = append(args, "--")
	paths := strings.Fields(input("path"))
	if len(paths) == 0 {
		paths = []string{"."}
	}
	return append(args, paths...)
}
