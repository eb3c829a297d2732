package scan

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestLiteralFilterSound: where a literal filter says no expression of its
// list can match, none matches, joined as gitleaks joins them or one by
// one. Checked for the path list of every global allowlist and, one
// expression at a time, for every rule's expression and every allowlist's
// expressions of gitleaks' default configuration, on the corpus' paths
// and lines and on texts built around each expression's literals; the
// filters must turn most paths away, or they save nothing.
func TestLiteralFilterSound(t *testing.T) {
	s, err := defaultSecrets()
	if err != nil {
		t.Fatal(err)
	}
	var probes []string
	n := 0
	err = filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n++; n%50 == 0 {
			rel, _ := filepath.Rel(corpus, p)
			probes = append(probes, rel, strings.ToUpper(rel), "node_modules/"+rel, rel+".lock")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range corpusTexts(t, filepath.Join(corpus, "realworld")) {
		for _, line := range strings.Split(string(b), "\n") {
			if n++; n%2000 == 0 && len(line) < 300 {
				probes = append(probes, line)
			}
		}
	}
	var lists [][]*regexp.Regexp
	for _, a := range s.cfg.Allowlists {
		lists = append(lists, a.Paths)
	}
	for _, r := range s.cfg.Rules {
		if r.Regex != nil {
			lists = append(lists, []*regexp.Regexp{r.Regex})
		}
		if r.Path != nil {
			lists = append(lists, []*regexp.Regexp{r.Path})
		}
		for _, a := range r.Allowlists {
			for _, re := range a.Regexes {
				lists = append(lists, []*regexp.Regexp{re})
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	filtered, checked, turned := 0, 0, 0
	for _, res := range lists {
		if len(res) == 0 {
			continue
		}
		f := newLiteralFilter(res)
		if f.any == nil {
			continue
		}
		filtered++
		var joined []string
		for _, re := range res {
			joined = append(joined, re.String())
		}
		all := regexp.MustCompile("(?:" + strings.Join(joined, "|") + ")")
		own := append([]string(nil), probes...)
		for _, l := range f.any {
			for range 3 {
				cut := l[:r.IntN(len(l)+1)]
				own = append(own, "a/"+l+"/b", strings.ToUpper(l), cut, "x"+cut+"_9", l+".yaml")
			}
		}
		for _, p := range own {
			checked++
			if f.mayMatch(p, strings.ToLower(p)) {
				continue
			}
			turned++
			if all.MatchString(p) {
				t.Errorf("%s matches %q, which its filter %q turns away", all, p, f.any)
			}
			for _, re := range res {
				if re.MatchString(p) {
					t.Errorf("%s matches %q, which its filter %q turns away", re, p, f.any)
				}
			}
		}
	}
	if filtered < 100 || turned < checked/2 {
		t.Errorf("%d expression lists with a filter, %d of %d texts turned away: the test proves little", filtered, turned, checked)
	}
	paths := 0
	for _, a := range s.allowedPaths {
		if a.any != nil {
			paths++
		}
	}
	if paths == 0 {
		t.Error("no global path allowlist has a filter")
	}
	t.Logf("%d expression lists with a filter; %d of %d texts turned away, none matched", filtered, turned, checked)
}

// TestRequiredLiterals: the literals of each form of expression, and none
// where a form may match without them.
func TestRequiredLiterals(t *testing.T) {
	for expr, want := range map[string][]string{
		`abc`:                     {"abc"},
		`(?i)ABC`:                 {"abc"},
		`x(?:abcd)*y`:             {"x"},
		`x(?:abcd){0,3}`:          {"x"},
		`(?:abcd){0,3}`:           nil,
		`(?:abcd)*`:               nil,
		`(?:abcd)?`:               nil,
		`(?:abcd)+`:               {"abcd"},
		`(abcd){2,}`:              {"abcd"},
		`(?:foo|b[a-z]+rr)`:       {"foo", "rr"},
		`(?:foo|[a-z]+)`:          nil,
		`^(?:node|vendor)/$`:      {"node/", "vendor/"},
		`\.(?:v(?:sidx|2)|.dll)$`: {"vsidx", "v2", "dll"},
		`(?:^|/)\.git$`:           {".git", "/.git"},
		`a(?:b|c)?d`:              {"a"},
		`a(?:bb|cc)?d`:            {"abbd", "accd", "ad"},
		`[a-z]+\.lock$`:           {".lock"},
	} {
		f := newLiteralFilter([]*regexp.Regexp{regexp.MustCompile(expr)})
		if !slices.Equal(f.any, want) {
			t.Errorf("%s: literals %q, want %q", expr, f.any, want)
		}
	}
	f := newLiteralFilter([]*regexp.Regexp{regexp.MustCompile(`(?i)secret`)})
	for s, want := range map[string]bool{"a/SECRET.yaml": true, "a/b.yaml": false, "a/ſecret.yaml": true, "a/ſ.yaml": true} {
		if got := f.mayMatch(s, strings.ToLower(s)); got != want {
			t.Errorf("mayMatch(%q) = %v, want %v", s, got, want)
		}
	}
}
