package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sameAsYAML reports how parseFast's documents for data differ from
// yaml.v3's: "" when parseFast refuses the text or they are the same, node
// for node and field for field (comments aside, which parseFast does not
// keep), an alias naming the node its counterpart names.
func sameAsYAML(data []byte) (accepted bool, diff string) {
	got, ok := parseFast(data)
	if !ok {
		return false, ""
	}
	var want []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return true, fmt.Sprintf("parseFast accepts what yaml.v3 rejects (%v)", err)
		}
		want = append(want, &doc)
	}
	if len(got) != len(want) {
		return true, fmt.Sprintf("%d documents, yaml.v3 %d", len(got), len(want))
	}
	seen := map[*yaml.Node]*yaml.Node{}
	for i := range want {
		if d := sameNode(got[i], want[i], fmt.Sprintf("doc %d", i), seen); d != "" {
			return true, d
		}
	}
	return true, ""
}

func sameNode(g, w *yaml.Node, at string, seen map[*yaml.Node]*yaml.Node) string {
	seen[w] = g
	at = fmt.Sprintf("%s (%d:%d)", at, w.Line, w.Column)
	switch {
	case g.Kind != w.Kind:
		return fmt.Sprintf("%s: kind %d, yaml.v3 %d", at, g.Kind, w.Kind)
	case g.Style != w.Style:
		return fmt.Sprintf("%s: style %d, yaml.v3 %d", at, g.Style, w.Style)
	case g.Tag != w.Tag:
		return fmt.Sprintf("%s: tag %q, yaml.v3 %q", at, g.Tag, w.Tag)
	case g.Value != w.Value:
		return fmt.Sprintf("%s: value %q, yaml.v3 %q", at, g.Value, w.Value)
	case g.Anchor != w.Anchor:
		return fmt.Sprintf("%s: anchor %q, yaml.v3 %q", at, g.Anchor, w.Anchor)
	case g.Line != w.Line || g.Column != w.Column:
		return fmt.Sprintf("%s: at %d:%d", at, g.Line, g.Column)
	case len(g.Content) != len(w.Content):
		return fmt.Sprintf("%s: %d children, yaml.v3 %d", at, len(g.Content), len(w.Content))
	case (g.Alias == nil) != (w.Alias == nil) || w.Alias != nil && seen[w.Alias] != g.Alias:
		return fmt.Sprintf("%s: alias names another node", at)
	}
	for i := range w.Content {
		if d := sameNode(g.Content[i], w.Content[i], fmt.Sprintf("%s/%d", at, i), seen); d != "" {
			return d
		}
	}
	return ""
}

// fastCases are texts parseFast reads (true) or must leave to yaml.v3
// (false), one for each construct and each edge of the subset.
var fastCases = []struct {
	text   string
	accept bool
}{
	{"a: 1\nb: two\nc: 'x y'\nd: \"q\\\"\\n\\t\\\\ \"\ne: ''\nf: 'it''s'\n", true},
	{"a:\n  b:\n    c: 1\n  d: 2\ne: 3\n", true},
	{"a:\n- 1\n- 2\nb:\n  - x\n  -   y\n", true},
	{"- a: 1\n  b: 2\n- c\n- - d\n  - e\n-\n  f: 3\n-\n- # c\n", true},
	{"a:\nb: # c\nc:\n# c\nd:   \n", true},
	{"k: ~\nk2: null\nt: true\nn: 012\nf: 1.5e3\nx: 0x1F\nd: 2001-12-14\ns: 1.2.3\ninf: .inf\n", true},
	{"key  : v\n\"q k\": 1\n's k': 2\nhttp://x: y\na#b: c\n-x: 1\n", true},
	{"a: b #c\nd: e# f\ng: 'h' # i\nj: [] # k\nl: {}\n", true},
	{"c: [\"sh\", \"-c\"]\nd: [ALL]\ne: [ a , 'b' ,1 ]\nf: [ ]\n", true},
	{"l: |\n  one\n  two\n\n  three\n\nnext: 1\n", true},
	{"l: |-\n  one\n\n\nk: |+\n  two\n\n\nm: >\n  a\n  b\n\n  c\n   d\n  e\n\nn: >-\n  x\n", true},
	{"l: |\n\n  \n  lead\n    more\n   \n  end\ns:\n  - |\n    in seq\n  - >+\n    keep\n\n", true},
	{"a: |  # c\n  x\n# c\nb: 1\n", true},
	{"a: >\n  one\n\n\n  two\n  \n   three\n", true},
	{"---\na: 1\n---\n# c\n---\nb: 2\n--- # c\n- x\n---\n", true},
	{"# c\n\n  a: 1\n  b: 2\n", true},
	{"a: &x\n  b: 1\nc: *x\nd: &y v\ne: &z [1]\n---\nf: *y\ng:\n  - &w\n    k: 1\n  - *w\n  - &v x\n", true},
	{"base: &b\n  x: 1\nover:\n  <<: *b\n  y: 2\n", true},
	{"a: &x\n  b: *x\n", true},
	{"a: &x\n- 1\n", true},
	{"a: 1\na: 2\n", true},
	{"", true},
	{"# only\n", true},
	{"a: 1", true},

	{"a: b: c\n", false},
	{"a:\n  b: 1\n c: 2\n", false},
	{"a: 1\n  b: 2\n", false},
	{"a: x\n  y\n\n  z\n\n\n  w # c\nb: 1\n", true},
	{"a:\n  b: x\n   y\n  c: 1\n- x\n  y\n", false},
	{"a:\n  b: x\n   y\n  c: 1\nd:\n- x\n  y\n-  z\n", true},
	{"a: x\n  # c\n  y\n", false},
	{"- a\n  b: c\n", false},
	{"a: |\n  x\ty\n  \tz\n\t\n", false},
	{"a: |\n  x\ty\n  \tz\n  \t\nb: >\n  q\n  \tr\n  s\n", true},
	{"b: >\n  \tq\n", false},
	{"a: |\n\tx\n", false},
	{"a: x\ty\n", false},
	{"# \tc\na: 1\n", true},
	{"a: |\n  x\n  ", true},
	{"a: >-\n  x\n   ", true},
	{"a: 'x\n  y'\n", false},
	{"a:\n\tb: 1\n", false},
	{"a: 1\r\nb: |\r\n  x\r\n\r\n  y\r\nc: >\r\n  p\r\n  q\r\nd: m\r\n  n\r\n", true},
	{"{\n  \"a\": 1,\n  \"b\" : [true, false, null, -1.5e3, \"x\\\"y\"],\n  \"c\":\n    {},\n  \"d\": [], \"e\": {\"f\": [[1], {\"g\": \"h\"}]}\n}\n", true},
	{"[\"a\", 2]", true},
	{"\r\n{\"a\": 1}\r\n", true},
	{"{\"a\": 1,}\n", false},
	{"{\"a\": - 1}\n", false},
	{"{\"a\": \"\\u0041\\u003c\\u00e9\\u20ac\\uFFFD\"}\n", true},
	{"{\"a\": \"\\ud83d\\ude00\"}\n", false},
	{"{\"a\": \"\\u00g1\"}\n", false},
	{"{\"a\": \"\\u00\"}\n", false},
	{"a: \"\\u0041b\"\n", true},
	{"{\"a\": 1} # c\n", false},
	{"{\"a\"\n: 1}\n", false},
	{"{a: 1}\n", false},
	{"{\"a\": 1}\n---\n{\"b\": 2}\n", true},
	{"{\"a\": 1}\n{\"b\": 2}\n", false},
	{"{\"a\":\t1}\n", false},
	{"a: 1\rb: 2\n", false},
	{"a: 1\r", false},
	{"a: { }\nb: ::1\nc: ?x\nd: [-]\ne: -\n", false},
	{"a: { }\nb: ::1\nc: ?x\nd: [-]\n:e: 1\n", true},
	{"a: \"\\x41\"\n", false},
	{"a: *nope\n", false},
	{"a: !!str 1\n", false},
	{"a: [b, [c]]\n", false},
	{"a: {b: c}\n", false},
	{"a: |2\n  x\n", false},
	{"a: |\n", false},
	{"a: |\n  x", true},
	{"a: |\n    \n  x\n", false},
	{"...\n", false},
	{"--- a\n", false},
	{"plain\n", false},
	{"- a\n b\n", true},
	{"a: é\n", true},
	{"é: 'ü' # ✓\nb: [ö, \"ß\", ☃]\nc: 😀 x\n  ẞ: y\n- ü: x\n  k: v\nd: |\n  ö\n  ä\n", false},
	{"é: 'ü' # ✓\nb: [ö, \"ß\", ☃]\nc: 😀 x\n  ẞ y\nl:\n- ü: x\n  k: v\nd: >\n  ö\n  ä\ne: \u00a0b\n", true},
	{"- k: &ä v\n", false},
	{"a: \u0085\n", false},
	{"a: b\u2028c\n", false},
	{"\ufeffa: 1\n", false},
	{"a: \xff\n", false},
	{"a: \u0080\n", false},
	{"? a\n: b\n", false},
	{"a: &x\nb: 1\n", false},
	{"- &x k: v\n", false},
	{"a:\n  - b\n  c: d\n", false},
	{"a: [b,]\n", false},
	{"a: [b?c]\n", false},
	{"a: \"\\/\"\n", false},
	{"a: x? y\nb: http://x?y=1\n", true},
	{"---\n", true},
	{"---", false},
	{"a: - b\n", false},
	{"%YAML 1.2\n---\na: 1\n", false},
	{"a:\n  " + strings.Repeat("- ", 1001) + "x\n", false},
	{"a:\n  " + strings.Repeat("- ", 998) + "x\n", true},
}

func TestParseFastCases(t *testing.T) {
	for _, c := range fastCases {
		accepted, diff := sameAsYAML([]byte(c.text))
		if diff != "" {
			t.Errorf("%q: %s", c.text, diff)
		}
		if accepted != c.accept {
			t.Errorf("%q: accepted %v, want %v", c.text, accepted, c.accept)
		}
	}
}

// TestParseFastMatchesYAML holds parseFast to yaml.v3 on every YAML file
// of testdata and the corpus beside the repository, and on random edits of
// them (characters that matter to YAML put in, taken out, lines indented
// and repeated): whatever parseFast accepts, yaml.v3 parses to the same
// nodes.
func TestParseFastMatchesYAML(t *testing.T) {
	var files []string
	for _, root := range []string{"../testdata", "../../shared/corpus"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
				files = append(files, p)
			}
			return nil
		})
	}
	rng := rand.New(rand.NewSource(1))
	edits := 8
	if testing.Short() {
		edits = 2
	}
	accepted, total := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total++
		ok, diff := sameAsYAML(data)
		if diff != "" {
			t.Errorf("%s: %s", f, diff)
		}
		if ok {
			accepted++
		}
		if len(data) > 64<<10 {
			continue
		}
		for range edits {
			m := mutateYAML(rng, data)
			if _, diff := sameAsYAML(m); diff != "" {
				t.Errorf("%s edited: %s\n%s", f, diff, m)
			}
		}
	}
	// The fast path must carry most files, or the test proves little.
	if accepted*10 < total*7 {
		t.Errorf("parseFast accepts %d of %d files", accepted, total)
	}
	t.Logf("parseFast accepts %d of %d files", accepted, total)
}

var yamlBits = []string{" ", "  ", "\n", "- ", ": ", ":", "#", " #", "'", "\"", "|", "|-", ">", "[", "]", "{", "}",
	",", "&a ", "*a", "&b\n", "\\", "\\n", "---\n", "...\n", "<<: *a\n", "? ", "~", "null", "-", "\n\n", "  - ", "  x: y\n"}

// mutateYAML returns data with one to three random edits.
func mutateYAML(rng *rand.Rand, data []byte) []byte {
	m := append([]byte(nil), data...)
	for range 1 + rng.Intn(3) {
		if len(m) == 0 {
			m = append(m, yamlBits[rng.Intn(len(yamlBits))]...)
			continue
		}
		at := rng.Intn(len(m))
		switch rng.Intn(5) {
		case 0: // delete a few bytes
			end := min(len(m), at+1+rng.Intn(3))
			m = append(m[:at:at], m[end:]...)
		case 1, 2: // insert something YAML reads
			bit := yamlBits[rng.Intn(len(yamlBits))]
			m = append(m[:at:at], append([]byte(bit), m[at:]...)...)
		case 3: // indent or outdent a line
			ls := bytes.Split(m, []byte("\n"))
			i := rng.Intn(len(ls))
			if rng.Intn(2) == 0 {
				ls[i] = append([]byte(strings.Repeat(" ", 1+rng.Intn(2))), ls[i]...)
			} else {
				ls[i] = bytes.TrimPrefix(ls[i], []byte(" "))
			}
			m = bytes.Join(ls, []byte("\n"))
		case 4: // repeat a line
			ls := bytes.Split(m, []byte("\n"))
			i := rng.Intn(len(ls))
			ls = append(ls[:i+1:i+1], ls[i:]...)
			m = bytes.Join(ls, []byte("\n"))
		}
	}
	return m
}

func FuzzParseFast(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, diff := sameAsYAML(data); diff != "" {
			t.Errorf("%q: %s", data, diff)
		}
	})
}
