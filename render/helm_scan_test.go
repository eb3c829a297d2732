package render_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/wanttest"
	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// TestHelmValueSets: each value set is rendered and scanned; the prod set
// brings a finding, located in its own values file, that the default set
// does not have.
func TestHelmValueSets(t *testing.T) {
	dir := "../testdata/helm/valuesets"
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir, Helm: render.HelmOptions{
		ValueSets: map[string][]render.ValueSet{".": {
			{Name: "default"},
			{Name: "prod", Files: []string{"values-prod.yaml"}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, f := range fs {
		if f.Source != nil && slices.Equal(f.Source.ValueSets, []string{"default", "prod"}) {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no finding lists both value sets: shared findings should be reported once for both")
	}
	for _, vs := range []string{"default", "prod"} {
		var got []string
		for _, f := range fs {
			// A finding several sets share is one finding listing them.
			if f.Source != nil && (f.Source.ValueSet == vs || slices.Contains(f.Source.ValueSets, vs)) {
				for _, r := range f.Rules() { // a folded finding reports each rule at its line
					got = append(got, fmt.Sprintf("%s:%d: %s", f.File, f.Line, r))
				}
			}
		}
		want := setWants(t, dir, vs)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("value set %s: findings\n%s\nwant\n%s", vs, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// setWants reads `# want:` (every set) and `# want[SET]:` expectations.
func setWants(t *testing.T, dir, vs string) []string {
	var ws []string
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			for _, r := range wanttest.ForSet(sc.Text(), vs) {
				ws = append(ws, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), n, r))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ws
}

// TestHelmExactShare reports the share of findings over the corpus charts
// whose position is exact (not Approx).
func TestHelmExactShare(t *testing.T) {
	const corpus = "../../shared/corpus"
	var dirs []string
	for _, g := range []string{"*helm-charts*/charts/*", "ingress-nginx/charts/ingress-nginx", "podinfo/charts/podinfo", "microservices-demo/helm-chart", "realworld/istio/manifests/charts"} {
		m, _ := filepath.Glob(filepath.Join(corpus, g))
		dirs = append(dirs, m...)
	}
	if len(dirs) == 0 {
		t.Fatalf("no corpus charts under %s", corpus)
	}
	total, exact := 0, 0
	for _, d := range dirs {
		rel, _ := filepath.Rel(corpus, d)
		set, err := render.Load(context.Background(), []string{rel}, render.Options{Dir: corpus})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range set.Problems {
			// prometheus-postgres-exporter requires a password that its
			// values.yaml does not set; `helm template` fails on it too.
			t.Logf("%s: %s", p.Pos, p.Message)
		}
		fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("HELM_SHOW_FINDINGS") != "" {
			for _, f := range fs {
				text := ""
				if data, err := os.ReadFile(filepath.Join(corpus, f.File)); err == nil {
					if ls := strings.Split(string(data), "\n"); f.Line <= len(ls) {
						text = strings.TrimSpace(ls[f.Line-1])
					}
				}
				t.Logf("  %s:%d %s %s %s | %s %v", f.File, f.Line, f.Precision, f.Rule, f.Path, text, f.Related)
			}
		}
		n, e := 0, 0
		for _, f := range fs {
			n++
			if f.Precision == "exact" {
				e++
			}
		}
		t.Logf("%-60s %4d findings, %4d exact", rel, n, e)
		total += n
		exact += e
	}
	share := float64(exact) / float64(max(total, 1))
	t.Logf("exact positions: %d of %d findings (%.1f%%)", exact, total, 100*share)
	if share < 0.9 {
		t.Errorf("exact positions %.1f%%, under the 90%% target", 100*share)
	}
}

// TestHelmIstioPositions: istio's charts rewrite the values they are
// given (zzz_profile.yaml: `unset $.Values ...`, `set $ "Values"
// (mergeOverwrite ...)`); the renders that map positions must start from
// the same values as the plain one, or they fail and every finding falls
// back to line 1 of its template.
func TestHelmIstioPositions(t *testing.T) {
	const corpus = "../../shared/corpus"
	set, err := render.Load(context.Background(), []string{"realworld/istio/manifests/charts"}, render.Options{Dir: corpus})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("no findings on istio's charts")
	}
	sysAdmin, ztunnelTag := false, false
	for _, f := range fs {
		if f.Precision != "exact" || f.Line == 1 {
			t.Errorf("%s:%d %s %s: precision %s", f.File, f.Line, f.Rule, f.Path, f.Precision)
		}
		if f.File == "realworld/istio/manifests/charts/istio-cni/templates/daemonset.yaml" && f.Line == 139 && f.Rule == "dangerous-capabilities" {
			sysAdmin = true // the literal `- SYS_ADMIN` line
		}
		// The charts' defaults sit under _internal_defaults_do_not_set,
		// merged into .Values by zzz_profile.yaml: a :latest tag is on the
		// values line that sets it.
		if f.Rule == "image-latest-tag" && f.File == "realworld/istio/manifests/charts/ztunnel/values.yaml" && f.Line == 7 {
			ztunnelTag = true
		}
	}
	if !sysAdmin {
		t.Error("SYS_ADMIN is not reported at istio-cni/templates/daemonset.yaml:139, where it is written")
	}
	if !ztunnelTag {
		t.Error("ztunnel's :latest image is not reported at ztunnel/values.yaml:7 (tag: latest)")
	}
}
