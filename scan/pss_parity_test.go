package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

const psaFixtures = "../../shared/corpus/psa-fixtures/test/testdata"

// psaVersions lists the corpus's policy version folders, oldest first.
func psaVersions(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(psaFixtures, "baseline"))
	if err != nil {
		t.Fatalf("the PSA fixtures are read from ../shared: %v", err)
	}
	var vs []api.Version
	for _, e := range entries {
		v, err := api.ParseVersion(e.Name())
		if err != nil {
			t.Fatalf("version folder %s: %v", e.Name(), err)
		}
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Older(vs[j]) })
	var names []string
	for _, v := range vs {
		names = append(names, v.String())
	}
	return names
}

// pssLevels returns, per fixture file, the PSS levels our findings carry.
func pssLevels(t *testing.T, dir, version string) map[string]map[string]bool {
	t.Helper()
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Problems) > 0 {
		t.Fatalf("%s: %v", dir, set.Problems)
	}
	fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{PSSVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]map[string]bool{}
	for _, o := range set.Objects {
		levels[o.File] = map[string]bool{}
	}
	for _, f := range fs {
		if f.PSSLevel != "" {
			levels[f.File][f.PSSLevel] = true
		}
	}
	return levels
}

// TestPSSParity runs every Pod Security Admission conformance fixture: a
// fail fixture yields a finding at that level, a pass fixture none, and
// restricted-only failures are never reported as baseline. The newest
// version is the acceptance bar; older versions run too, since teams pin
// --pss-version.
func TestPSSParity(t *testing.T) {
	versions := psaVersions(t)
	if testing.Short() {
		versions = versions[len(versions)-1:]
	}
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, ver := range versions {
		for _, level := range []string{"baseline", "restricted"} {
			for _, verdict := range []string{"pass", "fail"} {
				dir := filepath.Join(psaFixtures, level, ver, verdict)
				if _, err := os.Stat(dir); err != nil {
					continue
				}
				got := pssLevels(t, dir, ver)
				if len(got) == 0 {
					t.Fatalf("%s: no fixtures", dir)
				}
				for file, lv := range got {
					total++
					name := filepath.Join(level, ver, verdict, file)
					flagged := lv["baseline"] || (level == "restricted" && lv["restricted"])
					if verdict == "fail" && !flagged {
						t.Errorf("%s: no PSS %s finding", name, level)
					}
					if verdict == "pass" && flagged {
						t.Errorf("%s: unexpected PSS finding %v", name, lv)
					}
					// The API server's own evaluator decides which level a
					// failure belongs to.
					pod := readPod(t, filepath.Join(dir, file))
					v, _ := api.ParseVersion(ver)
					baselineOK := policy.AggregateCheckResults(ev.EvaluatePod(api.LevelVersion{Level: api.LevelBaseline, Version: v}, &pod.ObjectMeta, &pod.Spec)).Allowed
					restrictedOK := policy.AggregateCheckResults(ev.EvaluatePod(api.LevelVersion{Level: api.LevelRestricted, Version: v}, &pod.ObjectMeta, &pod.Spec)).Allowed
					if lv["baseline"] == baselineOK {
						t.Errorf("%s: baseline finding %v, but the admission verdict is allowed=%v", name, lv["baseline"], baselineOK)
					}
					if (lv["baseline"] || lv["restricted"]) == restrictedOK {
						t.Errorf("%s: PSS findings %v, but the restricted admission verdict is allowed=%v", name, lv, restrictedOK)
					}
				}
			}
		}
	}
	t.Logf("%d fixtures over %d versions (%s to %s)", total, len(versions), versions[0], versions[len(versions)-1])
}

func readPod(t *testing.T, path string) *corev1.Pod {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := yaml.Unmarshal(data, &pod); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !strings.EqualFold(pod.Kind, "Pod") {
		t.Fatalf("%s: not a Pod", path)
	}
	// The API server defaults a volume without a source to emptyDir before
	// admission sees it (SetDefaults_Volume).
	for i := range pod.Spec.Volumes {
		if (pod.Spec.Volumes[i].VolumeSource == corev1.VolumeSource{}) {
			pod.Spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	return &pod
}
