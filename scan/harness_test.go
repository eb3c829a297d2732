package scan_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/internal/wanttest"
	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// A want is one expected finding: a rule at a file and line.
type want struct {
	file string
	line int
	rule string
}

func (w want) String() string { return fmt.Sprintf("%s:%d: %s", w.file, w.line, w.rule) }

// readWants collects the `# want: rule [rule...]` comments of every file
// under dir, and the `LINE rule...` lines of `<file>.want` sidecars for
// files that cannot hold comments (JSON, binary). `# want[default]:`
// counts too: the harness renders a chart's default value set; other
// sets' wants are render's to check.
func readWants(t *testing.T, dir string) []want {
	t.Helper()
	var ws []want
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, ".want") {
			target := strings.TrimSuffix(rel, ".want")
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, l := range strings.Split(string(data), "\n") {
				f := strings.Fields(l)
				if len(f) < 2 || strings.HasPrefix(f[0], "#") {
					continue
				}
				n, err := strconv.Atoi(f[0])
				if err != nil {
					t.Fatalf("%s: bad line %q", rel, l)
				}
				for _, r := range f[1:] {
					ws = append(ws, want{target, n, r})
				}
			}
			return nil
		}
		ext := filepath.Ext(rel)
		if ext != ".yaml" && ext != ".yml" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			for _, r := range wanttest.ForSet(sc.Text(), "default") {
				ws = append(ws, want{rel, n, r})
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// fixtureConfig reads the folder's optional .kubeharden.yaml.
func fixtureConfig(t *testing.T, dir string) scan.Config {
	var fc struct {
		PSSVersion        string             `yaml:"pssVersion"`
		AllowedRegistries []string           `yaml:"allowedRegistries"`
		KubeVersion       string             `yaml:"kubeVersion"`
		PodSpecs          []scan.PodSpecKind `yaml:"podSpecs"`
	}
	data, err := os.ReadFile(filepath.Join(dir, ".kubeharden.yaml"))
	if err == nil {
		if err := yaml.Unmarshal(data, &fc); err != nil {
			t.Fatal(err)
		}
	}
	return scan.Config{PSSVersion: fc.PSSVersion, AllowedRegistries: fc.AllowedRegistries, KubeVersion: fc.KubeVersion, PodSpecs: fc.PodSpecs}
}

func scanDir(t *testing.T, dir string, cfg scan.Config) ([]scan.Finding, *render.Set) {
	t.Helper()
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := scan.Run(context.Background(), set, scan.All, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fs, set
}

// checkFixtures compares findings with wants as multisets: every finding
// expected, every expectation found.
func checkFixtures(t *testing.T, dir string) []scan.Finding {
	t.Helper()
	fs, _ := scanDir(t, dir, fixtureConfig(t, dir))
	var got []want
	for _, f := range fs {
		if f.Suppressed != nil {
			continue
		}
		for _, r := range f.Rules() {
			got = append(got, want{f.File, f.Line, r}) // a folded finding reports each rule at its line
		}
		if f.Line < 1 || f.Column < 1 || filepath.IsAbs(f.File) || strings.Contains(f.File, `\`) {
			t.Errorf("bad position %s:%d:%d", f.File, f.Line, f.Column)
		}
	}
	exp := readWants(t, dir)
	key := func(w want) string { return w.String() }
	count := map[string]int{}
	for _, w := range exp {
		count[key(w)]++
	}
	for _, g := range got {
		count[key(g)]--
	}
	var keys []string
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch n := count[k]; {
		case n > 0:
			t.Errorf("missing finding: %s (x%d)", k, n)
		case n < 0:
			for _, f := range fs {
				if slices.ContainsFunc(f.Rules(), func(r string) bool { return key(want{f.File, f.Line, r}) == k }) {
					t.Errorf("unexpected finding: %s: %s", k, f.Message)
				}
			}
		}
	}
	return fs
}

func fixtureDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

func TestFixtures(t *testing.T) {
	for _, root := range []string{"../testdata/checks", "../testdata/inputs", "../testdata/helm", "../testdata/kustomize", "../testdata/pods", "../testdata/distro", "../testdata/noise"} {
		for _, d := range fixtureDirs(t, root) {
			t.Run(filepath.Base(root)+"/"+d, func(t *testing.T) {
				checkFixtures(t, filepath.Join(root, d))
			})
		}
	}
}

// TestEveryRuleHasFixtures is the meta-test: every rule is well formed and
// has a fixture folder with a violation and a clean object for it.
func TestEveryRuleHasFixtures(t *testing.T) {
	items := checklistItems(t)
	ids := map[string]bool{}
	for _, c := range scan.All {
		t.Run(c.ID, func(t *testing.T) {
			if !regexp.MustCompile(`^[a-z][a-z0-9-]+$`).MatchString(c.ID) {
				t.Errorf("id %q is not kebab-case", c.ID)
			}
			if ids[c.ID] {
				t.Errorf("duplicate id")
			}
			ids[c.ID] = true
			if c.Title == "" || strings.HasSuffix(c.Title, ".") {
				t.Errorf("title %q: want a short title without a trailing period", c.Title)
			}
			if len(c.Checklist) == 0 {
				t.Errorf("no checklist ids")
			}
			for _, id := range c.Checklist {
				if !items[id] {
					t.Errorf("checklist id %q is not in checklist.yaml", id)
				}
			}
			if c.Severity < scan.Note || c.Severity > scan.Error {
				t.Errorf("severity %v", c.Severity)
			}
			if c.SecuritySeverity < 0.1 || c.SecuritySeverity > 10 {
				t.Errorf("security severity %v out of (0, 10]", c.SecuritySeverity)
			}
			if scan.SeverityReason(c) == "" {
				t.Errorf("no severity reason (scan/severity.go)")
			}
			if c.Rationale == "" || c.Example == "" {
				t.Errorf("rationale and example are required")
			}
			if !strings.HasSuffix(c.Remediation, ".") {
				t.Errorf("remediation %q must be a sentence ending in a period", c.Remediation)
			}
			kinds := 0
			for _, set := range []bool{c.Object != nil, c.Graph != nil, c.Files != nil} {
				if set {
					kinds++
				}
			}
			if kinds > 1 {
				t.Errorf("more than one of Object, Graph and Files set")
			}
			dir := filepath.Join("../testdata/checks", c.ID)
			ws := readWants(t, dir)
			if !slices.ContainsFunc(ws, func(w want) bool { return w.rule == c.ID }) {
				t.Errorf("%s has no `# want: %s` expectation", dir, c.ID)
			}
			fs, set := scanDir(t, dir, fixtureConfig(t, dir))
			if c.Object != nil || c.Graph != nil || c.Files != nil {
				flagged := map[string]bool{}
				for _, f := range fs {
					if slices.Contains(f.Rules(), c.ID) && f.Object != nil {
						flagged[fmt.Sprint(*f.Object)] = true
					}
				}
				clean := false
				for _, o := range set.Objects {
					if !flagged[fmt.Sprint(o.Ref())] {
						clean = true
					}
				}
				if !clean {
					t.Errorf("%s has no clean object for %s", dir, c.ID)
				}
			}
		})
	}
}

func checklistItems(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../../shared/checklist.yaml")
	if err != nil {
		t.Fatalf("the checklist is read from ../shared: %v", err)
	}
	var cl struct {
		Sections []struct {
			Items []struct {
				ID string `yaml:"id"`
			} `yaml:"items"`
		} `yaml:"sections"`
	}
	if err := yaml.Unmarshal(data, &cl); err != nil {
		t.Fatal(err)
	}
	items := map[string]bool{}
	for _, s := range cl.Sections {
		for _, it := range s.Items {
			items[it.ID] = true
		}
	}
	if len(items) == 0 {
		t.Fatal("no checklist items")
	}
	return items
}

// TestEveryChecklistItemHasARule: each item of the checklist is served by
// at least one rule that `kubeharden rules` lists.
func TestEveryChecklistItemHasARule(t *testing.T) {
	served := map[string]bool{}
	for _, c := range scan.All {
		for _, id := range c.Checklist {
			served[id] = true
		}
	}
	for id := range checklistItems(t) {
		if !served[id] {
			t.Errorf("checklist item %s has no rule", id)
		}
	}
}
