package asl

import (
	"fmt"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// path is a compiled JSONPath as ASL uses it: against the state's data
// ("$..."), the Context object ("$$...") or a variable ("$name...").
type path struct {
	src      string
	ctx      bool
	varName  string
	expr     jp.Expr
	definite bool
}

func compilePath(s string) (*path, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("the value %q is not a valid JSONPath: it must start with '$'", s)
	}
	p := &path{src: s}
	rest := s
	switch {
	case strings.HasPrefix(s, "$$"):
		p.ctx = true
		rest = "$" + s[2:]
	case len(s) > 1 && isIdentStart(s[1]):
		i := 1
		for i < len(s) && isIdentPart(s[i]) {
			i++
		}
		p.varName = s[1:i]
		rest = "$" + s[i:]
	}
	x, err := jp.ParseString(bracketize(rest))
	if err != nil {
		return nil, fmt.Errorf("the value %q is not a valid JSONPath: %v", s, err)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("the value %q is not a valid JSONPath", s)
	}
	if _, ok := x[0].(jp.Root); !ok {
		return nil, fmt.Errorf("the value %q is not a valid JSONPath: it must start with '$'", s)
	}
	p.expr = x
	p.definite = true
	for _, f := range x[1:] {
		switch f.(type) {
		case jp.Child, jp.Nth, jp.Bracket:
		default:
			p.definite = false
		}
	}
	return p, nil
}

// bracketize rewrites dot-children that ojg's parser rejects (names with
// '-' and the like, which AWS accepts) into bracket notation.
func bracketize(s string) string {
	var b strings.Builder
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			switch ch {
			case '\\':
				// An escaped quote or backslash stays inside the key.
				if i+1 < len(s) {
					b.WriteByte(ch)
					i++
					ch = s[i]
				}
			case quote:
				quote = 0
			}
		case ch == '\'' || ch == '"':
			if depth > 0 {
				quote = ch
			}
		case ch == '[' || ch == '(':
			depth++
		case ch == ']' || ch == ')':
			depth--
		case ch == '.' && depth == 0 && i+1 < len(s) && s[i+1] != '.' && s[i+1] != '*' && s[i+1] != '[':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			name := s[i+1 : j]
			plain := true
			for k := 0; k < len(name); k++ {
				if !isIdentPart(name[k]) {
					plain = false
				}
			}
			if !plain && !strings.Contains(name, "'") {
				b.WriteString("['" + name + "']")
				i = j - 1
				continue
			}
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func isIdentStart(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isIdentPart(b byte) bool { return isIdentStart(b) || b >= '0' && b <= '9' }

// scope is what a path can see.
type scope struct {
	input any
	ctx   map[string]any
	vars  *vars
}

// get evaluates p. found is false when a definite path matches nothing.
func (p *path) get(s scope) (v any, found bool) {
	var root any
	switch {
	case p.ctx:
		root = s.ctx
	case p.varName != "":
		r, ok := s.vars.get(p.varName)
		if !ok {
			return nil, false
		}
		root = r
	default:
		root = s.input
	}
	if len(p.expr) == 1 {
		return root, true
	}
	if p.definite {
		return getDefinite(p.expr, root)
	}
	res := p.expr.Get(root)
	if res == nil {
		res = []any{}
	}
	return res, true
}

func getDefinite(x jp.Expr, root any) (any, bool) {
	cur := root
	for _, f := range x[1:] {
		switch f := f.(type) {
		case jp.Bracket:
		case jp.Child:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			v, ok := m[string(f)]
			if !ok {
				return nil, false
			}
			cur = v
		case jp.Nth:
			a, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			i := int(f)
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false
			}
			cur = a[i]
		}
	}
	return cur, true
}

// notFound explains, as AWS (Jayway JsonPath) does, why a definite path
// matched nothing.
func (p *path) notFound(s scope) string {
	var root any
	switch {
	case p.ctx:
		root = s.ctx
	case p.varName != "":
		root, _ = s.vars.get(p.varName)
	default:
		root = s.input
	}
	frags := []jp.Frag{}
	for _, f := range p.expr[1:] {
		if _, ok := f.(jp.Bracket); !ok {
			frags = append(frags, f)
		}
	}
	cur := root
	for i, f := range frags {
		var next any
		found := false
		switch f := f.(type) {
		case jp.Child:
			if m, ok := cur.(map[string]any); ok {
				next, found = m[string(f)]
			}
		case jp.Nth:
			if a, ok := cur.([]any); ok && int(f) >= 0 && int(f) < len(a) {
				next, found = a[int(f)], true
			}
		}
		if !found {
			if i == len(frags)-1 {
				return fmt.Sprintf("Invalid path '%s' : No results for path: %s", p.src, p.normalisedFrags(frags, i))
			}
			return fmt.Sprintf("Invalid path '%s' : Missing property in path %s", p.src, p.normalisedFrags(frags, i))
		}
		cur = next
	}
	return fmt.Sprintf("Invalid path '%s' : No results for path: %s", p.src, p.normalisedFrags(frags, len(frags)-1))
}

// set writes v at reference path p inside root, creating objects on the
// way, and returns the new root. It fails as AWS's ResultPath does.
func setPath(p *path, root, v any) (any, error) {
	frags := []jp.Frag{}
	for _, f := range p.expr[1:] {
		if _, ok := f.(jp.Bracket); !ok {
			frags = append(frags, f)
		}
	}
	if len(frags) == 0 {
		return v, nil
	}
	root = deepCopy(root)
	if root == nil {
		root = map[string]any{}
	}
	var set func(cur any, i int) (any, error)
	set = func(cur any, i int) (any, error) {
		switch f := frags[i].(type) {
		case jp.Child:
			m, ok := cur.(map[string]any)
			if !ok {
				if cur == nil {
					m = map[string]any{}
				} else {
					return nil, fmt.Errorf("Invalid path '%s' : Missing property in path %s", p.src, p.normalisedFrags(frags, i))
				}
			}
			if i == len(frags)-1 {
				m[string(f)] = v
				return m, nil
			}
			nv, err := set(m[string(f)], i+1)
			if err != nil {
				return nil, err
			}
			m[string(f)] = nv
			return m, nil
		case jp.Nth:
			a, ok := cur.([]any)
			idx := int(f)
			if !ok || idx < 0 || idx >= len(a) {
				return nil, fmt.Errorf("Invalid path '%s' : Missing property in path %s", p.src, p.normalisedFrags(frags, i))
			}
			if i == len(frags)-1 {
				a[idx] = v
				return a, nil
			}
			nv, err := set(a[idx], i+1)
			if err != nil {
				return nil, err
			}
			a[idx] = nv
			return a, nil
		}
		return nil, fmt.Errorf("Invalid path '%s': not a reference path", p.src)
	}
	return set(root, 0)
}

// normalisedFrags renders frags[:upto+1] as AWS prints a path in its
// ResultPath/OutputPath errors: $['a']['b'].
func (p *path) normalisedFrags(frags []jp.Frag, upto int) string {
	var b strings.Builder
	b.WriteString("$")
	for _, f := range frags[:upto+1] {
		switch f := f.(type) {
		case jp.Child:
			b.WriteString("['" + string(f) + "']")
		case jp.Nth:
			fmt.Fprintf(&b, "[%d]", int(f))
		}
	}
	return b.String()
}

// deepCopy copies the containers of a JSON value so that ResultPath never
// mutates a value an event or another branch still holds.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, x := range v {
			a[i] = deepCopy(x)
		}
		return a
	}
	return v
}

// vars is a variable scope (Assign); inner scopes (Map iterations, Parallel
// branches) see the outer ones.
type vars struct {
	parent *vars
	m      map[string]any
}

func (v *vars) get(name string) (any, bool) {
	for s := v; s != nil; s = s.parent {
		if x, ok := s.m[name]; ok {
			return x, true
		}
	}
	return nil, false
}

// set assigns in v's own scope: a state in a Parallel branch or a Map
// iteration reads the outer scopes but cannot assign to them (its data
// goes out through Output), so an assignment there is the scope's own.
func (v *vars) set(name string, x any) {
	v.m[name] = x
}
