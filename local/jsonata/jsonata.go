package jsonata

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// Expr is a compiled expression. It is immutable and safe for concurrent
// use: compile once, evaluate many times with different inputs and
// bindings.
type Expr struct {
	src  string
	root *node
}

// Compile parses an expression. Syntax errors are *Error with an S0xxx code
// and the position where parsing stopped.
func Compile(expr string) (e *Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, &Error{Code: "U1002", Position: -1, Message: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	root, err := parse(expr)
	if err != nil {
		return nil, charPosition(err, expr)
	}
	return &Expr{src: expr, root: root}, nil
}

// MustCompile is Compile for expressions known to be valid.
func MustCompile(expr string) *Expr {
	e, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.src }

// Options are the per-evaluation settings.
type Options struct {
	// Bindings are variables visible as $name, in the external
	// representation (see FromJSON); a Function value binds a function.
	Bindings map[string]any
	// Functions are custom Go functions, callable as $Name.
	Functions []Function
	// MaxDepth bounds the evaluation depth (nested evaluation steps, which
	// grow with non-tail recursion); beyond it evaluation fails with U1001.
	// Zero means DefaultMaxDepth.
	MaxDepth int
	// Timeout bounds the evaluation time (U1001 when exceeded); zero means
	// no limit other than ctx.
	Timeout time.Duration
	// Now fixes the time $now() and $millis() report; zero means the
	// clock reading at the start of evaluation.
	Now time.Time
}

// DefaultMaxDepth is the depth limit when Options.MaxDepth is zero. Each
// level of non-tail recursion costs a few levels, and each level a few
// hundred bytes of Go stack, so this stays far from the goroutine stack
// limit.
const DefaultMaxDepth = 10000

// Function is a custom function supplied by the caller.
type Function struct {
	// Name is the variable name without '$'.
	Name string
	// Signature is optional, in JSONata's notation (e.g. "<s-n?:s>"); when
	// given, arguments are checked (T0410) and coerced as for built-ins.
	Signature string
	// Fn receives the arguments in the external representation (nil for
	// null, Undefined for a missing argument, []any, *Object, float64,
	// string, bool) and returns a value in the same representation, or an
	// error (an *Error keeps its code).
	Fn func(ctx context.Context, args []any) (any, error)
}

type goFunc struct {
	def Function
	sig *signature
}

func (g *goFunc) arity() int {
	if g.sig != nil {
		return g.sig.arity()
	}
	return 1
}

// signatures caches parsed signatures of custom functions, which are
// passed anew with every evaluation.
var signatures sync.Map

// invoke calls a caller's function, converting arguments and result
// between the representations.
func (g *goFunc) invoke(ev *evaluator, args []any, input any) (any, error) {
	if g.sig == nil && g.def.Signature != "" {
		if s, ok := signatures.Load(g.def.Signature); ok {
			g.sig = s.(*signature)
		} else {
			s, err := parseSignature(g.def.Signature)
			if err != nil {
				return nil, err
			}
			signatures.Store(g.def.Signature, s)
			g.sig = s
		}
	}
	if g.sig != nil {
		var err error
		if args, err = g.sig.validate(args, input); err != nil {
			if je, ok := err.(*Error); ok {
				je.Token = g.def.Name
			}
			return nil, err
		}
	}
	ext := make([]any, len(args))
	for i, a := range args {
		ext[i] = ToJSON(a)
	}
	res, err := g.def.Fn(ev.ctx, ext)
	if err != nil {
		return nil, err
	}
	return FromJSON(res), nil
}

// Evaluate runs the expression against input, given in the external
// representation: a value decoded by encoding/json (nil is null), a value
// from Decode, or Undefined for no input. The result is in the external
// representation too (see ToJSON); Undefined means no result.
func (e *Expr) Evaluate(ctx context.Context, input any, opts *Options) (any, error) {
	res, err := e.EvaluateRaw(ctx, FromJSON(input), opts)
	if err != nil {
		return nil, err
	}
	return ToJSON(res), nil
}

// charPosition turns the byte offset the lexer works in into the character
// offset JSONata reports.
func charPosition(err error, src string) error {
	je, ok := err.(*Error)
	if !ok || je.Position < 0 {
		return err
	}
	if je.Position > len(src) {
		je.Position = len(src)
	}
	je.Position = utf8.RuneCountInString(src[:je.Position])
	return je
}

// EvaluateRaw is Evaluate on the evaluator's internal representation (nil
// for undefined, Null, *Array, *Object), for callers that chain
// evaluations without converting in between. The input is only read, so
// one decoded document can serve concurrent evaluations; a result should
// not be shared between concurrent evaluations as input or binding, since
// evaluation may set sequence flags on the arrays it produced.
func (e *Expr) EvaluateRaw(ctx context.Context, input any, opts *Options) (res any, err error) {
	defer func() {
		// a bug in the evaluator must not take the engine down with it
		if r := recover(); r != nil {
			res, err = nil, &Error{Code: "U1002", Position: -1, Message: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	if opts == nil {
		opts = &Options{}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ev := &evaluator{ctx: ctx, start: time.Now(), limit: opts.Timeout, maxDepth: opts.MaxDepth, now: opts.Now}
	if ev.maxDepth == 0 {
		ev.maxDepth = DefaultMaxDepth
	}
	if ev.now.IsZero() {
		ev.now = ev.start
	}
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); ev.limit == 0 || d < ev.limit {
			ev.limit = d
		}
	}
	top := newEnv(globalEnv)
	for k, v := range opts.Bindings {
		top.bind(k, FromJSON(v))
	}
	for i := range opts.Functions {
		top.bind(opts.Functions[i].Name, &goFunc{def: opts.Functions[i]})
	}
	top.bind("$", input)
	if a, ok := input.(*Array); ok && !a.seq {
		input = &Array{items: []any{a}, seq: true, outerWrapper: true}
	}
	res, err = ev.eval(e.root, input, top)
	if err != nil {
		return nil, charPosition(err, e.src)
	}
	if a, ok := res.(*Array); ok && a.tuple {
		out := newSeq()
		for _, t := range a.items {
			out.items = append(out.items, t.(tuple)["@"])
		}
		res = out
	}
	return res, nil
}
