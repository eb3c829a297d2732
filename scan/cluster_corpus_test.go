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
	"cluster-admin-role/role-clusterrolebinding":    "the ClusterRoleBinding refers to a Role, which the API server rejects, so kubescape passes; rbac-wildcard-admin reports the Role's */* rule itself, bound or not",
	"ingress-and-egress-blocked/cronjob":            "the pod template sets hostNetwork: true, and NetworkPolicy does not apply to host-network pods, so workload-network-policy skips it (host-namespaces reports hostNetwork)",
	"serviceaccount-token-mount/both-mount":         "kubescape reports a mounted token only when a binding in the scan grants its ServiceAccount something; serviceaccount-token-automount notes every mounted token, since bindings often live outside the repository",
	"serviceaccount-token-mount/both-mount-default": "as both-mount: the token is mounted, no binding is scanned",
	"serviceaccount-token-mount/pod-mount":          "as both-mount: the pod sets automountServiceAccountToken: true, no binding is scanned",
}

func TestKubescapeCorpus(t *testing.T) {
	if _, err := os.Stat(kubescapeRules); err != nil {
		t.Skipf("corpus not present: %v", err)
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
				if slices.Contains(ours, f.Rule) {
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
		if f.Object != nil && f.Object.Kind == kind && f.Object.Name == name && !slices.Contains(rules, f.Rule) {
			rules = append(rules, f.Rule)
		}
	}
	sort.Strings(rules)
	return rules
}

var _ = strings.Join
