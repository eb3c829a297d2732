package report

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/kubeharden/kubeharden/scan"
)

// GitHub code scanning's limits on one upload.
const (
	MaxSARIFResults    = 25000
	MaxSARIFGzipBytes  = 10 << 20
	maxDescriptionSize = 1024
	informationURI     = "https://github.com/kubeharden/kubeharden"
)

// SARIF writes a SARIF 2.1.0 log that GitHub code scanning accepts.
type SARIF struct {
	// Rules are every rule that ran, registered whether or not they fired.
	Rules []*scan.Check
	// Category is automationDetails.id; "kubeharden/" when empty.
	Category string
	// Dir is the directory finding files are relative to; files are read
	// to compute GitHub's line hashes and end columns.
	Dir string
}

var _ Writer = SARIF{}

// Write writes the log. It fails with a clear message when the log would
// exceed what GitHub accepts, rather than have the upload rejected.
func (s SARIF) Write(w io.Writer, r *Report) error {
	log, err := s.Build(r)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(log)
	if err != nil {
		return err
	}
	// go-sarif writes nil pointers without omitempty as null (a
	// suppression's status, guid and location among them), and
	// upload-sarif's schema check refuses a null where it wants a string
	// or an object: an absent member means the same and passes.
	raw, err = dropNulls(raw)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	out := noLegacyCommands(buf.Bytes())
	if n := gzipSize(out); n > MaxSARIFGzipBytes {
		return fmt.Errorf("the SARIF log is %.1f MB gzipped, over GitHub's 10 MB upload limit: scan fewer paths, or split them over several categories (--category)", float64(n)/(1<<20))
	}
	_, err = w.Write(out)
	return err
}

// dropNulls removes every object member whose value is null from a JSON
// document, keeping the order of the rest.
func dropNulls(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if err := copyJSON(dec, &out, tok); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// copyJSON writes the value that starts with tok, reading the rest of it
// from dec.
func copyJSON(dec *json.Decoder, out *bytes.Buffer, tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok {
		b, err := json.Marshal(tok)
		if err != nil {
			return err
		}
		out.Write(b)
		return nil
	}
	out.WriteRune(rune(d))
	n := 0
	for dec.More() {
		if d == '{' {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			val, err := dec.Token()
			if err != nil {
				return err
			}
			if val == nil {
				continue
			}
			if n > 0 {
				out.WriteByte(',')
			}
			k, _ := json.Marshal(key)
			out.Write(k)
			out.WriteByte(':')
			if err := copyJSON(dec, out, val); err != nil {
				return err
			}
		} else {
			val, err := dec.Token()
			if err != nil {
				return err
			}
			if n > 0 {
				out.WriteByte(',')
			}
			if err := copyJSON(dec, out, val); err != nil {
				return err
			}
		}
		n++
	}
	end, err := dec.Token()
	if err != nil {
		return err
	}
	out.WriteRune(rune(end.(json.Delim)))
	return nil
}

func gzipSize(b []byte) int {
	var c countWriter
	zw := gzip.NewWriter(&c)
	// A countWriter never fails a write.
	_, _ = zw.Write(b)
	_ = zw.Close()
	return int(c)
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// Build assembles the SARIF log: rules first, so that every result's
// ruleIndex points at its rule.
func (s SARIF) Build(r *Report) (*sarif.Report, error) {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, err
	}
	run := sarif.NewRunWithInformationURI(r.Tool.Name, informationURI)
	run.Tool.Driver.WithVersion(r.Tool.Version)
	if _, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(r.Tool.Version, "v"), ".", 2)[0]); err == nil {
		run.Tool.Driver.WithSemanticVersion(strings.TrimPrefix(r.Tool.Version, "v"))
	}
	for _, c := range s.Rules {
		addRule(run, c)
	}
	category := s.Category
	if category == "" {
		category = "kubeharden/"
	}
	run.WithAutomationDetails(sarif.NewRunAutomationDetails().WithID(category))

	files := newFileCache(s.Dir)
	findings := r.Findings
	var notes []*sarif.Notification
	if len(findings) > MaxSARIFResults {
		// Keep the most severe: GitHub drops everything past its limit anyway.
		findings = slices.Clone(findings)
		slices.SortStableFunc(findings, func(a, b scan.Finding) int { return int(b.Severity) - int(a.Severity) })
		notes = append(notes, sarif.NewNotification().WithLevel("warning").WithTextMessage(fmt.Sprintf(
			"%d findings exceed GitHub's limit of %d results per run; the %d most severe are included, the rest are in the JSON report", len(findings), MaxSARIFResults, MaxSARIFResults)))
		findings = findings[:MaxSARIFResults]
		scan.Sort(findings)
	}
	for _, f := range findings {
		if run.Tool.Driver.Rules == nil || ruleIndex(run, f.Rule) < 0 {
			if c := s.rule(r, f.Rule); c != nil {
				addRule(run, c)
			} else {
				return nil, fmt.Errorf("finding of unknown rule %q", f.Rule)
			}
		}
		run.AddResult(s.result(f, s.rule(r, f.Rule), files))
		if f.Rule == scan.InvalidInput.ID || f.Rule == scan.SkippedInput.ID {
			notes = append(notes, sarif.NewNotification().
				WithLevel(sarifLevel(f.Severity)).
				WithTextMessage(f.Message).
				WithLocations([]*sarif.Location{location(f.File, f.Line, f.Column, files)}))
		}
	}
	inv := sarif.NewInvocation().WithExecutionSuccess(true)
	if len(notes) > 0 {
		inv.WithToolExecutionNotifications(notes)
	}
	run.AddInvocations(inv)
	log.AddRun(run)
	return log, nil
}

func ruleIndex(run *sarif.Run, id string) int {
	for i, r := range run.Tool.Driver.Rules {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func sarifLevel(s scan.Severity) string {
	switch s {
	case scan.Error:
		return "error"
	case scan.Warning:
		return "warning"
	}
	return "note"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func addRule(run *sarif.Run, c *scan.Check) {
	tags := []string{"security", "kubernetes"}
	tags = append(tags, c.Checklist...)
	if c.PSSLevel != "" {
		tags = append(tags, "pss-"+c.PSSLevel)
	}
	help := fmt.Sprintf("%s\n\nFix: %s\n\nExample:\n%s\n\nChecklist: %s.\nAccept a finding on one object with the annotation %s%s: \"<why>\".",
		c.Rationale, c.Remediation, c.Example, strings.Join(c.Checklist, ", "), scan.SuppressPrefix, c.ID)
	markdown := fmt.Sprintf("%s\n\n**Fix.** %s\n\n```yaml\n%s\n```\n\nChecklist: %s.\n\nAccept a finding on one object with the annotation `%s%s: \"<why>\"`.",
		c.Rationale, c.Remediation, c.Example, "`"+strings.Join(c.Checklist, "`, `")+"`", scan.SuppressPrefix, c.ID)
	props := sarif.NewPropertyBag()
	props.Add("tags", tags[:min(len(tags), 20)])
	props.Add("precision", "high")
	props.Add("security-severity", strconv.FormatFloat(c.SecuritySeverity, 'f', 1, 64))
	run.AddRule(c.ID).
		WithName(ruleName(c.ID)).
		WithShortDescription(sarif.NewMultiformatMessageString(truncate(c.Title, maxDescriptionSize))).
		WithFullDescription(sarif.NewMultiformatMessageString(truncate(c.Rationale, maxDescriptionSize))).
		WithHelp(sarif.NewMultiformatMessageString(help).WithMarkdown(markdown)).
		WithHelpURI(c.HelpURL()).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(c.Severity))).
		WithProperties(props.Properties)
}

// ruleName turns run-as-root into RunAsRoot, the form SARIF viewers expect.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// rule is a rule of the log, else of the report; nil when neither has it.
func (s SARIF) rule(r *Report, id string) *scan.Check {
	if c := Rules(s.Rules).Lookup(id); c != nil {
		return c
	}
	return r.Rules.Lookup(id)
}

func (s SARIF) result(f scan.Finding, c *scan.Check, files *fileCache) *sarif.Result {
	msg := f.Message
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	if c != nil {
		msg += " " + c.Remediation
	}
	res := sarif.NewRuleResult(f.Rule).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(msg)).
		WithLocations([]*sarif.Location{location(f.File, f.Line, f.Column, files)})
	for i, rel := range f.Related {
		loc := location(rel.File, rel.Line, max(rel.Column, 1), files).WithId(i + 1)
		loc.WithMessage(sarif.NewTextMessage(rel.Message))
		res.AddRelatedLocation(loc)
	}
	fp := map[string]interface{}{"kubeharden/v1": f.Fingerprint}
	if h := files.lineHash(f.File, f.Line); h != "" {
		fp["primaryLocationLineHash"] = h
	}
	res.WithPartialFingerPrints(fp)
	props := sarif.NewPropertyBag()
	props.Add("checklist", f.Checklist)
	if f.PSSLevel != "" {
		props.Add("pssLevel", f.PSSLevel)
	}
	if len(f.Folded) > 0 {
		props.Add("rules", f.Rules())
	}
	if f.Object != nil {
		props.Add("object", f.Object)
		props.Add("path", f.Path)
	}
	if f.Source != nil {
		props.Add("source", f.Source)
	}
	props.Add("precision", f.Precision)
	res.Properties = props.Properties
	if f.Suppressed != nil {
		kind := "inSource" // an annotation or comment in the file
		if f.Suppressed.Kind == "baseline" {
			kind = "external"
		}
		// GitHub shows an accepted suppression as a dismissed alert.
		res.AddSuppression(sarif.NewSuppression(kind).WithJustifcation(f.Suppressed.Justification).WithStatus("accepted"))
	}
	return res
}

func location(file string, line, col int, files *fileCache) *sarif.Location {
	region := sarif.NewRegion().WithStartLine(max(line, 1)).WithStartColumn(max(col, 1)).WithEndLine(max(line, 1))
	if end := files.lineEnd(file, line); end > col {
		region.WithEndColumn(end)
	} else {
		region.WithEndColumn(max(col, 1) + 1)
	}
	return sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(FileURI(file)).WithUriBaseId("%SRCROOT%")).
		WithRegion(region))
}

// FileURI writes a slash-separated relative path as a URI reference. A
// colon is escaped too: in a first segment ("a:b.yaml") it would read as a
// URI scheme.
func FileURI(file string) string {
	return strings.ReplaceAll((&url.URL{Path: filepath.ToSlash(file)}).EscapedPath(), ":", "%3A")
}

// A fileCache reads each file once for line hashes and line lengths.
type fileCache struct {
	dir   string
	lines map[string][]string
	hash  map[string][]string
}

func newFileCache(dir string) *fileCache {
	return &fileCache{dir: dir, lines: map[string][]string{}, hash: map[string][]string{}}
}

func (c *fileCache) load(file string) {
	if _, ok := c.lines[file]; ok {
		return
	}
	c.lines[file], c.hash[file] = nil, nil
	data, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(file)))
	if err != nil || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return
	}
	text := string(data)
	c.hash[file] = LineHashes(text)
	c.lines[file] = strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}

func (c *fileCache) lineHash(file string, line int) string {
	c.load(file)
	if h := c.hash[file]; line < len(h) {
		return h[line]
	}
	return ""
}

// lineEnd is the 1-based column just past the line's last character,
// counted in UTF-16 code units as SARIF's default columnKind.
func (c *fileCache) lineEnd(file string, line int) int {
	c.load(file)
	if l := c.lines[file]; line >= 1 && line <= len(l) {
		return len(utf16.Encode([]rune(strings.TrimRight(l[line-1], "\r")))) + 1
	}
	return 0
}
