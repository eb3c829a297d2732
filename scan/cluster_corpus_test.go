package scan_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

const kubescapeRules = "../../shared/corpus/kubescape-regolibrary/rules"

// kubescapeMapping maps the kubescape rules whose intent the cluster rules
// share to the rule ids whose findings mean "fail". A "*" in verbs or
// resources is reported by the wildcard rules, so they count wherever
// kubescape treats a wildcard as the permission it looks for.
var kubescapeMapping = map[string][]string{
	"rule-can-bind-escalate":                     {"rbac-escalation-verbs", "rbac-wildcard", "rbac-wildcard-admin"},
	"rule-can-impersonate-users-groups-v1":       {"rbac-escalation-verbs", "rbac-wildcard", "rbac-wildcard-admin"},
	"rule-can-list-get-secrets-v1":               {"rbac-cluster-secrets", "rbac-wildcard", "rbac-wildcard-admin"},
	"rule-can-create-pod":                        {"rbac-cluster-pod-create", "rbac-wildcard", "rbac-wildcard-admin"},
	"rule-list-all-cluster-admins-v1":            {"cluster-admin-binding", "rbac-wildcard-admin"},
	"cluster-admin-role":                         {"cluster-admin-binding", "rbac-wildcard-admin"},
	"exec-into-container-v1":                     {"rbac-exec-proxy", "rbac-wildcard", "rbac-wildcard-admin"},
	"rule-can-access-proxy-subresource":          {"rbac-exec-proxy", "rbac-wildcard", "rbac-wildcard-admin"},
	"anonymous-access-enabled":                   {"anonymous-binding"},
	"automount-service-account":                  {"serviceaccount-token-automount"},
	"serviceaccount-token-mount":                 {"serviceaccount-token-automount"},
	"workload-with-administrative-roles":         {"workload-admin-serviceaccount"},
	"ingress-and-egress-blocked":                 {"workload-network-policy"},
	"ensure_network_policy_configured_in_labels": {"workload-network-policy"},
}

// kubescapeKnownDifferences explains every case where our verdict differs
// from kubescape's; docs/cluster-rules.md has the longer story. The test
// fails on an unexplained difference and on an entry that no longer differs.
var kubescapeKnownDifferences = map[string]string{
	"cluster-admin-role/clusterrole-rolebinding":    "kubescape reads ClusterRoleBindings only; cluster-admin granted by a RoleBinding in kube-system controls the controllers' tokens there, so cluster-admin-binding reports it (and rbac-wildcard-admin the role's */* rule)",
	"exec-into-container-v1/clusterrole":            "the rule names resources [\"pods/*\"], which the RBAC authorizer does not read as a pattern (only \"*\" and \"*/exec\" are): it grants no exec, so rbac-exec-proxy does not report it",
	"cluster-admin-role/role-clusterrolebinding":    "the ClusterRoleBinding refers to a Role, which the API server rejects, so kubescape passes; rbac-wildcard-admin reports the Role's */* rule itself, bound or not",
	"ingress-and-egress-blocked/cronjob":            "the pod template sets hostNetwork: true, and NetworkPolicy does not apply to host-network pods, so workload-network-policy skips it (host-namespaces reports hostNetwork)",
	"serviceaccount-token-mount/both-mount":         "kubescape reports a mounted token only when a binding in the scan grants its ServiceAccount something; serviceaccount-token-automount notes every mounted token, since bindings often live outside the repository",
	"serviceaccount-token-mount/both-mount-default": "as both-mount: the token is mounted, no binding is scanned",
	"serviceaccount-token-mount/pod-mount":          "as both-mount: the pod sets automountServiceAccountToken: true, no binding is scanned",
}

func TestKubescapeCorpus(t *testing.T) {
	if _, err := os.Stat(kubescapeRules); err != nil {
		t.Fatalf("the kubescape corpus is read from ../shared: %v", err)
	}
	var ruleNames []string
	for r := range kubescapeMapping {
		ruleNames = append(ruleNames, r)
	}
	sort.Strings(ruleNames)
	agree, differ := 0, 0
	seen := map[string]bool{}
	for _, rule := range ruleNames {
		ours := kubescapeMapping[rule]
		cases, err := os.ReadDir(filepath.Join(kubescapeRules, rule, "test"))
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		for _, c := range cases {
			if !c.IsDir() {
				continue
			}
			name := rule + "/" + c.Name()
			dir := filepath.Join(kubescapeRules, rule, "test", c.Name())
			wantFail := kubescapeFails(t, filepath.Join(dir, "expected.json"))
			fs := scanCorpusDir(t, filepath.Join(dir, "input"))
			var hits []string
			for _, f := range fs {
				if slices.ContainsFunc(f.Rules(), func(r string) bool { return slices.Contains(ours, r) }) {
					hits = append(hits, f.Rule+": "+f.Message)
				}
			}
			gotFail := len(hits) > 0
			why, known := kubescapeKnownDifferences[name]
			seen[name] = true
			switch {
			case gotFail == wantFail && known:
				t.Errorf("%s: listed as a known difference (%s) but the verdicts now agree", name, why)
			case gotFail == wantFail:
				agree++
			case known:
				differ++
			default:
				t.Errorf("%s: kubescape says fail=%v, we say fail=%v; findings: %v", name, wantFail, gotFail, hits)
			}
		}
	}
	for name := range kubescapeKnownDifferences {
		if !seen[name] {
			t.Errorf("known difference %s names no corpus case", name)
		}
	}
	t.Logf("kubescape: %d cases agree, %d differ (explained)", agree, differ)
}

// kubescapeFails reads expected.json: an empty list is a pass.
func kubescapeFails(t *testing.T, path string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v []json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return len(v) > 0
}

// scanCorpusDir runs every rule over a corpus folder.
func scanCorpusDir(t *testing.T, dir string) []scan.Finding {
	t.Helper()
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := scan.Run(context.Background(), set, scan.All, scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// objectFlagged reports the rules that flagged an object of kind and name.
func objectFlagged(fs []scan.Finding, kind, name string) []string {
	var rules []string
	for _, f := range fs {
		if f.Object == nil || f.Object.Kind != kind || f.Object.Name != name {
			continue
		}
		for _, r := range f.Rules() {
			if !slices.Contains(rules, r) {
				rules = append(rules, r)
			}
		}
	}
	sort.Strings(rules)
	return rules
}

const goatScenarios = "../../shared/corpus/kubernetes-goat/scenarios"

// A goatExpectation is an intentionally insecure object of a Kubernetes
// Goat scenario and the rules that must flag it.
type goatExpectation struct {
	scenario, kind, name string
	rules                []string
}

// goatExpectations lists what each scenario teaches and the rules that
// catch it. The metadata-db scenario is a Helm chart, which plain loading
// does not render, and kyverno-namespace-exec-block is a defence, not a flaw.
var goatExpectations = []goatExpectation{
	// Crypto-mining in a batch Job: an unpinned image running as root.
	{"batch-check", "Job", "batch-check-job", []string{"image-latest-tag", "run-as-root", "workload-default-serviceaccount", "serviceaccount-token-automount"}},
	// Secrets baked into the image of a build service.
	{"build-code", "Deployment", "build-code-deployment", []string{"image-latest-tag", "run-as-root", "workload-network-policy"}},
	// Namespace bypass: nothing isolates secure-middleware from other namespaces.
	{"cache-store", "Namespace", "secure-middleware", []string{"namespace-default-deny", "namespace-pss-label"}},
	{"cache-store", "Deployment", "cache-store-deployment", []string{"workload-network-policy", "run-as-root"}},
	// Docker CIS benchmark DaemonSet: host namespaces and host paths.
	{"docker-bench-security", "DaemonSet", "docker-bench-security", []string{"privileged-container", "host-namespaces", "host-path-volume", "dangerous-capabilities"}},
	// DIND: a privileged pod with the container runtime socket.
	{"health-check", "Deployment", "health-check-deployment", []string{"privileged-container", "host-path-volume", "workload-network-policy"}},
	{"hidden-in-layers", "Job", "hidden-in-layers", []string{"image-latest-tag", "run-as-root"}},
	// DoS and a namespace-wide read of every core resource, Secrets included.
	{"hunger-check", "Role", "secret-reader", []string{"rbac-wildcard"}},
	{"hunger-check", "Namespace", "big-monolith", []string{"namespace-default-deny"}},
	{"hunger-check", "Deployment", "hunger-check-deployment", []string{"serviceaccount-token-automount", "workload-network-policy"}},
	// RBAC least-privilege misconfiguration: cluster-admin for a ServiceAccount.
	{"insecure-rbac", "ClusterRoleBinding", "superadmin", []string{"cluster-admin-binding"}},
	// SSRF into an internal API: the pod's traffic is unrestricted.
	{"internal-proxy", "Deployment", "internal-proxy-deployment", []string{"workload-network-policy", "workload-default-serviceaccount"}},
	// kube-bench on the control plane: tolerates and selects control-plane nodes, hostPID, host paths.
	{"kube-bench-security", "Job", "kube-bench-master", []string{"control-plane-scheduling", "host-namespaces", "host-path-volume"}},
	{"kube-bench-security", "Job", "kube-bench-node", []string{"host-namespaces", "host-path-volume"}},
	{"kubernetes-goat-home", "Deployment", "kubernetes-goat-home-deployment", []string{"workload-default-serviceaccount", "workload-network-policy"}},
	// Private registry with a :latest image.
	{"poor-registry", "Deployment", "poor-registry-deployment", []string{"image-latest-tag"}},
	// Host escape: privileged, host PID and IPC, the node's root mounted.
	{"system-monitor", "Deployment", "system-monitor-deployment", []string{"privileged-container", "host-namespaces", "host-path-volume"}},
}

func TestKubernetesGoat(t *testing.T) {
	if _, err := os.Stat(goatScenarios); err != nil {
		t.Fatalf("the Kubernetes Goat corpus is read from ../shared: %v", err)
	}
	byScenario := map[string][]scan.Finding{}
	for _, e := range goatExpectations {
		fs, ok := byScenario[e.scenario]
		if !ok {
			fs = scanCorpusDir(t, filepath.Join(goatScenarios, e.scenario))
			byScenario[e.scenario] = fs
		}
		got := objectFlagged(fs, e.kind, e.name)
		for _, r := range e.rules {
			if scan.Lookup(r) == nil {
				t.Errorf("%s: no rule %q", e.scenario, r)
			}
			if !slices.Contains(got, r) {
				t.Errorf("%s: %s %q is not flagged by %s (flagged by %s)", e.scenario, e.kind, e.name, r, strings.Join(got, ", "))
			}
		}
	}
}
