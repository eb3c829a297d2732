package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

const corpus = "../../shared/corpus"

// A peerCheck maps one check of another scanner to the findings of ours
// that answer it: the rule, the component the check applies to, and a
// pattern the finding's message must match (the flag in question).
type peerCheck struct {
	comp, rule string
	msg        *regexp.Regexp
}

func pc(comp, rule, msg string) peerCheck {
	return peerCheck{comp, rule, regexp.MustCompile(msg)}
}

// corpusScan runs every rule over dir and returns, for each object that
// runs comp, whether check found a problem with it.
func corpusScan(t *testing.T, dir string, cfg Config, check peerCheck, files ...string) (objs []*render.Object, failed map[*render.Object]bool) {
	t.Helper()
	if files == nil {
		files = []string{"."}
	}
	set, err := render.Load(context.Background(), files, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Run(context.Background(), set, All, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := newScanner(&cfg).pass(nil)
	failed = map[*render.Object]bool{}
	for _, o := range set.Objects {
		if !slices.ContainsFunc(strings.Split(check.comp, "|"), func(c string) bool { return len(componentArgs(p, o, c)) > 0 }) {
			continue
		}
		objs = append(objs, o)
		ref := o.Ref()
		for _, f := range fs {
			if f.Rule == check.rule && f.Object != nil && *f.Object == ref && f.File == o.File && check.msg.MatchString(f.Message) {
				failed[o] = true
			}
		}
	}
	return objs, failed
}

func resourceID(o *render.Object) string {
	ns := o.Namespace
	if ns == "" {
		ns = "default"
	}
	return o.Kind + "." + ns + "." + o.Name
}

// checkovChecks are the checkov checks our rules answer. The rest of
// checkov's control-plane checks (admission plugins, request timeout,
// service account key files, terminated-pod GC, kubelet hostname
// override, iptables chains, kernel defaults, streaming timeout) have no
// rule here; docs/control-plane.md lists them.
var checkovChecks = map[string]peerCheck{
	"CKV_K8S_68":  pc(apiServer, "apiserver-anonymous-auth", ""),
	"CKV_K8S_91":  pc(apiServer, "apiserver-audit-log", `audit-log-path`),
	"CKV_K8S_92":  pc(apiServer, "apiserver-audit-log", `audit-log-maxage`),
	"CKV_K8S_93":  pc(apiServer, "apiserver-audit-log", `audit-log-maxbackup`),
	"CKV_K8S_94":  pc(apiServer, "apiserver-audit-log", `audit-log-maxsize`),
	"CKV_K8S_75":  pc(apiServer, "apiserver-authorization-mode", `without Node|defaults to AlwaysAllow`),
	"CKV_K8S_74":  pc(apiServer, "apiserver-authorization-mode", `AlwaysAllow`),
	"CKV_K8S_77":  pc(apiServer, "apiserver-authorization-mode", `without (Node and )?RBAC|defaults to AlwaysAllow`),
	"CKV_K8S_69":  pc(apiServer, "static-credential-files", `basic-auth-file`),
	"CKV_K8S_70":  pc(apiServer, "static-credential-files", `token-auth-file`),
	"CKV_K8S_104": pc(apiServer, "secrets-encryption-at-rest", `encryption-provider-config`),
	"CKV_K8S_102": pc(apiServer, "apiserver-tls", `--etcd-cafile`),
	"CKV_K8S_99":  pc(apiServer, "apiserver-tls", `--etcd-(certfile|keyfile)`),
	"CKV_K8S_86":  pc(apiServer, "insecure-port", `insecure-bind-address`),
	"CKV_K8S_88":  pc(apiServer, "insecure-port", `--insecure-port`),
	"CKV_K8S_72":  pc(apiServer, "apiserver-tls", `--kubelet-client-(certificate|key)`),
	"CKV_K8S_71":  pc(apiServer, "apiserver-tls", `kubelet-https`),
	"CKV_K8S_90":  pc(apiServer, "profiling-enabled", ""),
	"CKV_K8S_89":  pc(apiServer, "insecure-port", `secure-port=0`),
	"CKV_K8S_96":  pc(apiServer, "service-account-lookup", ""),
	"CKV_K8S_105": pc(apiServer, "weak-tls", `cipher`),
	"CKV_K8S_100": pc(apiServer, "apiserver-tls", `--tls-(cert-file|private-key-file)`),
	"CKV_K8S_73":  pc(apiServer, "apiserver-tls", `--kubelet-certificate-authority`),
	"CKV_K8S_118": pc(etcdServer, "etcd-tls", `--auto-tls`),
	"CKV_K8S_116": pc(etcdServer, "etcd-tls", `--(cert-file|key-file)`),
	"CKV_K8S_117": pc(etcdServer, "etcd-tls", `--client-cert-auth`),
	"CKV_K8S_119": pc(etcdServer, "etcd-tls", `--peer-(cert-file|key-file)`),
	"CKV_K8S_121": pc(etcdServer, "etcd-tls", `--peer-client-cert-auth`),
	"CKV_K8S_107": pc(controllerManager, "profiling-enabled", ""),
	"CKV_K8S_138": pc(kubeletBin, "kubelet-anonymous-auth", ""),
	"CKV_K8S_139": pc(kubeletBin, "kubelet-authorization-mode", ""),
	"CKV_K8S_140": pc(kubeletBin, "kubelet-authentication", `client CA`),
	"CKV_K8S_151": pc(kubeletBin, "weak-tls", `cipher`),
	"CKV_K8S_148": pc(kubeletBin, "kubelet-serving-certificates", `self-signed|tls-cert-file|tls-private-key-file`),
	"CKV_K8S_141": pc(kubeletBin, "insecure-port", ""),
	"CKV_K8S_112": pc(kubeletBin+"|"+controllerManager, "kubelet-serving-certificates", `RotateKubeletServerCertificate`),
	"CKV_K8S_115": pc(schedulerBin, "control-plane-bind-address", ""),
	"CKV_K8S_114": pc(schedulerBin, "profiling-enabled", ""),
}

// checkovKnown are the differences from checkov's expectations, each with
// the reason we differ. The test fails when one no longer differs.
var checkovKnown = map[string]string{
	"CKV_K8S_74":  "a kube-apiserver without --authorization-mode (and without --authorization-config) runs AlwaysAllow, its real default; checkov passes it",
	"CKV_K8S_93":  "a missing retention flag matters only for a log file: without --audit-log-path we report the missing path (CKV_K8S_91), not the missing retention; checkov fails it too",
	"CKV_K8S_94":  "as CKV_K8S_93: a missing retention flag without --audit-log-path is not reported",
	"CKV_K8S_96":  "--service-account-lookup defaults to true since 1.7; checkov fails a manifest that omits it",
	"CKV_K8S_139": "a kubelet command line without --authorization-mode runs AlwaysAllow, the flag's real default (a KubeletConfiguration file defaults to Webhook); checkov passes it",
}

type checkovTest struct {
	CheckID        string   `json:"check_id"`
	Dir            string   `json:"dir"`
	ExpectedPassed *int     `json:"expected_passed"`
	ExpectedFailed *int     `json:"expected_failed"`
	Passing        []string `json:"passing_resources"`
	Failing        []string `json:"failing_resources"`
}

func TestCheckovControlPlane(t *testing.T) {
	var exp struct{ Tests []checkovTest }
	readJSON(t, filepath.Join(corpus, "checkov-k8s/expected.json"), &exp)
	agree, compared := 0, 0
	for _, ct := range exp.Tests {
		check, ok := checkovChecks[ct.CheckID]
		if !ok {
			continue
		}
		if ct.ExpectedFailed == nil && ct.ExpectedPassed == nil && ct.Failing == nil && ct.Passing == nil {
			t.Logf("%s: checkov's test asserts no counts or resources here; not compared", ct.CheckID)
			continue
		}
		compared++
		t.Run(ct.CheckID+"/"+filepath.Base(ct.Dir), func(t *testing.T) {
			objs, failed := corpusScan(t, filepath.Join(corpus, "checkov-k8s", ct.Dir), Config{}, check)
			var diffs []string
			if ct.ExpectedFailed != nil && *ct.ExpectedFailed != len(failed) {
				diffs = append(diffs, fmt.Sprintf("failed %d, checkov %d", len(failed), *ct.ExpectedFailed))
			}
			if ct.ExpectedPassed != nil && *ct.ExpectedPassed != len(objs)-len(failed) {
				diffs = append(diffs, fmt.Sprintf("passed %d, checkov %d", len(objs)-len(failed), *ct.ExpectedPassed))
			}
			var gotFail, gotPass []string
			for _, o := range objs {
				if failed[o] {
					gotFail = append(gotFail, resourceID(o))
				} else {
					gotPass = append(gotPass, resourceID(o))
				}
			}
			for _, c := range []struct {
				name      string
				want, got []string
			}{{"failing", ct.Failing, gotFail}, {"passing", ct.Passing, gotPass}} {
				if c.want == nil {
					continue
				}
				w, g := slices.Sorted(slices.Values(c.want)), slices.Sorted(slices.Values(c.got))
				if !slices.Equal(w, g) {
					diffs = append(diffs, fmt.Sprintf("%s %v, checkov %v", c.name, g, w))
				}
			}
			compareKnown(t, ct.CheckID, checkovKnown, diffs)
			if len(diffs) == 0 {
				agree++
			}
		})
	}
	t.Logf("checkov: %d of %d compared control-plane checks agree (%d mapped)", agree, compared, len(checkovChecks))
	// A corpus or mapping that stops matching must not pass by comparing
	// nothing: 37 of the 38 mapped checks are compared today.
	if compared < 35 {
		t.Errorf("only %d of checkov's %d mapped control-plane checks were compared, want at least 35", compared, len(checkovChecks))
	}
}

// compareKnown fails on a difference without a recorded reason and on a
// recorded reason for a difference that is gone.
func compareKnown(t *testing.T, id string, known map[string]string, diffs []string) {
	t.Helper()
	why, isKnown := known[id]
	switch {
	case len(diffs) > 0 && (!isKnown || why == ""):
		t.Errorf("%s: unexplained difference: %s", id, strings.Join(diffs, "; "))
	case len(diffs) > 0:
		t.Logf("%s: known difference (%s): %s", id, why, strings.Join(diffs, "; "))
	case isKnown && why != "":
		t.Errorf("%s: recorded as a known difference but agrees now; remove it from the table", id)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the corpus is read from ../shared: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// kubescapeRules are the regolibrary rules with Pod-manifest inputs that
// our rules answer. Rules whose inputs are Kubescape host-sensor JSON
// (control_plane_info.json, kubelet-info.json: file permissions and the
// kubelet's running command line collected on the node) are skipped: they
// describe a live node, not configuration a repository holds. Uncovered
// flag rules: DenyServiceExternalIPs, client-ca-file, request-timeout,
// service-account-extend-token-expiration, service-account-key-file,
// controller-manager root-ca-file, service-account-private-key-file,
// terminated-pod-gc-threshold, use-service-account-credentials, etcd-unique-ca.
var kubescapeRules = map[string]peerCheck{
	"ensure-that-the-api-server-anonymous-auth-argument-is-set-to-false":                                            pc(apiServer, "apiserver-anonymous-auth", ""),
	"ensure-that-the-api-server-audit-log-maxage-argument-is-set-to-30-or-as-appropriate":                           pc(apiServer, "apiserver-audit-log", `audit-log-maxage`),
	"ensure-that-the-api-server-audit-log-maxbackup-argument-is-set-to-10-or-as-appropriate":                        pc(apiServer, "apiserver-audit-log", `audit-log-maxbackup`),
	"ensure-that-the-api-server-audit-log-maxsize-argument-is-set-to-100-or-as-appropriate":                         pc(apiServer, "apiserver-audit-log", `audit-log-maxsize`),
	"ensure-that-the-api-server-audit-log-path-argument-is-set":                                                     pc(apiServer, "apiserver-audit-log", `audit-log-path`),
	"ensure-that-the-api-server-authorization-mode-argument-includes-Node":                                          pc(apiServer, "apiserver-authorization-mode", `without Node|defaults to AlwaysAllow`),
	"ensure-that-the-api-server-authorization-mode-argument-includes-RBAC":                                          pc(apiServer, "apiserver-authorization-mode", `without (Node and )?RBAC|defaults to AlwaysAllow`),
	"ensure-that-the-api-server-authorization-mode-argument-is-not-set-to-AlwaysAllow":                              pc(apiServer, "apiserver-authorization-mode", `AlwaysAllow`),
	"ensure-that-the-api-server-encryption-provider-config-argument-is-set-as-appropriate":                          pc(apiServer, "secrets-encryption-at-rest", `encryption-provider-config`),
	"ensure-that-the-api-server-etcd-cafile-argument-is-set-as-appropriate":                                         pc(apiServer, "apiserver-tls", `--etcd-cafile`),
	"ensure-that-the-api-server-etcd-certfile-and-etcd-keyfile-arguments-are-set-as-appropriate":                    pc(apiServer, "apiserver-tls", `--etcd-(certfile|keyfile)`),
	"ensure-that-the-api-server-kubelet-certificate-authority-argument-is-set-as-appropriate":                       pc(apiServer, "apiserver-tls", `--kubelet-certificate-authority`),
	"ensure-that-the-api-server-kubelet-client-certificate-and-kubelet-client-key-arguments-are-set-as-appropriate": pc(apiServer, "apiserver-tls", `--kubelet-client-(certificate|key)`),
	"ensure-that-the-api-server-profiling-argument-is-set-to-false":                                                 pc(apiServer, "profiling-enabled", ""),
	"ensure-that-the-api-server-secure-port-argument-is-not-set-to-0":                                               pc(apiServer, "insecure-port", `secure-port=0`),
	"ensure-that-the-api-server-service-account-lookup-argument-is-set-to-true":                                     pc(apiServer, "service-account-lookup", ""),
	"ensure-that-the-api-server-tls-cert-file-and-tls-private-key-file-arguments-are-set-as-appropriate":            pc(apiServer, "apiserver-tls", `--tls-(cert-file|private-key-file)`),
	"ensure-that-the-api-server-token-auth-file-parameter-is-not-set":                                               pc(apiServer, "static-credential-files", `token-auth-file`),
	"ensure-that-the-controller-manager-RotateKubeletServerCertificate-argument-is-set-to-true":                     pc(controllerManager, "kubelet-serving-certificates", `RotateKubeletServerCertificate`),
	"ensure-that-the-controller-manager-bind-address-argument-is-set-to-127.0.0.1":                                  pc(controllerManager, "control-plane-bind-address", ""),
	"ensure-that-the-controller-manager-profiling-argument-is-set-to-false":                                         pc(controllerManager, "profiling-enabled", ""),
	"ensure-that-the-scheduler-bind-address-argument-is-set-to-127.0.0.1":                                           pc(schedulerBin, "control-plane-bind-address", ""),
	"ensure-that-the-scheduler-profiling-argument-is-set-to-false":                                                  pc(schedulerBin, "profiling-enabled", ""),
	"etcd-auto-tls-disabled":      pc(etcdServer, "etcd-tls", `--auto-tls`),
	"etcd-client-auth-cert":       pc(etcdServer, "etcd-tls", `--client-cert-auth`),
	"etcd-peer-auto-tls-disabled": pc(etcdServer, "etcd-tls", `--peer-auto-tls`),
	"etcd-peer-client-auth-cert":  pc(etcdServer, "etcd-tls", `--peer-client-cert-auth`),
	"etcd-peer-tls-enabled":       pc(etcdServer, "etcd-tls", `--peer-(cert-file|key-file)`),
	"etcd-tls-enabled":            pc(etcdServer, "etcd-tls", `--(cert-file|key-file)`),
}

// kubescapeKnown are the differences from regolibrary's expectations,
// keyed rule/case, each with the reason.
var kubescapeKnown = map[string]string{
	"ensure-that-the-api-server-audit-log-maxage-argument-is-set-to-30-or-as-appropriate/failed":       noLogPath,
	"ensure-that-the-api-server-audit-log-maxbackup-argument-is-set-to-10-or-as-appropriate/failed":    noLogPath,
	"ensure-that-the-api-server-audit-log-maxsize-argument-is-set-to-100-or-as-appropriate/failed":     noLogPath,
	"ensure-that-the-api-server-audit-log-maxbackup-argument-is-set-to-10-or-as-appropriate/rke2-args": "--audit-log-maxbackup=10 meets the threshold; regolibrary asks for a review of any value in rke2 args",
	"ensure-that-the-api-server-audit-log-maxsize-argument-is-set-to-100-or-as-appropriate/rke2-args":  "--audit-log-maxsize=100 meets the threshold; regolibrary asks for a review of any value in rke2 args",
	"ensure-that-the-api-server-service-account-lookup-argument-is-set-to-true/failed":                 oneItem,
	"ensure-that-the-api-server-token-auth-file-parameter-is-not-set/failed":                           oneItem,
	"ensure-that-the-api-server-secure-port-argument-is-not-set-to-0/failed":                           "the manifest passes --secure-port=0 and later --secure-port=8443; kube-apiserver (pflag) takes the last value, so the TLS port is on",
	"ensure-that-the-controller-manager-bind-address-argument-is-set-to-127.0.0.1/rke2-args-fail":      "--bind-address=192.168.0.1 is a private address, not every address; we report only 0.0.0.0 and ::, regolibrary wants exactly 127.0.0.1",
}

const (
	noLogPath = "without --audit-log-path we report the missing path, not missing retention flags; regolibrary reports both"
	oneItem   = "a command item holding two flags separated by a space (\"--a=x --token-auth-file=f\") is one argument to the exec'd binary: the second flag is part of the first flag's value, so it is not set; regolibrary splits the item"
)

func TestKubescapeControlPlane(t *testing.T) {
	root := filepath.Join(corpus, "kubescape-regolibrary/rules")
	cases, agree := 0, 0
	for rule, check := range kubescapeRules {
		dirs, _ := filepath.Glob(filepath.Join(root, rule, "test", "*"))
		if len(dirs) == 0 {
			t.Errorf("%s: no test cases in the corpus", rule)
		}
		for _, dir := range dirs {
			yamls, _ := filepath.Glob(filepath.Join(dir, "input", "*.yaml"))
			if len(yamls) == 0 {
				continue // host-sensor JSON only
			}
			id := rule + "/" + filepath.Base(dir)
			t.Run(id, func(t *testing.T) {
				var files []string
				for _, y := range yamls {
					files = append(files, filepath.Join("input", filepath.Base(y)))
				}
				var exp []struct {
					AlertObject struct {
						K8sAPIObjects []struct {
							Metadata struct {
								Name string `json:"name"`
							} `json:"metadata"`
						} `json:"k8sApiObjects"`
					} `json:"alertObject"`
				}
				readJSON(t, filepath.Join(dir, "expected.json"), &exp)
				var want []string
				for _, a := range exp {
					for _, o := range a.AlertObject.K8sAPIObjects {
						want = append(want, o.Metadata.Name)
					}
				}
				objs, failed := corpusScan(t, dir, Config{}, check, files...)
				var got []string
				for _, o := range objs {
					if failed[o] {
						got = append(got, o.Name)
					}
				}
				want, got = slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))
				var diffs []string
				if !slices.Equal(want, got) {
					diffs = append(diffs, fmt.Sprintf("failing %v, kubescape %v", got, want))
				}
				compareKnown(t, id, kubescapeKnown, diffs)
				cases++
				if len(diffs) == 0 {
					agree++
				}
			})
		}
	}
	t.Logf("kubescape: %d of %d Pod-manifest cases agree", agree, cases)
}

// TestKubeNoTrouble checks every kind kube-no-trouble flags at a ruleset
// version is flagged by removed-api at that version ("future" rulesets, not
// tied to a Kubernetes release, by deprecated-api), and no other object of
// the fixture is.
func TestKubeNoTrouble(t *testing.T) {
	var exp struct {
		Cases []struct {
			Ruleset  string   `json:"ruleset"`
			Fixtures []string `json:"fixtures"`
			Kinds    []string `json:"expected_deprecated_kinds"`
		}
	}
	dir := filepath.Join(corpus, "kube-no-trouble")
	readJSON(t, filepath.Join(dir, "expected.json"), &exp)
	agree := 0
	for _, c := range exp.Cases {
		t.Run(c.Ruleset+"/"+strings.Join(c.Fixtures, ","), func(t *testing.T) {
			cfg, rule := Config{}, "deprecated-api"
			if c.Ruleset != "future" {
				cfg.KubeVersion = "1." + strings.TrimPrefix(c.Ruleset, "1")
				rule = "removed-api"
			}
			set, err := render.Load(context.Background(), c.Fixtures, render.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Run(context.Background(), set, All, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				if f.Rule == rule {
					got = append(got, f.Object.Kind)
				}
			}
			got = slices.Sorted(slices.Values(got))
			want := slices.Sorted(slices.Values(c.Kinds))
			if !slices.Equal(got, want) {
				t.Errorf("%s at %s: flagged %v, kube-no-trouble %v", rule, c.Ruleset, got, want)
				return
			}
			agree++
		})
	}
	t.Logf("kube-no-trouble: %d of %d cases agree", agree, len(exp.Cases))
}

// TestKubernetesTestdata runs the rules over configuration files from
// kubernetes/kubernetes and the audit policy of the Kubernetes docs.
func TestKubernetesTestdata(t *testing.T) {
	type verdict struct {
		file, rule, path string
		want             bool // a finding of rule at path (any path when "")
	}
	enc := "k8s-kubernetes-testdata/staging/src/k8s.io/apiserver/pkg/server/options/encryptionconfig/testdata/valid-configs/"
	kubeadm := "k8s-kubernetes-testdata/cmd/kubeadm/app/util/config/testdata/defaulting/controlplane/defaulted.yaml"
	for _, v := range []verdict{
		{enc + "identity-first.yaml", "secrets-encryption-at-rest", "resources[0].providers[0]", true},
		{enc + "aes-gcm-first.yaml", "secrets-encryption-at-rest", "", false},
		{enc + "kmsv2-first.yaml", "secrets-encryption-at-rest", "", false},
		{"k8s-website-examples/content/en/examples/audit/audit-policy.yaml", "audit-policy", "", false},
		// kubeadm writes Node,RBAC, loopback bind addresses and etcd TLS
		// into its manifests; it leaves anonymous auth, profiling, the
		// kubelet CA, encryption and audit to the user.
		{kubeadm, "apiserver-authorization-mode", "", false},
		{kubeadm, "control-plane-bind-address", "", false},
		{kubeadm, "etcd-tls", "", false},
		{kubeadm, "apiserver-anonymous-auth", "apiServer", true},
		{kubeadm, "secrets-encryption-at-rest", "apiServer", true},
		{kubeadm, "apiserver-audit-log", "apiServer", true},
		// Its defaulted KubeletConfiguration: anonymous off, Webhook,
		// client CA, rotation on; read-only port 0.
		{kubeadm, "kubelet-anonymous-auth", "", false},
		{kubeadm, "kubelet-authorization-mode", "", false},
		{kubeadm, "kubelet-authentication", "", false},
		{kubeadm, "insecure-port", "", false},
		{kubeadm, "unsupported-kubernetes-version", "kubernetesVersion", true},
		{"k8s-kubernetes-testdata/cmd/kubeadm/app/util/config/strict/testdata/valid_kubeletcfg.yaml", "kubelet-anonymous-auth", "", false},
	} {
		t.Run(filepath.Base(v.file)+"/"+v.rule, func(t *testing.T) {
			set, err := render.Load(context.Background(), []string{v.file}, render.Options{Dir: corpus})
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Run(context.Background(), set, All, Config{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				if f.Rule == v.rule && (v.path == "" || f.Path == v.path) {
					got = append(got, fmt.Sprintf("%d: %s", f.Line, f.Message))
				}
			}
			if v.want && len(got) == 0 {
				t.Errorf("no %s finding at %q", v.rule, v.path)
			}
			if !v.want && len(got) > 0 {
				t.Errorf("unexpected %s: %s", v.rule, strings.Join(got, "\n"))
			}
		})
	}
}
