package asl

import (
	"fmt"
	"strings"
)

// choiceRule is a compiled Choice rule: a comparison, or And/Or/Not of
// nested rules. Only top-level rules carry Next.
type choiceRule struct {
	variable  *path
	op        string
	value     any
	valuePath *path
	and, or   []*choiceRule
	not       *choiceRule
	next      string
	assign    *tmpl
	// A JSONata rule: its Condition, and its Output and Assign.
	condition        *jtmpl
	joutput, jassign *jtmpl
}

var comparisonOps = map[string]bool{
	"StringEquals": true, "StringLessThan": true, "StringGreaterThan": true, "StringLessThanEquals": true, "StringGreaterThanEquals": true, "StringMatches": true,
	"NumericEquals": true, "NumericLessThan": true, "NumericGreaterThan": true, "NumericLessThanEquals": true, "NumericGreaterThanEquals": true,
	"BooleanEquals":   true,
	"TimestampEquals": true, "TimestampLessThan": true, "TimestampGreaterThan": true, "TimestampLessThanEquals": true, "TimestampGreaterThanEquals": true,
	"IsNull": true, "IsPresent": true, "IsNumeric": true, "IsString": true, "IsBoolean": true, "IsTimestamp": true,
}

func compileChoice(v any, top bool) (*choiceRule, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a choice rule must be a JSON object")
	}
	r := &choiceRule{}
	ops := 0
	for k, x := range o {
		switch {
		case k == "Comment":
		case k == "Next":
			if !top {
				return nil, fmt.Errorf("Next is only allowed in top-level choice rules")
			}
			s, err := nextString(x)
			if err != nil {
				return nil, err
			}
			r.next = s
		case k == "Assign":
			t, err := compileAssign(x)
			if err != nil {
				return nil, err
			}
			r.assign = t
		case k == "Variable":
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("Variable must be a string")
			}
			p, err := compilePath(s)
			if err != nil {
				return nil, fmt.Errorf("Variable: %w", err)
			}
			r.variable = p
		case k == "And" || k == "Or":
			list, ok := x.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s must be a non-empty array", k)
			}
			for _, y := range list {
				sub, err := compileChoice(y, false)
				if err != nil {
					return nil, err
				}
				if k == "And" {
					r.and = append(r.and, sub)
				} else {
					r.or = append(r.or, sub)
				}
			}
			r.op = k
			ops++
		case k == "Not":
			sub, err := compileChoice(x, false)
			if err != nil {
				return nil, err
			}
			r.not = sub
			r.op = k
			ops++
		case comparisonOps[k]:
			r.op, r.value = k, x
			ops++
			if err := checkOperand(k, x); err != nil {
				return nil, err
			}
		case strings.HasSuffix(k, "Path") && comparisonOps[strings.TrimSuffix(k, "Path")] && !strings.HasPrefix(k, "Is"):
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s must be a JSONPath string", k)
			}
			p, err := compilePath(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			r.op, r.valuePath = strings.TrimSuffix(k, "Path"), p
			ops++
		default:
			return nil, fmt.Errorf("the field %q is not supported in a choice rule", k)
		}
	}
	if ops != 1 {
		return nil, fmt.Errorf("a choice rule needs exactly one comparison operator or And/Or/Not")
	}
	if r.op != "And" && r.op != "Or" && r.op != "Not" && r.variable == nil {
		return nil, fmt.Errorf("the comparison %s needs a Variable", r.op)
	}
	if top && r.next == "" {
		return nil, fmt.Errorf("a top-level choice rule needs Next")
	}
	return r, nil
}

func checkOperand(op string, x any) error {
	switch {
	case strings.HasPrefix(op, "String"):
		if _, ok := x.(string); !ok {
			return fmt.Errorf("%s needs a string", op)
		}
	case strings.HasPrefix(op, "Numeric"):
		if _, ok := toFloat(x); !ok {
			return fmt.Errorf("%s needs a number", op)
		}
	case strings.HasPrefix(op, "Boolean"), strings.HasPrefix(op, "Is"):
		if _, ok := x.(bool); !ok {
			return fmt.Errorf("%s needs a boolean", op)
		}
	case strings.HasPrefix(op, "Timestamp"):
		s, ok := x.(string)
		if !ok {
			return fmt.Errorf("%s needs a timestamp string", op)
		}
		if _, err := parseTimestamp(s); err != nil {
			return fmt.Errorf("%s: %q is not a valid timestamp", op, s)
		}
	}
	return nil
}

// eval reports whether the rule matches. A *Path operand that resolves to
// nothing is a States.Runtime error, as on AWS.
func (r *choiceRule) eval(s scope) (bool, error) {
	switch r.op {
	case "And":
		for _, x := range r.and {
			ok, err := x.eval(s)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, x := range r.or {
			ok, err := x.eval(s)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.not.eval(s)
		return !ok, err
	}
	v, found := r.variable.get(s)
	if r.op == "IsPresent" {
		return found == r.value.(bool), nil
	}
	if !found {
		if strings.HasPrefix(r.op, "Is") {
			return false, nil
		}
		return false, fmt.Errorf("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.src)
	}
	want := r.value
	if r.valuePath != nil {
		w, ok := r.valuePath.get(s)
		if !ok {
			return false, fmt.Errorf("Invalid path '%s': The choice state's condition path references an invalid value.", r.valuePath.src)
		}
		want = w
	}
	switch r.op {
	case "IsNull":
		return (v == nil) == want.(bool), nil
	case "IsNumeric":
		_, ok := toFloat(v)
		return ok == want.(bool), nil
	case "IsString":
		_, ok := v.(string)
		return ok == want.(bool), nil
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == want.(bool), nil
	case "IsTimestamp":
		sv, ok := v.(string)
		if ok {
			_, err := parseTimestamp(sv)
			ok = err == nil
		}
		return ok == want.(bool), nil
	case "BooleanEquals":
		b, ok1 := v.(bool)
		w, ok2 := want.(bool)
		return ok1 && ok2 && b == w, nil
	case "StringMatches":
		sv, ok1 := v.(string)
		pat, ok2 := want.(string)
		return ok1 && ok2 && wildcardMatch(pat, sv), nil
	}
	if strings.HasPrefix(r.op, "String") {
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compare(r.op[len("String"):], strings.Compare(a, b)), nil
	}
	if strings.HasPrefix(r.op, "Numeric") {
		a, ok1 := toFloat(v)
		b, ok2 := toFloat(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return compare(r.op[len("Numeric"):], c), nil
	}
	if strings.HasPrefix(r.op, "Timestamp") {
		as, ok1 := v.(string)
		bs, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		a, err1 := parseTimestamp(as)
		b, err2 := parseTimestamp(bs)
		if err1 != nil || err2 != nil {
			return false, nil
		}
		return compare(r.op[len("Timestamp"):], a.Compare(b)), nil
	}
	return false, fmt.Errorf("unsupported operator %s", r.op)
}

func compare(kind string, c int) bool {
	switch kind {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// wildcardMatch implements StringMatches: '*' matches any run of
// characters, "\*" a literal star and "\\" a backslash.
func wildcardMatch(pat, s string) bool { return globMatch(pat, s) }

func globMatch(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	switch {
	case pat[0] == '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pat[1:], s[i:]) {
				return true
			}
		}
		return false
	case pat[0] == '\\' && len(pat) > 1:
		return s != "" && s[0] == pat[1] && globMatch(pat[2:], s[1:])
	default:
		return s != "" && s[0] == pat[0] && globMatch(pat[1:], s[1:])
	}
}
