package main

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// A runnerCommand is a workflow command as the Actions runner reads it.
type runnerCommand struct{ name, props, data string }

var runnerLines = regexp.MustCompile(`\r\n|\r|\n`)

// runnerCommands reads a step's output as the Actions runner does: lines
// split on \n and \r; a line that starts with "::" after leading white
// space is "::name props::data", and otherwise "##[name props]data"
// anywhere in a line is a command. Any name counts, registered or not,
// which is stricter than the runner. "::stop-commands::TOKEN" turns
// commands off until a command named TOKEN. It returns the commands
// processed and the stop token still in force at the end, if any.
func runnerCommands(out string) (cmds []runnerCommand, stopped string) {
	for _, line := range runnerLines.Split(out, -1) {
		c, ok := parseCommand(line)
		if !ok {
			continue
		}
		if stopped != "" {
			if strings.EqualFold(c.name, stopped) {
				stopped = ""
			}
			continue
		}
		if c.name == "stop-commands" {
			stopped = c.data
		}
		cmds = append(cmds, c)
	}
	return cmds, stopped
}

func parseCommand(line string) (runnerCommand, bool) {
	if t := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(t, "::") {
		if end := strings.Index(t[2:], "::"); end >= 0 {
			name, props, _ := strings.Cut(t[2:2+end], " ")
			return runnerCommand{name, props, t[2+end+2:]}, true
		}
	}
	if i := strings.Index(line, "##["); i >= 0 {
		if rb := strings.Index(line[i:], "]"); rb >= 0 {
			name, props, _ := strings.Cut(line[i+3:i+rb], " ")
			return runnerCommand{name, props, line[i+rb+1:]}, true
		}
	}
	return runnerCommand{}, false
}

var unescapeProperty = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")

// checkCommands fails the test unless the only commands the runner would
// see in out are annotations (on files in files, with our properties and
// no legacy command in the message) and, when fenced, one stop-commands
// pair with a random token. It returns the files annotated.
func checkCommands(t *testing.T, stream, out string, files []string, fenced bool) []string {
	t.Helper()
	cmds, stopped := runnerCommands(out)
	if stopped != "" {
		t.Errorf("%s: commands stay stopped after the output (token %q)", stream, stopped)
	}
	var annotated []string
	fences := 0
	for _, c := range cmds {
		switch c.name {
		case "stop-commands":
			fences++
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(c.data) {
				t.Errorf("%s: stop-commands token %q is not 32 random hex digits", stream, c.data)
			}
		case "error", "warning", "notice":
			if strings.Contains(c.data, "##[") {
				t.Errorf("%s: a legacy command in an annotation message: %q", stream, c.data)
			}
			if c.props == "" {
				continue
			}
			for _, p := range strings.Split(c.props, ",") {
				k, v, _ := strings.Cut(p, "=")
				v = unescapeProperty.Replace(v)
				switch k {
				case "file":
					if !slices.Contains(files, v) {
						t.Errorf("%s: annotation on a file that was not scanned: %q (%+v)", stream, v, c)
					}
					annotated = append(annotated, v)
				case "line", "col", "endLine":
					if !regexp.MustCompile(`^[0-9]+$`).MatchString(v) {
						t.Errorf("%s: %s=%q", stream, k, v)
					}
				case "title":
				default:
					t.Errorf("%s: annotation property %q: %+v", stream, k, c)
				}
			}
		default:
			t.Errorf("%s: the runner would run %+v", stream, c)
		}
	}
	if fenced && fences != 1 || !fenced && fences != 0 {
		t.Errorf("%s: %d stop-commands fences, want %v", stream, fences, fenced)
	}
	return annotated
}

// TestHostileNames feeds file names, object names and values a pull
// request chooses through every output in GitHub Actions, and checks the
// runner sees only our own commands, the job summary keeps its structure
// and mentions no one, and JSON and SARIF on stdout stay pure.
func TestHostileNames(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"::stop-commands::x.yaml",
		"evil\n::error file=forged.yaml,line=1::forged\n.yaml",
		"pct%0A::warning::y%25.yaml",
		"##[add-mask]x.yaml",
		"cr\r::notice::z,line=9.yaml",
		"  ::set-output name=result::pass.yaml",
		"@org/team ```<img src=x onerror=alert(1)> | a.yaml",
	}
	pod := `apiVersion: v1
kind: Pod
metadata:
  name: "::error::by-name ##[add-mask]n @org/team <b>x</b> ` + "```" + ` | &#64;org/team"
  namespace: "ns\n::warning::from-namespace\r##[set-output name=result]pass"
spec:
  containers:
    - name: "c\r::error::container ##[add-mask]c"
      image: "nginx:latest"
      securityContext:
        privileged: true
`
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(pod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A file that does not parse: a located finding quoting the file.
	broken := "broken ##[add-mask]b\n::error::b.yaml"
	names = append(names, broken)
	if err := os.WriteFile(filepath.Join(dir, broken), []byte("kind: [\n::error::from-a-parse-error ##[add-mask]p\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	summary, output := actionEnv(t, dir)
	t.Setenv("GITHUB_REPOSITORY", "acme/shop")
	t.Setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")

	// Text on stdout: the report fenced, annotations after it.
	sarif := filepath.Join(t.TempDir(), "k.sarif")
	stdout, stderr, code := runWorkspace(t, dir, "scan", "--sarif", sarif, ".")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "##[add-mask]x.yaml") {
		t.Errorf("the text report does not name the files as they are:\n%s", stdout)
	}
	annotated := checkCommands(t, "text stdout", stdout, names, true)
	checkCommands(t, "text stderr", stderr, names, false)
	if len(annotated) == 0 {
		t.Error("no annotation reached the runner")
	}
	for _, n := range []string{"::stop-commands::x.yaml", "##[add-mask]x.yaml"} {
		if !slices.Contains(annotated, n) {
			t.Errorf("no annotation on %q: %q", n, annotated)
		}
	}

	// The job summary: structure kept, no HTML, no code fence, no mention.
	sum, _ := os.ReadFile(summary)
	checkSummary(t, string(sum))

	// Outputs: only ours, each a number, a word or the SARIF path.
	out, _ := os.ReadFile(output)
	checkOutputs(t, string(out), sarif)

	// JSON and SARIF on stdout: nothing but the document there; the
	// annotations on stderr.
	for _, format := range []string{"json", "sarif"} {
		stdout, stderr, _ := runWorkspace(t, dir, "scan", "--format", format, ".")
		var doc map[string]any
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Errorf("--format %s on stdout under GITHUB_ACTIONS=true is not one JSON document: %v\n%s", format, err, stdout)
		}
		if cmds, _ := runnerCommands(stdout); len(cmds) > 0 {
			t.Errorf("--format %s: commands on stdout: %+v", format, cmds)
		}
		if annotated := checkCommands(t, format+" stderr", stderr, names, false); len(annotated) == 0 {
			t.Errorf("--format %s: no annotations on stderr:\n%s", format, stderr)
		}
	}
	data, _ := os.ReadFile(sarif)
	if cmds, _ := runnerCommands(string(data)); len(cmds) > 0 {
		t.Errorf("commands in the SARIF file: %+v", cmds)
	}
}

func checkSummary(t *testing.T, sum string) {
	t.Helper()
	for _, bad := range []string{"<img", "<b>", "```"} {
		if strings.Contains(sum, bad) {
			t.Errorf("job summary holds %q", bad)
		}
	}
	// GitHub finds mentions in the rendered text, entities decoded; link
	// targets (percent-encoded by us) are not text.
	text := regexp.MustCompile(`\]\([^)\s]*\)`).ReplaceAllString(sum, "]")
	if strings.Contains(html.UnescapeString(text), "@org/team") {
		t.Error("job summary mentions @org/team")
	}
	if !strings.Contains(sum, "add-mask") {
		t.Error("job summary does not show the findings on the hostile files")
	}
	prefixes := []string{"## ", "### ", "Scanned ", "| ", "|---", "- ", "<details><summary>", "</details>", "**", "_"}
	for i, l := range strings.Split(sum, "\n") {
		if l != "" && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(l, p) }) {
			t.Errorf("summary line %d is not ours: %q", i+1, l)
		}
		if strings.HasPrefix(l, "| ") {
			if n := unescapedPipes(l); n != 4 && n != 5 {
				t.Errorf("summary line %d has %d cell separators: %q", i+1, n, l)
			}
		}
	}
}

// unescapedPipes counts the | that Markdown reads as cell separators.
func unescapedPipes(l string) int {
	n := 0
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func checkOutputs(t *testing.T, out, sarif string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines)%3 != 0 {
		t.Fatalf("outputs are not name<<delimiter, value, delimiter:\n%s", out)
	}
	values := map[string]string{}
	for i := 0; i < len(lines); i += 3 {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok || lines[i+2] != delim {
			t.Errorf("output %q is not closed by its delimiter", lines[i])
		}
		values[name] = lines[i+1]
	}
	for name, v := range values {
		switch name {
		case "findings", "errors", "warnings":
			if !regexp.MustCompile(`^[0-9]+$`).MatchString(v) {
				t.Errorf("output %s = %q", name, v)
			}
		case "result":
			if v != "pass" && v != "fail" {
				t.Errorf("output result = %q", v)
			}
		case "sarif-file":
			if v != sarif {
				t.Errorf("output sarif-file = %q", v)
			}
		default:
			t.Errorf("output %s = %q is not ours", name, v)
		}
	}
}
