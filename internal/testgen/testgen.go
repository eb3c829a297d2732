// Package testgen writes synthetic trees of Kubernetes manifests for tests
// and benchmarks.
//
// Tree lays files out the way application repositories do
// (team-XX/app-YY/NN-kind.yaml) and mixes what such repositories hold:
// Deployments, StatefulSets, DaemonSets, CronJobs, Jobs and bare Pods;
// Services, ConfigMaps with multi-line configuration files, Secrets,
// ServiceAccounts, Ingresses, HorizontalPodAutoscalers,
// PodDisruptionBudgets and NetworkPolicies; Namespaces with and without
// Pod Security labels; multi-document files of two to five documents,
// v1/List files, a few JSON manifests and YAML anchors, aliases and merge
// keys. Pod templates carry one to three containers and sometimes init
// containers, with env lists, probes, resources, volumes and labels; some
// are hardened (runAsNonRoot, readOnlyRootFilesystem, capabilities drop
// ALL, seccomp RuntimeDefault, images pinned by digest), some insecure
// (privileged, hostPath, hostNetwork, :latest images, added capabilities)
// and most in between. A file averages about 7 KB.
//
// Every document is valid YAML (or JSON) and type-checks as the
// Kubernetes API types it names. The output depends only on n and the
// seed: the same arguments write the same bytes.
package testgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Tree writes n manifest files under dir, creating it as needed, and
// returns the number of bytes written. The same n and seed always produce
// the same files.
func Tree(dir string, n int, seed int64) (bytes int64, err error) {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x6b756265686172))}
	var (
		team, app      = -1, 0
		appsLeft       = 0
		filesLeft      = 0
		fileNo         = 0
		a              *appInfo
		teamNamespaced bool
	)
	for i := 0; i < n; i++ {
		if filesLeft == 0 {
			if appsLeft == 0 {
				team++
				app = 0
				appsLeft = 2 + g.r.IntN(7)
				teamNamespaced = g.chance(0.8)
			} else {
				app++
			}
			appsLeft--
			filesLeft = 2 + g.r.IntN(7)
			fileNo = 0
			a = g.newApp(team, app, teamNamespaced)
		}
		filesLeft--
		var name string
		var data []byte
		// Most teams' first file is their Namespace, as repositories
		// keep one per team.
		if app == 0 && fileNo == 0 && g.chance(0.7) {
			name, data = "namespace.yaml", g.namespaceFile(a)
		} else {
			name, data, err = g.file(a)
			if err != nil {
				return bytes, err
			}
		}
		rel := filepath.Join(fmt.Sprintf("team-%02d", team), fmt.Sprintf("app-%02d", app), fmt.Sprintf("%02d-%s", fileNo, name))
		fileNo++
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return bytes, err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return bytes, err
		}
		bytes += int64(len(data))
	}
	return bytes, nil
}

type gen struct {
	r *rand.Rand
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// A profile is how carefully an application's pods are locked down.
type profile int

const (
	hardened profile = iota
	typical
	insecure
)

// appInfo is what the files of one application share.
type appInfo struct {
	team      string
	name      string
	namespace string // "" when the manifests leave it to kubectl
	component string
	image     string // repository, without tag or digest
	version   string
	port      int
	profile   profile
	labels    [][2]string
}

var (
	appWords = []string{
		"payments", "checkout", "ledger", "catalog", "search", "inventory", "billing",
		"identity", "notifications", "orders", "shipping", "pricing", "reviews",
		"recommendations", "gateway", "reporting", "analytics", "accounts", "fraud",
		"media", "profile", "session", "audit", "export", "scheduler", "metrics",
	}
	appSuffixes = []string{"api", "worker", "web", "service", "consumer", "sync", "backend", "frontend", "cron", "proxy"}
	registries  = []string{
		"ghcr.io/acme", "registry.acme.internal/platform", "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
		"europe-docker.pkg.dev/acme-prod/apps", "quay.io/acme", "docker.io/acme", "",
	}
	sidecars = []struct{ name, image, tag string }{
		{"envoy", "envoyproxy/envoy", "v1.31.2"},
		{"fluent-bit", "fluent/fluent-bit", "3.1.9"},
		{"oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy", "v7.7.1"},
		{"cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy", "2.13.0"},
		{"statsd-exporter", "prom/statsd-exporter", "v0.27.1"},
		{"vault-agent", "hashicorp/vault", "1.17.6"},
	}
	inits = []struct{ name, image, tag, cmd string }{
		{"wait-for-db", "busybox", "1.36", "until nc -z postgres 5432; do echo waiting for db; sleep 2; done"},
		{"migrate", "", "", "/app/bin/migrate --config /etc/app/config.yaml up"},
		{"fix-permissions", "busybox", "1.36.1", "chown -R 10001:10001 /data"},
		{"copy-config", "alpine", "3.20", "cp /config-src/* /etc/app/"},
	}
	// envVars are environment variables with values they take.
	envVars = []struct {
		name   string
		values []string
	}{
		{"LOG_LEVEL", []string{"info", "debug", "warn"}},
		{"LOG_FORMAT", []string{"json", "logfmt"}},
		{"HTTP_PORT", []string{"8080", "8000", "3000"}},
		{"GRPC_PORT", []string{"9090", "50051"}},
		{"METRICS_PORT", []string{"9102", "9090"}},
		{"DB_HOST", []string{"postgres.db.svc.cluster.local", "acme-prod.cluster-c9xq2.eu-west-1.rds.amazonaws.com"}},
		{"DB_PORT", []string{"5432", "3306"}},
		{"DB_NAME", []string{"app", "orders", "ledger_prod"}},
		{"DB_POOL_SIZE", []string{"10", "20", "50"}},
		{"DB_SSL_MODE", []string{"require", "verify-full"}},
		{"REDIS_URL", []string{"redis://redis-master.cache:6379/0", "rediss://redis.acme.internal:6380/2"}},
		{"KAFKA_BROKERS", []string{"kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092"}},
		{"KAFKA_TOPIC", []string{"orders.v1", "payments.events", "audit-log"}},
		{"KAFKA_GROUP_ID", []string{"orders-consumer", "billing-sync"}},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", []string{"http://otel-collector.observability:4317"}},
		{"OTEL_SERVICE_NAME", []string{"orders", "checkout", "gateway"}},
		{"OTEL_TRACES_SAMPLER", []string{"parentbased_traceidratio", "always_on"}},
		{"OTEL_TRACES_SAMPLER_ARG", []string{"0.1", "0.05", "1.0"}},
		{"FEATURE_FLAGS", []string{"new-checkout,async-export", "rate-limiting", ""}},
		{"CACHE_TTL_SECONDS", []string{"300", "60", "3600"}},
		{"REQUEST_TIMEOUT", []string{"30s", "5s", "2m"}},
		{"MAX_CONNECTIONS", []string{"100", "1000"}},
		{"JAVA_OPTS", []string{"-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -Dfile.encoding=UTF-8", "-Xms512m -Xmx1g"}},
		{"GOMAXPROCS", []string{"2", "4"}},
		{"GOMEMLIMIT", []string{"450MiB", "900MiB"}},
		{"TZ", []string{"UTC", "Europe/Berlin"}},
		{"ENVIRONMENT", []string{"production", "staging"}},
		{"AWS_REGION", []string{"eu-west-1", "us-east-1"}},
		{"S3_BUCKET", []string{"acme-prod-artifacts", "acme-exports"}},
		{"SENTRY_DSN", []string{"https://3f2a9c@o12345.ingest.sentry.io/678901"}},
		{"UPSTREAM_URL", []string{"http://inventory-api.team-02:8080", "https://api.partner.example/v2"}},
		{"RATE_LIMIT_RPS", []string{"100", "25"}},
		{"WORKER_CONCURRENCY", []string{"8", "16", "4"}},
		{"SHUTDOWN_GRACE_PERIOD", []string{"25s", "10s"}},
		{"AUTH_ISSUER_URL", []string{"https://auth.acme.example/realms/main"}},
		{"SMTP_HOST", []string{"smtp.sendgrid.net", "email-smtp.eu-west-1.amazonaws.com"}},
	}
	hostPaths = []struct{ path, typ string }{
		{"/var/run/docker.sock", "Socket"},
		{"/var/log", "Directory"},
		{"/proc", "Directory"},
		{"/etc/kubernetes", "DirectoryOrCreate"},
		{"/sys/fs/cgroup", "Directory"},
	}
	addedCaps = []string{"NET_ADMIN", "SYS_ADMIN", "NET_RAW", "SYS_PTRACE", "NET_BIND_SERVICE", "CHOWN", "SYS_TIME"}
)

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) base64(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(64)]
	}
	return string(b)
}

func (g *gen) newApp(team, app int, namespaced bool) *appInfo {
	a := &appInfo{
		team:      fmt.Sprintf("team-%02d", team),
		name:      pick(g, appWords...) + "-" + pick(g, appSuffixes...),
		component: pick(g, "backend", "frontend", "worker", "api", "batch"),
		version:   fmt.Sprintf("%d.%d.%d", 1+g.r.IntN(4), g.r.IntN(20), g.r.IntN(30)),
		port:      pick(g, 8080, 8080, 8000, 3000, 9000, 5000),
	}
	if namespaced {
		a.namespace = a.team
		if g.chance(0.15) {
			a.namespace = a.team + "-" + pick(g, "prod", "staging", "jobs")
		}
	}
	if reg := pick(g, registries...); reg != "" {
		a.image = reg + "/" + a.name
	} else {
		a.image = a.name
	}
	switch x := g.r.Float64(); {
	case x < 0.3:
		a.profile = hardened
	case x < 0.8:
		a.profile = typical
	default:
		a.profile = insecure
	}
	a.labels = [][2]string{
		{"app.kubernetes.io/name", a.name},
		{"app.kubernetes.io/instance", a.name + "-" + pick(g, "prod", "main", "blue", "green")},
		{"app.kubernetes.io/component", a.component},
		{"app.kubernetes.io/part-of", a.team},
	}
	if g.chance(0.6) {
		a.labels = append(a.labels, [2]string{"app.kubernetes.io/version", a.version})
	}
	if g.chance(0.5) {
		a.labels = append(a.labels, [2]string{"team", a.team})
	}
	return a
}

// A writer builds YAML text line by line.
type writer struct {
	b strings.Builder
}

func (w *writer) line(indent int, format string, args ...any) {
	for range indent {
		w.b.WriteByte(' ')
	}
	if len(args) == 0 {
		w.b.WriteString(format)
	} else {
		fmt.Fprintf(&w.b, format, args...)
	}
	w.b.WriteByte('\n')
}

// q quotes a YAML string scalar so that it stays a string ("true", "8080").
func q(s string) string { return strconv.Quote(s) }

func (w *writer) labels(indent int, labels [][2]string) {
	for _, l := range labels {
		w.line(indent, "%s: %s", l[0], q(l[1]))
	}
}

func (w *writer) meta(g *gen, a *appInfo, kind, name string, annotations bool) {
	w.line(0, "metadata:")
	w.line(2, "name: %s", name)
	if a.namespace != "" {
		w.line(2, "namespace: %s", a.namespace)
	}
	w.line(2, "labels:")
	w.labels(4, a.labels)
	if annotations && g.chance(0.5) {
		w.line(2, "annotations:")
		w.line(4, "kubernetes.io/description: %s", q(fmt.Sprintf("%s %s owned by %s", a.name, strings.ToLower(kind), a.team)))
		w.line(4, "acme.example/owner: %s", q(a.team+"@acme.example"))
		if g.chance(0.4) {
			w.line(4, "argocd.argoproj.io/sync-wave: %s", q(strconv.Itoa(g.r.IntN(5))))
		}
	}
}

// file returns the name and contents of one ordinary file of app a.
func (g *gen) file(a *appInfo) (string, []byte, error) {
	switch x := g.r.Float64(); {
	case x < 0.34:
		kind := g.workloadKind()
		var w writer
		if g.chance(0.3) {
			w.line(0, "# %s %s, managed by %s.", a.name, strings.ToLower(kind), a.team)
		}
		g.workload(&w, a, kind, g.chance(0.25))
		return strings.ToLower(kind) + ".yaml", []byte(w.b.String()), nil
	case x < 0.66:
		return "bundle.yaml", g.bundle(a), nil
	case x < 0.74:
		var w writer
		g.configMap(&w, a, a.name+"-"+pick(g, "config", "settings", "env", "files"))
		return "configmap.yaml", []byte(w.b.String()), nil
	case x < 0.78:
		var w writer
		g.secret(&w, a)
		return "secret.yaml", []byte(w.b.String()), nil
	case x < 0.82:
		var w writer
		g.service(&w, a)
		return "service.yaml", []byte(w.b.String()), nil
	case x < 0.85:
		return "namespace.yaml", g.namespaceFile(a), nil
	case x < 0.92:
		data, err := g.list(a)
		return "list.yaml", data, err
	case x < 0.96:
		data, err := g.jsonFile(a)
		return "manifest.json", data, err
	default:
		var w writer
		g.extra(&w, a)
		return "policy.yaml", []byte(w.b.String()), nil
	}
}

func (g *gen) workloadKind() string {
	switch x := g.r.Float64(); {
	case x < 0.55:
		return "Deployment"
	case x < 0.68:
		return "StatefulSet"
	case x < 0.76:
		return "DaemonSet"
	case x < 0.86:
		return "CronJob"
	case x < 0.94:
		return "Job"
	default:
		return "Pod"
	}
}

// bundle writes 2–5 documents of one application into one file.
func (g *gen) bundle(a *appInfo) []byte {
	var w writer
	n := 2 + g.r.IntN(4)
	if g.chance(0.4) {
		w.line(0, "---")
	}
	for i := range n {
		if i > 0 {
			w.line(0, "---")
		}
		switch {
		case i == 0:
			g.workload(&w, a, g.workloadKind(), g.chance(0.3))
		case i == 1:
			g.service(&w, a)
		case i == 2:
			g.configMap(&w, a, a.name+"-config")
		case i == 3 && g.chance(0.5):
			g.secret(&w, a)
		case g.chance(0.4):
			// A batch job beside the application, as migrations and
			// reports are shipped.
			g.workload(&w, a, pick(g, "CronJob", "Job"), false)
		default:
			g.extra(&w, a)
		}
	}
	if g.chance(0.1) {
		w.line(0, "---")
	}
	return []byte(w.b.String())
}

// list writes a v1/List of 2–4 items through the JSON-compatible data
// model and marshals it as YAML.
func (g *gen) list(a *appInfo) ([]byte, error) {
	items := []any{}
	for i := range 2 + g.r.IntN(3) {
		var w writer
		switch i {
		case 0:
			g.workload(&w, a, g.workloadKind(), false)
		case 1:
			g.service(&w, a)
		default:
			if g.chance(0.5) {
				g.configMap(&w, a, fmt.Sprintf("%s-list-%d", a.name, i))
			} else {
				g.extra(&w, a)
			}
		}
		var v any
		if err := yaml.Unmarshal([]byte(w.b.String()), &v); err != nil {
			return nil, fmt.Errorf("testgen: list item: %w", err)
		}
		items = append(items, v)
	}
	var b strings.Builder
	b.WriteString("# kubectl get all -o yaml\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items}
	if err := enc.Encode(list); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// jsonFile writes a workload or ConfigMap as indented JSON.
func (g *gen) jsonFile(a *appInfo) ([]byte, error) {
	var w writer
	if g.chance(0.7) {
		g.workload(&w, a, g.workloadKind(), false)
	} else {
		g.configMap(&w, a, a.name+"-json-config")
	}
	var v any
	if err := yaml.Unmarshal([]byte(w.b.String()), &v); err != nil {
		return nil, fmt.Errorf("testgen: json manifest: %w", err)
	}
	data, err := json.MarshalIndent(v, "", pick(g, "  ", "    "))
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func (g *gen) namespaceFile(a *appInfo) []byte {
	var w writer
	ns := a.namespace
	if ns == "" {
		ns = a.team
	}
	w.line(0, "apiVersion: v1")
	w.line(0, "kind: Namespace")
	w.line(0, "metadata:")
	w.line(2, "name: %s", ns)
	w.line(2, "labels:")
	w.line(4, "kubernetes.io/metadata.name: %s", ns)
	w.line(4, "team: %s", q(a.team))
	switch x := g.r.Float64(); {
	case x < 0.35:
		// No Pod Security labels.
	case x < 0.6:
		w.line(4, "pod-security.kubernetes.io/enforce: restricted")
		w.line(4, "pod-security.kubernetes.io/enforce-version: %s", pick(g, "latest", "v1.30", "v1.28"))
	case x < 0.85:
		w.line(4, "pod-security.kubernetes.io/enforce: baseline")
		w.line(4, "pod-security.kubernetes.io/warn: restricted")
		w.line(4, "pod-security.kubernetes.io/audit: restricted")
	default:
		w.line(4, "pod-security.kubernetes.io/enforce: privileged")
	}
	if g.chance(0.5) {
		w.line(2, "annotations:")
		w.line(4, "acme.example/cost-center: %s", q(strconv.Itoa(1000+g.r.IntN(9000))))
		w.line(4, "acme.example/slack: %s", q("#"+a.team))
	}
	return []byte(w.b.String())
}

// image returns a reference to repo (the application's image when empty)
// at tag (the application's version when empty), pinned, floating or
// :latest according to the application's profile.
func (g *gen) image(a *appInfo, repo, tag string) string {
	if repo == "" {
		repo, tag = a.image, a.version
	}
	switch a.profile {
	case hardened:
		if g.chance(0.9) {
			return fmt.Sprintf("%s:%s@sha256:%s", repo, tag, g.hex(64))
		}
	case insecure:
		if g.chance(0.5) {
			return pick(g, repo+":latest", repo)
		}
	}
	if g.chance(0.1) {
		return repo + ":latest"
	}
	if g.chance(0.2) {
		return fmt.Sprintf("%s@sha256:%s", repo, g.hex(64))
	}
	if repo == a.image {
		return repo + ":" + pick(g, tag, "v"+tag, tag+"-alpine", "stable")
	}
	return repo + ":" + tag
}

// workload writes a Deployment, StatefulSet, DaemonSet, CronJob, Job or
// Pod. With anchors, labels, env and security contexts are written once
// and reused through aliases and merge keys.
func (g *gen) workload(w *writer, a *appInfo, kind string, anchors bool) {
	name := a.name
	if kind == "CronJob" || kind == "Job" {
		name += "-" + pick(g, "cleanup", "report", "sync", "backup", "migrate")
	}
	api := map[string]string{"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "CronJob": "batch/v1", "Job": "batch/v1", "Pod": "v1"}[kind]
	w.line(0, "apiVersion: %s", api)
	w.line(0, "kind: %s", kind)
	if kind == "Pod" {
		w.meta(g, a, kind, name, true)
		w.line(0, "spec:")
		g.podSpec(w, a, 2, kind, anchors)
		return
	}
	w.line(0, "metadata:")
	w.line(2, "name: %s", name)
	if a.namespace != "" {
		w.line(2, "namespace: %s", a.namespace)
	}
	if anchors {
		w.line(2, "labels: &labels")
	} else {
		w.line(2, "labels:")
	}
	w.labels(4, a.labels)
	if g.chance(0.5) {
		w.line(2, "annotations:")
		w.line(4, "kubernetes.io/change-cause: %s", q("deploy "+a.version+" from CI pipeline #"+strconv.Itoa(1000+g.r.IntN(90000))))
		if a.profile == insecure && g.chance(0.3) {
			w.line(4, "ignore.kubeharden.io/run-as-root: %s", q("vendor image needs root; tracked in SEC-"+strconv.Itoa(100+g.r.IntN(900))))
		}
	}
	w.line(0, "spec:")
	tmpl := 2
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		if kind != "DaemonSet" {
			w.line(2, "replicas: %d", 1+g.r.IntN(6))
		}
		w.line(2, "revisionHistoryLimit: %d", pick(g, 3, 5, 10))
		if kind == "StatefulSet" {
			w.line(2, "serviceName: %s-headless", a.name)
			w.line(2, "podManagementPolicy: %s", pick(g, "OrderedReady", "Parallel"))
		}
		w.line(2, "selector:")
		w.line(4, "matchLabels:")
		w.line(6, "app.kubernetes.io/name: %s", q(a.name))
		w.line(6, "app.kubernetes.io/instance: %s", q(a.labels[1][1]))
		if kind == "Deployment" && g.chance(0.6) {
			w.line(2, "strategy:")
			w.line(4, "type: RollingUpdate")
			w.line(4, "rollingUpdate:")
			w.line(6, "maxSurge: %s", pick(g, "25%", "1"))
			w.line(6, "maxUnavailable: %s", pick(g, "0", "25%"))
		}
	case "CronJob":
		w.line(2, "schedule: %s", q(pick(g, "*/15 * * * *", "0 3 * * *", "30 1 * * 0", "0 */6 * * *")))
		w.line(2, "concurrencyPolicy: %s", pick(g, "Forbid", "Replace", "Allow"))
		w.line(2, "successfulJobsHistoryLimit: 3")
		w.line(2, "failedJobsHistoryLimit: 1")
		if g.chance(0.4) {
			w.line(2, "timeZone: %s", q("Europe/Berlin"))
		}
		w.line(2, "jobTemplate:")
		w.line(4, "spec:")
		w.line(6, "backoffLimit: %d", g.r.IntN(6))
		w.line(6, "activeDeadlineSeconds: %d", 600*(1+g.r.IntN(6)))
		tmpl = 6
	case "Job":
		w.line(2, "backoffLimit: %d", g.r.IntN(6))
		w.line(2, "ttlSecondsAfterFinished: %d", pick(g, 3600, 86400))
	}
	w.line(tmpl, "template:")
	w.line(tmpl+2, "metadata:")
	if anchors {
		w.line(tmpl+4, "labels: *labels")
	} else {
		w.line(tmpl+4, "labels:")
		w.labels(tmpl+6, a.labels)
	}
	if g.chance(0.6) {
		w.line(tmpl+4, "annotations:")
		w.line(tmpl+6, "prometheus.io/scrape: %s", q("true"))
		w.line(tmpl+6, "prometheus.io/port: %s", q("9102"))
		w.line(tmpl+6, "checksum/config: %s", g.hex(64))
		if g.chance(0.3) {
			w.line(tmpl+6, "kubectl.kubernetes.io/default-container: %s", "app")
		}
		if g.chance(0.35) {
			g.vaultAnnotations(w, a, tmpl+6)
		}
	}
	w.line(tmpl+2, "spec:")
	g.podSpec(w, a, tmpl+4, kind, anchors)
	if kind == "StatefulSet" {
		w.line(2, "volumeClaimTemplates:")
		w.line(4, "- metadata:")
		w.line(8, "name: data")
		w.line(6, "spec:")
		w.line(8, "accessModes: [ReadWriteOnce]")
		w.line(8, "storageClassName: %s", pick(g, "gp3", "standard-rwo", "fast-ssd"))
		w.line(8, "resources:")
		w.line(10, "requests:")
		w.line(12, "storage: %dGi", pick(g, 10, 20, 50, 100))
	}
}

// podSpec writes the fields of a PodSpec at indent.
func (g *gen) podSpec(w *writer, a *appInfo, in int, kind string, anchors bool) {
	p := a.profile
	w.line(in, "serviceAccountName: %s", a.name)
	if p == hardened || g.chance(0.3) {
		w.line(in, "automountServiceAccountToken: false")
	}
	hostNet := p == insecure && (kind == "DaemonSet" || g.chance(0.3))
	if hostNet {
		w.line(in, "hostNetwork: true")
		w.line(in, "dnsPolicy: ClusterFirstWithHostNet")
	}
	if p == insecure && g.chance(0.15) {
		w.line(in, "hostPID: true")
	}
	if kind == "CronJob" || kind == "Job" {
		w.line(in, "restartPolicy: %s", pick(g, "OnFailure", "Never"))
	} else if kind == "Pod" && g.chance(0.5) {
		w.line(in, "restartPolicy: Always")
	}
	w.line(in, "terminationGracePeriodSeconds: %d", pick(g, 30, 30, 60, 10))
	if p != insecure || g.chance(0.3) {
		uid := pick(g, 10001, 1000, 65532, 101)
		w.line(in, "securityContext:")
		if p != insecure || g.chance(0.5) {
			w.line(in+2, "runAsNonRoot: true")
			w.line(in+2, "runAsUser: %d", uid)
			w.line(in+2, "runAsGroup: %d", uid)
		} else {
			w.line(in+2, "runAsUser: 0")
		}
		w.line(in+2, "fsGroup: %d", uid)
		if p == hardened || g.chance(0.4) {
			w.line(in+2, "seccompProfile:")
			w.line(in+4, "type: RuntimeDefault")
		}
	}
	if g.chance(0.3) {
		w.line(in, "priorityClassName: %s", pick(g, "high-priority", "default-priority", "batch-low"))
	}
	if g.chance(0.5) {
		w.line(in, "nodeSelector:")
		w.line(in+2, "kubernetes.io/os: linux")
		if g.chance(0.5) {
			w.line(in+2, "node.kubernetes.io/pool: %s", pick(g, "general", "compute", "memory"))
		}
	}
	if g.chance(0.3) || kind == "DaemonSet" {
		w.line(in, "tolerations:")
		w.line(in+2, "- key: %s", pick(g, "dedicated", "node-role.kubernetes.io/control-plane", "spot"))
		w.line(in+4, "operator: %s", pick(g, "Exists", "Exists", "Equal"))
		w.line(in+4, "effect: NoSchedule")
	}
	if kind == "Deployment" && g.chance(0.5) {
		w.line(in, "affinity:")
		w.line(in+2, "podAntiAffinity:")
		w.line(in+4, "preferredDuringSchedulingIgnoredDuringExecution:")
		w.line(in+6, "- weight: 100")
		w.line(in+8, "podAffinityTerm:")
		w.line(in+10, "topologyKey: kubernetes.io/hostname")
		w.line(in+10, "labelSelector:")
		w.line(in+12, "matchLabels:")
		w.line(in+14, "app.kubernetes.io/name: %s", q(a.name))
		if g.chance(0.5) {
			w.line(in, "topologySpreadConstraints:")
			w.line(in+2, "- maxSkew: 1")
			w.line(in+4, "topologyKey: topology.kubernetes.io/zone")
			w.line(in+4, "whenUnsatisfiable: ScheduleAnyway")
			w.line(in+4, "labelSelector:")
			w.line(in+6, "matchLabels:")
			w.line(in+8, "app.kubernetes.io/name: %s", q(a.name))
		}
	}
	if g.chance(0.35) {
		w.line(in, "imagePullSecrets:")
		w.line(in+2, "- name: %s", pick(g, "regcred", "ghcr-pull", "ecr-pull"))
	}

	var hostPathVol *struct{ path, typ string }
	if p == insecure && g.chance(0.6) {
		hp := pick(g, hostPaths...)
		hostPathVol = &hp
	}
	// Init containers.
	if g.chance(0.35) {
		w.line(in, "initContainers:")
		for i, k := range g.r.Perm(len(inits))[:1+g.r.IntN(2)] {
			ic := inits[k]
			w.line(in+2, "- name: %s", ic.name)
			w.line(in+4, "image: %s", g.image(a, ic.image, ic.tag))
			w.line(in+4, "command: [\"sh\", \"-c\"]")
			w.line(in+4, "args:")
			w.line(in+6, "- %s", q(ic.cmd))
			g.resources(w, in+4, false)
			if i == 0 && ic.name == "migrate" {
				g.env(w, a, in+4, 3+g.r.IntN(4))
			}
			w.line(in+4, "volumeMounts:")
			w.line(in+6, "- name: tmp")
			w.line(in+8, "mountPath: /tmp")
			g.containerSecurity(w, a, in+4, false, nil)
		}
	}
	// Containers: the application and up to two sidecars.
	n := 1 + g.r.IntN(2)
	if g.chance(0.2) {
		n = 3
	}
	w.line(in, "containers:")
	anchorSC, anchorEnv := false, false
	sidecarOrder := g.r.Perm(len(sidecars))
	for i := range n {
		first := i == 0
		cname, repo, tag := "app", "", ""
		if !first {
			s := sidecars[sidecarOrder[i]]
			cname, repo, tag = s.name, s.image, s.tag
		} else if g.chance(0.5) {
			cname = a.name
		}
		w.line(in+2, "- name: %s", cname)
		w.line(in+4, "image: %s", g.image(a, repo, tag))
		w.line(in+4, "imagePullPolicy: %s", pick(g, "IfNotPresent", "IfNotPresent", "Always"))
		if first && g.chance(0.5) {
			w.line(in+4, "args:")
			for _, arg := range []string{"--config=/etc/app/config.yaml", fmt.Sprintf("--port=%d", a.port), "--log-format=json"}[:1+g.r.IntN(3)] {
				w.line(in+6, "- %s", q(arg))
			}
		}
		port := a.port
		if !first {
			port = 15000 + g.r.IntN(5000)
		}
		if kind != "CronJob" && kind != "Job" {
			w.line(in+4, "ports:")
			pname := pick(g, "http", "web", "grpc")
			if !first {
				pname = cname[:min(15, len(cname))]
			}
			w.line(in+6, "- name: %s", pname)
			w.line(in+8, "containerPort: %d", port)
			w.line(in+8, "protocol: TCP")
			if p == insecure && first && g.chance(0.3) {
				w.line(in+8, "hostPort: %d", port)
			}
			if first && g.chance(0.5) {
				w.line(in+6, "- name: metrics")
				w.line(in+8, "containerPort: 9102")
			}
		}
		switch {
		case first && anchors:
			w.line(in+4, "env: &env")
			g.envItems(w, a, in+6, 12+g.r.IntN(18))
			anchorEnv = true
		case anchorEnv && g.chance(0.6):
			w.line(in+4, "env: *env")
		default:
			g.env(w, a, in+4, envCount(g, first))
		}
		if first && g.chance(0.5) {
			w.line(in+4, "envFrom:")
			w.line(in+6, "- configMapRef:")
			w.line(in+10, "name: %s-config", a.name)
			if g.chance(0.5) {
				w.line(in+6, "- secretRef:")
				w.line(in+10, "name: %s-secrets", a.name)
				w.line(in+10, "optional: true")
			}
		}
		g.resources(w, in+4, first)
		if kind != "CronJob" && kind != "Job" && (first || g.chance(0.4)) {
			g.probes(w, in+4, port, first)
		}
		if first && kind != "CronJob" && kind != "Job" && g.chance(0.3) {
			w.line(in+4, "lifecycle:")
			w.line(in+6, "preStop:")
			w.line(in+8, "exec:")
			w.line(in+10, "command: [\"sh\", \"-c\", \"sleep 5\"]")
		}
		w.line(in+4, "volumeMounts:")
		w.line(in+6, "- name: config")
		w.line(in+8, "mountPath: /etc/app")
		w.line(in+8, "readOnly: true")
		w.line(in+6, "- name: tmp")
		w.line(in+8, "mountPath: /tmp")
		if kind == "StatefulSet" && first {
			w.line(in+6, "- name: data")
			w.line(in+8, "mountPath: /data")
		}
		if hostPathVol != nil && first {
			w.line(in+6, "- name: host")
			w.line(in+8, "mountPath: %s", "/host"+hostPathVol.path)
		}
		if g.chance(0.2) {
			w.line(in+4, "terminationMessagePolicy: FallbackToLogsOnError")
		}
		switch {
		case anchors && !anchorSC:
			g.containerSecurity(w, a, in+4, first, &anchorSC)
		case anchorSC && g.chance(0.5):
			w.line(in+4, "securityContext:")
			w.line(in+6, "<<: *sc")
			w.line(in+6, "runAsUser: %d", 20000+i)
		case anchorSC:
			w.line(in+4, "securityContext: *sc")
		default:
			g.containerSecurity(w, a, in+4, first, nil)
		}
	}
	w.line(in, "volumes:")
	w.line(in+2, "- name: config")
	w.line(in+4, "configMap:")
	w.line(in+6, "name: %s-config", a.name)
	if g.chance(0.3) {
		w.line(in+6, "defaultMode: 0440")
	}
	w.line(in+2, "- name: tmp")
	if g.chance(0.5) {
		w.line(in+4, "emptyDir: {}")
	} else {
		w.line(in+4, "emptyDir:")
		w.line(in+6, "sizeLimit: %s", pick(g, "64Mi", "256Mi", "1Gi"))
	}
	if hostPathVol != nil {
		w.line(in+2, "- name: host")
		w.line(in+4, "hostPath:")
		w.line(in+6, "path: %s", hostPathVol.path)
		w.line(in+6, "type: %s", hostPathVol.typ)
	}
	if g.chance(0.2) {
		w.line(in+2, "- name: certs")
		w.line(in+4, "secret:")
		w.line(in+6, "secretName: %s-tls", a.name)
		w.line(in+6, "items:")
		w.line(in+8, "- key: tls.crt")
		w.line(in+10, "path: tls.crt")
	}
}

// containerSecurity writes a container securityContext by profile. With
// anchor set, it writes the anchor &sc and records that it did.
func (g *gen) containerSecurity(w *writer, a *appInfo, in int, first bool, anchor *bool) {
	head := "securityContext:"
	if anchor != nil {
		head = "securityContext: &sc"
		*anchor = true
	}
	switch a.profile {
	case hardened:
		w.line(in, "%s", head)
		w.line(in+2, "allowPrivilegeEscalation: false")
		w.line(in+2, "readOnlyRootFilesystem: true")
		w.line(in+2, "runAsNonRoot: true")
		w.line(in+2, "capabilities:")
		if g.chance(0.5) {
			w.line(in+4, "drop: [\"ALL\"]")
		} else {
			w.line(in+4, "drop:")
			w.line(in+6, "- ALL")
		}
		if g.chance(0.3) {
			w.line(in+2, "seccompProfile:")
			w.line(in+4, "type: RuntimeDefault")
		}
	case typical:
		if g.chance(0.25) && anchor == nil {
			return // no securityContext at all
		}
		w.line(in, "%s", head)
		if g.chance(0.6) {
			w.line(in+2, "allowPrivilegeEscalation: false")
		}
		if g.chance(0.5) {
			w.line(in+2, "readOnlyRootFilesystem: %t", g.chance(0.7))
		}
		if g.chance(0.4) {
			w.line(in+2, "capabilities:")
			w.line(in+4, "drop:")
			w.line(in+6, "- ALL")
			if g.chance(0.3) {
				w.line(in+4, "add:")
				w.line(in+6, "- NET_BIND_SERVICE")
			}
		} else {
			w.line(in+2, "runAsNonRoot: %t", g.chance(0.8))
		}
	case insecure:
		w.line(in, "%s", head)
		if first && g.chance(0.5) {
			w.line(in+2, "privileged: true")
		} else {
			w.line(in+2, "allowPrivilegeEscalation: true")
		}
		if g.chance(0.6) {
			w.line(in+2, "capabilities:")
			w.line(in+4, "add:")
			for _, c := range g.r.Perm(len(addedCaps))[:1+g.r.IntN(3)] {
				w.line(in+6, "- %s", addedCaps[c])
			}
		}
		if g.chance(0.3) {
			w.line(in+2, "runAsUser: 0")
		}
	}
}

func (g *gen) env(w *writer, a *appInfo, in int, n int) {
	w.line(in, "env:")
	g.envItems(w, a, in+2, n)
}

func (g *gen) envItems(w *writer, a *appInfo, in int, n int) {
	start := g.r.IntN(len(envVars))
	for i := range min(n, len(envVars)) {
		v := envVars[(start+i)%len(envVars)]
		name := v.name
		w.line(in, "- name: %s", name)
		switch x := g.r.Float64(); {
		case x < 0.7:
			w.line(in+2, "value: %s", q(pick(g, v.values...)))
		case x < 0.85:
			w.line(in+2, "valueFrom:")
			w.line(in+4, "secretKeyRef:")
			w.line(in+6, "name: %s-secrets", a.name)
			w.line(in+6, "key: %s", strings.ToLower(strings.ReplaceAll(name, "_", "-")))
		case x < 0.93:
			w.line(in+2, "valueFrom:")
			w.line(in+4, "configMapKeyRef:")
			w.line(in+6, "name: %s-config", a.name)
			w.line(in+6, "key: %s", strings.ToLower(name))
		default:
			w.line(in+2, "valueFrom:")
			w.line(in+4, "fieldRef:")
			w.line(in+6, "fieldPath: %s", pick(g, "metadata.name", "metadata.namespace", "status.podIP", "spec.nodeName"))
		}
	}
}

func (g *gen) resources(w *writer, in int, first bool) {
	if !first && g.chance(0.2) {
		return
	}
	w.line(in, "resources:")
	w.line(in+2, "requests:")
	w.line(in+4, "cpu: %s", pick(g, "50m", "100m", "250m", "500m", "1"))
	w.line(in+4, "memory: %s", pick(g, "64Mi", "128Mi", "256Mi", "512Mi", "1Gi"))
	if g.chance(0.75) {
		w.line(in+2, "limits:")
		if g.chance(0.5) {
			w.line(in+4, "cpu: %s", q(pick(g, "500m", "1", "2")))
		}
		w.line(in+4, "memory: %s", pick(g, "256Mi", "512Mi", "1Gi", "2Gi"))
	}
}

func (g *gen) probes(w *writer, in, port int, first bool) {
	for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		if probe == "startupProbe" && !g.chance(0.3) {
			continue
		}
		w.line(in, "%s:", probe)
		switch {
		case first && g.chance(0.8):
			w.line(in+2, "httpGet:")
			w.line(in+4, "path: %s", pick(g, "/healthz", "/readyz", "/health/live", "/actuator/health"))
			w.line(in+4, "port: %d", port)
			if g.chance(0.2) {
				w.line(in+4, "httpHeaders:")
				w.line(in+6, "- name: X-Probe")
				w.line(in+8, "value: kubelet")
			}
		case g.chance(0.5):
			w.line(in+2, "tcpSocket:")
			w.line(in+4, "port: %d", port)
		default:
			w.line(in+2, "exec:")
			w.line(in+4, "command:")
			w.line(in+6, "- /bin/sh")
			w.line(in+6, "- -c")
			w.line(in+6, "- %s", q(fmt.Sprintf("wget -qO- http://127.0.0.1:%d/ping || exit 1", port)))
		}
		w.line(in+2, "initialDelaySeconds: %d", pick(g, 0, 5, 10, 15, 30))
		w.line(in+2, "periodSeconds: %d", pick(g, 5, 10, 15, 20))
		w.line(in+2, "timeoutSeconds: %d", pick(g, 1, 2, 3, 5))
		w.line(in+2, "failureThreshold: %d", pick(g, 3, 3, 5, 30))
	}
}

func (g *gen) service(w *writer, a *appInfo) {
	w.line(0, "apiVersion: v1")
	w.line(0, "kind: Service")
	w.meta(g, a, "Service", a.name, false)
	typ := pick(g, "ClusterIP", "ClusterIP", "ClusterIP", "NodePort", "LoadBalancer", "Headless")
	if typ == "LoadBalancer" {
		w.line(2, "annotations:")
		w.line(4, "service.beta.kubernetes.io/aws-load-balancer-type: %s", q("nlb"))
		w.line(4, "service.beta.kubernetes.io/aws-load-balancer-scheme: %s", q(pick(g, "internal", "internet-facing")))
	}
	w.line(0, "spec:")
	if typ == "Headless" {
		w.line(2, "type: ClusterIP")
		w.line(2, "clusterIP: None")
	} else {
		w.line(2, "type: %s", typ)
	}
	w.line(2, "selector:")
	w.line(4, "app.kubernetes.io/name: %s", q(a.name))
	w.line(4, "app.kubernetes.io/instance: %s", q(a.labels[1][1]))
	w.line(2, "ports:")
	w.line(4, "- name: http")
	w.line(6, "port: %d", pick(g, 80, 8080, 443))
	w.line(6, "targetPort: %d", a.port)
	w.line(6, "protocol: TCP")
	if typ == "NodePort" {
		w.line(6, "nodePort: %d", 30000+g.r.IntN(2768))
	}
	if g.chance(0.5) {
		w.line(4, "- name: metrics")
		w.line(6, "port: 9102")
		w.line(6, "targetPort: metrics")
	}
	if g.chance(0.2) {
		w.line(2, "sessionAffinity: ClientIP")
	}
}

var configLines = []string{
	"server:",
	"  port: %d",
	"  shutdownTimeout: 25s",
	"  readTimeout: 10s",
	"  writeTimeout: 30s",
	"database:",
	"  host: postgres.db.svc.cluster.local",
	"  port: 5432",
	"  name: %s",
	"  maxOpenConns: 20",
	"  maxIdleConns: 5",
	"  connMaxLifetime: 30m",
	"cache:",
	"  backend: redis",
	"  address: redis-master:6379",
	"  ttl: 5m",
	"logging:",
	"  level: info",
	"  format: json",
	"  fields:",
	"    team: %s",
	"tracing:",
	"  enabled: true",
	"  endpoint: http://otel-collector.observability:4317",
	"  sampleRatio: 0.1",
	"features:",
	"  newCheckout: false",
	"  asyncExport: true",
	"  rateLimiting: true",
	"queues:",
	"  - name: orders",
	"    concurrency: 8",
	"  - name: emails",
	"    concurrency: 2",
}

var nginxConf = `worker_processes auto;
pid /tmp/nginx.pid;
events {
  worker_connections 1024;
}
http {
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path       /tmp/proxy_temp_path;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  log_format json escape=json '{"time":"$time_iso8601","status":$status,"uri":"$request_uri","rt":$request_time}';
  access_log /dev/stdout json;
  sendfile on;
  keepalive_timeout 65;
  gzip on;
  gzip_types text/plain application/json application/javascript text/css;
  upstream backend {
    server 127.0.0.1:%d;
    keepalive 32;
  }
  server {
    listen 8080;
    server_name _;
    location /healthz { return 200 'ok'; }
    location /static/ {
      root /usr/share/nginx/html;
      expires 7d;
      add_header Cache-Control "public";
    }
    location / {
      proxy_pass http://backend;
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 60s;
    }
  }
}`

var logbackXML = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder class="net.logstash.logback.encoder.LogstashEncoder">
      <includeMdcKeyName>traceId</includeMdcKeyName>
      <includeMdcKeyName>spanId</includeMdcKeyName>
    </encoder>
  </appender>
  <logger name="org.springframework" level="WARN"/>
  <logger name="org.hibernate.SQL" level="WARN"/>
  <logger name="com.acme" level="INFO"/>
  <root level="INFO">
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>`

func (g *gen) configMap(w *writer, a *appInfo, name string) {
	w.line(0, "apiVersion: v1")
	w.line(0, "kind: ConfigMap")
	w.meta(g, a, "ConfigMap", name, true)
	w.line(0, "data:")
	for i := range 5 + g.r.IntN(12) {
		v := envVars[(i*7+len(name))%len(envVars)]
		w.line(2, "%s: %s", v.name, q(pick(g, v.values...)))
	}
	for f, kind := range g.r.Perm(4)[:1+g.r.IntN(3)] {
		switch kind {
		case 0:
			w.line(2, "config.yaml: |")
			for _, l := range configLines {
				if strings.Contains(l, "%d") {
					l = fmt.Sprintf(l, a.port)
				} else if strings.Contains(l, "%s") {
					l = fmt.Sprintf(l, strings.ReplaceAll(a.name, "-", "_"))
				}
				w.line(4, "%s", l)
			}
		case 1:
			w.line(2, "nginx.conf: |")
			for _, l := range strings.Split(fmt.Sprintf(nginxConf, a.port), "\n") {
				w.line(4, "%s", l)
			}
		case 2:
			w.line(2, "application.properties: |-")
			for i := range 10 + g.r.IntN(25) {
				v := envVars[(i+f)%len(envVars)]
				w.line(4, "acme.%s.%s=%s", a.name, strings.ToLower(v.name), pick(g, v.values...))
			}
		default:
			w.line(2, "logback.xml: |")
			for _, l := range strings.Split(logbackXML, "\n") {
				w.line(4, "%s", l)
			}
		}
	}
}

func (g *gen) secret(w *writer, a *appInfo) {
	w.line(0, "apiVersion: v1")
	w.line(0, "kind: Secret")
	if g.chance(0.3) {
		w.meta(g, a, "Secret", a.name+"-tls", false)
		w.line(0, "type: kubernetes.io/tls")
		w.line(0, "data:")
		w.line(2, "tls.crt: %s", g.base64(1600+g.r.IntN(400)))
		w.line(2, "tls.key: %s", g.base64(1600+g.r.IntN(200)))
		return
	}
	w.meta(g, a, "Secret", a.name+"-secrets", true)
	w.line(0, "type: Opaque")
	w.line(0, "data:")
	for i := range 3 + g.r.IntN(6) {
		w.line(2, "%s: %s", strings.ToLower(strings.ReplaceAll(envVars[(i*5)%len(envVars)].name, "_", "-")), g.base64(4*(4+g.r.IntN(20))))
	}
	if g.chance(0.4) {
		w.line(0, "stringData:")
		w.line(2, "database-url: %s", q(fmt.Sprintf("postgres://%s:changeme@postgres:5432/%s?sslmode=require", a.name, a.name)))
	}
}

// extra writes one of the supporting objects of an application.
func (g *gen) extra(w *writer, a *appInfo) {
	switch g.r.IntN(5) {
	case 0:
		w.line(0, "apiVersion: v1")
		w.line(0, "kind: ServiceAccount")
		w.meta(g, a, "ServiceAccount", a.name, false)
		if g.chance(0.4) {
			w.line(2, "annotations:")
			w.line(4, "eks.amazonaws.com/role-arn: %s", q("arn:aws:iam::123456789012:role/"+a.name))
		}
		w.line(0, "automountServiceAccountToken: %t", g.chance(0.3))
	case 1:
		w.line(0, "apiVersion: networking.k8s.io/v1")
		w.line(0, "kind: Ingress")
		w.meta(g, a, "Ingress", a.name, false)
		w.line(0, "spec:")
		w.line(2, "ingressClassName: nginx")
		w.line(2, "tls:")
		w.line(4, "- hosts: [%s]", q(a.name+".acme.example"))
		w.line(6, "secretName: %s-tls", a.name)
		w.line(2, "rules:")
		w.line(4, "- host: %s", q(a.name+".acme.example"))
		w.line(6, "http:")
		w.line(8, "paths:")
		w.line(10, "- path: /")
		w.line(12, "pathType: Prefix")
		w.line(12, "backend:")
		w.line(14, "service:")
		w.line(16, "name: %s", a.name)
		w.line(16, "port:")
		w.line(18, "name: http")
	case 2:
		w.line(0, "apiVersion: autoscaling/v2")
		w.line(0, "kind: HorizontalPodAutoscaler")
		w.meta(g, a, "HorizontalPodAutoscaler", a.name, false)
		w.line(0, "spec:")
		w.line(2, "scaleTargetRef:")
		w.line(4, "apiVersion: apps/v1")
		w.line(4, "kind: Deployment")
		w.line(4, "name: %s", a.name)
		w.line(2, "minReplicas: %d", 1+g.r.IntN(3))
		w.line(2, "maxReplicas: %d", 5+g.r.IntN(20))
		w.line(2, "metrics:")
		w.line(4, "- type: Resource")
		w.line(6, "resource:")
		w.line(8, "name: cpu")
		w.line(8, "target:")
		w.line(10, "type: Utilization")
		w.line(10, "averageUtilization: %d", pick(g, 60, 70, 80))
	case 3:
		w.line(0, "apiVersion: policy/v1")
		w.line(0, "kind: PodDisruptionBudget")
		w.meta(g, a, "PodDisruptionBudget", a.name, false)
		w.line(0, "spec:")
		w.line(2, "minAvailable: 1")
		w.line(2, "selector:")
		w.line(4, "matchLabels:")
		w.line(6, "app.kubernetes.io/name: %s", q(a.name))
	default:
		w.line(0, "apiVersion: networking.k8s.io/v1")
		w.line(0, "kind: NetworkPolicy")
		w.meta(g, a, "NetworkPolicy", a.name+"-ingress", false)
		w.line(0, "spec:")
		w.line(2, "podSelector:")
		w.line(4, "matchLabels:")
		w.line(6, "app.kubernetes.io/name: %s", q(a.name))
		w.line(2, "policyTypes: [Ingress, Egress]")
		w.line(2, "ingress:")
		w.line(4, "- from:")
		w.line(8, "- namespaceSelector:")
		w.line(12, "matchLabels:")
		w.line(14, "kubernetes.io/metadata.name: ingress-nginx")
		w.line(6, "ports:")
		w.line(8, "- port: %d", a.port)
		w.line(10, "protocol: TCP")
		w.line(2, "egress:")
		w.line(4, "- to:")
		w.line(8, "- namespaceSelector: {}")
		w.line(6, "ports:")
		w.line(8, "- port: 53")
		w.line(10, "protocol: UDP")
	}
}

// envCount is how many variables a container's env lists: applications
// take many, sidecars a few.
func envCount(g *gen, first bool) int {
	if first {
		return 10 + g.r.IntN(20)
	}
	return 3 + g.r.IntN(8)
}

// vaultAnnotations writes the Vault agent injector annotations, with the
// multi-line templates that render secrets into files.
func (g *gen) vaultAnnotations(w *writer, a *appInfo, in int) {
	w.line(in, "vault.hashicorp.com/agent-inject: %s", q("true"))
	w.line(in, "vault.hashicorp.com/role: %s", q(a.team+"-"+a.name))
	w.line(in, "vault.hashicorp.com/agent-pre-populate-only: %s", q("true"))
	for _, secret := range []string{"database", "api-keys", "tls"}[:1+g.r.IntN(3)] {
		w.line(in, "vault.hashicorp.com/agent-inject-secret-%s: %s", secret, q(fmt.Sprintf("secret/data/%s/%s/%s", a.team, a.name, secret)))
		w.line(in, "vault.hashicorp.com/agent-inject-template-%s: |", secret)
		w.line(in+2, "{{- with secret \"secret/data/%s/%s/%s\" -}}", a.team, a.name, secret)
		for _, k := range []string{"username", "password", "host", "port", "token", "endpoint"}[:2+g.r.IntN(5)] {
			w.line(in+2, "export %s_%s=\"{{ .Data.data.%s }}\"", strings.ToUpper(strings.ReplaceAll(secret, "-", "_")), strings.ToUpper(k), k)
		}
		w.line(in+2, "{{- end }}")
	}
}
