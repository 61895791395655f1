package asl

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"thumbflow/local/jsonata"
)

// The JSONata query language: a state in it computes its fields with
// "{% expression %}" strings, which see the state's data as $states
// (input, context, and where they exist result and errorOutput) and the
// workflow variables as $name.

// errQueryEvaluation is the error AWS raises when a JSONata field cannot
// be evaluated or gives a value of the wrong type.
const errQueryEvaluation = "States.QueryEvaluationError"

// maxEvaluation bounds one expression's evaluation in real time. Tail
// recursion runs in a loop in local/jsonata, so an endless one would
// otherwise hold its state (and the engine's goroutine) forever. It is
// not a virtual-clock duration: evaluation does not sleep.
const maxEvaluation = 10 * time.Second

// jexpr is one compiled "{% %}" expression; src is its text between the
// delimiters, trimmed, as AWS quotes it in causes.
type jexpr struct {
	src string
	e   *jsonata.Expr
}

// isJSONataExpr reports whether s is a "{% ... %}" expression.
func isJSONataExpr(s string) bool {
	return strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") && len(s) >= 4
}

func compileJExpr(s string) (*jexpr, error) {
	src := strings.TrimSpace(s[2 : len(s)-2])
	e, err := jsonata.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("the JSONata expression %q does not compile: %w", src, err)
	}
	return &jexpr{src: src, e: e}, nil
}

// jtmpl is a compiled JSONata field (Arguments, Output, Assign,
// ItemSelector, ...): literals, with "{% %}" strings at any depth.
type jtmpl struct {
	kind   int // tLit, tObj, tArr or tCall (an expression)
	lit    any
	fields []jfield
	items  []*jtmpl
	expr   *jexpr
	// field is the location AWS names in errors: "Output",
	// "Arguments/FunctionName".
	field string
}

type jfield struct {
	key string
	t   *jtmpl
}

func compileJTmpl(v any, field string) (*jtmpl, error) {
	switch v := v.(type) {
	case string:
		if !isJSONataExpr(v) {
			return &jtmpl{kind: tLit, lit: v, field: field}, nil
		}
		e, err := compileJExpr(v)
		if err != nil {
			return nil, err
		}
		return &jtmpl{kind: tCall, expr: e, field: field}, nil
	case map[string]any:
		t := &jtmpl{kind: tObj, field: field}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, err := compileJTmpl(v[k], field+"/"+k)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, jfield{key: k, t: ft})
		}
		return t, nil
	case []any:
		t := &jtmpl{kind: tArr, field: field}
		for i, x := range v {
			it, err := compileJTmpl(x, fmt.Sprintf("%s/%d", field, i))
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, it)
		}
		return t, nil
	}
	return &jtmpl{kind: tLit, lit: v, field: field}, nil
}

// jdata is the state data a JSONata field sees as $states (its context
// member is the state's Context object); the variables come from the
// thread's scopes.
type jdata struct {
	input       any
	result      any
	hasResult   bool
	errorOutput any
	hasError    bool
}

// jenv prepares the bindings of one field's evaluation.
func (sr *stateRun) jenv(d jdata) *jsonata.Options {
	b := map[string]any{}
	var chain []*vars
	for v := sr.t.vars; v != nil; v = v.parent {
		chain = append(chain, v)
	}
	// Outer scopes first, so that an inner variable hides an outer one.
	for i := len(chain) - 1; i >= 0; i-- {
		for k, x := range chain[i].m {
			b[k] = x
		}
	}
	st := map[string]any{"input": d.input, "context": sr.ctxObj()}
	if d.hasResult {
		st["result"] = d.result
	}
	if d.hasError {
		st["errorOutput"] = d.errorOutput
	}
	b["states"] = st
	return &jsonata.Options{Bindings: b, Functions: awsFunctions, Now: sr.t.r.clock.Now(), Timeout: maxEvaluation}
}

// evalJ evaluates a JSONata template.
func (sr *stateRun) evalJ(t *jtmpl, d jdata) (any, *failure) {
	return sr.evalJOpts(t, d.input, sr.jenv(d))
}

func (sr *stateRun) evalJOpts(t *jtmpl, input any, opts *jsonata.Options) (any, *failure) {
	switch t.kind {
	case tLit:
		return deepCopy(t.lit), nil
	case tObj:
		return evalFields(t.fields, func(f jfield) (string, any, *failure) {
			v, fl := sr.evalJOpts(f.t, input, opts)
			return f.key, v, fl
		})
	case tArr:
		return evalItems(t.items, func(it *jtmpl) (any, *failure) { return sr.evalJOpts(it, input, opts) })
	}
	return sr.evalExpr(t.expr, t.field, input, opts)
}

// evalExpr evaluates one expression for the field; nothing (undefined)
// and a function are errors, as on AWS.
func (sr *stateRun) evalExpr(e *jexpr, field string, input any, opts *jsonata.Options) (any, *failure) {
	ctx := sr.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	raw, err := e.e.EvaluateRaw(ctx, jsonata.FromJSON(input), opts)
	if err != nil && ctx.Err() != nil {
		// The run is being interrupted; it records that, not this.
		return nil, &failure{Error: errQueryEvaluation, Cause: "the evaluation was interrupted"}
	}
	if err != nil {
		return nil, sr.queryFailure(field, "The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", e.src, field, jsonataMessage(err))
	}
	switch raw.(type) {
	case nil:
		return nil, sr.queryFailure(field, "The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", e.src, field)
	case bool, float64, string, *jsonata.Object, *jsonata.Array:
	default:
		if raw != jsonata.Null {
			return nil, sr.queryFailure(field, "The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", e.src, field)
		}
	}
	return jsonata.ToPlain(jsonata.ToJSON(raw)), nil
}

// jsonataMessage is an evaluation error as AWS prints it: "T1006:
// Attempted to invoke a non-function", without the position.
func jsonataMessage(err error) string {
	var je *jsonata.Error
	if !errors.As(err, &je) {
		return err.Error()
	}
	msg := je.Error()
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest
	}
	return je.Code + ": " + msg
}

// queryFailure records EvaluationFailed and returns the
// States.QueryEvaluationError failure. location is the field AWS names,
// empty when the problem is not in one field (a Map input that is not an
// array).
func (sr *stateRun) queryFailure(location, format string, a ...any) *failure {
	f := &failure{
		Error: errQueryEvaluation,
		Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", sr.s.name, sr.enteredID) + fmt.Sprintf(format, a...),
	}
	d := map[string]any{"cause": f.Cause, "error": f.Error, "state": sr.s.name}
	if location != "" {
		d["location"] = location
	}
	prev := sr.enteredPrev
	if sr.s.typ == "Wait" {
		prev = sr.enteredID
	}
	// A recording error shows again at the next event, which ends the run.
	_, _ = sr.t.emitPrev("EvaluationFailed", prev, d, nil, true)
	return f
}

// jsonType names a value's type as AWS's messages do.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if _, ok := toFloat(v); ok {
		return "number"
	}
	return "unknown"
}
