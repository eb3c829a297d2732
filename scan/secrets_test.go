package scan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/detect/codec"

	"github.com/kubeharden/kubeharden/internal/testgen"
	"github.com/kubeharden/kubeharden/render"
)

// corpus (the shared test corpus) is declared in controlplane_corpus_test.go.

// corpusTexts returns the text files of the corpus (no NUL byte, under 2 MiB).
func corpusTexts(t testing.TB, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil || info.Size() > 2<<20 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || bytes.IndexByte(b, 0) >= 0 {
			return nil
		}
		files[p] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files under %s", root)
	}
	return files
}

func leakSet(ls []leak) []string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%d:%d %s", l.line, l.column, l.rule))
	}
	slices.Sort(out)
	// gitleaks may report one match twice (raw and decoded); a set compares.
	return slices.Compact(out)
}

// TestWindowsMatchWholeFiles proves that running gitleaks only on the lines
// around keywords finds exactly what it finds over whole files, on every
// text file of the corpus.
func TestWindowsMatchWholeFiles(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	files := corpusTexts(t, corpus)
	var whole, windowed time.Duration
	found := 0
	for p, b := range files {
		t0 := time.Now()
		want := leakSet(s.findLeaksWhole(p, b))
		t1 := time.Now()
		got := leakSet(s.findLeaks(p, b))
		whole += t1.Sub(t0)
		windowed += time.Since(t1)
		found += len(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n windows: %v\n whole:   %v", p, got, want)
		}
	}
	if found < 40 {
		t.Errorf("only %d findings over the corpus: the comparison proves little", found)
	}
	t.Logf("%d files, %d findings; whole files %v, windows %v", len(files), found, whole, windowed)
}

// TestMayFindSound: on every window of every rule over the corpus and a
// generated tree, where mayFind says gitleaks finds nothing, gitleaks finds
// nothing. The windows it passes over for a match's entropy and for an
// allowlist are counted, so that the test shows it exercised both. The
// windows are made without the prefilters, which drop most of those
// (TestPrefiltersSound).
func TestMayFindSound(t *testing.T) {
	d, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	s := newSecrets(d.cfg)
	for _, rds := range s.byKeyword {
		for _, rd := range rds {
			rd.mayMatch, rd.before = nil, windowContext
		}
	}
	files := corpusTexts(t, corpus)
	gen := t.TempDir()
	if _, err := testgen.Tree(gen, 300, 5); err != nil {
		t.Fatal(err)
	}
	for p, b := range corpusTexts(t, gen) {
		files[p] = b
	}
	lowEntropy, allowlisted := 0, 0
	for p, b := range files {
		perRule, _ := s.windows(b)
		for rd, ws := range perRule {
			for _, w := range ws {
				raw := string(b[w.start:w.end])
				if rd.mayFind(raw) {
					continue
				}
				//lint:ignore SA1019 gitleaks v8 has no other call that takes a path and a start line
				if fs := rd.d.Detect(detect.Fragment{Raw: raw, FilePath: p, StartLine: w.line}); len(fs) > 0 {
					t.Errorf("%s:%d: mayFind passes over %d findings of %s", p, w.line, len(fs), rd.id)
				}
				for _, m := range rd.re.FindAllStringIndex(raw, -1) {
					match := strings.Trim(raw[m[0]:m[1]], "\n")
					secret, _ := ruleSecret(rd.re, rd.secretGroup, match)
					if rd.entropy != 0 && shannonEntropy(secret) <= rd.entropy {
						lowEntropy++
					} else {
						allowlisted++
					}
				}
			}
		}
	}
	if lowEntropy < 100 || allowlisted < 100 {
		t.Errorf("mayFind passed over %d matches for their entropy and %d for an allowlist: the test proves little", lowEntropy, allowlisted)
	}
	t.Logf("%d files; mayFind passed over %d matches for their entropy, %d for an allowlist", len(files), lowEntropy, allowlisted)
}

// TestWindowsFoldedLetters: gitleaks' case-insensitive expressions match
// a ſ where a keyword has an s, and a Kelvin sign where it has a k, which a
// search for keywords in lowercased text does not find (ſ) or finds at
// another offset (the Kelvin sign lowercases to one byte): such texts are
// searched whole, and findings match gitleaks' on whole files.
func TestWindowsFoldedLetters(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  key: plain\n  ſecret: Zx8Qw3Rt0a9b7c6d5e4f\n",
		"data:\n  \u212aey: Zx8Qw3Rt0a9b7c6d5e4f\n  token: Ab3Cd5Ef7Gh9Ij1Kl3Mn5\n",
		// Sixty Kelvin signs: lowercased, the password is 120 bytes, 30
		// lines, before where it is.
		"# " + strings.Repeat("\u212a", 60) + "\n" + strings.Repeat("a: 1\n", 30) + "password: Ab3Cd5Ef7Gh9Ij1Kl3Mn5\n",
	} {
		got, want := leakSet(s.findLeaks("x.yaml", []byte(text))), leakSet(s.findLeaksWhole("x.yaml", []byte(text)))
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%q: windows %v, whole %v", text, got, want)
		}
	}
}

// TestGitleaksTestdata: on gitleaks' own test data, our detection finds
// what gitleaks finds.
func TestGitleaksTestdata(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for p, b := range corpusTexts(t, corpus+"/gitleaks/testdata") {
		got, want := leakSet(s.findLeaks(p, b)), leakSet(s.findLeaksWhole(p, b))
		total += len(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: ours %v, gitleaks %v", p, got, want)
		}
	}
	if total == 0 {
		t.Fatal("no findings in gitleaks' test data")
	}
	t.Logf("%d findings, all as gitleaks reports them", total)
}

func TestRepositoryGitleaksConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".gitleaks.toml")
	if err := os.WriteFile(cfg, []byte(`
[extend]
useDefault = true

[[rules]]
id = "acme-internal-token"
description = "ACME internal token"
regex = '''acme_[a-z0-9]{24}'''
keywords = ["acme_"]

[allowlist]
regexes = ['''AKIAALLOWEDALLOWED12''']
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := loadSecrets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("a: acme_0123456789abcdefghijklmn\nb: AKIAQX7RZ2KD4NWYP3LM\nc: AKIAALLOWEDALLOWED12\n")
	got := leakSet(s.findLeaks("x.yaml", text))
	want := []string{"1:4 acme-internal-token", "2:4 aws-access-token"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v (custom rule, default rules, allowlist)", got, want)
	}

	if err := os.WriteFile(cfg, []byte("[extend]\npath = \"/etc/passwd\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSecrets(cfg); err == nil {
		t.Error("an extend.path that reads outside the repository was accepted")
	}
}

func TestSecretsExclude(t *testing.T) {
	for _, c := range []struct {
		glob, file string
		want       bool
	}{
		{"docs/**", "docs/a/b.yaml", true},
		{"docs/**", "deploy/docs.yaml", false},
		{"**/testdata/**", "a/testdata/x.yaml", true},
		{"**/testdata/**", "testdata/x.yaml", true},
		{"*.example.yaml", "app.example.yaml", true},
		{"*.example.yaml", "dir/app.example.yaml", false},
		{"charts/*/ci", "charts/web/ci/values.yaml", true},
	} {
		if got := excluded([]string{c.glob}, c.file); got != c.want {
			t.Errorf("%s ~ %s = %v, want %v", c.glob, c.file, got, c.want)
		}
	}
}

// TestDetectedValuesRedactedEverywhere: a value gitleaks detects is
// replaced in every message, whoever wrote it (here a renderer's error
// quoting the file), and a value it does not detect is left alone.
func TestDetectedValuesRedactedEverywhere(t *testing.T) {
	const token = "ghp_R2tY4uI6oP8aS0dF1gH3jK5lZ7xC9vB2nM4q"
	set := &render.Set{
		Texts: []render.Text{{File: "app/kustomization.yaml", Data: []byte("patches:\n  - patch: |-\n      token: " + token + "\n")}},
		Problems: []render.Problem{{Kind: render.Invalid, Pos: render.Pos{File: "app/kustomization.yaml", Line: 2, Column: 5},
			Message: "does not build: cannot parse patch \"token: " + token + "\" near level: debug-verbose"}},
	}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var detected, problem bool
	for _, f := range fs {
		detected = detected || f.Rule == "plaintext-secret"
		if f.Rule == InvalidInput.ID {
			problem = true
			if !strings.Contains(f.Message, "token: [redacted]") || !strings.Contains(f.Message, "debug-verbose") {
				t.Errorf("message %q: want the token redacted and the rest kept", f.Message)
			}
		}
		if strings.Contains(f.Message, token) {
			t.Errorf("%s: message holds the token: %s", f.Rule, f.Message)
		}
	}
	if !detected || !problem {
		t.Fatalf("findings %+v: want the credential and the problem", fs)
	}
}

// TestLiteralCredentialsRedacted: a value credential-literal reports (no
// gitleaks rule knows it) is redacted from other messages too.
func TestLiteralCredentialsRedacted(t *testing.T) {
	const password = "s3cr3t-Pa55word-x"
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: app:1.0.0\n      env:\n        - name: DB_PASSWORD\n          value: " + password + "\n"
	objs, _ := render.Parse("pod.yaml", []byte(pod))
	set := &render.Set{Objects: objs, Texts: []render.Text{{File: "pod.yaml", Data: []byte(pod)}},
		Problems: []render.Problem{{Kind: render.Invalid, Pos: render.Pos{File: "app/kustomization.yaml", Line: 1, Column: 1},
			Message: "does not build: patch quotes DB_PASSWORD=" + password}}}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	literal := false
	for _, f := range fs {
		literal = literal || f.Rule == "credential-literal"
		if strings.Contains(f.Message, password) {
			t.Errorf("%s: message holds the password: %s", f.Rule, f.Message)
		}
	}
	if !literal {
		t.Fatalf("credential-literal did not report the password: %+v", fs)
	}
}

// TestPathRules: a rule with a file path expression runs only on the files
// it names, as in gitleaks, and still reports them.
func TestPathRules(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	has := func(ls []leak, rule string) bool {
		return slices.ContainsFunc(ls, func(l leak) bool { return l.rule == rule })
	}
	text := []byte("binary: content\n")
	if got := s.findLeaks("certs/client.p12", text); !has(got, "pkcs12-file") || !has(s.findLeaksWhole("certs/client.p12", text), "pkcs12-file") {
		t.Errorf("certs/client.p12: %v, want pkcs12-file as gitleaks finds it", got)
	}
	if got := s.findLeaks("certs/client.yaml", text); has(got, "pkcs12-file") {
		t.Errorf("certs/client.yaml: %v, want no pkcs12-file", got)
	}
}

// TestMayBeEncoded: a line mayBeEncoded passes over holds nothing gitleaks'
// decoder decodes, but for the runs of one-case words it passes over by
// design (kube-prometheus-stack-operator): on every line of the corpus
// and on lines of each form the decoder reads.
func TestMayBeEncoded(t *testing.T) {
	lines := []string{
		`serviceMonitorSelectorNilUsesHelmValues: true`, `{{ printf "%s-%s" .Release.Name "x" }}`,
		`url: https://example.com/a%2Fb`, `name: \u0070assword`, `name: \\u0070assword`, `glyph: U+0041 `,
		`token: cGFzc3dvcmQ9aHVudGVyMg==`, `token: cGFzc3dvcmQ9aHVudGVyMg`, `key: 70617373776f72643d68756e74657232`,
		`camelCaseWithUnder_scoreAndMore: 1`, `CamelCase-With-HyphenAndMore: 1`, `abcdefghijklmnopqrstuvwxyzABCDEF`,
		`progress: 100%`, `%zz and %4`, `\u12`, `U+12`, `id: emlObkhiSGR-dWpvdXpj`,
		`home: https://github.com/prometheus-community/helm-charts`, `key: 70617373776f72643d68756e74657232/x-y`,
		`k: cGFzc3dvcmQ9aHVudGVyMg/a-b`, `k: 70617373776f72643d68756e74657232cGFzc3dvcmQ9aHVudGVyMg-_`,
		`k: cGFzc3dvcmQ9aHVudGVyMj8/Pg==`, `k: cGFzc3dvcmQ9aHVudGVyMj8/Pg`, `k: dXNlcjpwYXNzPz4+a2V5PTE=`, `k: dXNlcjpwYXNzPz4-a2V5PTE`,
		`k: 70617373776f72643d68756e74657232-cGFzc3dvcmQ9aHVudGVyMj8`, `k: 70617373776f72643d68756e7465723`,
		`image: x@sha256:51efc1d926b7420bc3ae094ec30a56fef54f06443f4f7bbd1495c1c56c9a35e0`,
		`tls.key: Ds4w8hN08rk2rW9OH+2BMMhWC2FBIHXeQRDGGiJ+zxLe83zfNDPWhFyh`, `name: team-55-payments-backend`,
	}
	for _, b := range corpusTexts(t, corpus) {
		lines = append(lines, strings.Split(string(b), "\n")...)
	}
	decodable := 0
	for _, line := range lines {
		if _, segs := codec.NewDecoder().Decode(line, nil); len(segs) > 0 {
			decodable++
		}
		if mayBeEncoded([]byte(line)) {
			continue
		}
		masked := base64Runs.ReplaceAllStringFunc(line, func(r string) string {
			if len(r) >= 16 && !strings.ContainsAny(r, "0123456789+/") &&
				(strings.ToLower(r) == r || strings.ToUpper(r) == r) {
				return strings.Repeat(" ", len(r))
			}
			return r
		})
		if _, segs := codec.NewDecoder().Decode(masked, nil); len(segs) > 0 {
			t.Errorf("passed over, but the decoder decodes it: %q", line)
		}
	}
	if decodable < 50 {
		t.Errorf("%d lines the decoder decodes; want the corpus's and the forms'", decodable)
	}
}

// base64Runs are the runs of the alphabet of the decoder's base64 pattern;
// those of letters of one case joined by - or _ mayBeEncoded passes over
// by design.
var base64Runs = regexp.MustCompile(`[\w/+-]+`)
