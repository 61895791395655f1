// Package jsonata is a JSONata 2.x evaluator, for the {% ... %}
// expressions of the local Step Functions engine (local/asl). It is written
// from the JSONata documentation and the reference test suite of jsonata-js
// 2.2.2, and passes all 1,686 cases of that suite (suite_test.go; no group
// is below 100%, so testdata/known-failures.txt is empty). A further 2,657
// cases (golden_test.go) hold what jsonata-js itself answers, results and
// error codes with positions, for expressions the suite does not cover. go test -v -run TestSuite prints
// the pass rate per group.
//
// # Use
//
// Compile once, evaluate many times:
//
//	e, err := jsonata.Compile(`$sum(Order.(Price * Quantity)) * $rate`)
//	v, err := e.Evaluate(ctx, input, &jsonata.Options{
//		Bindings:  map[string]any{"rate": 1.2},
//		Functions: []jsonata.Function{{Name: "hash", Signature: "<s-:s>", Fn: hash}},
//		Timeout:   time.Second,
//	})
//
// An *Expr is immutable and safe for concurrent use; each evaluation gets
// its own bindings, functions, limits and clock reading ($now and $millis
// return the same instant throughout one evaluation).
//
// # Values
//
// Evaluate takes and returns the external representation, which is what
// encoding/json produces plus ordered objects: nil is JSON null, bool,
// float64, string, []any, and *Object for objects; the sentinel Undefined
// stands for "no value" (no input document, or an expression with no
// result). Input may also hold map[string]any (its keys are sorted, as a Go
// map has no order), json.Number and Go integer types. Use Decode to read a
// JSON document keeping its key order. *Object keeps insertion order, so
// results come out in the order the expression builds them, and it
// implements json.Marshaler (and Unmarshaler) in that order; ToPlain turns
// a result into map[string]any for callers that do not care.
//
// Inside, the evaluator uses nil for undefined and Null for JSON null, and
// *Array for arrays, which carries JSONata's sequence flags (a sequence of
// one value collapses to the value; an array built with [...] does not).
// EvaluateRaw works on that representation directly; FromJSON and ToJSON
// convert. Custom functions receive and return the external
// representation.
//
// Numbers are float64. They print as JavaScript prints them, and $string
// and & render non-integers with 15 significant digits, as jsonata-js does
// (so 0.1 + 0.2 & "" is "0.3"). Infinite results of arithmetic are an error
// (D1001) as soon as they are used.
//
// # Errors and limits
//
// Errors are *Error, with JSONata's code (S0xxx syntax, T0xxx/T1xxx/T2xxx
// type, D1xxx-D3xxx dynamic), the position in characters where it arose,
// and the token and value concerned. Three limits end an evaluation with
// U1001: Options.MaxDepth (default DefaultMaxDepth) bounds the nesting of
// evaluation, which grows with non-tail recursion, so runaway recursion is
// an error and not a crashed process; Options.Timeout (and the context's
// deadline) bound its time; and cancelling the context stops it, the error
// then wrapping ctx.Err(). Calls in tail position of a lambda body run in a
// loop (tail-call optimisation), so tail recursion needs no depth. A panic
// inside the evaluator is returned as U1002 rather than propagated.
//
// # Regular expressions
//
// Regex literals compile with Go's RE2, which guarantees linear time but
// has no backreferences (\1) and no lookaround ((?=...), (?!...),
// (?<=...), (?<!...)). Such patterns fail at compile time with S0303. No
// case of the reference suite uses them, so none fails for that reason.
// Match offsets ($match's index) count code points, where JavaScript counts
// UTF-16 units; they differ only beyond the Basic Multilingual Plane.
//
// # Differences from jsonata-js
//
//   - Object keys keep insertion order; JavaScript lists integer-like keys
//     ("1", "2") first.
//   - String functions count code points (as jsonata-js does for $length
//     and $substring, but not everywhere).
//   - $fromMillis with a negative timezone offset that has minutes, such
//     as "-0830", shifts by -8:30; jsonata-js 2.2.2 shifts by -9:30.
//   - A Go string cannot hold a lone UTF-16 surrogate; one arriving as
//     invalid UTF-8 is refused by the URL functions (D3140), as jsonata-js
//     refuses the surrogate.
package jsonata
