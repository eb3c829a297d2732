package github

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

// GitHub's limits on what a step shows.
const (
	AnnotationsPerLevel = 10
	MaxStepSummary      = 1 << 20
)

// Annotations writes workflow commands (::error file=...::message) for
// the most severe findings, within GitHub's limit per level, then one
// notice that says how many more there are and where to see them.
type Annotations struct{}

var _ report.Writer = Annotations{}

func (Annotations) Write(w io.Writer, r *report.Report) error {
	gh := githubactions.New(githubactions.WithWriter(w))
	byLevel := map[scan.Severity][]scan.Finding{}
	for _, f := range r.Findings {
		if f.Suppressed == nil {
			byLevel[f.Severity] = append(byLevel[f.Severity], f)
		}
	}
	// Notes give up one place when anything is hidden, for the notice
	// that counts what is.
	limits := map[scan.Severity]int{scan.Error: AnnotationsPerLevel, scan.Warning: AnnotationsPerLevel, scan.Note: AnnotationsPerLevel}
	if len(byLevel[scan.Error]) > AnnotationsPerLevel || len(byLevel[scan.Warning]) > AnnotationsPerLevel || len(byLevel[scan.Note]) > AnnotationsPerLevel {
		limits[scan.Note]--
	}
	hidden := 0
	for _, s := range []scan.Severity{scan.Error, scan.Warning, scan.Note} {
		fs := byLevel[s]
		if len(fs) > limits[s] {
			hidden += len(fs) - limits[s]
			fs = fs[:limits[s]]
		}
		for _, f := range fs {
			title := f.Rule
			if c := r.Rules.Lookup(f.Rule); c != nil {
				title = f.Rule + ": " + c.Title
			}
			a := gh.WithFieldsMap(map[string]string{
				"file":    f.File,
				"line":    fmt.Sprint(f.Line),
				"col":     fmt.Sprint(f.Column),
				"endLine": fmt.Sprint(f.Line),
				"title":   title,
			})
			msg := noLegacyCommand(f.Message)
			switch s {
			case scan.Error:
				a.Errorf("%s", msg)
			case scan.Warning:
				a.Warningf("%s", msg)
			default:
				a.Noticef("%s", msg)
			}
		}
	}
	if hidden > 0 {
		gh.Noticef("kubeharden: %d more %s not annotated (GitHub shows %d per level); see the job summary, the code scanning alerts or the JSON report", hidden, pluralWord(hidden, "finding"), AnnotationsPerLevel)
	}
	return nil
}

// noLegacyCommand breaks "##[" with a zero-width space: the runner's older
// parser honours "##[command]" anywhere in a line, and a message carries
// names and values from the files scanned. go-githubactions escapes the
// rest (%, CR, LF in messages; also : and , in properties).
func noLegacyCommand(s string) string {
	return strings.ReplaceAll(s, "##[", "##\u200b[")
}

// Fenced writes what its Writer writes between ::stop-commands::TOKEN and
// ::TOKEN::, with a random TOKEN each time, so that the runner reads no
// workflow command from it: a human-readable report prints file names,
// object names and values a pull request chooses.
type Fenced struct {
	Writer report.Writer
}

var _ report.Writer = Fenced{}

func (f Fenced) Write(w io.Writer, r *report.Report) error {
	var b bytes.Buffer
	if err := f.Writer.Write(&b, r); err != nil {
		return err
	}
	if b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' {
		b.WriteByte('\n')
	}
	var token string
	for token == "" || bytes.Contains(b.Bytes(), []byte(token)) {
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("making a stop-commands token: %w", err)
		}
		token = hex.EncodeToString(raw[:])
	}
	_, err := fmt.Fprintf(w, "::stop-commands::%s\n%s::%s::\n", token, b.Bytes(), token)
	return err
}

// A Summary writer renders the job summary: a markdown report of totals,
// findings with links to the commit, rules that fired and what was read.
type StepSummary struct {
	// Server, Repository and SHA build links to the files at the commit
	// (GITHUB_SERVER_URL, GITHUB_REPOSITORY and the PR head SHA).
	Server, Repository, SHA string
	// FailOn is the threshold the run applies, for the verdict line.
	FailOn scan.Severity
	// Duration is how long the scan took.
	Duration time.Duration
}

var _ report.Writer = StepSummary{}

var sectionTitles = []struct{ id, title string }{
	{"pods", "Pods"},
	{"network", "Network"},
	{"auth", "Authentication and Authorization"},
	{"logging", "Logging"},
	{"staying-secure", "Staying Secure"},
}

func (s StepSummary) link(f scan.Finding) string {
	loc := fmt.Sprintf("%s:%d", f.File, f.Line)
	if s.Server == "" || s.Repository == "" || s.SHA == "" || strings.HasPrefix(f.File, "../") {
		return "`" + mdEscape(loc) + "`"
	}
	u := strings.TrimSuffix(s.Server, "/") + "/" + s.Repository + "/blob/" + url.PathEscape(s.SHA) + "/" + report.FileURI(path.Clean(f.File)) + fmt.Sprintf("#L%d", f.Line)
	return fmt.Sprintf("[%s](%s)", mdEscape(loc), u)
}

// mdEscape makes scanned text inert in Markdown: no tables broken, no
// HTML or entities, no links, no emphasis, strike-through or math, and no
// @mention written as such (a name in a pull request must not notify
// anyone: GitHub finds mentions in the rendered text, where an entity
// such as &#64; is an @ again, so a zero-width space follows each @),
// while it reads the same.
var mdEscape = strings.NewReplacer(
	"\\", "\\\\", "|", "\\|", "\n", " ", "\r", " ", "&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "'",
	"*", "\\*", "_", "\\_", "~", "\\~", "$", "\\$", "[", "\\[", "]", "\\]", "@", "@&#8203;",
).Replace

func (s StepSummary) Write(w io.Writer, r *report.Report) error {
	var b strings.Builder
	n := r.Summary.Findings
	verdict := "passed"
	icon := "✅"
	if r.Fails(s.FailOn) {
		verdict, icon = "failed", "❌"
	}
	fmt.Fprintf(&b, "## %s kubeharden %s: %s, %s, %s\n\n", icon, verdict,
		plural(n["error"], "error"), plural(n["warning"], "warning"), plural(n["note"], "note"))
	fmt.Fprintf(&b, "Scanned %s and %s", plural(r.Summary.Files, "file"), plural(r.Summary.Objects, "object"))
	if s.Duration > 0 {
		fmt.Fprintf(&b, " in %s", s.Duration.Round(time.Millisecond))
	}
	b.WriteString(".")
	if r.Summary.Suppressed > 0 {
		fmt.Fprintf(&b, " %s accepted (ignore annotations or comments, or the baseline).", plural(r.Summary.Suppressed, "finding"))
	}
	if r.Summary.NotManifests > 0 {
		fmt.Fprintf(&b, " %s not Kubernetes manifests (data or other tools' files), not checked.", plural(r.Summary.NotManifests, "file"))
	}
	b.WriteString("\n\n")
	if c := r.Base; c != nil {
		sha := c.SHA
		if len(sha) > 12 {
			sha = sha[:12]
		}
		fmt.Fprintf(&b, "**Compared with the base commit** `%s` (read from %s): %d new, %d fixed and %d unchanged %s. Only new findings can fail the pull request.\n\n",
			mdEscape(sha), c.Source, c.Added, c.Fixed, c.Unchanged, pluralWord(c.Unchanged, "finding"))
	}
	if len(r.Settings) > 0 {
		b.WriteString("**Configuration in effect** (from `.kubeharden.yaml` or flags):\n\n")
		for _, st := range r.Settings {
			fmt.Fprintf(&b, "- %s\n", mdEscape(st))
		}
		b.WriteString("\n")
	}
	if len(r.Effective) > 0 {
		b.WriteString("<details><summary>Settings and where they come from</summary>\n\n| setting | value | from |\n|---|---|---|\n")
		for _, st := range r.Effective {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEscape(st.Name), mdEscape(st.Value), mdEscape(st.From))
		}
		b.WriteString("\n</details>\n\n")
	}
	if len(r.Skipped) > 0 {
		b.WriteString("**Directories not scanned:**\n\n")
		for i, d := range r.Skipped {
			if i == 200 {
				fmt.Fprintf(&b, "- %d more\n", len(r.Skipped)-i)
				break
			}
			fmt.Fprintf(&b, "- %s: %s\n", mdEscape(d.Dir), mdEscape(d.Reason))
		}
		b.WriteString("\n")
	}
	if len(r.Charts) > 0 {
		b.WriteString("<details><summary>Helm charts rendered: " + fmt.Sprint(len(r.Charts)) + "</summary>\n\n| chart | value sets |\n|---|---|\n")
		for i, c := range r.Charts {
			if i == 200 {
				fmt.Fprintf(&b, "| %d more | |\n", len(r.Charts)-i)
				break
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", mdEscape(c.Dir), mdEscape(strings.Join(c.ValueSets, ", ")))
		}
		b.WriteString("\n</details>\n\n")
	}
	if len(r.Overlays) > 0 {
		b.WriteString("<details><summary>Kustomize overlays built: " + fmt.Sprint(len(r.Overlays)) + "</summary>\n\n")
		for i, o := range r.Overlays {
			if i == 200 {
				fmt.Fprintf(&b, "- %d more\n", len(r.Overlays)-i)
				break
			}
			fmt.Fprintf(&b, "- `%s`\n", mdEscape(o))
		}
		b.WriteString("\n</details>\n\n")
	}

	type counts [4]int
	sections := map[string]*counts{}
	fired := map[string]int{}
	var open []scan.Finding
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			continue
		}
		open = append(open, f)
		fired[f.Rule]++
		seen := map[string]bool{}
		for _, id := range f.Checklist {
			sec, _, _ := strings.Cut(id, ".")
			if seen[sec] {
				continue
			}
			seen[sec] = true
			if sections[sec] == nil {
				sections[sec] = &counts{}
			}
			sections[sec][f.Severity]++
		}
	}
	if len(open) > 0 {
		b.WriteString("| checklist section | errors | warnings | notes |\n|---|---:|---:|---:|\n")
		for _, sec := range sectionTitles {
			if c := sections[sec.id]; c != nil {
				fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", sec.title, c[scan.Error], c[scan.Warning], c[scan.Note])
			}
		}
		b.WriteString("\n### Rules that fired\n\n| rule | findings | fix |\n|---|---:|---|\n")
		var rules []string
		for id := range fired {
			rules = append(rules, id)
		}
		slices.Sort(rules)
		for _, id := range rules {
			fix := ""
			if c := r.Rules.Lookup(id); c != nil {
				fix = mdEscape(c.Remediation)
			}
			fmt.Fprintf(&b, "| [`%s`](https://github.com/kubeharden/kubeharden/blob/main/docs/rules.md#%s) | %d | %s |\n", id, id, fired[id], fix)
		}
		b.WriteString("\n### Findings\n\n| severity | location | rule | message |\n|---|---|---|---|\n")
		sorted := slices.Clone(open)
		slices.SortStableFunc(sorted, func(a, b scan.Finding) int { return int(b.Severity) - int(a.Severity) })
		tail := "\n_Findings are in the SARIF and JSON reports too._\n"
		for i, f := range sorted {
			row := fmt.Sprintf("| %s | %s | `%s` | %s |\n", f.Severity, s.link(f), f.Rule, mdEscape(f.Message))
			// Stay under GitHub's 1 MiB limit, leaving room for the closing line.
			if b.Len()+len(row)+200 > MaxStepSummary {
				fmt.Fprintf(&b, "\n_%d more %s not listed: the summary is capped at 1 MiB; see the SARIF or JSON report._\n", len(sorted)-i, pluralWord(len(sorted)-i, "finding"))
				tail = ""
				break
			}
			b.WriteString(row)
		}
		b.WriteString(tail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Outputs are the values a workflow reads from the step.
func Outputs(r *report.Report, failOn scan.Severity, sarifFile string) map[string]string {
	result := "pass"
	if r.Fails(failOn) {
		result = "fail"
	}
	n := r.Summary.Findings
	return map[string]string{
		"sarif-file": sarifFile,
		"findings":   fmt.Sprint(n["error"] + n["warning"] + n["note"]),
		"errors":     fmt.Sprint(n["error"]),
		"warnings":   fmt.Sprint(n["warning"]),
		"result":     result,
	}
}

// PublishGitHub writes the job summary and step outputs through the files
// the runner names (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT), skipping those that
// are unset: go-githubactions panics on an unset file variable.
func PublishGitHub(getenv func(string) string, summary string, outputs map[string]string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("writing GitHub step files: %v", p)
		}
	}()
	gh := githubactions.New(githubactions.WithGetenv(getenv))
	if getenv("GITHUB_STEP_SUMMARY") != "" && summary != "" {
		gh.AddStepSummary(summary)
	}
	if getenv("GITHUB_OUTPUT") != "" {
		keys := make([]string, 0, len(outputs))
		for k := range outputs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			gh.SetOutput(k, outputs[k])
		}
	}
	return nil
}

func plural(n int, word string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, word)) }

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
