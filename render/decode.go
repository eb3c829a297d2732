package render

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Decoding a field of an object into a Go type (a k8s.io/api pod template,
// an RBAC rule) is defined as encoding/json reading the field's API value
// (Value): decodeJSON does exactly that. It converts the whole object to
// generic data, writes the field out as JSON and parses it again, which is
// a good part of a scan's time. decodeNode does the same work straight from
// the node tree, for the forms that make up nearly every manifest: plain
// mappings, sequences and scalars, into structs, pointers, slices, maps with
// string keys and empty interfaces. Whatever else it meets (an alias, a
// merge key, a tag, a key only a case-insensitive match would place, a
// value encoding/json would reject, a type with its own JSON decoding at the
// top) makes it give up, and decodeJSON reads the field instead, so errors
// and edge cases are encoding/json's own. Types with their own JSON
// decoding inside a field (a Quantity, an IntOrString, a Time) are handed
// their JSON text as encoding/json would hand it. TestDecodeMatchesJSON,
// TestDecodeMutations and FuzzDecode hold the two to the same result. The
// one difference: an object with a form the direct conversion leaves to the
// reference one (a tag, a key YAML 1.1 reads as a number) has the
// reference's API value, which writes the whole object out and reads it
// back; a field decoded from the node tree is read as the direct
// conversion reads it.

// errGiveUp says decodeNode met a form it leaves to decodeJSON.
var errGiveUp = errors.New("form left to the JSON decoding")

// Decode decodes the field at path into v (a k8s.io/api type, usually) as
// encoding/json reads the field's API value (see Value): what the API
// server would make of it.
func (o *Object) Decode(path string, v any) error {
	segs, err := ParsePath(path)
	if err != nil {
		return err
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().IsZero() {
		if n, ok := plainAt(o.Tree(), segs); ok {
			budget := maxVisits
			if decodeNode(n, rv.Elem(), &budget) == nil {
				return nil
			}
			rv.Elem().SetZero()
		}
	}
	return o.decodeJSON(path, segs, v)
}

// decodeJSON decodes the field at segs into v through its JSON form.
func (o *Object) decodeJSON(path string, segs []Segment, v any) error {
	var cur any = o.Value()
	for _, s := range segs {
		switch c := cur.(type) {
		case map[string]any:
			if s.IsIdx {
				return fmt.Errorf("%s: not a list", path)
			}
			cur = c[s.Key]
		case []any:
			if !s.IsIdx || s.Index >= len(c) {
				return fmt.Errorf("%s: not a map", path)
			}
			cur = c[s.Index]
		default:
			cur = nil
		}
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

// plainAt returns the node at segs when the way there is plain: no alias,
// merge key, tag or key that YAML 1.1 reads as other than a string. A
// missing field is a nil node: JSON null. ok is false when the way is not
// plain or a step does not fit (an index into a mapping): decodeJSON says
// what is wrong.
func plainAt(n *yaml.Node, segs []Segment) (*yaml.Node, bool) {
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) != 1 {
			return nil, false
		}
		n = n.Content[0]
	}
	for _, s := range segs {
		n = unalias(n)
		if n == nil {
			return nil, true
		}
		if n.Style&yaml.TaggedStyle != 0 {
			return nil, false
		}
		switch n.Kind {
		case yaml.MappingNode:
			if s.IsIdx {
				return nil, false
			}
			var found *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, ok := plainKey(n.Content[i])
				if !ok {
					return nil, false
				}
				if key == s.Key {
					if found != nil {
						return nil, false
					}
					found = n.Content[i+1]
				}
			}
			n = found
		case yaml.SequenceNode:
			if !s.IsIdx || s.Index >= len(n.Content) {
				return nil, false
			}
			n = n.Content[s.Index]
		case yaml.ScalarNode:
			n = nil // a scalar has no fields: the value is null
		default:
			return nil, false
		}
	}
	return n, true
}

// unalias returns the node an alias stands for, as the API value has it.
func unalias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == maxAliasDepth {
			return nil
		}
		n = n.Alias
	}
	return n
}

// plainKey returns a mapping key as the API value has it, when the key is
// a plain string to YAML 1.1 and not a merge key.
func plainKey(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode || k.Style&yaml.TaggedStyle != 0 {
		return "", false
	}
	if k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return k.Value, utf8.ValidString(k.Value)
	}
	if k.Value == "<<" || k.ShortTag() != "!!str" || mayResolve(k.Value) {
		return "", false
	}
	return k.Value, utf8.ValidString(k.Value)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonNumber      = reflect.TypeFor[json.Number]()
)

// decodeNode stores the value of n (nil for null) in v as encoding/json
// stores the same value written as JSON, or returns errGiveUp. An alias
// stands for its anchor's node, as in the API value; budget bounds the
// nodes visited, aliases expanded.
func decodeNode(n *yaml.Node, v reflect.Value, budget *int) error {
	if *budget--; *budget < 0 {
		return errGiveUp
	}
	if n != nil && n.Kind == yaml.AliasNode {
		if n = unalias(n); n == nil {
			return errGiveUp
		}
	}
	t := v.Type()
	if ownDecoding(t) {
		return viaJSON(n, v, budget)
	}
	if n != nil && (n.Kind == yaml.DocumentNode || n.Style&yaml.TaggedStyle != 0) {
		return errGiveUp
	}
	if n == nil || n.Kind == yaml.ScalarNode {
		return decodeScalar(n, v, budget)
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decodeNode(n, v.Elem(), budget)
	case reflect.Interface:
		return decodeAny(n, v, budget)
	}
	switch n.Kind {
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Struct:
			return decodeStruct(n, v, budget)
		case reflect.Map:
			return decodeMap(n, v, budget)
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 {
			s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
			for i, c := range n.Content {
				if err := decodeNode(c, s.Index(i), budget); err != nil {
					return err
				}
			}
			v.Set(s)
			return nil
		}
	}
	return errGiveUp
}

// ownDecoding reports whether encoding/json leaves values of t, or what t
// points to, to their own methods.
func ownDecoding(t reflect.Type) bool {
	if d, ok := ownDecodingCache.Load(t); ok {
		return d.(bool)
	}
	d := false
	for u := t; ; u = u.Elem() {
		p := reflect.PointerTo(u)
		if u.Implements(jsonUnmarshaler) || p.Implements(jsonUnmarshaler) ||
			u.Implements(textUnmarshaler) || p.Implements(textUnmarshaler) {
			d = true
			break
		}
		if u.Kind() != reflect.Pointer {
			break
		}
	}
	ownDecodingCache.Store(t, d)
	return d
}

var ownDecodingCache sync.Map // reflect.Type → bool

// nodeValue is n's API value (directValue), nil for a nil node.
func nodeValue(n *yaml.Node, budget *int) (any, error) {
	if n == nil {
		return nil, nil
	}
	v, err := directValue(n, 0, budget)
	if err != nil {
		return nil, errGiveUp
	}
	return v, nil
}

// viaJSON hands a value of a type with its own decoding its JSON text.
func viaJSON(n *yaml.Node, v reflect.Value, budget *int) error {
	val, err := nodeValue(n, budget)
	if err != nil {
		return err
	}
	b, err := json.Marshal(val)
	if err != nil || json.Unmarshal(b, v.Addr().Interface()) != nil {
		return errGiveUp
	}
	return nil
}

// decodeScalar stores a scalar, or null for a nil node.
func decodeScalar(n *yaml.Node, v reflect.Value, budget *int) error {
	val, err := nodeValue(n, budget)
	if err != nil {
		return err
	}
	t := v.Type()
	if val == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return nil
	}
	if t.Kind() == reflect.Pointer {
		v.Set(reflect.New(t.Elem()))
		return decodeNode(n, v.Elem(), budget)
	}
	switch val := val.(type) {
	case string:
		if !utf8.ValidString(val) {
			return errGiveUp
		}
		if t.Kind() == reflect.String && t != jsonNumber {
			v.SetString(val)
			return nil
		}
	case bool:
		if t.Kind() == reflect.Bool {
			v.SetBool(val)
			return nil
		}
	case json.Number:
		return decodeNumber(string(val), v)
	default:
		return errGiveUp
	}
	if t.Kind() == reflect.Interface && t.NumMethod() == 0 {
		v.Set(reflect.ValueOf(val))
		return nil
	}
	return errGiveUp
}

// decodeNumber stores a number as encoding/json does, giving up where it
// would report an error.
func decodeNumber(s string, v reflect.Value) error {
	t := v.Type()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(i) {
			return errGiveUp
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v.OverflowUint(u) {
			return errGiveUp
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil || v.OverflowFloat(f) {
			return errGiveUp
		}
		v.SetFloat(f)
		return nil
	case reflect.Interface:
		if t.NumMethod() == 0 {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return errGiveUp
			}
			v.Set(reflect.ValueOf(f))
			return nil
		}
	}
	return errGiveUp
}

// decodeAny stores a mapping or sequence in an empty interface as the
// maps, slices and float64 numbers encoding/json makes.
func decodeAny(n *yaml.Node, v reflect.Value, budget *int) error {
	if v.Type().NumMethod() != 0 || !v.IsNil() {
		return errGiveUp
	}
	val, err := directValue(n, 0, budget)
	if err != nil {
		return errGiveUp
	}
	if val, err = jsonNumbers(val); err != nil {
		return errGiveUp
	}
	if val == nil {
		return nil
	}
	v.Set(reflect.ValueOf(val))
	return nil
}

// jsonNumbers turns the json.Number values of an API value into the
// float64 values encoding/json decodes into an interface.
func jsonNumbers(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if !utf8.ValidString(k) {
				return nil, errGiveUp
			}
			c, err := jsonNumbers(e)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
	case []any:
		for i, e := range t {
			c, err := jsonNumbers(e)
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
	case json.Number:
		return strconv.ParseFloat(string(t), 64)
	case string:
		if !utf8.ValidString(t) {
			return nil, errGiveUp
		}
	}
	return v, nil
}

func decodeStruct(n *yaml.Node, v reflect.Value, budget *int) error {
	fs := fieldsOf(v.Type())
	if fs == nil {
		return errGiveUp
	}
	var seen uint64
	return eachField(n, budget, func(key string, val *yaml.Node) error {
		j, ok := fs.byName[key]
		if !ok {
			if fs.foldsTo(key) {
				return errGiveUp // encoding/json would match it regardless of case
			}
			return nil
		}
		if seen&(1<<j) != 0 {
			return errGiveUp // a duplicate key
		}
		seen |= 1 << j
		return decodeNode(val, v.FieldByIndex(fs.fields[j].index), budget)
	})
}

func decodeMap(n *yaml.Node, v reflect.Value, budget *int) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String || ownDecoding(t.Key()) {
		return errGiveUp
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	return eachField(n, budget, func(key string, val *yaml.Node) error {
		k := reflect.ValueOf(key)
		if t.Key() != k.Type() {
			k = k.Convert(t.Key())
		}
		if v.MapIndex(k).IsValid() {
			return errGiveUp // a duplicate key
		}
		e := reflect.New(t.Elem()).Elem()
		if err := decodeNode(val, e, budget); err != nil {
			return err
		}
		v.SetMapIndex(k, e)
		return nil
	})
}

// eachField calls f with each field of a mapping as the API value has it.
// A mapping with merge keys is resolved first, as mergeValue resolves it:
// each field once, with the value that wins.
func eachField(n *yaml.Node, budget *int, f func(key string, val *yaml.Node) error) error {
	merges := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			merges = true
			break
		}
	}
	if !merges {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, ok := plainKey(n.Content[i])
			if !ok {
				return errGiveUp
			}
			if err := f(key, n.Content[i+1]); err != nil {
				return err
			}
		}
		return nil
	}
	var m merged
	if !m.mapping(n, 0, budget) {
		return errGiveUp
	}
	for i, key := range m.keys {
		if err := f(key, m.vals[i]); err != nil {
			return err
		}
	}
	return nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.TaggedStyle) == 0
}

// merged collects the fields of a mapping with merge keys, in the order
// they first appear, each with the value written last.
type merged struct {
	keys []string
	vals []*yaml.Node
	at   map[string]int
}

func (m *merged) set(key string, val *yaml.Node) {
	if m.at == nil {
		m.at = map[string]int{}
	}
	if i, ok := m.at[key]; ok {
		m.vals[i] = val
		return
	}
	m.at[key] = len(m.keys)
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, val)
}

func (m *merged) mapping(n *yaml.Node, aliases int, budget *int) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if *budget--; *budget < 0 {
			return false
		}
		if isMergeKey(n.Content[i]) {
			if !m.merge(n.Content[i+1], aliases, budget) {
				return false
			}
			continue
		}
		key, ok := plainKey(n.Content[i])
		if !ok {
			return false
		}
		m.set(key, n.Content[i+1])
	}
	return true
}

// merge applies a merge key's value: a mapping, or a sequence of them
// from the last to the first, so that earlier ones win.
func (m *merged) merge(v *yaml.Node, aliases int, budget *int) bool {
	if v.Style&yaml.TaggedStyle != 0 || aliases > maxAliasDepth {
		return false
	}
	switch v.Kind {
	case yaml.AliasNode:
		return v.Alias != nil && v.Alias.Kind == yaml.MappingNode && m.merge(v.Alias, aliases+1, budget)
	case yaml.MappingNode:
		return m.mapping(v, aliases, budget)
	case yaml.SequenceNode:
		for i := len(v.Content) - 1; i >= 0; i-- {
			if c := v.Content[i]; c.Kind != yaml.AliasNode && c.Kind != yaml.MappingNode || !m.merge(c, aliases, budget) {
				return false
			}
		}
		return true
	}
	return false
}

// structFields are the JSON fields of a struct type, as encoding/json
// finds them: exported fields by their tag's name or their own, those of
// embedded structs promoted.
type structFields struct {
	fields []structField
	byName map[string]int
}

type structField struct {
	name  string
	index []int
}

func (fs *structFields) foldsTo(key string) bool {
	for _, f := range fs.fields {
		if strings.EqualFold(f.name, key) {
			return true
		}
	}
	return false
}

var fieldsCache sync.Map // reflect.Type → *structFields (nil: left to decodeJSON)

// fieldsOf returns t's JSON fields, or nil for a struct whose fields
// encoding/json resolves by rules decodeNode does not follow: two fields
// of one name, an embedded pointer, the string option, more than 64.
func fieldsOf(t reflect.Type) *structFields {
	if fs, ok := fieldsCache.Load(t); ok {
		return fs.(*structFields)
	}
	fs := &structFields{byName: map[string]int{}}
	if !collectFields(t, nil, fs, 0) || len(fs.fields) > 64 {
		fs = nil
	}
	fieldsCache.Store(t, fs)
	return fs
}

func collectFields(t reflect.Type, index []int, fs *structFields, depth int) bool {
	if depth > 8 {
		return false
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			if sf.Type.Kind() != reflect.Struct {
				if sf.Type.Kind() == reflect.Pointer || sf.IsExported() {
					return false
				}
				continue
			}
			if !collectFields(sf.Type, append(index[:len(index):len(index)], i), fs, depth+1) {
				return false
			}
			continue
		}
		if !sf.IsExported() {
			if sf.Anonymous {
				return false
			}
			continue
		}
		if opts != "" && strings.Contains(","+opts+",", ",string,") {
			return false
		}
		if name == "" {
			name = sf.Name
		} else if !validTagName(name) {
			return false
		}
		if _, dup := fs.byName[name]; dup {
			return false
		}
		fs.byName[name] = len(fs.fields)
		fs.fields = append(fs.fields, structField{name, append(index[:len(index):len(index)], i)})
	}
	return true
}

// validTagName is encoding/json's test of a tag's name: other names make it
// fall back to the field's.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
