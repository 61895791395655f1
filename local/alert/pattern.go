package alert

import (
	"fmt"
	"reflect"
	"strings"
)

// Pattern is an EventBridge event pattern, as template.yaml's rules
// declare it. The local alert evaluates the template's own pattern rather
// than a list of its own, so that what pages locally is what pages on AWS.
type Pattern map[string]any

// Match reports whether the event (as decoded from its JSON) matches p.
// It implements the part of EventBridge's pattern language that rules in
// this project use: field-by-field objects, "$or", lists of values, and
// the content filters "prefix", "anything-but" (a value, a list, or a
// prefix) and "exists". Anything else is an error, so a richer pattern
// cannot silently match nothing (or everything).
func (p Pattern) Match(event map[string]any) (bool, error) {
	return matchObject(p, event)
}

func matchObject(p map[string]any, ev map[string]any) (bool, error) {
	for k, sub := range p {
		if k == "$or" {
			ok, err := matchOr(sub, ev)
			if err != nil || !ok {
				return false, err
			}
			continue
		}
		v, present := ev[k]
		ok, err := matchField(sub, v, present)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchOr(sub any, ev map[string]any) (bool, error) {
	alts, ok := sub.([]any)
	if !ok || len(alts) == 0 {
		return false, fmt.Errorf("$or wants a non-empty list of patterns, not %v", sub)
	}
	for _, a := range alts {
		ap, ok := a.(map[string]any)
		if !ok {
			return false, fmt.Errorf("$or alternative %v is not an object", a)
		}
		if m, err := matchObject(ap, ev); err != nil || m {
			return m, err
		}
	}
	return false, nil
}

// matchField matches one pattern value against the event's field v.
func matchField(pattern, v any, present bool) (bool, error) {
	switch p := pattern.(type) {
	case map[string]any:
		ev, ok := v.(map[string]any)
		if !present || !ok {
			return false, nil
		}
		return matchObject(p, ev)
	case []any:
		values := []any{v}
		if arr, ok := v.([]any); ok {
			values = arr
		}
		for _, want := range p {
			for _, got := range values {
				ok, err := matchValue(want, got, present)
				if err != nil || ok {
					return ok, err
				}
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("pattern value %v (%T) must be an object or an array", pattern, pattern)
}

// matchValue matches one entry of a pattern list: a literal or a content
// filter.
func matchValue(want, got any, present bool) (bool, error) {
	f, ok := want.(map[string]any)
	if !ok {
		return present && reflect.DeepEqual(want, got), nil
	}
	if len(f) != 1 {
		return false, fmt.Errorf("content filter %v must have exactly one key", f)
	}
	for op, arg := range f {
		switch op {
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return false, fmt.Errorf("exists wants true or false, not %v", arg)
			}
			return present == b, nil
		case "prefix":
			pre, ok := arg.(string)
			if !ok {
				return false, fmt.Errorf("prefix wants a string, not %v", arg)
			}
			s, isStr := got.(string)
			return present && isStr && strings.HasPrefix(s, pre), nil
		case "anything-but":
			if !present || got == nil {
				return false, nil
			}
			return anythingBut(arg, got)
		default:
			return false, fmt.Errorf("content filter %q is not supported by the local alert", op)
		}
	}
	return false, nil
}

func anythingBut(arg, got any) (bool, error) {
	switch a := arg.(type) {
	case map[string]any:
		pre, ok := a["prefix"].(string)
		if len(a) != 1 || !ok {
			return false, fmt.Errorf("anything-but %v: only a prefix is supported", a)
		}
		s, isStr := got.(string)
		return !isStr || !strings.HasPrefix(s, pre), nil
	case []any:
		for _, x := range a {
			if reflect.DeepEqual(x, got) {
				return false, nil
			}
		}
		return true, nil
	}
	return !reflect.DeepEqual(arg, got), nil
}
