package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
)

// Pattern is a compiled EventBridge event pattern. It matches as
// EventBridge's content filtering does:
//
//   - every field of the pattern must match (AND); a pattern's array lists
//     alternatives (OR); "$or" lists alternative sub-patterns;
//   - a field absent from the event matches only {"exists": false};
//   - an event array matches when any of its elements does, and arrays of
//     objects are flattened, so two fields of a pattern may be satisfied
//     by different elements (EventBridge has no array consistency);
//   - exact values compare by JSON type: the string "5" is not the number
//     5, and numbers compare by value (300 matches 3.0e2);
//   - prefix, suffix, equals-ignore-case, wildcard and cidr apply to
//     strings only, numeric to numbers only.
type Pattern struct {
	root *node
	src  string
}

// node is a conjunction: every leaf, and one alternative of every $or.
type node struct {
	leaves []leaf
	ors    [][]*node
}

// leaf is one field's alternatives.
type leaf struct {
	path     string
	matchers []matcher
}

// sep joins the keys of a flattened path; it cannot occur in JSON keys
// that EventBridge accepts in practice.
const sep = "\x1f"

// value is one leaf value of an event: kind is 's' (string), 'n'
// (number), 'b' (boolean, s "true"/"false") or 'z' (null).
type value struct {
	kind byte
	s    string
	n    float64
}

type matcher interface {
	match(v value) bool
}

// existsMatcher tests the field's presence instead of a value.
type existsMatcher bool

func (existsMatcher) match(value) bool { return false }

// InvalidPatternError is a pattern EventBridge would refuse
// (InvalidEventPatternException).
type InvalidPatternError struct{ Reason string }

func (e *InvalidPatternError) Error() string {
	return "Event pattern is not valid. Reason: " + e.Reason
}

func invalid(format string, args ...any) error {
	return &InvalidPatternError{Reason: fmt.Sprintf(format, args...)}
}

// decodeJSON decodes b keeping numbers exact.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// Compile parses a pattern (JSON text).
func Compile(pattern string) (*Pattern, error) {
	v, err := decodeJSON([]byte(pattern))
	if err != nil {
		return nil, invalid("%v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("the pattern must be a JSON object")
	}
	root, err := compileObject("", obj)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root, src: pattern}, nil
}

// String is the pattern's JSON text.
func (p *Pattern) String() string { return p.src }

func compileObject(prefix string, obj map[string]any) (*node, error) {
	n := &node{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, invalid("$or must be an array of at least two patterns")
			}
			var group []*node
			for _, a := range alts {
				sub, ok := a.(map[string]any)
				if !ok {
					return nil, invalid("each element of $or must be an object")
				}
				c, err := compileObject(prefix, sub)
				if err != nil {
					return nil, err
				}
				group = append(group, c)
			}
			n.ors = append(n.ors, group)
			continue
		}
		path := prefix + sep + k
		switch v := v.(type) {
		case map[string]any:
			c, err := compileObject(path, v)
			if err != nil {
				return nil, err
			}
			n.leaves = append(n.leaves, c.leaves...)
			n.ors = append(n.ors, c.ors...)
		case []any:
			if len(v) == 0 {
				return nil, invalid("Empty arrays are not allowed (field %q)", k)
			}
			l := leaf{path: path}
			for _, e := range v {
				m, err := compileMatcher(e)
				if err != nil {
					return nil, fmt.Errorf("field %q: %w", k, err)
				}
				l.matchers = append(l.matchers, m)
			}
			n.leaves = append(n.leaves, l)
		default:
			return nil, invalid("Match value must be String, number, true, false, or null (field %q must be an array or an object)", k)
		}
	}
	return n, nil
}

// Matches reports whether event (JSON text) matches.
func (p *Pattern) Matches(event []byte) (bool, error) {
	v, err := decodeJSON(event)
	if err != nil {
		return false, fmt.Errorf("event is not JSON: %w", err)
	}
	flat := map[string][]value{}
	flatten("", v, flat)
	return p.root.match(flat), nil
}

func (n *node) match(flat map[string][]value) bool {
	for _, l := range n.leaves {
		if !l.match(flat[l.path]) {
			return false
		}
	}
	for _, group := range n.ors {
		ok := false
		for _, alt := range group {
			if alt.match(flat) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (l leaf) match(values []value) bool {
	for _, m := range l.matchers {
		if e, ok := m.(existsMatcher); ok {
			if (len(values) > 0) == bool(e) {
				return true
			}
			continue
		}
		for _, v := range values {
			if m.match(v) {
				return true
			}
		}
	}
	return false
}

// flatten collects the event's leaf values by path; arrays contribute
// each element at the array's own path.
func flatten(path string, v any, out map[string][]value) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flatten(path+sep+k, e, out)
		}
	case []any:
		for _, e := range v {
			flatten(path, e, out)
		}
	case string:
		out[path] = append(out[path], value{kind: 's', s: v})
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			f = math.NaN()
		}
		out[path] = append(out[path], value{kind: 'n', n: f, s: v.String()})
	case bool:
		s := "false"
		if v {
			s = "true"
		}
		out[path] = append(out[path], value{kind: 'b', s: s})
	case nil:
		out[path] = append(out[path], value{kind: 'z'})
	}
}

// exact matches one value of the same JSON type.
type exact value

func (e exact) match(v value) bool {
	if e.kind != v.kind {
		return false
	}
	if e.kind == 'n' {
		return e.n == v.n
	}
	return e.s == v.s
}

func literal(e any) (exact, bool) {
	switch e := e.(type) {
	case string:
		return exact{kind: 's', s: e}, true
	case json.Number:
		f, err := e.Float64()
		if err != nil {
			return exact{}, false
		}
		return exact{kind: 'n', n: f}, true
	case bool:
		if e {
			return exact{kind: 'b', s: "true"}, true
		}
		return exact{kind: 'b', s: "false"}, true
	case nil:
		return exact{kind: 'z'}, true
	}
	return exact{}, false
}

// stringMatcher matches strings only.
type stringMatcher func(s string) bool

func (f stringMatcher) match(v value) bool { return v.kind == 's' && f(v.s) }

func hasPrefixFold(s, p string) bool {
	return strings.HasPrefix(strings.ToLower(s), strings.ToLower(p))
}
func hasSuffixFold(s, p string) bool {
	return strings.HasSuffix(strings.ToLower(s), strings.ToLower(p))
}

// anythingBut matches any value the inner matcher does not.
type anythingBut struct{ inner matcher }

func (a anythingBut) match(v value) bool { return !a.inner.match(v) }

// anyOf matches when one of its matchers does.
type anyOf []matcher

func (ms anyOf) match(v value) bool {
	for _, m := range ms {
		if m.match(v) {
			return true
		}
	}
	return false
}

// numeric holds one or two comparisons.
type numeric []struct {
	op string
	n  float64
}

func (c numeric) match(v value) bool {
	if v.kind != 'n' {
		return false
	}
	for _, cmp := range c {
		ok := false
		switch cmp.op {
		case "=":
			ok = v.n == cmp.n
		case "<":
			ok = v.n < cmp.n
		case "<=":
			ok = v.n <= cmp.n
		case ">":
			ok = v.n > cmp.n
		case ">=":
			ok = v.n >= cmp.n
		}
		if !ok {
			return false
		}
	}
	return true
}

type cidr netip.Prefix

func (c cidr) match(v value) bool {
	if v.kind != 's' {
		return false
	}
	a, err := netip.ParseAddr(v.s)
	return err == nil && netip.Prefix(c).Contains(a)
}
