package render

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
)

// BenchmarkHelmCharts renders corpus charts as a scan does, for profiles
// (`go test ./render -run '^$' -bench HelmCharts -cpuprofile cpu.out`).
func BenchmarkHelmCharts(b *testing.B) {
	for _, c := range []string{
		"prometheus-community-helm-charts/charts/kube-prometheus-stack",
		"ingress-nginx/charts/ingress-nginx",
		"grafana-community-helm-charts/charts/grafana",
		"podinfo/charts/podinfo",
	} {
		b.Run(filepath.Base(c), func(b *testing.B) {
			dir := filepath.Join(corpus, c)
			for b.Loop() {
				set, err := Load(context.Background(), []string{dir}, Options{Dir: corpus})
				if err != nil || len(set.Objects) == 0 {
					b.Fatalf("%v, %d objects", err, len(set.Objects))
				}
			}
		})
	}
}

// TestWithClock: now is replaced in the actions a regular expression
// finds, and nowhere else.
func TestWithClock(t *testing.T) {
	actionRE := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	for _, data := range []string{
		"",
		"now {{ now }} now",
		"{{ now | date \"2006\" }}{{ .Values.known }}{{now}}",
		"a: {{ (now).Unix }}\nb: {{- now -}}\n{{ \"now\" }} {{ $.now }} {{",
		"{{ now }} }} {{ x {{ now }}",
		"{{}}{{now}}}}now{{ now",
	} {
		want := actionRE.ReplaceAllStringFunc(data, func(a string) string {
			return nowRE.ReplaceAllString(a, "${1}"+firstClock)
		})
		if got := withClock(data, firstClock); got != want {
			t.Errorf("withClock(%q) = %q, want %q", data, got, want)
		}
	}
}
