package asl

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("ErrorEquals must be a non-empty array of strings")
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("ErrorEquals must be a non-empty array of strings")
		}
		out[i] = s
	}
	return out, nil
}

// compileList compiles the array field of state name with compileOne,
// reporting each bad element (and a field that is not an array) and
// keeping the good ones.
func compileList[T any](c *checker, name string, o map[string]any, field string, compileOne func(any) (T, error)) []T {
	v, present := o[field]
	if !present {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		c.add(name, "%s must be an array", field)
		return nil
	}
	var out []T
	for i, e := range list {
		x, err := compileOne(e)
		if err != nil {
			c.add(name, "%s[%d]: %v", field, i, err)
			continue
		}
		out = append(out, x)
	}
	return out
}

func compileRetrier(v any) (*retrier, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a retrier must be a JSON object")
	}
	r := &retrier{interval: 1, maxAttempts: 3, backoff: 2}
	var err error
	for k, x := range o {
		switch k {
		case "ErrorEquals":
			if r.errorEquals, err = stringList(x); err != nil {
				return nil, err
			}
		case "IntervalSeconds":
			n, ok := toInt(x)
			if !ok || n < 1 {
				return nil, fmt.Errorf("IntervalSeconds must be a positive integer")
			}
			r.interval = float64(n)
		case "MaxAttempts":
			n, ok := toInt(x)
			if !ok || n < 0 {
				return nil, fmt.Errorf("MaxAttempts must be a non-negative integer")
			}
			r.maxAttempts = n
		case "BackoffRate":
			f, ok := toFloat(x)
			if !ok || f < 1 {
				return nil, fmt.Errorf("BackoffRate must be a number not less than 1.0")
			}
			r.backoff = f
		case "MaxDelaySeconds":
			n, ok := toInt(x)
			if !ok || n < 1 {
				return nil, fmt.Errorf("MaxDelaySeconds must be a positive integer")
			}
			r.maxDelay, r.hasMaxDelay = float64(n), true
		case "JitterStrategy":
			switch x {
			case "FULL":
				r.jitterFull = true
			case "NONE":
			default:
				return nil, fmt.Errorf("JitterStrategy must be FULL or NONE")
			}
		case "Comment":
		default:
			return nil, fmt.Errorf("the field %q is not supported in a retrier", k)
		}
	}
	if r.errorEquals == nil {
		return nil, fmt.Errorf("ErrorEquals is required")
	}
	return r, nil
}

func compileCatcher(v any) (*catcher, error) {
	return compileCatcherWith(v, func(ct *catcher, k string, x any) error {
		switch k {
		case "ResultPath":
			if x == nil {
				ct.resultPath = optPath{set: true, null: true}
				return nil
			}
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("ResultPath must be a string or null")
			}
			p, err := compilePath(s)
			if err != nil {
				return fmt.Errorf("ResultPath: %w", err)
			}
			if !p.definite || p.ctx || p.varName != "" {
				return fmt.Errorf("ResultPath must be a reference path, not %q", s)
			}
			ct.resultPath = optPath{set: true, p: p}
		case "Assign":
			t, err := compileAssign(x)
			if err != nil {
				return err
			}
			ct.assign = t
		default:
			return fmt.Errorf("the field %q is not supported in a catcher", k)
		}
		return nil
	})
}

// compileCatcherWith compiles a catcher: ErrorEquals, Next and Comment
// here, every other field by field, which says whether it is allowed.
func compileCatcherWith(v any, field func(ct *catcher, k string, x any) error) (*catcher, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a catcher must be a JSON object")
	}
	ct := &catcher{}
	var err error
	for k, x := range o {
		switch k {
		case "ErrorEquals":
			if ct.errorEquals, err = stringList(x); err != nil {
				return nil, err
			}
		case "Next":
			if ct.next, err = nextString(x); err != nil {
				return nil, err
			}
		case "Comment":
		default:
			if err := field(ct, k, x); err != nil {
				return nil, err
			}
		}
	}
	if ct.errorEquals == nil || ct.next == "" {
		return nil, fmt.Errorf("ErrorEquals and Next are required")
	}
	return ct, nil
}

// compileAssign compiles the Assign field of a JSONPath catcher or choice
// rule.
func compileAssign(x any) (*tmpl, error) {
	if err := checkVariableNames(x); err != nil {
		return nil, fmt.Errorf("Assign: %w", err)
	}
	t, err := compileTmpl(x, "")
	if err != nil {
		return nil, fmt.Errorf("Assign: %w", err)
	}
	return t, nil
}

// nextString reads a Next field, which must be a string.
func nextString(x any) (string, error) {
	s, ok := x.(string)
	if !ok {
		return "", fmt.Errorf("Next must be a string")
	}
	return s, nil
}

func compileTmpl(v any, field string) (*tmpl, error) {
	switch v := v.(type) {
	case map[string]any:
		t := &tmpl{kind: tObj}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x := v[k]
			if strings.HasSuffix(k, ".$") {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("the value of %q must be a JSONPath or intrinsic function string", k)
				}
				ft, err := compileDynamic(s, k)
				if err != nil {
					return nil, fmt.Errorf("%q: %w", k, err)
				}
				t.fields = append(t.fields, tfield{key: strings.TrimSuffix(k, ".$"), t: ft})
				continue
			}
			ft, err := compileTmpl(x, k)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, tfield{key: k, t: ft})
		}
		return t, nil
	case []any:
		t := &tmpl{kind: tArr}
		for _, x := range v {
			it, err := compileTmpl(x, field)
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, it)
		}
		return t, nil
	}
	return &tmpl{kind: tLit, lit: v}, nil
}

// compileDynamic compiles the value of a field whose value is computed:
// a "key.$" template field, ErrorPath or CausePath. The value is an
// intrinsic function call or a path.
func compileDynamic(s, field string) (*tmpl, error) {
	if isIntrinsic(s) {
		c, err := parseIntrinsic(s)
		if err != nil {
			return nil, err
		}
		return &tmpl{kind: tCall, call: c, field: field}, nil
	}
	p, err := compilePath(s)
	if err != nil {
		return nil, err
	}
	return &tmpl{kind: tPath, path: p, field: field}, nil
}

// parseTimestamp accepts what AWS accepts for Wait: RFC 3339 with a 'T'
// and a zone designator, fractional seconds optional.
func parseTimestamp(s string) (time.Time, error) {
	if !strings.Contains(s, "T") {
		return time.Time{}, fmt.Errorf("missing T")
	}
	return time.Parse(time.RFC3339Nano, s)
}
