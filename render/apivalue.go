package render

import (
	"errors"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// errSlowPath says a node tree holds a form the direct conversion leaves to
// the reference one (apiValueReference): an explicit tag, a merge key, a key
// that YAML 1.1 reads as something other than a string.
var errSlowPath = errors.New("form left to the reference conversion")

// apiValue converts a node tree to the JSON data kubectl sends for it:
// sigs.k8s.io/yaml reads manifests as YAML 1.1, so `yes`, `on` and `0o0` are a
// boolean and a number to the API server, where yaml.v3 reads strings. The
// tree is walked directly; a scalar that YAML 1.1 may read otherwise than as
// a string is resolved by the reference conversion on that scalar alone
// (cached: ports, replicas and booleans repeat everywhere), and a tree with a
// form the walk does not handle is converted whole by the reference.
// TestAPIValueMatchesReference holds the two to the same result on the
// corpus and the generated tree.
func apiValue(n *yaml.Node) (map[string]any, error) {
	budget := maxVisits
	v, err := directValue(n, 0, &budget)
	if err == nil {
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
	}
	return apiValueReference(n)
}

// maxAliasDepth bounds alias chains, and maxVisits the nodes one
// conversion visits: an alias expands its anchor in place, and a
// billion-laughs document expands a few lines into billions of nodes. Such
// a tree goes to the reference conversion, whose YAML reader refuses it.
const (
	maxAliasDepth = 64
	maxVisits     = 1 << 22
)

func directValue(n *yaml.Node, aliases int, budget *int) (any, error) {
	if *budget--; *budget < 0 {
		return nil, errSlowPath
	}
	if n.Style&yaml.TaggedStyle != 0 {
		return nil, errSlowPath
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, errSlowPath
		}
		return directValue(n.Content[0], aliases, budget)
	case yaml.AliasNode:
		if n.Alias == nil || aliases >= maxAliasDepth {
			return nil, errSlowPath
		}
		return directValue(n.Alias, aliases+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Style&yaml.TaggedStyle != 0 {
				return nil, errSlowPath
			}
			if k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
				if err := mergeValue(m, n.Content[i+1], aliases, budget); err != nil {
					return nil, err
				}
				continue
			}
			if k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 && (k.ShortTag() != "!!str" || mayResolve(k.Value)) {
				return nil, errSlowPath
			}
			v, err := directValue(n.Content[i+1], aliases, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := directValue(c, aliases, budget)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	case yaml.ScalarNode:
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return n.Value, nil
		}
		if n.ShortTag() == "!!str" && !mayResolve(n.Value) {
			return n.Value, nil
		}
		return resolvePlain(n.Value)
	}
	return nil, errSlowPath
}

// mergeValue applies a merge key's value to m as sigs.k8s.io/yaml's YAML
// reader (yaml v2) does: the fields of the merged mapping, or of each
// mapping of a sequence from the last to the first (earlier ones win), are
// set in m in their turn, replacing the fields written before the merge
// key; fields written after it replace them in turn. Any other form goes
// to the reference conversion.
func mergeValue(m map[string]any, v *yaml.Node, aliases int, budget *int) error {
	if v.Style&yaml.TaggedStyle != 0 {
		return errSlowPath
	}
	switch v.Kind {
	case yaml.AliasNode:
		if v.Alias == nil || v.Alias.Kind != yaml.MappingNode || aliases >= maxAliasDepth {
			return errSlowPath
		}
		return mergeValue(m, v.Alias, aliases+1, budget)
	case yaml.MappingNode:
		mv, err := directValue(v, aliases, budget)
		if err != nil {
			return err
		}
		for k, x := range mv.(map[string]any) {
			m[k] = x
		}
		return nil
	case yaml.SequenceNode:
		for i := len(v.Content) - 1; i >= 0; i-- {
			if c := v.Content[i]; c.Kind != yaml.AliasNode && c.Kind != yaml.MappingNode {
				return errSlowPath
			}
			if err := mergeValue(m, v.Content[i], aliases, budget); err != nil {
				return err
			}
		}
		return nil
	}
	return errSlowPath
}

// mayResolve reports whether YAML 1.1 may read a plain scalar as something
// other than a string: yaml v2 looks further only at text that starts with
// a digit, a sign or a dot, and at its words for booleans and null.
func mayResolve(s string) bool {
	if s == "" {
		return true
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == '~', c == '<', c == '=':
		return true
	}
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"null", "Null", "NULL":
		return true
	}
	return false
}

// plainString reports whether sigs.k8s.io/yaml can read the plain scalar
// s only as the string s, which the reference conversion need not tell:
// yaml v2 reads text that starts with a digit other than 0 as a
// timestamp, a decimal integer or a float if it can, and s can be none of
// them: its fifth byte is not a timestamp's dash, and it holds a byte no
// decimal integer (digits and underscores) or float (digits, '.', 'e',
// 'E', signs) holds. A checksum, a version with a suffix, a size with a
// unit: values no cache serves, each a marshal and two parses.
func plainString(s string) bool {
	if s == "" || s[0] < '1' || s[0] > '9' || (len(s) > 4 && s[4] == '-') || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '_', c == '.', c == 'e', c == 'E', c == '+', c == '-':
		default:
			return true
		}
	}
	return false
}

// plainCache holds the reference reading of plain scalars. It stops
// growing at plainCacheMax entries: a file of distinct numbers must not
// make it a leak.
var (
	plainCache    sync.Map
	plainCacheLen int64
	plainCacheMu  sync.Mutex
)

const plainCacheMax = 1 << 14

// resolvePlain reads one plain scalar as sigs.k8s.io/yaml does, by the
// reference conversion of a one-key mapping holding it.
func resolvePlain(s string) (any, error) {
	if plainString(s) {
		return s, nil
	}
	if v, ok := plainCache.Load(s); ok {
		return v, nil
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "v"},
		{Kind: yaml.ScalarNode, Value: s},
	}}
	m, err := apiValueReference(doc)
	if err != nil {
		return nil, errSlowPath
	}
	v, ok := m["v"]
	if !ok {
		return nil, errSlowPath
	}
	plainCacheMu.Lock()
	if plainCacheLen < plainCacheMax {
		plainCacheLen++
		plainCache.Store(s, v)
	}
	plainCacheMu.Unlock()
	return v, nil
}
