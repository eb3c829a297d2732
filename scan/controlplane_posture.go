package scan

import (
	"path"
	"strings"

	"github.com/kubeharden/kubeharden/render"
)

// MonitoringPosture notes, once per scan of control-plane configuration,
// what the configuration does not show of audit shipping and alerting.
var MonitoringPosture = &Check{
	ID: "monitoring-posture", Title: "No audit backend or alerting rules in the scanned configuration",
	Checklist: []string{"logging.monitoring", "staying-secure.scans"}, Severity: Note, SecuritySeverity: 2.0,
	Rationale: "Audit logs help only when they leave the node and someone is alerted on them. This is posture, not a defect of one object: the note appears once, at the first control-plane configuration object, and only when the scan holds control-plane configuration. " +
		"An audit backend is an API server --audit-webhook-config-file or a log shipper workload (Fluent Bit, Fluentd, Vector, Promtail, Filebeat, Logstash, OpenTelemetry Collector, Grafana Alloy); alerting is a PrometheusRule, VMRule or a Falco rules ConfigMap. " +
		"Keep them in another repository and accept the note with an ignore annotation that says where.",
	Remediation: "Ship audit logs to a backend (audit webhook or a log shipper) and keep alerting rules (PrometheusRule, Falco rules) under review with the cluster configuration.",
	Example:     "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: apiserver-alerts",
	Graph:       monitoringPosture,
}

var logShippers = []string{"fluent-bit", "fluentd", "vector", "promtail", "filebeat", "logstash", "opentelemetry-collector", "opentelemetry-collector-contrib", "alloy"}

func monitoringPosture(p *Pass, objs []*render.Object) {
	first := firstControlPlane(p, objs)
	if first == nil {
		return
	}
	backend, alerting := false, false
	for _, o := range objs {
		switch o.Kind {
		case "PrometheusRule", "VMRule":
			alerting = true
		case "ConfigMap":
			if strings.Contains(strings.ToLower(o.Name), "falco") {
				alerting = true
			}
		}
		for _, a := range componentArgs(p, o, apiServer) {
			if _, _, ok := a.get("audit-webhook-config-file"); ok {
				backend = true
			}
		}
		forContainers(p, o, func(pod *Pod, c Container) {
			repo := path.Base(parseImage(c.Image).repository)
			for _, s := range logShippers {
				if repo == s {
					backend = true
				}
			}
			if repo == "falco" {
				alerting = true
			}
		})
	}
	var miss []string
	if !backend {
		miss = append(miss, "no audit backend (audit webhook or log shipper)")
	}
	if !alerting {
		miss = append(miss, "no alerting rules (PrometheusRule, Falco rules)")
	}
	if len(miss) > 0 {
		p.Report(first, "", "the scanned control-plane configuration shows %s; make sure audit logs are shipped and alerted on elsewhere", strings.Join(miss, " and "))
	}
}
