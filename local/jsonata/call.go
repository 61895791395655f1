package jsonata

// callable is any JSONata function value: a lambda, a built-in, a partial
// application, a caller's Go function, a regex or a transform.
type callable interface {
	arity() int
}

type lambda struct {
	params []string
	sig    *signature
	body   *node
	input  any
	env    *env
	thunk  bool
	pos    int
	// native is set when the lambda is a partial application of a
	// non-lambda function; body is then nil.
	native  callable
	natArgs []any
}

func (l *lambda) arity() int { return len(l.params) }

// builtin is a function of the library.
type builtin struct {
	name string
	sig  *signature
	fn   func(c *callCtx, args []any) (any, error)
}

func (b *builtin) arity() int {
	if b.name == "string" {
		// jsonata-js declares prettify with a default, so $string counts
		// as taking one argument when passed to $map and friends
		return 1
	}
	if b.sig != nil {
		return b.sig.arity()
	}
	return 0
}

// callCtx is what a built-in sees of its call: the evaluator, the context
// item (for functions with '-' in their signature) and the environment.
type callCtx struct {
	ev    *evaluator
	input any
	env   *env
	pos   int
}

// call applies f to args from inside a built-in (higher-order functions).
func (c *callCtx) call(f any, args ...any) (any, error) {
	// no call position: an error from the callback takes the position of
	// the built-in's call on its way out
	return c.ev.apply(f, args, nil, c.env, -1)
}

// transformSig is the signature jsonata-js gives a transform: it applies
// to an object or an array, anything else is T0410.
var transformSig, _ = parseSignature("<(oa):o>")

type transformer struct {
	n   *node
	env *env
}

func (t *transformer) arity() int { return 1 }

// evalProc evaluates the procedure of the call n and gives it with its
// name; a path that names a bound variable but evaluates to nothing is
// the error code.
func (ev *evaluator) evalProc(n *node, input any, e *env, code string) (any, string, error) {
	proc, err := ev.eval(n.proc, input, e)
	if err != nil {
		return nil, "", err
	}
	procName := n.proc.str
	if n.proc.typ == ntPath && len(n.proc.items) > 0 {
		procName = n.proc.items[0].str
	}
	if proc == nil && n.proc.typ == ntPath {
		if _, ok := e.lookup(procName); ok {
			return nil, "", errAt(code, n.pos, procName, nil)
		}
	}
	return proc, procName, nil
}

// call evaluates a function call expression. applyTo, when present, is the
// left side of ~>, passed as the first argument.
func (ev *evaluator) call(n *node, input any, e *env, applyTo any, hasApply bool) (any, error) {
	proc, procName, err := ev.evalProc(n, input, e, "T1005")
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(n.items)+1)
	if hasApply {
		args = append(args, applyTo)
	}
	for _, a := range n.items {
		v, err := ev.eval(a, input, e)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	res, err := ev.apply(proc, args, input, e, n.pos)
	if err != nil {
		if je, ok := err.(*Error); ok {
			if je.Position < 0 {
				je.Position = n.pos
			}
			if je.Token == "" {
				je.Token = procName
			}
		}
		return nil, err
	}
	return res, nil
}

// apply invokes a function, running tail calls (thunks) in a loop so that
// tail-recursive lambdas use constant stack.
func (ev *evaluator) apply(f any, args []any, input any, e *env, pos int) (any, error) {
	res, err := ev.applyInner(f, args, input, e, pos)
	for err == nil {
		th, ok := res.(*lambda)
		if !ok || !th.thunk {
			break
		}
		call := th.body
		next, err2 := ev.eval(call.proc, th.input, th.env)
		if err2 != nil {
			return nil, err2
		}
		nargs := make([]any, len(call.items))
		for i, a := range call.items {
			if nargs[i], err2 = ev.eval(a, th.input, th.env); err2 != nil {
				return nil, err2
			}
		}
		if err2 := ev.guard(call); err2 != nil {
			return nil, err2
		}
		// the position jsonata-js gives a tail call is its procedure's
		res, err = ev.applyInner(next, nargs, input, e, call.proc.pos)
		if err != nil {
			if je, ok := err.(*Error); ok && je.Token == "" {
				if call.proc.typ == ntVariable {
					je.Token = call.proc.str
				}
			}
		}
	}
	return res, err
}

// applyInner calls one function once: it checks the signature, then
// dispatches on the kind of function. Thunks it returns are run by apply.
func (ev *evaluator) applyInner(f any, args []any, input any, e *env, pos int) (any, error) {
	res, err := ev.applyOnce(f, args, input, e, pos)
	if err != nil {
		if _, isFn := f.(callable); isFn && pos >= 0 {
			if je, ok := err.(*Error); ok {
				// as in jsonata-js, an error leaving a function takes the
				// position of the call, so the outermost call names it
				je.Position = pos
			}
		}
	}
	return res, err
}

func (ev *evaluator) applyOnce(f any, args []any, input any, e *env, pos int) (any, error) {
	switch fn := f.(type) {
	case *lambda:
		if fn.sig != nil {
			var err error
			if args, err = fn.sig.validate(args, input); err != nil {
				return nil, err
			}
		}
		return ev.applyLambda(fn, args)
	case *builtin:
		if fn.sig != nil {
			var err error
			if args, err = fn.sig.validate(args, input); err != nil {
				if je, ok := err.(*Error); ok && je.Token == "" {
					je.Token = fn.name
				}
				return nil, err
			}
		}
		return fn.fn(&callCtx{ev: ev, input: input, env: e, pos: pos}, args)
	case *goFunc:
		return fn.invoke(ev, args, input)
	case *transformer:
		args, err := transformSig.validate(args, input)
		if err != nil {
			return nil, err
		}
		return ev.transform(fn, args[0])
	case *regexValue:
		var s any
		if len(args) > 0 {
			s = args[0]
		}
		str, ok := s.(string)
		if !ok {
			return nil, nil
		}
		return fn.matchAt(str, 0), nil
	}
	return nil, errAt("T1006", pos, "", nil)
}

// applyLambda binds the parameters in a frame over the lambda's closure
// (missing arguments are undefined) and evaluates the body.
func (ev *evaluator) applyLambda(l *lambda, args []any) (any, error) {
	f := &env{parent: l.env, names: make([]string, 0, len(l.params)), vals: make([]any, 0, len(l.params))}
	for i, p := range l.params {
		var v any
		if i < len(args) {
			v = args[i]
		}
		f.names = append(f.names, p)
		f.vals = append(f.vals, v)
	}
	if l.native != nil {
		// a partial application of a native function: fill the
		// placeholders from the arguments in order
		full := make([]any, len(l.natArgs))
		j := 0
		for i, a := range l.natArgs {
			if _, ok := a.(placeholder); ok {
				if j < len(args) {
					full[i] = args[j]
				}
				j++
			} else {
				full[i] = a
			}
		}
		return ev.apply(l.native, full, nil, l.env, l.pos)
	}
	return ev.eval(l.body, l.input, f)
}

type placeholder struct{}

// partial evaluates f(a, ?, b): the supplied arguments are evaluated now,
// and the result is a lambda whose parameters are the placeholders.
func (ev *evaluator) partial(n *node, input any, e *env) (any, error) {
	args := make([]any, len(n.items))
	for i, a := range n.items {
		if a.typ == ntPlaceholder {
			args[i] = placeholder{}
			continue
		}
		v, err := ev.eval(a, input, e)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	proc, procName, err := ev.evalProc(n, input, e, "T1007")
	if err != nil {
		return nil, err
	}
	switch fn := proc.(type) {
	case *lambda:
		if fn.native == nil {
			// bind the supplied arguments in a new frame; the placeholders
			// become the parameters of the result
			f := newEnv(fn.env)
			var params []string
			for i, p := range fn.params {
				if i < len(args) {
					if _, ok := args[i].(placeholder); ok {
						params = append(params, p)
						continue
					}
					f.bind(p, args[i])
				} else {
					f.bind(p, nil)
				}
			}
			return &lambda{params: params, body: fn.body, input: fn.input, env: f, pos: n.pos}, nil
		}
		return nativePartial(fn, args, e, n.pos), nil
	case callable:
		return nativePartial(fn, args, e, n.pos), nil
	}
	return nil, errAt("T1008", n.pos, procName, nil)
}

// nativePartial wraps a partial application of a non-lambda function,
// which has no parameter names to bind.
func nativePartial(fn callable, args []any, e *env, pos int) *lambda {
	var params []string
	for _, a := range args {
		if _, ok := a.(placeholder); ok {
			params = append(params, "_p")
		}
	}
	return &lambda{params: params, native: fn, natArgs: args, env: e, pos: pos}
}

// applyOp evaluates lhs ~> rhs: a call with lhs as first argument, or
// function composition when lhs is itself a function.
func (ev *evaluator) applyOp(n *node, input any, e *env) (any, error) {
	lhs, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	if n.rhs.typ == ntFunction {
		return ev.call(n.rhs, input, e, lhs, true)
	}
	f, err := ev.eval(n.rhs, input, e)
	if err != nil {
		return nil, err
	}
	if _, ok := f.(callable); !ok {
		return nil, errAt("T2006", n.pos, "~>", f)
	}
	if g, ok := lhs.(callable); ok {
		return &builtin{name: "chain", fn: func(c *callCtx, args []any) (any, error) {
			r, err := c.call(g, args...)
			if err != nil {
				return nil, err
			}
			return c.call(f, r)
		}, sig: nil}, nil
	}
	// not a call expression: errors keep their own positions, as in
	// jsonata-js
	return ev.apply(f, []any{lhs}, nil, e, -1)
}

// transform applies |pattern|update,delete| to a deep copy of obj.
func (ev *evaluator) transform(t *transformer, obj any) (any, error) {
	if obj == nil {
		return nil, nil
	}
	if cf, ok := t.env.lookup("clone"); ok {
		if _, isB := cf.(*builtin); !isB {
			if _, isC := cf.(callable); !isC {
				return nil, errAt("T2013", t.n.pos, "", nil)
			}
		}
	}
	result := deepClone(obj)
	matches, err := ev.eval(t.n.pattern, result, t.env)
	if err != nil {
		return nil, err
	}
	if matches == nil {
		return result, nil
	}
	for _, m := range asSeq(matches).items {
		upd, err := ev.eval(t.n.update, m, t.env)
		if err != nil {
			return nil, err
		}
		mo, isObj := m.(*Object)
		if upd != nil {
			uo, ok := upd.(*Object)
			if !ok {
				return nil, errAt("T2011", t.n.update.pos, "", upd)
			}
			if isObj {
				for _, k := range uo.keys {
					mo.Set(k, uo.m[k])
				}
			}
		}
		if t.n.del == nil {
			continue
		}
		del, err := ev.eval(t.n.del, m, t.env)
		if err != nil {
			return nil, err
		}
		if del == nil {
			continue
		}
		for _, d := range asSeq(del).items {
			s, ok := d.(string)
			if !ok {
				return nil, errAt("T2012", t.n.del.pos, "", del)
			}
			if isObj {
				mo.Delete(s)
			}
		}
	}
	return result, nil
}

// deepClone copies arrays and objects, for transforms, which modify the
// copy in place.
func deepClone(v any) any {
	switch x := v.(type) {
	case *Array:
		out := &Array{items: make([]any, len(x.items)), seq: x.seq, cons: x.cons, keepSingleton: x.keepSingleton, outerWrapper: x.outerWrapper}
		for i, e := range x.items {
			out.items[i] = deepClone(e)
		}
		return out
	case *Object:
		o := &Object{keys: append([]string(nil), x.keys...), m: make(map[string]any, len(x.keys))}
		for k, e := range x.m {
			o.m[k] = deepClone(e)
		}
		return o
	}
	return v
}
