package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghreport "github.com/kubeharden/kubeharden/report/github"
)

// decodedSecrets are planted base64-encoded or in parts that a template
// joins; they must not be printed whole either.
var decodedSecrets = []string{"AKIAQX7RZ2KD4NWYP3LM", "ghp_Q7wE3rT9yU1iO5pA8sD2fG6hJ4kL0zX7cV3bN1mQ"}

// fakeSecrets are credentials planted in the credential fixtures.
var fakeSecrets = []string{
	"ghp_k3Rz9QwX2mVb7LpN4sT8yH1cJ6fD0aGeUo5i",
	"hooks.slack.com/services/T0QX7RZ2K",
	"MIIEowIBAAKCAQEAwJ8mQ3ZlG5Yx8vN2k7tR1pQwE4sD6fH9jL0zX3cV5bN8mA2q",
	"YXdzX2FjY2Vzc19rZXlfaWQ6IEFLSUFRWDdSWjJLRDROV1lQM0xN",
	"hunter2hunter2",
	"opensesame42",
	"correct-horse-battery",
	"ghp_Z8mQ2rT5vW9xB3nK7pL1sD4fG6hJ0cV2aE8u",
	"ghp_Q7wE3rT9yU1iO5pA8sD2", "fG6hJ4kL0zX7cV3bN1mQ",
	"Tr0ub4dor-and-3", "V9x!q2Lm#8Rt4Zp6Yw1",
	// quoted by kustomize's error for a patch that does not parse
	"ghp_W3eR5tY7uI9oP1aS2dF4gH6jK8lZ0xC3vB5n",
}

var credentialFixtures = []string{"testdata/checks/plaintext-secret", "testdata/checks/secret-manifest", "testdata/checks/credential-literal", "testdata/helm/secrets", "testdata/kustomize/generator", "testdata/kustomize/broken-patch"}

// TestSecretsNeverPrinted scans fixtures with known fake credentials and
// checks that no output format, no GitHub file and no log holds any.
func TestSecretsNeverPrinted(t *testing.T) {
	var planted strings.Builder
	for _, dir := range credentialFixtures {
		if err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				planted.Write(b)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range fakeSecrets {
		if !strings.Contains(planted.String(), s) {
			t.Fatalf("fixture lost the planted secret %q: the test would prove nothing", s)
		}
	}

	dir := t.TempDir()
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", filepath.Join(dir, "output"))
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(dir, "summary"))
	t.Setenv("GITHUB_REPOSITORY", "acme/shop")
	t.Setenv("GITHUB_SHA", "abc")
	outputs := map[string]string{}
	for _, format := range []string{"text", "json", "sarif", "junit", "gitlab", "checkstyle"} {
		args := []string{"scan", "--format", format, "--sarif", filepath.Join(dir, format+".sarif")}
		if format == "text" {
			for _, r := range []string{"junit", "gitlab", "checkstyle"} {
				args = append(args, "--report", r+"="+filepath.Join(dir, "reports", r))
			}
		}
		args = append(args, credentialFixtures...)
		stdout, stderr, code := runCLI(t, args...)
		if code != exitFindings {
			t.Errorf("%s: exit %d", format, code)
		}
		outputs[format+" stdout"] = stdout
		outputs[format+" stderr"] = stderr
		b, _ := os.ReadFile(filepath.Join(dir, format+".sarif"))
		outputs[format+" sarif file"] = string(b)
	}
	for _, f := range []string{"output", "summary", "reports/junit", "reports/gitlab", "reports/checkstyle"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		outputs[f] = string(b)
	}
	if !strings.Contains(outputs["json stdout"], `"secretKind": "aws-access-token"`) || !strings.Contains(outputs["json stdout"], `"rule": "plaintext-secret"`) {
		t.Fatalf("the credentials were not detected:\n%s", outputs["json stdout"])
	}
	for _, name := range []string{"junit stdout", "gitlab stdout", "checkstyle stdout", "reports/junit", "reports/gitlab", "reports/checkstyle"} {
		if !strings.Contains(outputs[name], "plaintext-secret") {
			t.Errorf("%s has no plaintext-secret finding: the test would prove nothing", name)
		}
	}
	for name, out := range outputs {
		for _, s := range append(decodedSecrets, fakeSecrets...) {
			if strings.Contains(out, s) {
				t.Errorf("%s contains the secret %q", name, s)
			}
		}
	}
}

// TestSecretsNeverInReview: the pull request review is an output too. A
// pull request adds the credential fixtures but one, whose findings the
// review (nofilter: every finding) lists in its body, the others being
// commented inline, and a line that holds two credentials and a fixable
// setting; an earlier comment of kubeharden's is marked fixed. No request
// the fake GitHub received (reviews, comment edits, anything) and no log
// holds any planted credential.
func TestSecretsNeverInReview(t *testing.T) {
	f := newFakeGitHub(t)
	f.comments = append(f.comments, &github.PullRequestComment{ID: github.Int64(1), User: actionsBot, Path: github.String(credentialFile), Line: github.Int(1),
		Body: github.String("**error** [`x`]\n\n<!-- kubeharden:fingerprint=0000gone0000 -->")})
	addWhole(t, f, credentialFile)
	for _, dir := range credentialFixtures[1:] {
		if err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			rel, _ := filepath.Rel(repoRoot, p)
			f.addFile(filepath.ToSlash(rel), "added", fmt.Sprintf("@@ -0,0 +1,%d @@\n+", len(lines))+strings.Join(lines, "\n+"))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	githubEnv(t, f)
	args := append([]string{"scan", "--github-review", "--review-filter", "nofilter", credentialFile}, credentialFixtures...)
	stdout, stderr, code := runCLI(t, args...)
	if code != exitFindings {
		t.Errorf("exit %d", code)
	}
	posts := f.allPosts()
	if len(posts) != 1 || posts[0].Status != 200 {
		t.Fatalf("posts %+v\n%s", posts, stdout)
	}
	rv := posts[0].Review
	texts := map[string]string{"request": posts[0].Raw, "body": rv.GetBody(), "stdout": stdout, "stderr": stderr}
	secretComments := 0
	for i, c := range rv.Comments {
		texts[fmt.Sprintf("comment %d", i)] = c.GetBody()
		if strings.Contains(c.GetBody(), "[`plaintext-secret`]") {
			secretComments++
		}
	}
	if secretComments == 0 || len(ghreport.Markers(rv.GetBody())) == 0 {
		t.Fatalf("%d comments, %d on plaintext-secret, %d findings in the body: the test would prove little", len(rv.Comments), secretComments, len(ghreport.Markers(rv.GetBody())))
	}
	bodies := f.allBodies()
	if len(f.edits) != 1 || !slices.ContainsFunc(bodies, func(b string) bool { return strings.HasPrefix(b, "PATCH ") }) {
		t.Errorf("edits %v: the earlier comment was not marked fixed, the test would prove less", f.edits)
	}
	for i, b := range bodies {
		texts[fmt.Sprintf("request body %d", i)] = b
	}
	for name, text := range texts {
		for _, s := range append(append(decodedSecrets, fakeSecrets...), credentialLineSecrets...) {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the secret %q", name, s)
			}
		}
	}
}
