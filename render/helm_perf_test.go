package render

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
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

// TestGenerates: a generator called in an action makes a chart generate
// values; the same word in the text around the actions does not.
func TestGenerates(t *testing.T) {
	for data, want := range map[string]bool{
		`"time": {"from": "now-1h", "to": "now"}`:          false,
		`password: {{ randAlphaNum 10 | b64enc }}`:         true,
		`at: {{ now | date "2006" }}`:                      true,
		`{{ tpl "{{ uuidv4 }}" . }}`:                       true,
		"{{/* genCA */}}":                                  true,
		"random text, genCA, {{ .Values.x }}":              false,
		"{{ .Values.a }} bcrypt {{ .Values.b }} randAlpha": false,
	} {
		ch := &chart.Chart{Templates: []*chart.File{{Name: "templates/t.yaml", Data: []byte(data)}}}
		if got := generates(ch); got != want {
			t.Errorf("generates(%q) = %v, want %v", data, got, want)
		}
	}
}
