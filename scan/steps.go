package scan

import (
	"slices"
)

// A step is one stage of what happens to a scan's findings after the
// rules ran; Run applies steps in their order.
type step struct {
	Name string
	Doc  string // one line
	Func func(in *postInput, fs []Finding) []Finding
}

// postInput is what the steps read besides the findings.
type postInput struct {
	lines   *lineIndex
	cfg     *Config
	secrets *secrets
}

// steps is the post-processing of a scan, in order.
var steps = []step{
	{"merge-pss", "fold a Pod Security Standards finding into another rule's finding on the same field",
		func(_ *postInput, fs []Finding) []Finding { return mergePSS(fs) }},
	{"merge-root-causes", "fold the findings of one object, place and root cause into one finding with several rules",
		func(_ *postInput, fs []Finding) []Finding { return mergeRootCauses(fs) }},
	{"merge-credentials", "keep one credential finding a line, the most specific",
		func(_ *postInput, fs []Finding) []Finding { return mergeCredentials(fs) }},
	{"merge-renderings", "report once what several renderings of one source (value sets, overlays) find at one place",
		func(_ *postInput, fs []Finding) []Finding { return mergeRenderings(fs) }},
	{"inline-ignores", "accept the findings on a line that carries kubeharden:ignore (gitleaks:allow for credentials)",
		func(in *postInput, fs []Finding) []Finding { applyInlineIgnores(fs, in.lines); return fs }},
	{"fixes", "give the findings that a flipped boolean resolves their one-line fix",
		func(in *postInput, fs []Finding) []Finding { addFixes(fs, in.lines); return fs }},
	{"redact", "replace every detected credential in every finding's text",
		func(in *postInput, fs []Finding) []Finding { in.secrets.redact(fs); return fs }},
	{"disable", "drop the findings of the rules Config.Disable names",
		func(in *postInput, fs []Finding) []Finding {
			return slices.DeleteFunc(fs, func(f Finding) bool { return slices.Contains(in.cfg.Disable, f.Rule) })
		}},
	{"severity", "give findings the severity Config.Severity sets for their rules (a folded finding: the most severe of its parts)",
		func(in *postInput, fs []Finding) []Finding {
			for i := range fs {
				if len(in.cfg.Severity) > 0 {
					fs[i].Severity = severityOf(&fs[i], in.cfg.Severity)
				}
			}
			return fs
		}},
	{"sort", "order findings by file, line, column, rule and fingerprint",
		func(_ *postInput, fs []Finding) []Finding { Sort(fs); return fs }},
	{"baseline", "accept the findings that Config.Baseline holds",
		func(in *postInput, fs []Finding) []Finding {
			if in.cfg.Baseline != nil {
				in.cfg.Baseline.Apply(fs)
			}
			return fs
		}},
	{"scope", "mark what Config.FailScope keeps from failing the build, and the severity the rest fails it with",
		func(in *postInput, fs []Finding) []Finding {
			if in.cfg.FailScope == nil {
				return fs
			}
			for i := range fs {
				sev, ok := in.cfg.FailScope.FailsAs(fs[i])
				fs[i].OutOfScope = !ok
				if ok && sev != fs[i].Severity {
					fs[i].FailsAs = sev
				}
			}
			return fs
		}},
}

// postProcess applies steps to fs in order.
func postProcess(in *postInput, fs []Finding) []Finding {
	for _, s := range steps {
		fs = s.Func(in, fs)
	}
	return fs
}
