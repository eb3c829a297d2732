package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kubeharden/kubeharden/render"
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
