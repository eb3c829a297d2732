package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

func TestPlausibleSecret(t *testing.T) {
	for _, c := range []struct {
		name, value string
		want        bool
	}{
		{"DB_PASSWORD", "hunter2hunter2", true},
		{"admin-token", "opensesame42", true},
		{"DB_PASSWORD", "s3cr3t-Pa55word-x", true},
		{"API_TOKEN", "3b9c8e1f2a7d4c6b5e0f9a8d7c6b5a4e", true},
		{"DATABASE_URL", "postgres://app:Xq7Zp9L2mK@db:5432/app", true},
		{"", "ghp_k3Rz9QwX2mVb7LpN4sT8yH1cJ6fD0aGeUo5i", true},
		{"webhook-secret-namespace", "kubeflow", false},
		{"ADMIN_PASSWORD", "kubeflow", false},
		{"SECRET_NAME", "spark-operator-webhook-certs", false},
		{"SECRET", "redis-master-0", false},
		{"checksum/secret", "3b9c8e1f2a7d4c6b5e0f9a8d7c6b5a4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a", false},
		{"API_KEY", "sha256:3b9c8e1f2a7d4c6b5e0f9a8d7c6b5a4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a", false},
		{"valkey", "docker.io/bitnami/valkey:8.0.2-debian-12-r4", false},
		{"AUTH_TOKEN", "tokens.auth.svc.cluster.local", false},
		{"SECRET_KEY", "https://vault.example.com/v1/transit", false},
		{"token-dir", "Xq7Zp9L2mK4vT8wR", false},
		{"API_KEY", "./keys/api.pem", false},
		{"MASTER_KEY", "xxxxxxxxxxxx", false},
		{"MASTER_KEY", "abababababab", false},
		{"PASSWORD", "${DB_PASSWORD}", false},
		{"PASSWORD", "short1", false},
		{"DATABASE_URL", "postgres://app:${DB_PASSWORD}@db:5432/app", false},
	} {
		if got := plausibleSecret(c.name, c.value); got != c.want {
			t.Errorf("plausibleSecret(%q, %q) = %v, want %v", c.name, c.value, got, c.want)
		}
	}
}

// TestRedactionKeepsOrdinaryWords: a flag that names a Secret's namespace
// is not a credential, so the namespace's name stays readable in every
// message, while a real credential on the same container is still
// reported and redacted.
func TestRedactionKeepsOrdinaryWords(t *testing.T) {
	const password = "Xq7Zp9L2mK4vT8wR"
	pod := `apiVersion: v1
kind: Pod
metadata:
  name: spark-operator-webhook
  namespace: kubeflow
spec:
  containers:
    - name: webhook
      image: ghcr.io/kubeflow/spark-operator:2.1.0
      args:
        - --webhook-secret-namespace=kubeflow
        - --db-password=` + password + `
`
	objs, _ := render.Parse("pod.yaml", []byte(pod))
	set := &render.Set{Objects: objs, Texts: []render.Text{{File: "pod.yaml", Data: []byte(pod)}}}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	literal, named := 0, 0
	for _, f := range fs {
		if c := Lookup(f.Rule); c != nil && c.GitleaksAllow {
			literal++
		}
		if strings.Contains(f.Message, `"kubeflow/spark-operator-webhook"`) {
			named++
		}
		if strings.Contains(f.Message, "[redacted]/") || strings.Contains(f.Message, password) {
			t.Errorf("%s: %s", f.Rule, f.Message)
		}
	}
	if literal != 1 || named == 0 {
		t.Errorf("want one credential finding (the password) and messages naming kubeflow/spark-operator-webhook; got %d and %d: %+v", literal, named, fs)
	}
}

// TestURLCredentialsRedacted: a password in a connection URL is reported
// without its value and redacted from every other message.
func TestURLCredentialsRedacted(t *testing.T) {
	const password = "Rd5x"
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  CACHE: redis://:" + password + "@redis:6379/0\n"
	objs, _ := render.Parse("cm.yaml", []byte(cm))
	set := &render.Set{Objects: objs, Texts: []render.Text{{File: "cm.yaml", Data: []byte(cm)}},
		Problems: []render.Problem{{Kind: render.Invalid, Pos: render.Pos{File: "app/kustomization.yaml", Line: 1, Column: 1},
			Message: "does not build: patch quotes CACHE=redis://:" + password + "@redis:6379/0"}}}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range fs {
		found = found || f.Rule == URLCredential.ID
		if strings.Contains(f.Message, password) {
			t.Errorf("%s: message holds the password: %s", f.Rule, f.Message)
		}
	}
	if !found {
		t.Fatalf("url-credential did not report the URL: %+v", fs)
	}
}

// TestRealworldReferencesAreNotCredentials: on the public trees that
// exposed the defect, flags and annotations that name where a secret is
// (spark-operator's --webhook-secret-namespace=kubeflow, cert-manager's
// inject-ca-from-secret: namespace/name) are not credentials, and no
// message has a word redacted.
func TestRealworldReferencesAreNotCredentials(t *testing.T) {
	for _, dir := range []string{"realworld/kubeflow-manifests/applications/spark", "realworld/cert-manager"} {
		set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: corpus + "/" + dir})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := Run(context.Background(), set, All, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 0 {
			t.Fatalf("%s: no findings; was anything scanned?", dir)
		}
		for _, f := range fs {
			if f.Rule == CredentialLiteral.ID || strings.Contains(f.Message, "[redacted]") {
				t.Errorf("%s: %s:%d: %s: %s", dir, f.File, f.Line, f.Rule, f.Message)
			}
		}
	}
}
