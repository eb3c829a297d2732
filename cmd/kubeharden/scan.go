package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/kubeharden/kubeharden/render"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

// progress shows, on a terminal's stderr, what a long scan is doing:
// files read, kustomizations built, charts rendered, objects checked. It
// stays silent in CI logs and pipes, and for scans too short to need it.
type progress struct {
	w           io.Writer
	now         func() time.Time
	start, last time.Time
	shown       bool
}

// Progress waits this long before its first line, and this long between
// lines.
const (
	progressDelay = 300 * time.Millisecond
	progressEvery = 100 * time.Millisecond
)

func newProgress(stderr io.Writer) *progress {
	if !isTerminal(stderr) || os.Getenv("CI") != "" {
		return nil
	}
	return &progress{w: stderr, now: time.Now, start: time.Now()}
}

var progressVerbs = map[render.Stage]string{
	render.StageFiles:          "reading",
	render.StageKustomizations: "building",
	render.StageCharts:         "rendering",
}

func (p *progress) update(stage render.Stage, done, total int) {
	p.show(fmt.Sprintf("%s %s: %d/%d", progressVerbs[stage], stage, done, total), done == total)
}

// checking says the renderers are done and the checks run.
func (p *progress) checking(objects int) {
	if p != nil {
		p.show(fmt.Sprintf("checking %d objects", objects), true)
	}
}

func (p *progress) show(line string, force bool) {
	now := p.now()
	if now.Sub(p.start) < progressDelay || (!force && now.Sub(p.last) < progressEvery) {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprint(p.w, "\r\x1b[K"+line)
}

func (p *progress) done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// loadAndCheck loads paths and checks each batch of objects as soon as it
// is read (scan.Scan): memory holds what the cross-object rules read, not
// every tree and text of the repository.
func loadAndCheck(ctx context.Context, paths []string, opt render.Options, cfg scan.Config, prog *progress) (*render.Set, []scan.Finding, error) {
	sc, err := scan.Start(scan.All, cfg)
	if err != nil {
		return nil, nil, err
	}
	opt.Each = func(b render.Batch) error { return sc.Add(ctx, b) }
	opt.Prefetch = sc.Prefetch
	set, err := render.Load(ctx, paths, opt)
	if err != nil {
		return nil, nil, err
	}
	prog.checking(len(set.Objects))
	findings, err := sc.Finish(ctx, set)
	return set, findings, err
}

// scanTree loads and checks the paths (the baseline is a step of the
// scan) and builds
// the report, its files named from the working directory.
func scanTree(ctx context.Context, o *scanOptions, st *scanSettings, stderr io.Writer) (*report.Report, error) {
	fc, cfg, excludes, baseline, helm := st.fc, st.cfg, st.excludes, st.baseline, st.helm
	opt := render.Options{MaxFileSize: firstPositive(o.maxSize, fc.MaxFileSize), Helm: helm, Exclude: excludes, Limits: st.limits}
	prog := newProgress(stderr)
	if prog != nil {
		opt.Progress = prog.update
	}
	cfg.Baseline = baseline
	set, findings, err := loadAndCheck(ctx, o.paths, opt, cfg, prog)
	prog.done()
	if err != nil {
		return nil, usageError("%v", err)
	}
	rep := report.New(report.Tool{Name: "kubeharden", Version: version()}, findings, set.Files, len(set.Objects))
	rep.Summary.NotManifests = set.NotManifests
	rep.Settings = settings(cfg, excludes)
	if baseline != nil {
		accepted, stale := baseline.Counts()
		rep.Settings = append(rep.Settings, fmt.Sprintf("baseline %s: %s accepted; %d of its entries no longer found", baseline.Name,
			pluralize(accepted, "finding"), stale))
	}
	for _, c := range set.Charts {
		sets := []string{render.DefaultValueSet}
		if vs, ok := helm.ValueSets[c]; ok {
			sets = nil
			for _, v := range vs {
				sets = append(sets, firstNonEmpty(v.Name, render.DefaultValueSet))
			}
		}
		rep.Charts = append(rep.Charts, report.Chart{Dir: c, ValueSets: sets})
	}
	roots := map[string]bool{}
	for _, obj := range set.Objects {
		if obj.Source.Kind == "kustomize" && obj.Source.Root != "" && !roots[obj.Source.Root] {
			roots[obj.Source.Root] = true
			rep.Overlays = append(rep.Overlays, obj.Source.Root)
		}
	}
	slices.Sort(rep.Overlays)
	rep.Skipped = set.Skipped
	return rep, nil
}
