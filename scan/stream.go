package scan

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/render"
)

// A Scan checks what render.Load hands it batch by batch
// (render.Options.Each), so that a repository's node trees and texts are
// never all in memory at once: Add runs the rules that read one object or
// one text (Object, Files) on a batch, then keeps of each object only what
// the cross-object rules read (prune.go) and of each text only the lines
// the steps read (lines.go); Finish runs the cross-object rules (Graph) on
// every object and the steps. The findings equal Run's on the whole Set,
// in the same order.
type Scan struct {
	s      *scanner
	checks []*Check
	// distro are the RKE2 and k3s config files read as objects: the
	// cross-object rules read them with the Set's objects.
	distro []*render.Object
	lines  *lineIndex
	// prune says whether Add prunes the objects it is done with; Run,
	// which leaves its Set whole, does not.
	prune bool
	// ready is closed once the secret detector is built (readyErr when it
	// could not be): Add and Finish wait for it.
	ready    chan struct{}
	readyErr error
	// compactor copies what pruning keeps of plain files together.
	compactor *compactor
	// searches holds a slot per core for the searches Prefetch starts.
	searches chan struct{}
}

// Finding ranks order the findings before the steps as Run has always
// emitted them: input problems, then the objects' input findings, then
// each rule in the order of checks.
const (
	rankProblems = iota
	rankInput
	rankChecks
)

// Start prepares a scan with checks.
func Start(checks []*Check, cfg Config) (*Scan, error) {
	if cfg.PSSVersion == "" {
		cfg.PSSVersion = "latest"
	}
	if len(cfg.Disable) > 0 {
		checks = slices.DeleteFunc(slices.Clone(checks), func(c *Check) bool { return slices.Contains(cfg.Disable, c.ID) })
	}
	pss, err := newPSSEvaluator(cfg.PSSVersion)
	if err != nil {
		return nil, err
	}
	s := newScanner(&cfg)
	s.pss = pss
	sc := &Scan{s: s, checks: checks, lines: newLineIndex(), prune: true, ready: make(chan struct{}),
		compactor: &compactor{strs: map[string]string{}}, searches: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if !slices.ContainsFunc(checks, func(c *Check) bool { return c.Files != nil }) {
		close(sc.ready)
		return sc, nil
	}
	// gitleaks compiles its rules while the first batch is read.
	go func() {
		defer close(sc.ready)
		d, err := loadSecrets(cfg.GitleaksConfig)
		if err != nil {
			sc.readyErr = fmt.Errorf("secret detection: %w", err)
			return
		}
		s.secrets = d.forScan()
	}()
	return sc, nil
}

// Prefetch starts the secret search of texts a batch will bring (a
// chart's files, while the chart renders), at most one text per core at a
// time; the Files rule takes the results instead of searching again. Safe
// for concurrent use.
func (sc *Scan) Prefetch(texts []render.Text) {
	if !slices.ContainsFunc(sc.checks, func(c *Check) bool { return c.Files != nil }) {
		return
	}
	for _, t := range texts {
		if len(t.Data) == 0 || excluded(sc.s.cfg.SecretsExclude, t.File) {
			continue
		}
		f := &prefetched{done: make(chan struct{})}
		if _, dup := sc.s.prefetch.LoadOrStore(keyOf(t), f); dup {
			continue
		}
		go func() {
			defer close(f.done)
			sc.searches <- struct{}{}
			defer func() { <-sc.searches }()
			if sc.wait() == nil {
				f.leaks = sc.s.secrets.findLeaks(t.File, t.Data)
			}
		}()
	}
}

// wait returns once the secret detector is ready, with the error that
// kept it from being built.
func (sc *Scan) wait() error {
	<-sc.ready
	return sc.readyErr
}

// Add checks one batch with the rules that read one object or one text at
// a time, then releases what the rest of the scan does not read.
func (sc *Scan) Add(ctx context.Context, b render.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(b.Objects) == 0 && len(b.Texts) == 0 {
		return nil // the detector may still be compiling: nothing waits for it
	}
	if err := sc.wait(); err != nil {
		return err
	}
	s := sc.s
	objs := b.Objects
	if distro := distroConfigs(b.Texts); len(distro) > 0 {
		objs = append(slices.Clone(objs), distro...)
		sc.distro = append(sc.distro, distro...)
	}
	if err := sc.checkObjects(ctx, objs); err != nil {
		return err
	}
	for i, c := range sc.checks {
		if c.Files != nil {
			s.rank = rankChecks + i
			c.Files(s.pass(c), &render.Set{Objects: objs, Texts: b.Texts})
		}
	}
	if sc.prune {
		for _, o := range b.Objects {
			s.forget(o)
			pruneObject(o)
			sc.compactor.compact(o)
		}
	}
	sc.lines.add(b.Texts)
	return nil
}

// checkObjects runs the input checks and the Object rules on objs, each
// object on its own worker (scanner.worker), those of plain files on every
// core, and adds what
// the workers found in the order of objs: the findings, ranked as one
// scanner would have ranked them, and the typed pod specs and ignore
// annotations the cross-object rules read again.
func (sc *Scan) checkObjects(ctx context.Context, objs []*render.Object) error {
	s := sc.s
	workers := make([]*scanner, len(objs))
	// Objects a renderer locates share its locator, whose caches are not
	// safe for concurrent use: they are checked one at a time, after the
	// others.
	var alone, shared []int
	for i, o := range objs {
		if o.Locator == nil && o.PartLocator == nil && o.Removed == nil {
			alone = append(alone, i)
		} else {
			shared = append(shared, i)
		}
	}
	check := func(i int) {
		o, w := objs[i], s.worker()
		workers[i] = w
		w.rank = rankInput
		if g, bad := misplacedWorkload(o); bad {
			w.pass(InvalidInput).Report(o, "apiVersion", "apiVersion %s does not serve %s, so the API server rejects it and its pod template is not checked; use %s/v1", o.APIVersion, o.Kind, g)
		} else if _, err := w.pod(o); err != nil {
			path, msg := typeError(o, err)
			w.pass(InvalidInput).ReportWith(o, path, msg)
		}
		for ci, c := range sc.checks {
			if c.Object != nil {
				w.rank = rankChecks + ci
				c.Object(w.pass(c), o)
			}
		}
	}
	if err := parallel.ForEach(ctx, len(alone), func(k int) { check(alone[k]) }); err != nil {
		return err
	}
	for _, i := range shared {
		check(i)
	}
	for i, w := range workers {
		o := objs[i]
		for _, c := range w.recs.chunks {
			for j := range c {
				c[j].path = sc.compactor.path(c[j].path)
				c[j].msg = sc.compactor.msg(c[j].msg)
			}
		}
		s.recs.addAll(&w.recs)
		if e, ok := w.pods[o]; ok {
			s.pods[o] = e
		}
		if ann, ok := w.ignores[o]; ok {
			s.ignores[o] = ann
		}
	}
	return nil
}

// worker returns a scanner for the rules of one object on a goroutine of
// its own: it shares the scan's settings and secret detector, and has its
// own findings, de-duplication (every key of an Object rule names its
// object) and caches, which checkObjects adds to the scan's.
func (s *scanner) worker() *scanner {
	w := newScanner(s.cfg)
	w.pss = s.pss.fork()
	w.secrets = s.secrets
	return w
}

// forget drops what the scan cached of o while its own rules ran that
// the cross-object rules do not read: its decoded value, and of its typed
// pod specs the containers'
// environment, resources and mounts. The typed pod specs stay: those rules
// read them, and they weigh less than the node tree they came from.
func (s *scanner) forget(o *render.Object) {
	if e, ok := s.pods[o]; ok {
		for i, pod := range e.pods {
			e.pods[i] = pod.graphView()
		}
	}
	o.Forget()
}

// Finish reports set's input problems, runs the cross-object rules on
// every object of set and returns the findings after the steps. Every
// object of set must have been added. A Scan finishes once; set's objects
// keep no node tree after it, unless the scan is Run's.
func (sc *Scan) Finish(ctx context.Context, set *render.Set) ([]Finding, error) {
	if err := sc.wait(); err != nil {
		return nil, err
	}
	s := sc.s
	s.finishing = true
	s.rank = rankProblems
	for _, pr := range set.Problems {
		c := InvalidInput
		if pr.Kind == render.Skipped {
			c = SkippedInput
		}
		s.pass(c).ReportWith(nil, "", pr.Pos.File+" "+strings.TrimPrefix(pr.Message, pr.Pos.File+" "), WithPos(pr.Pos))
	}
	objs := set.Objects
	if len(sc.distro) > 0 {
		objs = append(slices.Clone(objs), sc.distro...)
	}
	for i, c := range sc.checks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if c.Graph != nil {
			s.rank = rankChecks + i
			c.Graph(s.pass(c), objs)
		}
	}
	if sc.prune {
		// What the cross-object rules read is no longer needed: the steps
		// read the findings and the texts' lines. The findings are made
		// from their records once the trees are gone.
		s.pods, s.cache, s.ignores = nil, nil, nil
		for _, o := range objs {
			o.DropTree()
		}
	}
	fs := s.takeOrdered()
	return postProcess(&postInput{lines: sc.lines, cfg: s.cfg, secrets: s.secrets}, fs), nil
}

// Run applies checks to the objects and problems of set and returns the
// findings after the post-processing steps (steps.go): merged, accepted,
// redacted, sorted by file, line and rule. It is a Scan of set as one
// batch that leaves set's objects whole.
func Run(ctx context.Context, set *render.Set, checks []*Check, cfg Config) ([]Finding, error) {
	sc, err := Start(checks, cfg)
	if err != nil {
		return nil, err
	}
	sc.prune = false
	if err := sc.Add(ctx, render.Batch{Objects: set.Objects, Texts: set.Texts}); err != nil {
		return nil, err
	}
	return sc.Finish(ctx, set)
}
