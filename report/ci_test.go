package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/scan"
)

// ciFindings has what the CI formats must each handle: an accepted
// finding, findings at every severity, two that differ only by line (two
// problems reading one file), and a message quoting markup and a
// character XML cannot hold.
func ciFindings() []scan.Finding {
	web := &render.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	return []scan.Finding{
		{Rule: scan.InvalidInput.ID, Severity: scan.Error, Message: `a.yaml: mapping values <are> "not" allowed & so on` + "\x01",
			File: "a.yaml", Line: 2, Column: 1, Fingerprint: "f1"},
		{Rule: scan.InvalidInput.ID, Severity: scan.Error, Message: "a.yaml: tab", File: "a.yaml", Line: 9, Column: 1, Fingerprint: "f1"},
		{Rule: scan.RunAsRoot.ID, Severity: scan.Error, Message: `Deployment "shop/web": runs as root`, File: "b.yaml", Line: 3, Column: 5,
			Object: web, Path: "spec.template.spec.containers[0].securityContext.runAsUser", Fingerprint: "f2",
			Related: []render.Related{{File: "values.yaml", Line: 7, Message: "value set here"}}},
		{Rule: scan.PrivilegeEscalation.ID, Severity: scan.Warning, Message: `Deployment "shop/web": may escalate`, File: "b.yaml", Line: 4, Column: 5,
			Object: web, Path: "spec.template.spec.containers[0].securityContext", Fingerprint: "f3",
			Suppressed: &scan.Suppression{Kind: "annotation", Justification: "legacy image, ticket 12"}},
		{Rule: scan.ImageDigest.ID, Severity: scan.Note, Message: `Deployment "shop/web": not pinned`, File: "b.yaml", Line: 5, Column: 7,
			Object: web, Path: "spec.template.spec.containers[0].image", Fingerprint: "f4"},
	}
}

func TestJUnit(t *testing.T) {
	r := ciReport()
	for _, c := range []struct {
		failOn                          scan.Severity
		tests, failures, skipped, lines int
	}{
		{scan.Error, 5, 3, 1, 0},
		{scan.Note, 5, 4, 1, 0},
		{0, 5, 0, 1, 0},
	} {
		var b bytes.Buffer
		if err := (JUnit{FailOn: c.failOn}).Write(&b, r); err != nil {
			t.Fatal(err)
		}
		var doc junitSuites
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("fail-on %v: %v\n%s", c.failOn, err, b.String())
		}
		if doc.Tests != c.tests || doc.Failures != c.failures || doc.Skipped != c.skipped || len(doc.Suites) != 2 {
			t.Errorf("fail-on %v: %d tests, %d failures, %d skipped in %d suites; want %d, %d, %d in 2",
				c.failOn, doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites), c.tests, c.failures, c.skipped)
		}
		names := map[string]bool{}
		for _, s := range doc.Suites {
			failures, skipped := 0, 0
			for _, tc := range s.Cases {
				if names[s.Name+"\x00"+tc.Name] {
					t.Errorf("two testcases named %q in %s", tc.Name, s.Name)
				}
				names[s.Name+"\x00"+tc.Name] = true
				if tc.Classname != s.Name {
					t.Errorf("classname %q in suite %q", tc.Classname, s.Name)
				}
				if tc.Failure != nil {
					failures++
				}
				if tc.Skipped != nil {
					skipped++
				}
				if tc.Failure == nil && tc.Skipped == nil && (tc.SystemOut == nil || !strings.Contains(tc.SystemOut.Text, "Fix: ")) {
					t.Errorf("passing case %q without details: %q", tc.Name, tc.SystemOut)
				}
				if tc.Failure != nil && !strings.Contains(tc.Failure.Text, "\nFix: ") {
					t.Errorf("failure %q without the fix: %q", tc.Name, tc.Failure.Text)
				}
			}
			if s.Tests != len(s.Cases) || s.Failures != failures || s.Skipped != skipped {
				t.Errorf("suite %s counts %d/%d/%d, cases %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), failures, skipped)
			}
		}
		if c.failOn == scan.Error {
			out := b.String()
			for _, want := range []string{
				`name="run-as-root: Deployment shop/web spec.template.spec.containers[0].securityContext.runAsUser"`,
				`<skipped message="accepted (annotation): legacy image, ticket 12"></skipped>`,
				"at b.yaml:3:5", "also values.yaml:7: value set here", "Fix: " + scan.RunAsRoot.Remediation,
				`&lt;are&gt; &#34;not&#34; allowed &amp; so on` + "\uFFFD",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the report lacks %q:\n%s", want, out)
				}
			}
		}
	}
}

func TestCheckstyle(t *testing.T) {
	var b bytes.Buffer
	if err := (Checkstyle{}).Write(&b, ciReport()); err != nil {
		t.Fatal(err)
	}
	var doc checkstyleDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range doc.Files {
		for _, e := range f.Errors {
			got = append(got, f.Name+" "+e.Severity+" "+e.Source)
		}
	}
	want := "a.yaml error invalid-input|a.yaml error invalid-input|b.yaml error run-as-root|b.yaml info image-digest"
	if doc.Version != "4.3" || strings.Join(got, "|") != want {
		t.Errorf("version %s, errors %q; want 4.3, %q", doc.Version, strings.Join(got, "|"), want)
	}
	if !strings.Contains(b.String(), scan.RunAsRoot.Remediation) {
		t.Error("messages lack the fix")
	}
}

func TestGitLab(t *testing.T) {
	var b bytes.Buffer
	if err := (GitLab{}).Write(&b, ciReport()); err != nil {
		t.Fatal(err)
	}
	var issues []gitlabIssue
	if err := json.Unmarshal(b.Bytes(), &issues); err != nil {
		t.Fatal(err)
	}
	var got []string
	fps := map[string]bool{}
	for _, is := range issues {
		got = append(got, is.CheckName+" "+is.Severity)
		if fps[is.Fingerprint] {
			t.Errorf("fingerprint %s twice", is.Fingerprint)
		}
		fps[is.Fingerprint] = true
	}
	want := "invalid-input critical|invalid-input critical|run-as-root critical|image-digest info"
	if strings.Join(got, "|") != want {
		t.Errorf("issues %q, want %q", strings.Join(got, "|"), want)
	}
	if issues[2].Fingerprint != "f2" || issues[2].Location.Path != "b.yaml" || issues[2].Location.Lines.Begin != 3 {
		t.Errorf("issue %+v: want the finding's fingerprint, file and line", issues[2])
	}
	empty := bytes.Buffer{}
	if err := (GitLab{}).Write(&empty, New(Tool{Name: "kubeharden"}, nil, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if empty.String() != "[]\n" {
		t.Errorf("no findings: %q, want an empty array", empty.String())
	}
}

func TestGitLabSeverity(t *testing.T) {
	for _, c := range []struct {
		rule string
		sev  scan.Severity
		want string
	}{
		{scan.Lookup("rbac-wildcard-admin").ID, scan.Error, "blocker"}, // security-severity 9.0
		{scan.RunAsRoot.ID, scan.Error, "critical"},
		{scan.HostPort.ID, scan.Warning, "major"},                          // security-severity 5.0
		{scan.Lookup("workload-network-policy").ID, scan.Warning, "minor"}, // 3.0, raised to warning
		{scan.ImageDigest.ID, scan.Note, "info"},
		{scan.RunAsRoot.ID, scan.Note, "info"}, // lowered by the config
	} {
		if got := gitlabSeverity(scan.Finding{Rule: c.rule, Severity: c.sev}, scan.Lookup(c.rule)); got != c.want {
			t.Errorf("%s at %s: %s, want %s", c.rule, c.sev, got, c.want)
		}
	}
}

// ciReport is a report of ciFindings with the rules they are of.
func ciReport() *Report {
	r := New(Tool{Name: "kubeharden"}, ciFindings(), 2, 1)
	r.Rules = scan.All
	return r
}

func TestObjectName(t *testing.T) {
	for _, c := range []struct {
		ref  render.Ref
		want string
	}{
		{render.Ref{Kind: "Deployment", Namespace: "shop", Name: "web"}, "Deployment shop/web"},
		{render.Ref{Kind: "Namespace", Name: "shop"}, "Namespace shop"},
		{render.Ref{Kind: "KubeletConfiguration"}, "KubeletConfiguration"},
		{render.Ref{Kind: "Deployment", Namespace: "shop"}, "Deployment"},
	} {
		if got := objectName(&c.ref); got != c.want {
			t.Errorf("objectName(%+v) = %q, want %q", c.ref, got, c.want)
		}
	}
}
