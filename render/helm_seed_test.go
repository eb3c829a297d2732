package render

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kubeharden/kubeharden/render/internal/helmengine"
)

// TestSeededMarkedRender: the engine handed the marked templates' trees
// (made from the plain ones by insertMarkers) renders what it renders when
// it parses the marked text, marker for marker, on the corpus's charts and
// the testdata's.
func TestSeededMarkedRender(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/helm/*")
	for _, c := range []string{"prometheus-community-helm-charts/charts/kube-prometheus-stack", "prometheus-community-helm-charts/charts/prometheus",
		"grafana-community-helm-charts/charts/grafana", "ingress-nginx/charts/ingress-nginx", "podinfo/charts/podinfo",
		"realworld/istio/manifests/charts/istio-control/istio-discovery", "realworld/cert-manager/deploy/charts/cert-manager"} {
		dirs = append(dirs, filepath.Join(corpus, c))
	}
	kv, err := chartutil.ParseKubeVersion(DefaultKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	markers, compared := 0, 0
	for _, dir := range dirs {
		ch, err := loader.LoadDir(dir)
		if err != nil || ch.Metadata.Type == "library" {
			continue
		}
		if chartutil.ProcessDependenciesWithMerge(ch, map[string]any{}) != nil {
			continue
		}
		vals, err := chartutil.ToRenderValuesWithSchemaValidation(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "r", Namespace: "default", IsInstall: true}, caps, true)
		if err != nil {
			continue
		}
		// Marker ids follow the order the trees are walked, which is a
		// map's: each render's markers are named by what they mark.
		render := func(seed bool) (map[string]string, error) {
			eng := helmengine.Engine{Trees: &helmengine.TreeCache{}, Now: firstClock, Unmark: unmark}
			trees := &templateTrees{}
			if seed {
				trees.engine = eng.Trees
			}
			in := instrument(ch, true, trees)
			defer in.restore()
			out, err := eng.Render(ch, freshValues(vals))
			for name, text := range out {
				out[name] = markerRE.ReplaceAllStringFunc(text, func(m string) string {
					id, _ := strconv.Atoi(m[len(string(markOpen)) : len(m)-len(string(markClose))])
					mk := in.marks.at(id)
					return fmt.Sprintf("<%s:%d:%v>", mk.name, mk.offset, mk.isText)
				})
			}
			return out, err
		}
		got, gotErr := render(true)
		want, wantErr := render(false)
		again, _ := render(false) // a file with generated values differs between any two renders
		for name := range want {
			if again[name] != want[name] {
				delete(want, name)
				delete(got, name)
			}
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v, want %v", dir, gotErr, wantErr)
			continue
		}
		for name, w := range want {
			if got[name] != w {
				g := got[name]
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				t.Errorf("%s: %s differs from the render of the marked text at %d:\n got %q\nwant %q", dir, name, i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d files, want %d", dir, len(got), len(want))
		}
		for _, text := range got {
			markers += strings.Count(text, ">")
		}
		compared++
	}
	if compared < 10 || markers < 10000 {
		t.Errorf("%d charts compared, %d markers rendered; want the corpus's charts", compared, markers)
	}
	t.Logf("%d charts, %d markers", compared, markers)
}

var markerRE = regexp.MustCompile(string(markOpen) + `[0-9]+` + string(markClose))
