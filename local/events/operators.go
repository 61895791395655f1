package events

import (
	"encoding/json"
	"net/netip"
	"strings"
)

// compileMatcher compiles one element of a pattern array: a literal or a
// one-key object naming a content filter.
func compileMatcher(e any) (matcher, error) {
	if lit, ok := literal(e); ok {
		return lit, nil
	}
	obj, ok := e.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, invalid("a match element must be a value or an object with one filter")
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix":
			return affix(op, arg, false)
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("equals-ignore-case match pattern must be a string")
			}
			return stringMatcher(func(v string) bool { return strings.EqualFold(v, s) }), nil
		case "wildcard":
			return compileWildcard(arg)
		case "anything-but":
			return compileAnythingBut(arg)
		case "numeric":
			return compileNumeric(arg)
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, invalid("exists match pattern must be either true or false.")
			}
			return existsMatcher(b), nil
		case "cidr":
			s, ok := arg.(string)
			p, err := netip.ParsePrefix(s)
			if !ok || err != nil {
				return nil, invalid("Malformed CIDR, one '/' required: %v", arg)
			}
			return cidr(p.Masked()), nil
		default:
			return nil, invalid("Unrecognized match type %s", op)
		}
	}
	panic("unreachable")
}

// affix compiles prefix or suffix, whose argument may be a string or
// {"equals-ignore-case": string}.
func affix(op string, arg any, _ bool) (matcher, error) {
	fold := false
	if o, ok := arg.(map[string]any); ok {
		s, ok := o["equals-ignore-case"]
		if !ok || len(o) != 1 {
			return nil, invalid("%s match pattern takes a string or equals-ignore-case", op)
		}
		arg, fold = s, true
	}
	s, ok := arg.(string)
	if !ok {
		return nil, invalid("%s match pattern must be a string", op)
	}
	switch {
	case op == "prefix" && fold:
		return stringMatcher(func(v string) bool { return hasPrefixFold(v, s) }), nil
	case op == "prefix":
		return stringMatcher(func(v string) bool { return strings.HasPrefix(v, s) }), nil
	case fold:
		return stringMatcher(func(v string) bool { return hasSuffixFold(v, s) }), nil
	}
	return stringMatcher(func(v string) bool { return strings.HasSuffix(v, s) }), nil
}

// compileAnythingBut: a value, an array of values, or one of prefix,
// suffix, equals-ignore-case, wildcard (each a string, or for the last
// two an array of strings).
func compileAnythingBut(arg any) (matcher, error) {
	if lit, ok := literal(arg); ok && lit.kind != 'z' && lit.kind != 'b' {
		return anythingBut{lit}, nil
	}
	switch a := arg.(type) {
	case []any:
		var ms anyOf
		for _, e := range a {
			lit, ok := literal(e)
			if !ok || lit.kind == 'z' || lit.kind == 'b' {
				return nil, invalid("Inside anything-but list, start|null|boolean is not supported.")
			}
			ms = append(ms, lit)
		}
		return anythingBut{ms}, nil
	case map[string]any:
		if len(a) != 1 {
			return nil, invalid("anything-but takes one filter")
		}
		for op, inner := range a {
			switch op {
			case "prefix", "suffix":
				if _, ok := inner.(string); !ok {
					return nil, invalid("prefix/suffix match pattern inside anything-but must be a string")
				}
				m, err := affix(op, inner, false)
				return anythingBut{m}, err
			case "equals-ignore-case", "wildcard":
				list, ok := inner.([]any)
				if !ok {
					list = []any{inner}
				}
				var ms anyOf
				for _, e := range list {
					m, err := compileMatcher(map[string]any{op: e})
					if err != nil {
						return nil, err
					}
					ms = append(ms, m)
				}
				return anythingBut{ms}, nil
			}
			return nil, invalid("Unsupported anything-but pattern: %s", op)
		}
	}
	return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
}

// compileNumeric: [op, n] or [lower-op, n, upper-op, m].
func compileNumeric(arg any) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return nil, invalid("Value of numeric must be an array of one or two comparisons.")
	}
	var c numeric
	for i := 0; i < len(list); i += 2 {
		op, ok1 := list[i].(string)
		num, ok2 := list[i+1].(json.Number)
		if !ok1 || !ok2 {
			return nil, invalid("numeric comparisons are an operator and a number")
		}
		f, err := num.Float64()
		if err != nil || f < -5e9 || f > 5e9 {
			return nil, invalid("Value must be between -5.0E9 and +5.0E9 inclusive")
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, invalid("Unrecognized numeric range operator: %s", op)
		}
		c = append(c, struct {
			op string
			n  float64
		}{op, f})
	}
	if len(c) == 2 && (!strings.HasPrefix(c[0].op, ">") || !strings.HasPrefix(c[1].op, "<") || c[0].n >= c[1].n) {
		return nil, invalid("a numeric range is a lower bound (> or >=) then a greater upper bound (< or <=)")
	}
	return c, nil
}

// compileWildcard: '*' matches any run of characters, '\*' a star and
// '\\' a backslash; consecutive stars are refused, as on EventBridge.
func compileWildcard(arg any) (matcher, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, invalid("wildcard match pattern must be a string")
	}
	var parts []string // literal runs between stars
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case c == '\\':
			return nil, invalid("Invalid escape in wildcard pattern %q", s)
		case c == '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return nil, invalid("Consecutive wildcard characters at pos %d", i+1)
			}
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	return stringMatcher(func(v string) bool { return wildcardMatch(parts, v) }), nil
}

// wildcardMatch: parts[0] is a prefix, the last part a suffix, and the
// ones between occur in order.
func wildcardMatch(parts []string, v string) bool {
	if len(parts) == 1 {
		return v == parts[0]
	}
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(v, p)
		if i < 0 {
			return false
		}
		v = v[i+len(p):]
	}
	return len(v) >= len(last) && strings.HasSuffix(v, last)
}
