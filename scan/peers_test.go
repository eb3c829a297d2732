package scan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

const peerCorpus = "../../shared/corpus"

// Verdicts, the peer's and ours.
const (
	vPass = "pass"
	vFail = "fail"
	// vInvalid: we report invalid-input on the object instead of judging it.
	vInvalid = "invalid"
	// vUnscanned: the object lists containers, but we do not read it as a
	// workload (its group and kind are not one we know).
	vUnscanned = "unscanned"
	// vNone: the peer gives no verdict on the resource; it is not compared.
	vNone = "none"
)

// A peerTarget is one kind of our finding that answers a peer check: a rule,
// narrowed when set to one Pod Security check or to a field.
type peerTarget struct {
	rule     string
	pssCheck string // the finding's PSSCheck must be this
	field    string // the finding's Path must end with this
}

func (tg peerTarget) matches(f scan.Finding) bool {
	parts := append([]scan.Part{{Rule: f.Rule, PSSCheck: f.PSSCheck, Path: f.Path}}, f.Folded...)
	return slices.ContainsFunc(parts, func(p scan.Part) bool {
		return p.Rule == tg.rule &&
			(tg.pssCheck == "" || p.PSSCheck == tg.pssCheck) &&
			(tg.field == "" || strings.HasSuffix(p.Path, tg.field))
	})
}

// anyOf answers a peer check with any finding of the rules.
func anyOf(ids ...string) []peerTarget {
	var ts []peerTarget
	for _, id := range ids {
		ts = append(ts, peerTarget{rule: id})
	}
	return ts
}

// A peerDifference is a known disagreement: our verdict, so that a change of
// it is noticed, and why we differ. Reasons start with their category:
// "SEMANTICS:" (we mean something else on purpose), "THEIR BUG:" or
// "OUR BUG:".
type peerDifference struct {
	ours   string
	reason string
}

// Reasons shared by several known differences.
const (
	whyV1Deployment = "THEIR BUG: the fixture writes a built-in workload kind with apiVersion v1, which no API server serves (Deployment is apps/v1, CronJob batch/v1), " +
		"so kubectl would refuse it; we report invalid-input at its apiVersion and judge nothing else in it"
	whyDropList = "SEMANTICS: the peer accepts dropping named capabilities (NET_RAW alone, or Polaris's list of the 14 Docker/containerd defaults plus NET_ADMIN); " +
		"we require drop: [ALL], which Pod Security restricted requires too and which does not depend on the runtime's default set"
	whyPSPAnnotation = "THEIR BUG: seccomp.security.alpha.kubernetes.io/defaultProfileName is a PodSecurityPolicy annotation and does nothing on a Pod; " +
		"the pod runs without a seccomp profile, and Pod Security restricted rejects it"
	whySeccompAnnotation = "THEIR BUG: Checkov accepts the seccomp.security.alpha.kubernetes.io/pod annotation; kubelets ignore it since Kubernetes 1.25 " +
		"and it has no effect at all since 1.27 (kubernetes/kubernetes#109819, #114947), so the pod runs Unconfined; only the seccompProfile field counts"
	whyInvalid = "SEMANTICS: the object is not valid Kubernetes (%s); the API server would reject it, " +
		"so we report invalid-input at that field and judge nothing else, where Checkov fails the check"
	whyHighUID = "SEMANTICS: Checkov wants runAsUser >= 10000 to avoid UIDs shared with the host; " +
		"runAsUser: 1000 is not root, which is what run-as-root checks, and we do not require a UID range"
)

// knownDifferences is keyed by suite/check/fixture, plus " resource" where
// the peer counts per resource. The test fails on a difference missing from
// here and on an entry that no longer differs.
var knownDifferences = map[string]peerDifference{
	"polaris/runAsRootAllowed/failure.yaml":                          {vInvalid, whyV1Deployment},
	"polaris/runAsRootAllowed/success.yaml":                          {vInvalid, whyV1Deployment},
	"checkov/CKV_K8S_27/CronJob-pass.yaml CronJob.default.nginx-pod": {vInvalid, whyV1Deployment},
	"polaris/insecureCapabilities/success.yaml":                      {vFail, whyDropList},
	"polaris/insecureCapabilities/success.case.yaml":                 {vFail, whyDropList},
	"polaris/insecureCapabilities/success.pod.yaml":                  {vFail, whyDropList},

	"kube-score/Container Seccomp Profile/pod-seccomp-annotated.yaml":                     {vFail, whyPSPAnnotation},
	"kube-score/Container Seccomp Profile/pod-seccomp-annotated-annotation-optional.yaml": {vFail, whyPSPAnnotation},

	"checkov/CKV_K8S_20/pod-to-node-FAILED.yaml Pod.default.attacker-pod": {vPass, "SEMANTICS: the container is privileged, which implies escalation; " +
		"we report it as privileged-container (an error) and not again as privilege-escalation, and the pss-restricted finding on allowPrivilegeEscalation: true still marks that line"},
	"checkov/CKV_K8S_27/cloudwatch-agent-1PASSED-1FAILED.yaml DaemonSet.amazon-cloudwatch.fluentd-cloudwatch": {vFail, "SEMANTICS: Checkov flags only a hostPath of the Docker socket; " +
		"we flag every hostPath volume (here /var/log and /var/lib/docker/containers), since any host path is node access"},
	"checkov/CKV_K8S_28/pod-drop-NET_RAW-capabilities-PASSED.yaml Pod.default.pod-drop-net-raw-capability": {vFail, whyDropList},
	"checkov/CKV_K8S_23/rootContainersFAILED-malformed-spec.yaml Pod.default.pod1":                         {vInvalid, fmt.Sprintf(whyInvalid, "spec is a list")},
	"checkov/CKV_K8S_23/rootContainersFAILED.yaml Pod.default.pod4#2":                                      {vInvalid, fmt.Sprintf(whyInvalid, "runAsUser: username")},
	"checkov/CKV_K8S_23/rootContainersFAILED_2.yaml Deployment.external-dns.external-dns":                  {vInvalid, fmt.Sprintf(whyInvalid, "securityContext is the string \"runAsUser:65534 fsGroup:65534\"")},
	"checkov/CKV_K8S_40/rootContainersHighUIDFAILED.yaml Pod.default.pod4":                                 {vPass, whyHighUID},
	"checkov/CKV_K8S_40/rootContainersHighUIDFAILED.yaml Pod.default.pod4#2":                               {vInvalid, fmt.Sprintf(whyInvalid, "runAsUser: username")},
	"checkov/CKV_K8S_40/rootContainersHighUIDFAILED.yaml Pod.default.pod4#3":                               {vInvalid, fmt.Sprintf(whyInvalid, "securityContext is the string \"runAsUser:65534 fsGroup:65534\"")},
	"checkov/CKV_K8S_31/pod-seccomp-FAILED2.yaml Deployment.infra.app-cert-manager":                        {vInvalid, fmt.Sprintf(whyInvalid, "containerPort: \"9402\" is a string")},
	"checkov/CKV_K8S_31/cronjob-seccomp-PASSED.yaml CronJob.default.cronjob-passed":                        {vFail, whySeccompAnnotation},
	"checkov/CKV_K8S_31/pod-seccomp-PASSED.yaml Pod.default.seccomp-passed-metadata-annotations-docker":    {vFail, whySeccompAnnotation},
	"checkov/CKV_K8S_31/pod-seccomp-PASSED2.yaml Pod.default.seccomp-passed-metadata-annotations-runtime":  {vFail, whySeccompAnnotation},
	"checkov/CKV_K8S_31/pod-seccomp-PASSED6.yaml Deployment.default.seccomp-passed-metadata-annotations":   {vFail, whySeccompAnnotation},
}

// A peerObject is our scan of one object.
type peerObject struct {
	obj      *render.Object
	id       string // Kind.namespace.name, "#n" added for the n-th of one id in a file
	findings []scan.Finding
	invalid  bool
}

// scanPeerFile loads one fixture file and scans each object alone, so that
// every finding belongs to exactly one object.
func scanPeerFile(t *testing.T, dir, file string) []peerObject {
	t.Helper()
	ctx := context.Background()
	set, err := render.Load(ctx, []string{file}, render.Options{Dir: dir})
	if err != nil {
		t.Fatalf("%s: %v", filepath.Join(dir, file), err)
	}
	var out []peerObject
	seen := map[string]int{}
	for _, o := range set.Objects {
		ns := o.Namespace
		if ns == "" {
			ns = "default"
		}
		id := o.Kind + "." + ns + "." + o.Name
		if seen[id]++; seen[id] > 1 {
			id += fmt.Sprintf("#%d", seen[id])
		}
		fs, err := scan.Run(ctx, &render.Set{Objects: []*render.Object{o}}, scan.All, scan.Config{})
		if err != nil {
			t.Fatal(err)
		}
		r := peerObject{obj: o, id: id, invalid: len(set.Problems) > 0}
		for _, f := range fs {
			switch {
			case f.Suppressed != nil:
			case f.Rule == scan.InvalidInput.ID:
				r.invalid = true
			default:
				r.findings = append(r.findings, f)
			}
		}
		out = append(out, r)
	}
	return out
}

// workloadTemplates is where each workload kind keeps its pod template, by
// kind alone, to tell an object we do not read from one without a pod.
var workloadTemplates = map[string]string{
	"Pod": "", "PodTemplate": "template", "ReplicationController": "spec.template",
	"Deployment": "spec.template", "StatefulSet": "spec.template", "DaemonSet": "spec.template",
	"ReplicaSet": "spec.template", "Job": "spec.template", "CronJob": "spec.jobTemplate.spec.template",
	"DeploymentConfig": "spec.template",
}

// listsContainers reports whether o, read by kind alone, lists containers.
func listsContainers(o *render.Object) bool {
	tp, ok := workloadTemplates[o.Kind]
	if !ok {
		return false
	}
	segs, err := render.ParsePath(render.Join(tp, "spec.containers"))
	if err != nil {
		return false
	}
	n := render.ValueAt(o.Node, segs)
	return n != nil && n.Kind == yaml.SequenceNode && len(n.Content) > 0
}

// verdict is our verdict on one object for a peer check.
func (r peerObject) verdict(targets []peerTarget) string {
	if r.invalid {
		return vInvalid
	}
	for _, f := range r.findings {
		for _, tg := range targets {
			if tg.matches(f) {
				return vFail
			}
		}
	}
	if tp, ok := scan.TemplatePath(r.obj); (!ok || !r.obj.Has(render.Join(tp, "spec"))) && listsContainers(r.obj) {
		return vUnscanned
	}
	return vPass
}

// fileVerdict combines the verdicts of a file's objects: one failing object
// fails the file.
func fileVerdict(rs []peerObject, targets []peerTarget) string {
	if len(rs) == 0 {
		return vUnscanned
	}
	v := vPass
	for _, r := range rs {
		switch rv := r.verdict(targets); {
		case rv == vFail:
			return vFail
		case rv == vUnscanned, rv == vInvalid && v == vPass:
			v = rv
		}
	}
	return v
}

// evidence lists our findings of the targets, for failure messages.
func evidence(rs []peerObject, targets []peerTarget) string {
	var s []string
	for _, r := range rs {
		for _, f := range r.findings {
			for _, tg := range targets {
				if tg.matches(f) {
					s = append(s, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Path))
					break
				}
			}
		}
	}
	if len(s) == 0 {
		return "no finding of the mapped rules"
	}
	return strings.Join(s, "; ")
}

// A peerComparison is a peer's verdict on one fixture or resource beside ours.
type peerComparison struct {
	key, peer, ours, evidence string
}

// A peerTally counts one suite's comparisons.
type peerTally struct{ compared, agree, differ, known, notCompared int }

// comparePeers checks comparisons against knownDifferences and marks the
// entries it used.
func comparePeers(t *testing.T, cs []peerComparison, used map[string]bool) peerTally {
	t.Helper()
	var n peerTally
	for _, c := range cs {
		if c.peer == vNone {
			n.notCompared++
			continue
		}
		n.compared++
		d, known := knownDifferences[c.key]
		if known {
			used[c.key] = true
		}
		if c.peer != c.ours {
			n.differ++
		}
		switch {
		case c.peer == c.ours && !known:
			n.agree++
		case c.peer == c.ours:
			t.Errorf("%s: no longer differs (peer and we say %s); remove it from knownDifferences", c.key, c.ours)
		case !known:
			t.Errorf("%s: peer says %s, we say %s (%s); fix the scanner or add the difference, with its reason, to knownDifferences", c.key, c.peer, c.ours, c.evidence)
		case d.ours != c.ours:
			t.Errorf("%s: known difference expects our verdict %s, got %s (%s); review its reason", c.key, d.ours, c.ours, c.evidence)
		case d.reason == "":
			t.Errorf("%s: known difference has no reason", c.key)
		default:
			n.known++
		}
	}
	if n.compared == 0 {
		t.Fatal("no fixture compared")
	}
	return n
}

// TestPeers runs our scanner on the check fixtures of three other
// Kubernetes scanners (Polaris, kube-score, Checkov) and compares verdicts
// for the checks that mean the same as one of our rules. Every place where
// we disagree is listed, with its reason, in knownDifferences; docs/peers.md
// explains the mapping and the differences.
func TestPeers(t *testing.T) {
	if _, err := os.Stat(peerCorpus); err != nil {
		t.Fatalf("the peer fixtures are read from ../shared: %v", err)
	}
	used := map[string]bool{}
	ran := map[string]bool{}
	for _, s := range []struct {
		name string
		run  func(*testing.T) []peerComparison
	}{
		{"polaris", polarisComparisons},
		{"kube-score", kubeScoreComparisons},
		{"checkov", checkovComparisons},
	} {
		t.Run(s.name, func(t *testing.T) {
			ran[s.name] = true
			n := comparePeers(t, s.run(t), used)
			t.Logf("%s: %d compared, %d agree, %d differ (%d of them as knownDifferences says), %d without a peer verdict",
				s.name, n.compared, n.agree, n.differ, n.known, n.notCompared)
		})
	}
	var stale []string
	for k := range knownDifferences {
		if ran[strings.SplitN(k, "/", 2)[0]] && !used[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("knownDifferences[%q] matches no compared fixture; remove it", k)
	}
}

// Polaris: test/checks/<check>/ holds success*.yaml and failure*.yaml, run
// with only that check at severity danger. A failure file must give at
// least one danger, a success file none.
var polarisMapping = []struct {
	check   string
	targets []peerTarget
}{
	{"runAsRootAllowed", anyOf("run-as-root")},
	{"runAsPrivileged", anyOf("privileged-container")},
	{"privilegeEscalationAllowed", anyOf("privilege-escalation")},
	{"notReadOnlyRootFilesystem", anyOf("readonly-root-fs")},
	{"hostIPCSet", []peerTarget{{rule: "host-namespaces", field: ".hostIPC"}}},
	{"hostPIDSet", []peerTarget{{rule: "host-namespaces", field: ".hostPID"}}},
	{"hostNetworkSet", []peerTarget{{rule: "host-namespaces", field: ".hostNetwork"}}},
	{"hostPathSet", anyOf("host-path-volume")},
	{"hostPortSet", anyOf("host-port")},
	{"insecureCapabilities", anyOf("capabilities-drop-all")},
	{"dangerousCapabilities", anyOf("dangerous-capabilities")},
	{"tagNotSpecified", anyOf("image-latest-tag")},
	{"hostProcess", []peerTarget{{rule: "pss-baseline", pssCheck: "windowsHostProcess"}}},
	{"procMount", []peerTarget{{rule: "pss-baseline", pssCheck: "procMount"}}},
}

func polarisComparisons(t *testing.T) []peerComparison {
	var cs []peerComparison
	for _, m := range polarisMapping {
		dir := filepath.Join(peerCorpus, "polaris/test/checks", m.check)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			name := e.Name()
			peer := ""
			switch {
			case strings.HasPrefix(name, "success"):
				peer = vPass
			case strings.HasPrefix(name, "failure"):
				peer = vFail
			default:
				continue // mutated*.yaml, check.yaml
			}
			n++
			rs := scanPeerFile(t, dir, name)
			cs = append(cs, peerComparison{
				key: "polaris/" + m.check + "/" + name, peer: peer,
				ours: fileVerdict(rs, m.targets), evidence: evidence(rs, m.targets),
			})
		}
		if n == 0 {
			t.Fatalf("%s: no success or failure fixtures", dir)
		}
	}
	return cs
}

// kube-score: expected.json gives the grade of one check on a set of files.
var kubeScoreMapping = map[string][]peerTarget{
	"Container Security Context User Group ID":          anyOf("run-as-root"),
	"Container Security Context Privileged":             anyOf("privileged-container"),
	"Container Security Context ReadOnlyRootFilesystem": anyOf("readonly-root-fs"),
	"Container Image Tag":                               anyOf("image-latest-tag"),
	"Container Seccomp Profile":                         {{rule: "pss-restricted", pssCheck: "seccompProfile_restricted"}},
}

func kubeScoreComparisons(t *testing.T) []peerComparison {
	root := filepath.Join(peerCorpus, "kube-score")
	var exp struct {
		Cases []struct {
			Files         []string `json:"files"`
			CheckName     string   `json:"check_name"`
			ExpectedGrade string   `json:"expected_grade"`
		} `json:"cases"`
	}
	readPeerJSON(t, filepath.Join(root, "expected.json"), &exp)
	var cs []peerComparison
	mapped := map[string]bool{}
	for _, c := range exp.Cases {
		targets, ok := kubeScoreMapping[c.CheckName]
		if !ok {
			continue
		}
		mapped[c.CheckName] = true
		var peer string
		switch c.ExpectedGrade {
		case "GradeCritical", "GradeWarning":
			peer = vFail
		case "GradeAllOK", "GradeAlmostOK":
			peer = vPass
		default:
			peer = vNone // skipped: the check does not apply
		}
		var rs []peerObject
		for _, f := range c.Files {
			rs = append(rs, scanPeerFile(t, root, f)...)
		}
		cs = append(cs, peerComparison{
			key:  "kube-score/" + c.CheckName + "/" + strings.Join(baseNames(c.Files), "+"),
			peer: peer, ours: fileVerdict(rs, targets), evidence: evidence(rs, targets),
		})
	}
	for name := range kubeScoreMapping {
		if !mapped[name] {
			t.Errorf("kube-score expected.json has no case for %q", name)
		}
	}
	return cs
}

func baseNames(paths []string) []string {
	var s []string
	for _, p := range paths {
		s = append(s, filepath.Base(p))
	}
	return s
}

// Checkov: expected.json gives, per check and example dir, the number of
// resources that pass and fail (and for some checks their names). Per
// resource verdicts come from the names where given, else from the
// -PASSED/-FAILED convention of the file names, corrected by verdicts
// below; they must add up to the expected counts.
var checkovMapping = []struct {
	id, dir string
	targets []peerTarget
	// verdicts the file names do not give: "file" or "file resource" to
	// pass, fail or none (Checkov does not count it).
	verdicts map[string]string
}{
	{id: "CKV_K8S_20", dir: "example_AllowPrivilegeEscalation", targets: anyOf("privilege-escalation"),
		verdicts: map[string]string{"pod-runas1000-malformed-PASSED.yaml": vNone}},
	{id: "CKV_K8S_25", dir: "example_AllowedCapabilities",
		targets:  []peerTarget{{rule: "dangerous-capabilities"}, {rule: "pss-baseline", pssCheck: "capabilities_baseline"}},
		verdicts: map[string]string{"cronjob-UNKOWN.yaml": vNone}},
	{id: "CKV_K8S_39", dir: "example_AllowedCapabilitiesSysAdmin", targets: anyOf("dangerous-capabilities"),
		verdicts: map[string]string{"pod-FAILED2.yaml": vNone}},
	{id: "CKV_K8S_27", dir: "example_DockerSocketVolume", targets: anyOf("host-path-volume"),
		verdicts: map[string]string{
			"cloudwatch-agent-1PASSED-1FAILED.yaml DaemonSet.amazon-cloudwatch.cloudwatch-agent":   vFail,
			"cloudwatch-agent-1PASSED-1FAILED.yaml DaemonSet.amazon-cloudwatch.fluentd-cloudwatch": vPass,
			"scope-2PASSED-1FAILED.yaml Deployment.weave.weave-scope-app":                          vPass,
			"scope-2PASSED-1FAILED.yaml Deployment.weave.weave-scope-cluster-agent":                vPass,
			"scope-2PASSED-1FAILED.yaml DaemonSet.weave.weave-scope-agent":                         vFail,
		}},
	{id: "CKV_K8S_28", dir: "example_DropCapabilities", targets: anyOf("capabilities-drop-all")},
	{id: "CKV_K8S_37", dir: "example_DropCapabilities", targets: anyOf("capabilities-drop-all"),
		verdicts: map[string]string{"pod-drop-NET_RAW-capabilities-PASSED.yaml": vFail}},
	{id: "CKV_K8S_26", dir: "example_HostPort", targets: anyOf("host-port")},
	{id: "CKV_K8S_43", dir: "example_ImageDigest", targets: anyOf("image-digest", "image-latest-tag")},
	{id: "CKV_K8S_14", dir: "example_ImageTagFixed", targets: anyOf("image-latest-tag")},
	{id: "CKV_K8S_16", dir: "example_PrivilegedContainers", targets: anyOf("privileged-container")},
	{id: "CKV_K8S_22", dir: "example_ReadOnlyFilesystem", targets: anyOf("readonly-root-fs")},
	{id: "CKV_K8S_23", dir: "example_RootContainers", targets: anyOf("run-as-root")},
	{id: "CKV_K8S_40", dir: "example_RootContainersHighUID", targets: anyOf("run-as-root")},
	{id: "CKV_K8S_17", dir: "example_ShareHost", targets: []peerTarget{{rule: "host-namespaces", field: ".hostPID"}}},
	{id: "CKV_K8S_18", dir: "example_ShareHost", targets: []peerTarget{{rule: "host-namespaces", field: ".hostIPC"}}},
	{id: "CKV_K8S_19", dir: "example_ShareHost", targets: []peerTarget{{rule: "host-namespaces", field: ".hostNetwork"}}},
	{id: "CKV_K8S_31", dir: "example_Seccomp", targets: []peerTarget{{rule: "pss-restricted", pssCheck: "seccompProfile_restricted"}},
		verdicts: map[string]string{"template.yaml": vPass}},
}

func checkovComparisons(t *testing.T) []peerComparison {
	root := filepath.Join(peerCorpus, "checkov-k8s")
	var exp struct {
		Tests []struct {
			CheckID          string   `json:"check_id"`
			Dir              string   `json:"dir"`
			Passed           *int     `json:"expected_passed"`
			Failed           *int     `json:"expected_failed"`
			PassingResources []string `json:"passing_resources"`
			FailingResources []string `json:"failing_resources"`
		} `json:"tests"`
	}
	readPeerJSON(t, filepath.Join(root, "expected.json"), &exp)
	var cs []peerComparison
	for _, m := range checkovMapping {
		i := 0
		for i < len(exp.Tests) && (exp.Tests[i].CheckID != m.id || filepath.Base(exp.Tests[i].Dir) != m.dir) {
			i++
		}
		if i == len(exp.Tests) || exp.Tests[i].Passed == nil || exp.Tests[i].Failed == nil {
			t.Fatalf("checkov expected.json has no counts for %s in %s", m.id, m.dir)
		}
		e := exp.Tests[i]
		named := map[string]string{}
		for _, r := range e.PassingResources {
			named[r] = vPass
		}
		for _, r := range e.FailingResources {
			named[r] = vFail
		}
		dir := filepath.Join(root, e.Dir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		usedVerdict := map[string]bool{}
		count := map[string]int{}
		for _, en := range entries {
			file := en.Name()
			if en.IsDir() || !strings.HasSuffix(file, ".yaml") && !strings.HasSuffix(file, ".yml") && !strings.HasSuffix(file, ".json") {
				continue
			}
			for _, r := range scanPeerFile(t, dir, file) {
				if _, ok := workloadTemplates[r.obj.Kind]; !ok {
					continue // Checkov's workload checks read only workloads
				}
				res := file + " " + r.id
				peer, ok := m.verdicts[res]
				if ok {
					usedVerdict[res] = true
				} else if peer, ok = m.verdicts[file]; ok {
					usedVerdict[file] = true
				} else if len(named) > 0 {
					if peer, ok = named[strings.SplitN(r.id, "#", 2)[0]]; !ok {
						peer = vNone
					}
				} else if peer = checkovVerdictFromName(file); peer == "" {
					t.Errorf("%s/%s: file name gives no verdict for %s; add it to the verdicts of %s", m.dir, file, r.id, m.id)
					continue
				}
				count[peer]++
				cs = append(cs, peerComparison{
					key:  "checkov/" + m.id + "/" + res,
					peer: peer, ours: r.verdict(m.targets), evidence: evidence([]peerObject{r}, m.targets),
				})
			}
		}
		if count[vPass] != *e.Passed || count[vFail] != *e.Failed {
			t.Errorf("%s %s: the per-resource verdicts give %d passed and %d failed, Checkov expects %d and %d; correct the verdicts",
				m.id, m.dir, count[vPass], count[vFail], *e.Passed, *e.Failed)
		}
		for k := range m.verdicts {
			if !usedVerdict[k] {
				t.Errorf("%s %s: verdict for %q matches no resource", m.id, m.dir, k)
			}
		}
	}
	return cs
}

// checkovVerdictFromName reads Checkov's file-name convention: -PASSED, -FAILED,
// UNKNOWN (not counted). A name with both, or neither, gives "".
func checkovVerdictFromName(name string) string {
	n := strings.ToLower(name)
	p, f := strings.Contains(n, "pass"), strings.Contains(n, "fail")
	switch {
	case strings.Contains(n, "unknown") || strings.Contains(n, "unkown"):
		return vNone
	case p && f:
		return ""
	case f:
		return vFail
	case p:
		return vPass
	}
	return ""
}

func readPeerJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
