package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// validators are the two offline checks GitHub's gates stand for:
// Microsoft's multitool with GitHub's rules, and the JSON-schema check
// upload-sarif runs (node, ../shared/sarif/validate.js, jsonschema 1.5.0
// on NODE_PATH).
type validators struct {
	multitool, node, schemaJS, nodePath string
}

// findValidators locates both validators as scripts/test installs them,
// or says which is missing.
func findValidators() (v validators, missing string) {
	v.multitool = os.Getenv("KUBEHARDEN_SARIF_MULTITOOL")
	if v.multitool == "" {
		v.multitool = filepath.Join(repoRoot, ".cache/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
	}
	if _, err := os.Stat(v.multitool); err != nil {
		return v, v.multitool
	}
	v.schemaJS = os.Getenv("KUBEHARDEN_SARIF_SCHEMA_JS")
	if v.schemaJS == "" {
		v.schemaJS = filepath.Join(repoRoot, "../shared/sarif/validate.js")
	}
	if _, err := os.Stat(v.schemaJS); err != nil {
		return v, v.schemaJS
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return v, "node"
	}
	v.node = node
	v.nodePath = os.Getenv("NODE_PATH")
	if v.nodePath == "" {
		v.nodePath = filepath.Join(repoRoot, ".cache/tools/node_modules")
	}
	cmd := exec.Command(node, "-e", "require('jsonschema')")
	cmd.Env = append(os.Environ(), "NODE_PATH="+v.nodePath)
	if out, err := cmd.CombinedOutput(); err != nil {
		return v, fmt.Sprintf("npm jsonschema@1.5.0 on NODE_PATH %s: %s", v.nodePath, out)
	}
	return v, ""
}

// check runs both validators over files and returns every error or
// warning either reports.
func (v validators) check(files []string) []string {
	var problems []string
	dir, err := os.MkdirTemp("", "kubeharden-multitool-")
	if err != nil {
		return []string{err.Error()}
	}
	defer os.RemoveAll(dir)
	args := append([]string{"validate"}, files...)
	res, err := exec.Command(v.multitool, append(args, "--rule-kind", "Sarif;Ghas", "-o", filepath.Join(dir, "out"), "--log", "ForceOverwrite")...).CombinedOutput()
	if err != nil {
		return []string{fmt.Sprintf("multitool: %v\n%s", err, res)}
	}
	for _, p := range regexp.MustCompile(`(?m)^.*: (error|warning) .*$`).FindAllString(string(res), -1) {
		problems = append(problems, "multitool: "+p)
	}
	if !strings.Contains(string(res), "Analysis completed successfully") {
		problems = append(problems, fmt.Sprintf("multitool did not complete:\n%s", res))
	}
	cmd := exec.Command(v.node, append([]string{v.schemaJS}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+v.nodePath)
	res, err = cmd.CombinedOutput()
	if err != nil {
		problems = append(problems, fmt.Sprintf("the SARIF 2.1.0 JSON schema, as upload-sarif checks it: %v\n%s", err, res))
	} else if n := strings.Count(string(res), ": 0 errors"); n != len(files) {
		problems = append(problems, fmt.Sprintf("schema check passed %d of %d files:\n%s", n, len(files), res))
	}
	return problems
}

// written keeps a copy of every SARIF log the CLI tests write, by content,
// for TestMain to validate once the tests are done: every SARIF file the
// suite writes goes through both validators.
var written struct {
	sync.Mutex
	dir       string
	files     map[[32]byte]string // content hash -> copy
	origin    map[string]string   // copy -> the test and command that wrote it
	validated map[[32]byte]bool
}

// collectSARIF copies the SARIF logs a CLI run with args wrote: --sarif
// (or the action's sarif-file input), and --format sarif to --output or
// stdout.
func collectSARIF(t *testing.T, args []string, stdout string) {
	if len(args) > 0 && args[0] == "action" {
		args = append([]string{"action"}, actionArgs(os.Getenv)...)
	}
	var files []string
	format, output := "", ""
	value := func(i int, a, name string) (string, bool) {
		for _, p := range []string{"-" + name, "--" + name} {
			if a == p && i+1 < len(args) {
				return args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v, true
			}
		}
		return "", false
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := value(i, a, "sarif"); ok {
			files = append(files, v)
		}
		if v, ok := value(i, a, "format"); ok {
			format = v
		}
		if v, ok := value(i, a, "output"); ok {
			output = v
		}
	}
	var logs [][]byte
	if format == "sarif" && output == "" && stdout != "" {
		logs = append(logs, []byte(stdout))
	}
	if format == "sarif" && output != "" {
		files = append(files, output)
	}
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			logs = append(logs, data)
		}
	}
	written.Lock()
	defer written.Unlock()
	for _, data := range logs {
		h := sha256.Sum256(data)
		if _, ok := written.files[h]; ok {
			continue
		}
		if written.dir == "" {
			d, err := os.MkdirTemp("", "kubeharden-sarif-")
			if err != nil {
				t.Fatal(err)
			}
			written.dir, written.files, written.origin = d, map[[32]byte]string{}, map[string]string{}
		}
		copy := filepath.Join(written.dir, fmt.Sprintf("%03d.sarif", len(written.files)))
		if err := os.WriteFile(copy, data, 0o644); err != nil {
			t.Fatal(err)
		}
		written.files[h] = copy
		written.origin[copy] = t.Name() + ": kubeharden " + strings.Join(args, " ")
	}
}

// markValidated records files a test validated already.
func markValidated(files []string) {
	written.Lock()
	defer written.Unlock()
	if written.validated == nil {
		written.validated = map[[32]byte]bool{}
	}
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			written.validated[sha256.Sum256(data)] = true
		}
	}
}

// validateWritten validates the SARIF logs the tests wrote and no test
// validated; it returns the exit code.
func validateWritten() int {
	written.Lock()
	defer written.Unlock()
	if written.dir == "" {
		return 0
	}
	defer os.RemoveAll(written.dir)
	var files []string
	for h, f := range written.files {
		if !written.validated[h] {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return 0
	}
	v, missing := findValidators()
	if missing != "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "FAIL: SARIF validator missing: %s; scripts/test installs it\n", missing)
			return 1
		}
		fmt.Fprintf(os.Stderr, "the %d SARIF logs the tests wrote are not validated: %s is not installed (run scripts/test)\n", len(files), missing)
		return 0
	}
	problems := v.check(files)
	if len(problems) == 0 {
		return 0
	}
	fmt.Fprintln(os.Stderr, "FAIL: SARIF logs written by the tests do not validate:")
	for _, f := range files {
		fmt.Fprintf(os.Stderr, "  %s: written by %s\n", f, written.origin[f])
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "  "+p)
	}
	return 1
}

// TestMain validates, after the tests, every SARIF log they wrote. With
// KUBEHARDEN_TEST_MAIN=1 the test binary is kubeharden itself, its
// arguments the command line (TestLibrariesPrintNothing).
func TestMain(m *testing.M) {
	if os.Getenv("KUBEHARDEN_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if c := validateWritten(); code == 0 {
		code = c
	}
	os.Exit(code)
}
