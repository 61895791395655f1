package jsonata

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// testdata/jsjs-golden.json holds expressions beyond the reference suite,
// with what jsonata-js 2.2.2 answers for them: results, or error codes and
// positions. About 700 were written for this package; about 700 more were
// generated at random (paths with predicates, bindings and parents;
// lambdas, blocks, transforms and higher-order functions). Left out are
// the cases where jsonata-js fails with a JavaScript TypeError rather than
// a JSONata error, and one random expression (on two inputs) whose error
// depends on which of two errors jsonata-js's concurrent evaluation of
// array items meets first.

// goldenDifferences are the cases where this evaluator deliberately
// differs from jsonata-js.
var goldenDifferences = map[string]string{
	`|$|{"x": 1}|`: "jsonata-js serialises its internal function object; a function result is \"\" here",
	`$fromMillis(1521801216617, "[H01]:[m01] [z]", "-0830")`: "jsonata-js shifts -0830 by -9:30",
}

func TestAgainstJSONataJS(t *testing.T) {
	b, err := os.ReadFile("testdata/jsjs-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Inputs []json.RawMessage
		Cases  []struct {
			Expr      string
			Input     int
			Result    json.RawMessage
			Undefined bool
			Code      string
			Position  *int
		}
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	inputs := make([]any, len(golden.Inputs))
	for i, raw := range golden.Inputs {
		if inputs[i], err = Decode(raw); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range golden.Cases {
		if _, ok := goldenDifferences[strings.TrimSpace(c.Expr)]; ok {
			continue
		}
		sc := suiteCase{Expr: c.Expr, Code: c.Code, UndefinedResult: c.Undefined, Result: c.Result}
		var why string
		e, err := Compile(c.Expr)
		if err == nil {
			var res any
			res, err = e.EvaluateRaw(context.Background(), inputs[c.Input], nil)
			if err == nil {
				why = compareResult(sc, res)
			}
		}
		if err != nil {
			je, ok := err.(*Error)
			switch {
			case !ok || je.Code != c.Code:
				why = "unexpected error " + err.Error()
			case c.Position != nil && je.Position != *c.Position:
				why = fmt.Sprintf("error %s at %d, jsonata-js reports it at %d", je.Code, je.Position, *c.Position)
			}
		}
		if why != "" {
			t.Errorf("%s [input %d]: %s", c.Expr, c.Input, why)
		}
	}
}
