package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
	ghreport "github.com/kubeharden/kubeharden/report/github"
	"github.com/kubeharden/kubeharden/scan"
)

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

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

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

// scanOptions are the scan command's flags and paths.
type scanOptions struct {
	format, sarifFile, category, output, failOn, color string
	reviewFilter, failScope                            string
	maxSize                                            int64
	review                                             bool
	reports                                            []string
	// fl are the flags a config file can also set.
	fl    scanFlags
	paths []string
}

// parseScanFlags reads the scan command's flags and paths. It returns
// nil and no error for -h, which printed the usage.
func parseScanFlags(args []string, stderr io.Writer) (*scanOptions, error) {
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
			return nil, nil
		}
		return nil, &exitError{code: exitUsage}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	fl := scanFlags{config: *configPath, pssVersion: *pssVersion, kubeVersion: *kubeVersion, registries: *registries,
		baseline: *baselineFile, releaseName: *releaseName, namespace: *namespace, helmDeps: *helmDeps,
		values: values, sets: sets, exclude: exclude, disable: disable, limits: limits}
	return &scanOptions{format: *format, sarifFile: *sarifFile, category: *category, output: *output, failOn: *failOn, color: *color,
		reviewFilter: *reviewFilter, failScope: *failScope, maxSize: *maxSize, review: *review, reports: reports, fl: fl, paths: paths}, nil
}

// effective lists the value in effect of each setting that a flag (or
// action input), the config file or a default gives: a flag that is set
// beats the config file, which beats the default; the job summary says
// which gave each value.
func (o *scanOptions) effective(fc fileConfig) []report.Setting {
	fl := o.fl
	var effective []report.Setting
	from := func(name, flag, file, def string) {
		switch {
		case flag != "":
			effective = append(effective, report.Setting{Name: name, Value: flag, From: "flag or input"})
		case file != "":
			effective = append(effective, report.Setting{Name: name, Value: file, From: "config file " + firstNonEmpty(fl.config, ".kubeharden.yaml")})
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
	from("fail-on", o.failOn, fc.FailOn, "error")
	from("pss-version", fl.pssVersion, fc.PSSVersion, "latest")
	from("kube-version", fl.kubeVersion, fc.KubeVersion, "the newest the rules know")
	from("allowed-registries", fl.registries, strings.Join(fc.AllowedRegistries, ","), "any")
	from("baseline", fl.baseline, fc.Baseline, "none")
	from("max-file-size", size(o.maxSize), size(fc.MaxFileSize), fmt.Sprint(render.DefaultMaxFileSize))
	from("release-name", fl.releaseName, fc.Helm.ReleaseName, render.DefaultReleaseName)
	from("namespace", fl.namespace, fc.Helm.Namespace, render.DefaultNamespace)
	// A pull request can raise the limits in .kubeharden.yaml: reviewers
	// see it here.
	limits := fl.limits
	from("max-rendered-bytes", size(limits.RenderedBytes), size(fc.Limits.RenderedBytes), fmt.Sprint(render.DefaultMaxRenderedBytes))
	from("max-chart-objects", size(int64(limits.ChartObjects)), size(int64(fc.Limits.ChartObjects)), fmt.Sprint(render.DefaultMaxChartObjects))
	from("max-documents", size(int64(limits.FileDocuments)), size(int64(fc.Limits.FileDocuments)), fmt.Sprint(render.DefaultMaxFileDocuments))
	from("max-objects", size(int64(limits.Objects)), size(int64(fc.Limits.Objects)), fmt.Sprint(render.DefaultMaxObjects))
	from("helm-dependencies", fl.helmDeps, fc.Helm.Dependencies, "off")
	return effective
}
