package asl

import (
	"fmt"
	"strings"
)

// jsonataFields lists, per state type, the fields a JSONata state may
// have besides Type, Comment and QueryLanguage. The five JSONPath fields
// (InputPath, Parameters, ResultSelector, ResultPath, OutputPath) and the
// *Path variants are not among them: AWS refuses them in a JSONata state.
var jsonataFields = map[string][]string{
	"Pass":     {"Next", "End", "Output", "Assign"},
	"Task":     {"Next", "End", "Arguments", "Output", "Assign", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Retry", "Catch", "Credentials"},
	"Choice":   {"Choices", "Default", "Output", "Assign"},
	"Wait":     {"Next", "End", "Output", "Assign", "Seconds", "Timestamp"},
	"Succeed":  {"Output"},
	"Fail":     {"Error", "Cause"},
	"Parallel": {"Next", "End", "Arguments", "Output", "Assign", "Branches", "Retry", "Catch"},
	"Map": {"Next", "End", "Output", "Assign", "ItemProcessor", "Iterator", "Items", "ItemSelector", "ItemReader", "ItemBatcher", "ResultWriter",
		"MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage", "Label", "Retry", "Catch"},
}

// jtmpl compiles a JSONata field, reporting a bad expression.
func (f fields) jtmpl(k string) *jtmpl {
	v, ok := f.o[k]
	if !ok {
		return nil
	}
	t, err := compileJTmpl(v, k)
	if err != nil {
		f.c.add(f.name, "%s: %v", k, err)
	}
	return t
}

// isExpr reports whether field k of a JSONata state is a "{% %}"
// expression, which such a state may give instead of a constant
// (TimeoutSeconds, Seconds, Timestamp, MaxConcurrency, Error, ...).
func (f fields) isExpr(k string) bool {
	str, isStr := f.o[k].(string)
	return f.jsonata && isStr && isJSONataExpr(str)
}

// jexprField compiles field k when it is an expression (isExpr), and is
// nil otherwise: the constant is then read as in JSONPath.
func (f fields) jexprField(k string) *jtmpl {
	if !f.isExpr(k) {
		return nil
	}
	return f.jtmpl(k)
}

// checkJSONataCommon reads the data-flow fields of a JSONata state.
func checkJSONataCommon(c *checker, s *state, f fields) {
	s.jarguments = f.jtmpl("Arguments")
	s.joutput = f.jtmpl("Output")
	s.jitemSel = f.jtmpl("ItemSelector")
	if a, ok := f.o["Assign"]; ok {
		if _, isObj := a.(map[string]any); !isObj {
			c.add(s.name, "Assign must be a JSON object")
		}
		if err := checkVariableNames(a); err != nil {
			c.add(s.name, "Assign: %v", err)
		}
		s.jassign = f.jtmpl("Assign")
	}
	if v, ok := f.o["Items"]; ok {
		_, isList := v.([]any)
		str, isStr := v.(string)
		if !isList && !(isStr && isJSONataExpr(str)) {
			c.add(s.name, "Items must be an array or a JSONata expression")
		}
		s.jitems = f.jtmpl("Items")
	}
}

// compileJSONataCatcher compiles a catcher of a JSONata state, which has
// Output and Assign where a JSONPath catcher has ResultPath.
func compileJSONataCatcher(v any) (*catcher, error) {
	return compileCatcherWith(v, func(ct *catcher, k string, x any) error {
		var err error
		switch k {
		case "Output":
			ct.joutput, err = compileJTmpl(x, "Output")
		case "Assign":
			ct.jassign, err = compileJAssign(x)
		case "ResultPath":
			err = fmt.Errorf("the field %q is not supported in a catcher of a JSONata state; use Output", k)
		default:
			err = fmt.Errorf("the field %q is not supported in a catcher", k)
		}
		return err
	})
}

// compileJAssign compiles the Assign field of a JSONata catcher or choice
// rule, which must be a JSON object of valid variable names.
func compileJAssign(x any) (*jtmpl, error) {
	if _, isObj := x.(map[string]any); !isObj {
		return nil, fmt.Errorf("Assign must be a JSON object")
	}
	if err := checkVariableNames(x); err != nil {
		return nil, fmt.Errorf("Assign: %w", err)
	}
	return compileJTmpl(x, "Assign")
}

// compileJSONataChoice compiles a choice rule of a JSONata state: a
// Condition (an expression or a boolean), Next, and optionally Output and
// Assign. The JSONPath comparisons are refused.
func compileJSONataChoice(v any) (*choiceRule, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a choice rule must be a JSON object")
	}
	r := &choiceRule{}
	var err error
	for k, x := range o {
		switch k {
		case "Comment":
		case "Next":
			if r.next, err = nextString(x); err != nil {
				return nil, err
			}
		case "Condition":
			str, isStr := x.(string)
			_, isBool := x.(bool)
			if !isBool && !(isStr && isJSONataExpr(str)) {
				return nil, fmt.Errorf("Condition must be a boolean or a JSONata expression")
			}
			if r.condition, err = compileJTmpl(x, "Condition"); err != nil {
				return nil, err
			}
		case "Output":
			if r.joutput, err = compileJTmpl(x, "Output"); err != nil {
				return nil, err
			}
		case "Assign":
			if r.jassign, err = compileJAssign(x); err != nil {
				return nil, err
			}
		default:
			if k == "Variable" || k == "And" || k == "Or" || k == "Not" || comparisonOps[strings.TrimSuffix(k, "Path")] {
				return nil, fmt.Errorf("the field %q is not supported in a choice rule of a JSONata state; use Condition", k)
			}
			return nil, fmt.Errorf("the field %q is not supported in a choice rule", k)
		}
	}
	if r.condition == nil {
		return nil, fmt.Errorf("a choice rule of a JSONata state needs a Condition")
	}
	if r.next == "" {
		return nil, fmt.Errorf("a top-level choice rule needs Next")
	}
	return r, nil
}
