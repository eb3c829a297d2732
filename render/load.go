package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubeharden/kubeharden/internal/parallel"
)

// DefaultMaxFileSize is the largest file read when Options.MaxFileSize is 0.
const DefaultMaxFileSize = 10 << 20

// A ProblemKind says why an input could not be read in full.
type ProblemKind string

const (
	// Invalid marks a file that is not valid YAML or JSON.
	Invalid ProblemKind = "invalid"
	// Skipped marks a file that was not read: too large, binary, or a link
	// that leaves the repository.
	Skipped ProblemKind = "skipped"
)

// A Problem is an input that could not be read in full, located at the
// line that stopped the reader.
type Problem struct {
	Kind    ProblemKind
	Pos     Pos
	Message string
}

// Options control Load.
type Options struct {
	// Dir is the directory file names are made relative to (the working directory).
	Dir string
	// MaxFileSize is the largest file read, in bytes.
	MaxFileSize int64
	// Progress, when set, is called as work of each stage is done: files
	// read, kustomizations built, charts rendered. Calls may come from
	// several goroutines, one at a time.
	Progress func(stage Stage, done, total int)
	// Helm controls how the Helm charts found are rendered.
	Helm HelmOptions
	// ChartTimeout bounds the rendering of one chart (default
	// DefaultChartTimeout): a template can loop for as long as its author
	// likes, and a pull request must not stall the scan.
	ChartTimeout time.Duration
	// Exclude lists path globs (see MatchPath) of files and directories a
	// walk passes over: not read, not rendered, not built as roots. A
	// kustomization outside them still reads the bases and files it names.
	Exclude []string
	// Limits bound what the scan renders and loads (see Limits).
	Limits Limits
	// Each, when set, is handed every Batch of objects and texts as soon
	// as Load has taken it, in load order, before the next one is read: a
	// scan checks a batch and releases what it need not keep, so memory
	// does not grow with the texts and trees of the whole repository. The
	// texts then belong to Each (Set.Texts stays empty); Set.Objects
	// still lists every object. An error from Each stops Load.
	Each func(Batch) error
	// Prefetch, when set, is handed a chart's texts as soon as they are
	// read, before the chart renders, so that what reads only texts (the
	// secret search) runs beside the rendering; the same texts come again
	// in a Batch. Calls may come from several goroutines at once.
	Prefetch func([]Text)
}

// A Batch is what Load hands Options.Each at once: the objects of some
// inputs and the texts read for them (a kustomization's files with its
// objects, a chart's files with its renderings), so that a text and the
// objects read from it are in one batch.
type Batch struct {
	Objects []*Object
	Texts   []Text
}

// Batch sizes: files are read and handed over this many at a time, charts
// this many at a time. A batch's node trees are in memory together until
// the scan has checked and pruned them: 64 files keep that to a few
// megabytes (256 held a fifth of the peak heap of a 2,000-file tree) and
// still give every core work.
const (
	fileBatch  = 64
	chartBatch = 8
)

// A Stage is a kind of work Load reports progress on.
type Stage string

// Stages of Load.
const (
	StageFiles          Stage = "files"
	StageKustomizations Stage = "kustomizations"
	StageCharts         Stage = "charts"
)

// A Set is everything one scan read.
type Set struct {
	Files    int
	Objects  []*Object
	Problems []Problem
	// Charts lists the Helm chart directories found and rendered.
	Charts []string
	// Texts are the files read, as written, for secret detection.
	Texts []Text
	// Skipped lists the directories the walk did not enter, so a report
	// can say what it did not look at.
	Skipped []SkippedDir
	// NotManifests counts the files read that parse as YAML or JSON but
	// hold no Kubernetes object (no apiVersion and kind): data files,
	// other tools' configuration. They are not checked.
	NotManifests int
}

// A SkippedDir is a directory a walk passed over, and why.
type SkippedDir struct {
	Dir    string // slash-separated, relative to Options.Dir
	Reason string
}

// A Text is the content of one file a scan read, or of rendered output
// whose lines map to a file.
type Text struct {
	File string
	Data []byte
}

// skipReason says why a walk passes over the directory at path, or
// returns "" when it enters it. A vendor/ directory is entered unless it
// is Go's module vendor directory: elsewhere it can hold the manifests a
// repository deploys.
func skipReason(path, name string) string {
	switch name {
	case ".git":
		return "git's own data"
	case "node_modules":
		return "npm packages"
	case "vendor":
		if _, err := os.Lstat(filepath.Join(path, "modules.txt")); err == nil {
			return "Go's module vendor directory (it holds modules.txt)"
		}
	}
	return ""
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

type input struct {
	abs, rel string
	root     string // the argument it was found under; links may not leave it
}

// Load reads the manifests under paths (files or directories), in five
// phases: find the inputs, build the kustomizations, settle which charts
// are rendered on their own, read the plain files, render the charts.
func Load(ctx context.Context, paths []string, opt Options) (*Set, error) {
	if opt.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		opt.Dir = wd
	}
	if abs, err := filepath.Abs(opt.Dir); err == nil {
		opt.Dir = abs // relative names need an absolute base
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = DefaultMaxFileSize
	}
	opt.Limits = opt.Limits.withDefaults()
	opt.Helm.limits = opt.Limits // charts rendered by kustomizations too
	l := &load{opt: opt, budget: &objectBudget{limit: opt.Limits.Objects}, set: &Set{},
		seen: map[string]bool{}, kusts: map[string][]string{}}
	if err := l.find(paths); err != nil {
		return nil, err
	}
	if err := l.kustomize(ctx); err != nil {
		return nil, err
	}
	l.settle()
	if err := l.emit(slices.Clip(l.set.Objects), l.kustTexts); err != nil {
		return nil, err
	}
	l.kustTexts = nil
	if err := l.readFiles(ctx); err != nil {
		return nil, err
	}
	if err := l.renderCharts(ctx); err != nil {
		return nil, err
	}
	l.set.Problems = append(l.set.Problems, l.budget.problem()...)
	return l.set, nil
}

// A load is the state of one Load between its phases.
type load struct {
	opt    Options
	budget *objectBudget
	set    *Set
	inputs []input
	charts []string
	seen   map[string]bool
	// kusts are the kustomization directories found, by the scanned tree
	// they are in; trees lists those trees in the order found.
	kusts map[string][]string
	trees []string
	// consumed are the files kustomizations read; kustCharts the charts
	// they render; textOnly the charts only read as text.
	consumed   map[string]bool
	kustCharts map[string]bool
	textOnly   map[string]bool
	cache      *fileCache
	// kustTexts are the texts of the files kustomizations read, handed
	// over with their objects.
	kustTexts []Text
}

// emit hands the objects and texts just taken to Options.Each, or keeps
// the texts in the Set when no Each is set (the objects are already in
// it).
func (l *load) emit(objs []*Object, texts []Text) error {
	if l.opt.Each == nil {
		l.set.Texts = append(l.set.Texts, texts...)
		return nil
	}
	return l.opt.Each(Batch{Objects: objs, Texts: texts})
}

// inBatches calls fn for [from, to) ranges of n items, size at a time.
func inBatches(n, size int, fn func(from, to int) error) error {
	for from := 0; from < n; from += size {
		if err := fn(from, min(from+size, n)); err != nil {
			return err
		}
	}
	return nil
}

// find walks paths for plain files, chart directories and kustomization
// roots.
func (l *load) find(paths []string) error {
	opt, set, seen := l.opt, l.set, l.seen
	for _, p := range paths {
		abs, err := filepath.Abs(filepath.Join(opt.Dir, p))
		if filepath.IsAbs(p) {
			abs = filepath.Clean(p)
		}
		if err != nil {
			return err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		// A path inside a chart (its templates/, a values file) stands for
		// the chart: its files are never read as plain manifests.
		if c := enclosingChart(opt.Dir, abs); c != "" {
			if !seen[c] {
				seen[c] = true
				set.Charts = append(set.Charts, relPath(opt.Dir, c))
				l.charts = append(l.charts, c)
			}
			continue
		}
		if !fi.IsDir() {
			if slices.Contains(KustomizationNames, filepath.Base(abs)) {
				dir := filepath.Dir(abs)
				if _, ok := l.kusts[dir]; !ok {
					l.trees = append(l.trees, dir)
				}
				l.kusts[dir] = append(l.kusts[dir], dir)
				continue
			}
			if !seen[abs] {
				seen[abs] = true
				l.inputs = append(l.inputs, input{abs: abs, rel: relPath(opt.Dir, abs), root: filepath.Dir(abs)})
			}
			continue
		}
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable entries are passed over; the rest goes on
			}
			if path != abs && len(opt.Exclude) > 0 && MatchPath(opt.Exclude, relPath(opt.Dir, path)) {
				if d.IsDir() {
					set.Skipped = append(set.Skipped, SkippedDir{Dir: relPath(opt.Dir, path), Reason: "excluded by the configuration"})
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if why := skipReason(path, d.Name()); path != abs && why != "" {
					set.Skipped = append(set.Skipped, SkippedDir{Dir: relPath(opt.Dir, path), Reason: why})
					return filepath.SkipDir
				}
				if _, err := os.Lstat(filepath.Join(path, "Chart.yaml")); err == nil {
					if !seen[path] {
						seen[path] = true
						set.Charts = append(set.Charts, relPath(opt.Dir, path))
						l.charts = append(l.charts, path)
					}
					return filepath.SkipDir
				}
				if kustomizationFile(path) != "" {
					if _, ok := l.kusts[abs]; !ok {
						l.trees = append(l.trees, abs)
					}
					l.kusts[abs] = append(l.kusts[abs], path)
				}
				return nil
			}
			if !isManifestName(d.Name()) || seen[path] {
				return nil
			}
			seen[path] = true
			l.inputs = append(l.inputs, input{abs: path, rel: relPath(opt.Dir, path), root: abs})
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// kustomize builds the kustomizations first: the files they consume are
// not scanned again as plain manifests, but their text is kept.
func (l *load) kustomize(ctx context.Context) error {
	opt, set := l.opt, l.set
	l.cache = &fileCache{maxSize: opt.MaxFileSize, files: map[string]cached{}}
	l.consumed = map[string]bool{}
	l.kustCharts = map[string]bool{}
	for _, tree := range l.trees {
		k := newKustomizer(RepositoryRoot(tree), tree, opt, l.cache)
		k.budget = l.budget // each root's build takes from it
		res, err := k.kustomize(ctx, l.kusts[tree])
		if err != nil {
			return err
		}
		set.Objects = append(set.Objects, res.objects...)
		set.Problems = append(set.Problems, res.problems...)
		for f := range res.consumed {
			l.consumed[f] = true
		}
		for c := range res.charts {
			l.kustCharts[c] = true
		}
	}
	return nil
}

// settle decides what the kustomizations leave to the other phases:
// charts a kustomization renders are checked as its output, with its
// values, not on their own, and their text is still read; files it
// consumed are texts, not plain manifests.
func (l *load) settle() {
	opt, set := l.opt, l.set
	var own []string
	l.textOnly = map[string]bool{}
	for _, c := range l.charts {
		if l.kustCharts[c] {
			l.textOnly[c] = true
		} else {
			own = append(own, c)
		}
	}
	for c := range l.kustCharts {
		l.textOnly[c] = true // also those outside the scanned paths
	}
	set.Charts = nil
	for _, c := range own {
		set.Charts = append(set.Charts, relPath(opt.Dir, c))
	}
	l.charts = own
	for c := range l.textOnly {
		l.charts = append(l.charts, c)
	}
	sort.Strings(l.charts[len(own):])
	var plain []input
	for _, in := range l.inputs {
		if !l.consumed[in.abs] {
			plain = append(plain, in)
		}
	}
	l.inputs = plain
	var kustTexts []Text
	for f := range l.consumed {
		if data, err := l.cache.read(f); err == nil { // text only: a binary generator input is no text
			kustTexts = append(kustTexts, Text{File: relPath(opt.Dir, f), Data: data})
		}
	}
	sort.Slice(kustTexts, func(i, j int) bool { return kustTexts[i].File < kustTexts[j].File })
	l.kustTexts = kustTexts

	sort.Slice(l.inputs, func(i, j int) bool { return l.inputs[i].rel < l.inputs[j].rel })
	set.Files = len(l.inputs) + len(kustTexts)
	// The templates of charts kustomizations render count once each.
	chartFiles := map[string]bool{}
	for _, o := range set.Objects {
		if o.Source.Kind == "kustomize" && o.Source.Chart != "" {
			chartFiles[o.File] = true
		}
	}
	set.Files += len(chartFiles)
}

// progress returns a Progress call for stage that counts the work done,
// one call at a time; a no-op without Options.Progress.
func (l *load) progress(stage Stage, total int) func() {
	if l.opt.Progress == nil {
		return func() {}
	}
	var mu sync.Mutex
	done := 0
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		l.opt.Progress(stage, done, total)
	}
}

// readFiles reads and parses the plain files on every core, a batch at a
// time, and keeps their objects in order within the object budget. The
// next batch is read and parsed while the scan checks this one (Each), so
// that neither waits for the other's slowest file.
func (l *load) readFiles(ctx context.Context) error {
	progress := l.progress(StageFiles, len(l.inputs))
	n := len(l.inputs)
	type parsed struct {
		inputs  []input
		results []fileResult
		err     error
	}
	// parse starts reading inputs[from:to]. The budget it is given is the
	// one before the batches still to be taken: larger than it will be, so
	// that a file it reads may yet be dropped by the take, in order, as if
	// it had not been read.
	parse := func(from, to int) <-chan parsed {
		ch := make(chan parsed, 1)
		remain := l.budget.remaining()
		go func() {
			res, err := l.readBatch(ctx, l.inputs[from:to], remain, progress)
			ch <- parsed{l.inputs[from:to], res, err}
		}()
		return ch
	}
	if n == 0 {
		return nil
	}
	next := parse(0, min(fileBatch, n))
	for from := 0; from < n; from += fileBatch {
		b := <-next
		if b.err != nil {
			return b.err
		}
		pending := from+fileBatch < n
		if pending {
			next = parse(from+fileBatch, min(from+2*fileBatch, n))
		}
		if err := l.takeBatch(b.inputs, b.results); err != nil {
			if pending {
				<-next // no reading goes on after Load returns
			}
			return err
		}
	}
	return nil
}

// A fileResult is what reading one plain file gave.
type fileResult struct {
	objs    []*Object
	probs   []Problem
	text    []byte
	other   bool // parses, but is no manifest
	dropped bool // not parsed: the object budget was spent
	unread  bool // not read at all
}

// readBatch reads and parses inputs on every core, within remain objects
// (the object budget's remaining, or -1 once spent).
func (l *load) readBatch(ctx context.Context, inputs []input, remain int, progress func()) ([]fileResult, error) {
	opt := l.opt
	results := make([]fileResult, len(inputs))
	// Files are handed out in order; one whose predecessors alone exceed
	// the object budget would be dropped anyway, and is not parsed.
	files := newPrefixBudget(len(inputs), remain)
	err := parallel.ForEach(ctx, len(inputs), func(i int) {
		in := inputs[i]
		data, prob := readInput(in, opt.MaxFileSize)
		if prob != nil {
			results[i].probs = []Problem{*prob}
			results[i].unread = true
		} else if !files.over() {
			results[i].objs, results[i].probs = parseLimited(in.rel, data, opt.Limits.FileDocuments)
			results[i].text = data
			results[i].other = len(results[i].objs) == 0 && len(results[i].probs) == 0 && hasDocument(data)
		} else {
			results[i].dropped = true
			results[i].text = data
		}
		files.done(i, len(results[i].objs))
		progress()
	})
	return results, err
}

// takeBatch takes the objects of a batch's results in order within the
// object budget and hands them over.
func (l *load) takeBatch(inputs []input, results []fileResult) error {
	set := l.set
	first := len(set.Objects)
	var texts []Text
	for i, r := range results {
		// Whether a file after the budget is spent was parsed depends on
		// timing: none of what parsing found is kept, nor counted.
		switch {
		case r.unread:
			set.Problems = append(set.Problems, r.probs...)
		case !r.dropped && l.budget.take(len(r.objs), firstPos(r.objs, inputs[i].rel)):
			set.Objects = append(set.Objects, r.objs...)
			set.Problems = append(set.Problems, r.probs...)
			if r.other {
				set.NotManifests++
			}
		case r.dropped:
			l.budget.take(0, Pos{})
		}
		if r.text != nil {
			texts = append(texts, Text{File: inputs[i].rel, Data: r.text})
		}
	}
	return l.emit(slices.Clip(set.Objects[first:]), texts)
}

// renderCharts reads and renders the charts on every core, a batch at a
// time, and keeps their objects in order within the object budget.
func (l *load) renderCharts(ctx context.Context) error {
	progress := l.progress(StageCharts, len(l.charts))
	return inBatches(len(l.charts), chartBatch, func(from, to int) error {
		return l.renderBatch(ctx, l.charts[from:to], progress)
	})
}

// renderBatch renders charts on every core, takes their objects in order
// within the object budget and hands them over with the charts' texts.
func (l *load) renderBatch(ctx context.Context, charts []string, progress func()) error {
	opt, set := l.opt, l.set
	type chartResult struct {
		objs    []helmObject
		probs   []Problem
		texts   []Text
		dropped bool // not rendered: the object budget was spent
		unread  bool // not rendered: a problem in its files
	}
	rendered := make([]chartResult, len(charts))
	renders := newPrefixBudget(len(charts), l.budget.remaining())
	err := parallel.ForEach(ctx, len(charts), func(i int) {
		dir := charts[i]
		rendered[i].texts, rendered[i].probs = chartTexts(dir, opt)
		if opt.Prefetch != nil && len(rendered[i].probs) == 0 {
			opt.Prefetch(rendered[i].texts)
		}
		switch {
		case l.textOnly[dir]:
			rendered[i].probs = nil // reported by the kustomization
		case len(rendered[i].probs) > 0:
			rendered[i].unread = true
		case renders.over():
			rendered[i].dropped = true
		default:
			rendered[i].objs, rendered[i].probs = loadChartWithin(ctx, dir, opt)
		}
		renders.done(i, len(rendered[i].objs))
		progress()
	})
	if err != nil {
		return err
	}
	first := len(set.Objects)
	var texts []Text
	for i, r := range rendered {
		at := Pos{File: filepath.ToSlash(filepath.Join(relPath(opt.Dir, charts[i]), "Chart.yaml")), Line: 1, Column: 1}
		if !l.textOnly[charts[i]] && !r.unread && (r.dropped || !l.budget.take(len(r.objs), at)) {
			r.objs, r.probs = nil, nil
			if r.dropped {
				l.budget.take(0, at)
			}
		}
		files := map[string]bool{}
		for _, o := range r.objs {
			set.Objects = append(set.Objects, o.Object)
			files[o.File] = true
		}
		set.Files += len(files)
		set.Problems = append(set.Problems, r.probs...)
		texts = append(texts, r.texts...)
	}
	return l.emit(slices.Clip(set.Objects[first:]), texts)
}

// chartTexts reads a chart's text files (templates, values, CRDs) for
// secret detection, without following links. Helm's loader does follow
// them, so a link that leaves the chart refuses the whole chart: content
// under review must not read outside the repository.
func chartTexts(dir string, opt Options) ([]Text, []Problem) {
	var texts []Text
	var probs []Problem
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel := relPath(opt.Dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if r, rerr := filepath.Rel(dir, target); err != nil || rerr != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				probs = append(probs, Problem{Kind: Invalid, Pos: Pos{File: rel, Line: 1, Column: 1},
					Message: "is a symbolic link that leaves its Helm chart; the chart is not rendered, since rendering would read outside the repository"})
			}
			return nil
		}
		if d.IsDir() {
			// CRD schemas (a chart's crds/) hold no credentials; they are
			// megabytes of descriptions full of words like key and token.
			if d.Name() == "crds" && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json", ".tpl", ".txt", ".toml", ".conf", ".properties", ".env":
		default:
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > opt.MaxFileSize {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
			return nil
		}
		texts = append(texts, Text{File: rel, Data: data})
		return nil
	})
	return texts, probs
}

// enclosingChart returns the outermost chart directory, between dir and
// abs (a directory or file below it), that holds abs; "" when none does.
// abs itself, when a directory, counts only if it is inside a chart.
func enclosingChart(dir, abs string) string {
	r, err := filepath.Rel(dir, abs)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return ""
	}
	found := ""
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, "Chart.yaml")); err == nil {
			found = d
		}
		if d == dir || d == filepath.Dir(d) {
			return found
		}
	}
}

func relPath(dir, abs string) string {
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		rel = filepath.Base(abs)
	}
	return filepath.ToSlash(rel)
}

// readInput reads a file scanned as text: not a binary file, and
// otherwise as readFile.
func readInput(in input, maxSize int64) ([]byte, *Problem) {
	data, prob := readFile(in, maxSize)
	if prob == nil && isBinary(data) {
		return nil, &Problem{Kind: Skipped, Pos: Pos{File: in.rel, Line: 1, Column: 1}, Message: binaryMessage}
	}
	return data, prob
}

// readFile reads a regular file of at most maxSize bytes that is not a
// link leaving in.root.
func readFile(in input, maxSize int64) ([]byte, *Problem) {
	at := Pos{File: in.rel, Line: 1, Column: 1}
	skip := func(format string, args ...any) *Problem {
		return &Problem{Kind: Skipped, Pos: at, Message: fmt.Sprintf(format, args...)}
	}
	li, err := os.Lstat(in.abs)
	if err != nil {
		return nil, skip("cannot be read: %v", errors.Unwrap(err))
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(in.abs)
		if err != nil {
			return nil, skip("is a broken symbolic link; not read")
		}
		root, err := filepath.EvalSymlinks(in.root)
		if err != nil {
			root = in.root
		}
		if r, err := filepath.Rel(root, target); err != nil || r == ".." || strings.HasPrefix(r, "../") {
			return nil, skip("is a symbolic link that leaves the repository; not read")
		}
	}
	fi, err := os.Stat(in.abs)
	if err != nil {
		return nil, skip("cannot be read: %v", errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, skip("is not a regular file; not read")
	}
	if fi.Size() > maxSize {
		return nil, skip("is %s, over the %s limit (--max-file-size); not scanned", byteSize(fi.Size()), byteSize(maxSize))
	}
	f, err := os.Open(in.abs)
	if err != nil {
		return nil, skip("cannot be read: %v", errors.Unwrap(err))
	}
	defer f.Close()
	// Size the buffer from Stat; the limit still holds if the file grew.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(f, maxSize+1))
	data := buf.Bytes()
	if err != nil {
		return nil, skip("cannot be read: %v", err)
	}
	if int64(len(data)) > maxSize {
		return nil, skip("is over the %s limit (--max-file-size); not scanned", byteSize(maxSize))
	}
	return data, nil
}

// binaryMessage is the Skipped message of a binary file.
const binaryMessage = "is a binary file, not YAML or JSON; not scanned"

// isBinary reports whether data looks like a binary file's (a NUL byte in
// its head), as git and grep decide.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Parse reads the Kubernetes objects in one file's YAML or JSON text.
// Documents without apiVersion and kind are not objects and are skipped.
// A syntax error ends the file with a Problem; objects before it are kept.
func Parse(file string, data []byte) ([]*Object, []Problem) {
	data = jsonTabs(data)
	var objs []*Object
	if docs, ok := parseFast(data); ok {
		for _, doc := range docs {
			if root := deref(doc); root != nil && root.Kind == yaml.MappingNode {
				objs = appendObjects(objs, file, root, 0)
			}
		}
		return objs, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			return objs, []Problem{syntaxProblem(file, data, err)}
		}
		root := deref(&doc)
		if root == nil || root.Kind != yaml.MappingNode {
			continue
		}
		objs = appendObjects(objs, file, root, 0)
	}
	return objs, nil
}

// jsonTabs returns valid JSON with its tabs written as spaces: YAML does
// not allow tabs where JSON does (indentation), and in valid JSON a tab is
// only ever white space. Lines and columns stay as they are.
func jsonTabs(data []byte) []byte {
	if !bytes.Contains(data, []byte("\t")) || !json.Valid(data) {
		return data
	}
	return bytes.ReplaceAll(data, []byte("\t"), []byte(" "))
}

// hasDocument reports whether data holds a YAML document that is not
// empty (comments and null only).
func hasDocument(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(jsonTabs(data)))
	for {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			return false
		}
		if root := deref(&doc); root != nil && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
			return true
		}
	}
}

func appendObjects(objs []*Object, file string, n *yaml.Node, depth int) []*Object {
	o := &Object{File: file, Node: n, Source: Source{Kind: "file"}}
	o.APIVersion = o.String("apiVersion")
	o.Kind = o.String("kind")
	if o.APIVersion == "" || o.Kind == "" {
		return objs
	}
	if strings.HasSuffix(o.Kind, "List") && depth == 0 {
		if items := ValueAt(n, []Segment{{Key: "items"}}); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				if it = deref(it); it != nil && it.Kind == yaml.MappingNode {
					objs = appendObjects(objs, file, it, depth+1)
				}
			}
			return objs
		}
	}
	o.Name = o.String("metadata.name")
	if o.Name == "" {
		o.Name = o.String("metadata.generateName")
	}
	o.Namespace = o.String("metadata.namespace")
	return append(objs, o)
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// yaml.v3 reports parser errors (not scanner errors) with a 0-based line.
var parserErrors = []string{
	"did not find expected ',' or",
	"did not find expected '-' indicator",
	"did not find expected <",
	"did not find expected key",
	"did not find expected node content",
	"found undefined tag handle",
	"found incompatible YAML document",
	"found duplicate %",
}

func syntaxProblem(file string, data []byte, err error) Problem {
	msg := err.Error()
	line := 1
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		for _, p := range parserErrors {
			if strings.HasPrefix(msg, p) {
				line++
				break
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// An error at the end of the stream names the line after the last one.
	last := bytes.Count(bytes.TrimRight(data, "\r\n\t "), []byte("\n")) + 1
	return Problem{Kind: Invalid, Pos: Pos{File: file, Line: max(min(line, last), 1), Column: 1}, Message: "invalid YAML: " + msg}
}
