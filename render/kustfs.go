package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errEscape marks a path that leaves the repository, lexically or
// through a symbolic link.
var errEscape = errors.New("leaves the repository")

// within reports whether p is root or below it; both are clean and absolute.
func within(root, p string) bool {
	if p == root {
		return true
	}
	return strings.HasPrefix(p, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

// resolve follows the symbolic links of the longest existing prefix of p.
func resolve(p string) string {
	rest := ""
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// A fileCache holds the files kustomize builds read, shared by the builds
// of one Load: an overlay and its base read the base's files once.
type fileCache struct {
	mu      sync.Mutex
	maxSize int64
	files   map[string]cached
	// resolved are the paths treeFS checked, with their links followed:
	// every build of a tree asks for the same ones.
	resolved map[string]string
	// sources are the files parsed for positions, shared like the files:
	// a base that the overlays of several scanned trees use is parsed once.
	sources *sourceFiles
}

// resolve is resolve(p), once a Load.
func (c *fileCache) resolve(p string) string {
	c.mu.Lock()
	r, ok := c.resolved[p]
	c.mu.Unlock()
	if ok {
		return r
	}
	r = resolve(p)
	c.mu.Lock()
	if c.resolved == nil {
		c.resolved = map[string]string{}
	}
	c.resolved[p] = r
	c.mu.Unlock()
	return r
}

// sourceFiles returns the parsed files of the cache, names relative to dir.
func (c *fileCache) sourceFiles(dir string) *sourceFiles {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources == nil || c.sources.dir != dir {
		c.sources = &sourceFiles{dir: dir, cache: c, parsed: map[string]*sourceFile{}}
	}
	return c.sources
}

type cached struct {
	data   []byte
	err    error
	binary bool
}

// read returns a text file of the tree; a binary file is an error.
func (c *fileCache) read(abs string) ([]byte, error) {
	e := c.load(abs)
	if e.err == nil && e.binary {
		return nil, fmt.Errorf("%s %s", abs, binaryMessage)
	}
	return e.data, e.err
}

// readAny returns a file of the tree, text or binary: what kustomize reads
// itself (a configMapGenerator puts a binary file in binaryData).
func (c *fileCache) readAny(abs string) ([]byte, error) {
	e := c.load(abs)
	return e.data, e.err
}

func (c *fileCache) load(abs string) cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.files[abs]; ok {
		return e
	}
	// Callers check that abs stays in the repository (treeFS.check); the
	// root given here only keeps readFile's own link check from refusing
	// links between directories of the repository.
	data, prob := readFile(input{abs: abs, rel: abs, root: string(filepath.Separator)}, c.maxSize)
	e := cached{data: data, binary: prob == nil && isBinary(data)}
	if prob != nil {
		e.err = fmt.Errorf("%s %s", abs, prob.Message)
	}
	c.files[abs] = e
	return e
}

// A treeFS is the read-only file system kustomize builds see: the scanned
// tree, and nothing outside it. A path that leaves the tree, lexically or
// through a symbolic link, is refused and recorded; kustomization files
// are served as rewritten (origin annotations on, Helm charts replaced by
// the files of their rendered objects, which are served too).
type treeFS struct {
	root, real string // the scanned tree, as given and with links resolved
	cache      *fileCache
	override   map[string][]byte
	// read records the files a build read; refused the paths it was refused.
	read    map[string]bool
	refused []string
	// resources are the files kustomizations list as resources: each read
	// of one adds its documents to objects, a lower bound of what the
	// build holds. Past limit (when not negative) reads fail and over is
	// set, so a build that multiplies its bases stops early.
	resources map[string]bool
	objects   int
	limit     int
	over      bool
}

// errObjectLimit stops a build that holds more objects than the scan may
// still check.
var errObjectLimit = errors.New("the build holds more objects than the scan's limit")

var _ filesys.FileSystem = (*treeFS)(nil)

func newTreeFS(root string, cache *fileCache, override map[string][]byte) *treeFS {
	real := root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		real = r
	}
	return &treeFS{root: root, real: real, cache: cache, override: override, read: map[string]bool{}, limit: -1}
}

// check returns the clean absolute form of p, or errEscape.
func (f *treeFS) check(p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.root, p)
	}
	p = filepath.Clean(p)
	if !within(f.root, p) && !within(f.real, p) {
		f.refused = append(f.refused, p)
		return "", fmt.Errorf("%s %w", p, errEscape)
	}
	if !within(f.real, f.cache.resolve(p)) {
		f.refused = append(f.refused, p)
		return "", fmt.Errorf("%s is a symbolic link that %w", p, errEscape)
	}
	return p, nil
}

var errReadOnly = errors.New("the scanned tree is read-only")

func (f *treeFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *treeFS) Mkdir(string) error                  { return errReadOnly }
func (f *treeFS) MkdirAll(string) error               { return errReadOnly }
func (f *treeFS) RemoveAll(string) error              { return errReadOnly }
func (f *treeFS) WriteFile(string, []byte) error      { return errReadOnly }

func (f *treeFS) Open(p string) (filesys.File, error) {
	data, err := f.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), name: filepath.Base(p), size: int64(len(data))}, nil
}

func (f *treeFS) IsDir(p string) bool {
	p, err := f.check(p)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func (f *treeFS) ReadDir(p string) ([]string, error) {
	p, err := f.check(p)
	if err != nil {
		return nil, err
	}
	es, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names, nil
}

func (f *treeFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	p, err := f.check(p)
	if err != nil {
		return "", "", err
	}
	if _, ok := f.override[p]; ok {
		return filesys.ConfirmedDir(filepath.Dir(p)), filepath.Base(p), nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", "", err
	}
	if fi.IsDir() {
		return filesys.ConfirmedDir(p), "", nil
	}
	return filesys.ConfirmedDir(filepath.Dir(p)), filepath.Base(p), nil
}

func (f *treeFS) Exists(p string) bool {
	p, err := f.check(p)
	if err != nil {
		return false
	}
	if _, ok := f.override[p]; ok {
		return true
	}
	_, err = os.Stat(p)
	return err == nil
}

func (f *treeFS) Glob(pattern string) ([]string, error) {
	if _, err := f.check(filepath.Dir(pattern)); err != nil {
		return nil, err
	}
	ms, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if _, err := f.check(m); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *treeFS) ReadFile(p string) ([]byte, error) {
	p, err := f.check(p)
	if err != nil {
		return nil, err
	}
	data, ok := f.override[p]
	if !ok {
		if data, err = f.cache.readAny(p); err != nil {
			return nil, err
		}
	}
	f.read[p] = true
	if f.resources[p] && f.limit >= 0 {
		n, _, _ := countDocuments(data, f.limit-f.objects)
		if f.objects += n; f.objects > f.limit {
			f.over = true
			return nil, fmt.Errorf("%s: %w", p, errObjectLimit)
		}
	}
	return data, nil
}

func (f *treeFS) Walk(p string, fn filepath.WalkFunc) error {
	p, err := f.check(p)
	if err != nil {
		return err
	}
	return filepath.Walk(p, func(q string, info fs.FileInfo, err error) error {
		if _, cerr := f.check(q); cerr != nil {
			return nil
		}
		return fn(q, info, err)
	})
}

// A memFile is a file of the tree opened for reading.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (m *memFile) Write([]byte) (int, error) { return 0, errReadOnly }
func (m *memFile) Close() error              { return nil }
func (m *memFile) Stat() (os.FileInfo, error) {
	return memInfo{name: m.name, size: m.size}, nil
}

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
