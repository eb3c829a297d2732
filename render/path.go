package render

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A Segment is one step of a field path: a mapping key or a sequence index.
type Segment struct {
	Key   string
	Index int // used when IsIndex
	IsIdx bool
}

// ParsePath splits a field path such as
// `spec.containers[0].securityContext.privileged` or
// `metadata.annotations["example.com/key"]` into segments.
func ParsePath(p string) ([]Segment, error) {
	// One allocation: at most a segment a separator, and one more.
	segs := make([]Segment, 0, 1+strings.Count(p, ".")+strings.Count(p, "["))
	i := 0
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", p)
			}
			inner := p[i+1 : i+end]
			if strings.HasPrefix(inner, `"`) {
				// Quoted keys may hold ']' characters, so find the closing quote.
				k, rest, err := unquotePrefix(p[i+1:])
				if err != nil {
					return nil, fmt.Errorf("path %q: %w", p, err)
				}
				if !strings.HasPrefix(rest, "]") {
					return nil, fmt.Errorf("path %q: expected ] after quoted key", p)
				}
				segs = append(segs, Segment{Key: k})
				i = len(p) - len(rest) + 1
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("path %q: bad index %q", p, inner)
			}
			segs = append(segs, Segment{Index: n, IsIdx: true})
			i += end + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			segs = append(segs, Segment{Key: p[i:j]})
			i = j
		}
	}
	if len(segs) == 0 {
		return nil, nil // as before the one allocation: "." has no segment
	}
	return segs, nil
}

func unquotePrefix(s string) (string, string, error) {
	for j := 1; j < len(s); j++ {
		if s[j] == '\\' {
			j++
			continue
		}
		if s[j] == '"' {
			k, err := strconv.Unquote(s[:j+1])
			return k, s[j+1:], err
		}
	}
	return "", "", fmt.Errorf("unclosed quote")
}

// Key returns a path segment for a mapping key, quoting keys that are not
// plain identifiers.
func Key(k string) string {
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "[" + strconv.Quote(k) + "]"
		}
	}
	if k == "" {
		return `[""]`
	}
	return "." + k
}

// Join appends child path text to a parent path.
func Join(parent, child string) string {
	switch {
	case parent == "":
		return strings.TrimPrefix(child, ".")
	case child == "":
		return parent
	case child[0] == '[' || child[0] == '.':
		return parent + child
	}
	return parent + "." + child
}

// deref follows documents and aliases to the node that holds content.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// lookupKey finds key in a mapping node, honouring merge keys (<<). It
// returns the key node and the value node.
func lookupKey(m *yaml.Node, key string, depth int) (*yaml.Node, *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 32 {
		return nil, nil
	}
	// Explicit keys win over merged ones, and a later duplicate wins as in yaml.v3.
	var k, v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key && kn.Tag != "!!merge" {
			k, v = kn, m.Content[i+1]
		}
	}
	if k != nil {
		return k, v
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn := m.Content[i]
		if kn.Kind != yaml.ScalarNode || kn.Tag != "!!merge" {
			continue
		}
		src := deref(m.Content[i+1])
		if src == nil {
			continue
		}
		if src.Kind == yaml.SequenceNode {
			for _, s := range src.Content {
				if k, v := lookupKey(s, key, depth+1); k != nil {
					return k, v
				}
			}
			continue
		}
		if k, v := lookupKey(src, key, depth+1); k != nil {
			return k, v
		}
	}
	return nil, nil
}

// Resolve walks segs from n. It returns the node that marks the deepest
// existing step (the key node for mapping keys, the item for sequence
// items) and whether every step existed.
func Resolve(n *yaml.Node, segs []Segment) (marker *yaml.Node, exact bool) {
	cur := deref(n)
	marker = cur
	for _, s := range segs {
		if cur == nil {
			return marker, false
		}
		if s.IsIdx {
			if cur.Kind != yaml.SequenceNode || s.Index >= len(cur.Content) {
				return marker, false
			}
			item := cur.Content[s.Index]
			marker = item
			cur = deref(item)
			if cur != item && cur != nil && item.Kind == yaml.AliasNode {
				marker = cur
			}
			continue
		}
		k, v := lookupKey(cur, s.Key, 0)
		if k == nil {
			return marker, false
		}
		marker = k
		cur = deref(v)
	}
	return marker, true
}

// ValueAt returns the value node at segs, or nil when a step is missing.
func ValueAt(n *yaml.Node, segs []Segment) *yaml.Node {
	cur := deref(n)
	for _, s := range segs {
		if cur == nil {
			return nil
		}
		if s.IsIdx {
			if cur.Kind != yaml.SequenceNode || s.Index >= len(cur.Content) {
				return nil
			}
			cur = deref(cur.Content[s.Index])
			continue
		}
		_, v := lookupKey(cur, s.Key, 0)
		cur = deref(v)
	}
	return cur
}
