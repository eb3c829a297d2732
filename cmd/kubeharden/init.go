package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Files kubeharden init writes, relative to the repository.
const (
	initConfigFile   = ".kubeharden.yaml"
	initWorkflowFile = ".github/workflows/kubeharden.yml"
)

// initRepo is what kubeharden init found in a repository.
type initRepo struct {
	// charts maps a chart directory to its extra values files, by name.
	charts map[string][]string
	// overlays are the kustomizations no other kustomization includes.
	overlays []string
	// branch is the branch pushes to which are scanned.
	branch string
}

// runInit writes a starter .kubeharden.yaml and workflow into the
// repository at args[0] (default .), never overwriting a file that exists.
func runInit(args []string, stdout io.Writer) error {
	if len(args) > 1 || len(args) == 1 && strings.HasPrefix(args[0], "-") {
		return usageError("usage: kubeharden init [DIR]")
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageError("init: %s is not a directory", dir)
	}
	repo, err := findRepo(dir)
	if err != nil {
		return err
	}
	for _, f := range []struct{ name, text string }{
		{initConfigFile, repo.config()},
		{initWorkflowFile, repo.workflow()},
	} {
		wrote, err := writeNew(filepath.Join(dir, filepath.FromSlash(f.name)), f.text)
		if err != nil {
			return err
		}
		if wrote {
			fmt.Fprintf(stdout, "wrote %s\n", f.name)
		} else {
			fmt.Fprintf(stdout, "kept %s: it exists\n", f.name)
		}
	}
	return nil
}

// writeNew writes a file unless one exists at name, creating its directory.
func writeNew(name, text string) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return false, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return false, fmt.Errorf("writing %s: %w", name, err)
	}
	return true, f.Close()
}

// findRepo walks the repository for charts, their values files and the
// kustomize overlays. Hidden directories, node_modules and vendor are
// passed over, as are subcharts, which render with their parent.
func findRepo(dir string) (initRepo, error) {
	repo := initRepo{charts: map[string][]string{}, branch: "main"}
	included := map[string]bool{}
	var kustomizations []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if rel != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err == nil {
			values, err := valuesFiles(p)
			if err != nil {
				return err
			}
			repo.charts[rel] = values
			// Subcharts under charts/ render with this chart.
			return filepath.SkipDir
		}
		for _, k := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
			data, err := os.ReadFile(filepath.Join(p, k))
			if err != nil {
				continue
			}
			kustomizations = append(kustomizations, rel)
			for _, inc := range kustomizationIncludes(p, rel, data) {
				included[inc] = true
			}
			break
		}
		return nil
	})
	if err != nil {
		return repo, fmt.Errorf("init: %w", err)
	}
	for _, k := range kustomizations {
		if !included[k] {
			repo.overlays = append(repo.overlays, k)
		}
	}
	if head, err := os.ReadFile(filepath.Join(dir, ".git", "HEAD")); err == nil {
		if b, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: refs/heads/"); ok && b != "" {
			repo.branch = b
		}
	}
	return repo, nil
}

// valuesFiles lists a chart's values files besides values.yaml
// (values-prod.yaml, values.staging.yaml), sorted.
func valuesFiles(chart string) ([]string, error) {
	entries, err := os.ReadDir(chart)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.Type().IsRegular() || valueSetName(e.Name()) == "" {
			continue
		}
		files = append(files, e.Name())
	}
	return files, nil
}

// valueSetName is the value set a values file stands for ("prod" for
// values-prod.yaml), or "" when the name is not one of a values file.
func valueSetName(file string) string {
	ext := path.Ext(file)
	if ext != ".yaml" && ext != ".yml" {
		return ""
	}
	base := strings.TrimSuffix(file, ext)
	for _, prefix := range []string{"values-", "values.", "values_"} {
		if name, ok := strings.CutPrefix(base, prefix); ok && name != "" && name != "schema" {
			return name
		}
	}
	return ""
}

// kustomizationIncludes lists the directories a kustomization in dir (rel
// in the repository) takes in as resources, bases or components. Files and
// remote URLs are left out: they are not kustomizations of the repository.
func kustomizationIncludes(dir, rel string, data []byte) []string {
	var k struct {
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	var dirs []string
	for _, r := range slices.Concat(k.Resources, k.Bases, k.Components) {
		if strings.Contains(r, "://") || path.IsAbs(r) {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(r))); err == nil && st.IsDir() {
			dirs = append(dirs, path.Clean(path.Join(rel, r)))
		}
	}
	return dirs
}

// quote writes s as a YAML scalar; JSON strings are YAML.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// config is the starter .kubeharden.yaml.
func (r initRepo) config() string {
	var b strings.Builder
	b.WriteString(`# kubeharden settings, written by 'kubeharden init'. Flags override them, and
# the job summary lists every rule turned off and path excluded here.
# Every setting: https://github.com/kubeharden/kubeharden#use
pssVersion: latest
failOn: error
# allowedRegistries: [ghcr.io/your-org]
# exclude: ["test/fixtures/**"]
`)
	if len(r.overlays) > 0 {
		b.WriteString("\n# Kustomize overlays found; every kustomization is built, and a finding\n# several overlays share is reported once:\n")
		for _, o := range r.overlays {
			fmt.Fprintf(&b, "#   %s\n", o)
		}
	}
	if len(r.charts) == 0 {
		b.WriteString("\n# No Helm chart found. Value sets render a chart once per set:\n# helm:\n#   valueSets:\n#     charts/web:\n#       - name: default\n#       - name: prod\n#         files: [values-prod.yaml]\n")
		return b.String()
	}
	b.WriteString("\n# Each chart is rendered and scanned once per value set: with its\n# values.yaml (default), and with each values file found beside it.\nhelm:\n  valueSets:\n")
	for _, chart := range slices.Sorted(maps.Keys(r.charts)) {
		fmt.Fprintf(&b, "    %s:\n      - name: default\n", quote(chart))
		names := map[string]bool{"default": true}
		for _, f := range r.charts[chart] {
			// values-prod.yaml and values-prod.yml: names stay unique.
			name := valueSetName(f)
			if names[name] {
				name = f
			}
			names[name] = true
			fmt.Fprintf(&b, "      - name: %s\n        files: [%s]\n", quote(name), quote(f))
		}
	}
	return b.String()
}

// workflow is the starter workflow: the action on pull requests and on
// pushes to the default branch, with the SARIF uploaded to code scanning.
func (r initRepo) workflow() string {
	major := "v" + strings.SplitN(releaseVersion, ".", 2)[0]
	return `# Written by 'kubeharden init': fails a pull request that brings insecure
# Kubernetes configuration, comments the findings on its changed lines and
# uploads them to code scanning. Settings: .kubeharden.yaml.
name: kubeharden

on:
  pull_request:
  push:
    branches: [` + quote(r.branch) + `]

permissions:
  contents: read

jobs:
  kubeharden:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write # the review comments
      security-events: write # the SARIF upload
    steps:
      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2
        with:
          persist-credentials: false
      - uses: kubeharden/kubeharden@` + major + `
        id: scan
        with:
          sarif-file: kubeharden.sarif
      - uses: github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7 # v4.31.9
        # After a failing scan too; not on a pull request from a fork,
        # whose token cannot write.
        if: always() && hashFiles('kubeharden.sarif') != '' && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository)
        with:
          sarif_file: kubeharden.sarif
          category: kubeharden
`
}
