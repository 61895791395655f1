package jsonata

import (
	"context"
	"math"
	"time"
)

// evaluator holds the state of one evaluation: limits, the clock reading
// that $now/$millis return, and the nesting depth.
type evaluator struct {
	ctx      context.Context
	start    time.Time
	limit    time.Duration
	maxDepth int
	depth    int
	count    int
	now      time.Time
}

// guard enforces the limits. The clock and the context are read every 64
// steps only, as reading them costs more than a step.
func (ev *evaluator) guard(n *node) error {
	ev.count++
	if ev.count&63 == 0 {
		if err := ev.ctx.Err(); err != nil {
			return &Error{Code: "U1001", Position: n.pos, Message: "evaluation cancelled: " + err.Error(), cause: err}
		}
		if ev.limit > 0 && time.Since(ev.start) > ev.limit {
			return &Error{Code: "U1001", Position: n.pos, Message: "Expression evaluation timeout: Check for infinite loop"}
		}
	}
	if ev.maxDepth > 0 && ev.depth > ev.maxDepth {
		return &Error{Code: "U1001", Position: n.pos}
	}
	return nil
}

// eval evaluates n with input as its context, counting the nesting depth
// for the U1001 limit.
func (ev *evaluator) eval(n *node, input any, e *env) (any, error) {
	ev.depth++
	res, err := ev.evalDepth(n, input, e)
	ev.depth--
	return res, err
}

func (ev *evaluator) evalDepth(n *node, input any, e *env) (any, error) {
	if err := ev.guard(n); err != nil {
		return nil, err
	}
	res, err := ev.evalNode(n, input, e)
	if err != nil {
		return nil, err
	}
	for _, p := range n.predicate {
		if res, err = ev.filter(p.filter, res, e); err != nil {
			return nil, err
		}
	}
	if n.typ != ntPath && n.group != nil {
		if res, err = ev.groupBy(n.group, res, e); err != nil {
			return nil, err
		}
	}
	if a, ok := res.(*Array); ok && a.seq && !a.tuple {
		if n.keepArray {
			a.keepSingleton = true
		}
		switch len(a.items) {
		case 0:
			return nil, nil
		case 1:
			if !a.keepSingleton {
				return a.items[0], nil
			}
		}
	}
	return res, nil
}

// evalNode evaluates one node by type, before predicates, group-by and
// sequence collapsing, which eval applies to every type alike.
func (ev *evaluator) evalNode(n *node, input any, e *env) (any, error) {
	switch n.typ {
	case ntPath:
		return ev.path(n, input, e)
	case ntBinary:
		return ev.binary(n, input, e)
	case ntNeg:
		v, err := ev.eval(n.lhs, input, e)
		if err != nil || v == nil {
			return nil, err
		}
		f, ok := v.(float64)
		if !ok {
			return nil, errAt("D1002", n.pos, "-", v)
		}
		return -f, nil
	case ntArray:
		return ev.arrayCons(n, input, e)
	case ntObject:
		return ev.groupBy(&groupExpr{pairs: n.pairs, pos: n.pos}, input, e)
	case ntName:
		return lookupField(input, n.str), nil
	case ntString, ntNumber, ntValue:
		return n.val, nil
	case ntWildcard:
		return wildcard(input), nil
	case ntDescendant:
		return descendants(input), nil
	case ntParent:
		v, _ := e.lookup(n.slot.label)
		return v, nil
	case ntCondition:
		c, err := ev.eval(n.cond, input, e)
		if err != nil {
			return nil, err
		}
		if toBool(c) {
			return ev.eval(n.then, input, e)
		}
		if n.els != nil {
			return ev.eval(n.els, input, e)
		}
		return nil, nil
	case ntCoalesce:
		return ev.coalesce(n, input, e)
	case ntBlock:
		f := newEnv(e)
		var res any
		for _, x := range n.items {
			var err error
			if res, err = ev.eval(x, input, f); err != nil {
				return nil, err
			}
		}
		return res, nil
	case ntBind:
		v, err := ev.eval(n.rhs, input, e)
		if err != nil {
			return nil, err
		}
		e.bind(n.lhs.str, v)
		return v, nil
	case ntRegex:
		return n.re, nil
	case ntFunction:
		return ev.call(n, input, e, nil, false)
	case ntVariable:
		if n.str == "" {
			if a, ok := input.(*Array); ok && a.outerWrapper && len(a.items) > 0 {
				return a.items[0], nil
			}
			return input, nil
		}
		v, _ := e.lookup(n.str)
		return v, nil
	case ntLambda:
		return &lambda{params: n.params, sig: n.sig, body: n.body, input: input, env: e, thunk: n.thunk, pos: n.pos}, nil
	case ntPartial:
		return ev.partial(n, input, e)
	case ntApply:
		return ev.applyOp(n, input, e)
	case ntTransform:
		return &transformer{n: n, env: e}, nil
	case ntSort:
		return ev.sortStep(n, input, e)
	}
	return nil, errAt("S0206", n.pos, "", nil)
}

// coalesce evaluates a ?? b (b when a is undefined) and a ?: b (b when a
// is falsy), evaluating a once.
func (ev *evaluator) coalesce(n *node, input any, e *env) (any, error) {
	l, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	if n.op == "??" {
		if l != nil {
			return l, nil
		}
	} else if toBool(l) {
		return l, nil
	}
	return ev.eval(n.rhs, input, e)
}

// arrayCons evaluates [a, b, ...]: undefined items vanish and array values
// are spliced in, except those written as nested constructors.
func (ev *evaluator) arrayCons(n *node, input any, e *env) (any, error) {
	if len(n.items) == 1 && n.items[0].typ == ntBinary && n.items[0].op == ".." {
		// [a..b] alone: the range's fresh items become the array's,
		// without a copy of what may be ten million values
		v, err := ev.eval(n.items[0], input, e)
		if err != nil {
			return nil, err
		}
		out := &Array{items: []any{}, cons: n.consarray}
		if a, ok := v.(*Array); ok {
			out.items = a.items
		} else if v != nil {
			out.items = []any{v}
		}
		return out, nil
	}
	out := &Array{items: make([]any, 0, len(n.items))}
	for _, item := range n.items {
		v, err := ev.eval(item, input, e)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		if item.typ == ntArray {
			out.items = append(out.items, v)
		} else if a, ok := v.(*Array); ok {
			out.items = append(out.items, a.items...)
		} else {
			out.items = append(out.items, v)
		}
	}
	out.cons = n.consarray
	return out, nil
}

// binary evaluates the binary operators; and/or short-circuit. Errors from
// the operator get its position and symbol.
func (ev *evaluator) binary(n *node, input any, e *env) (any, error) {
	l, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	if n.op == "and" || n.op == "or" {
		if toBool(l) == (n.op == "or") {
			return n.op == "or", nil
		}
		r, err := ev.eval(n.rhs, input, e)
		if err != nil {
			if je, ok := err.(*Error); ok {
				// jsonata-js reports errors from the right side at the
				// operator
				je.Position, je.Token = n.pos, n.op
			}
			return nil, err
		}
		return toBool(r), nil
	}
	r, err := ev.eval(n.rhs, input, e)
	if err != nil {
		return nil, err
	}
	var res any
	switch n.op {
	case "+", "-", "*", "/", "%":
		res, err = arith(n.op, l, r)
	case "=":
		if l == nil || r == nil {
			return false, nil
		}
		return deepEqual(l, r), nil
	case "!=":
		if l == nil || r == nil {
			return false, nil
		}
		return !deepEqual(l, r), nil
	case "<", "<=", ">", ">=":
		res, err = compare(n.op, l, r)
	case "&":
		ls, err1 := toStringOrEmpty(l)
		if err1 != nil {
			err = err1
			break
		}
		rs, err2 := toStringOrEmpty(r)
		if err2 != nil {
			err = err2
			break
		}
		return ls + rs, nil
	case "..":
		res, err = rangeOp(l, r)
	case "in":
		res = inOp(l, r)
	}
	if err != nil {
		if je, ok := err.(*Error); ok {
			je.Position = n.pos
			je.Token = n.op
		}
		return nil, err
	}
	return res, nil
}

func toStringOrEmpty(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	return stringify(v, false)
}

// isNumber reports a usable number; an infinite one (from 1/0) is an
// error as soon as it is used, as in jsonata-js.
func isNumber(v any) (float64, bool, error) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return 0, false, nil
	}
	if math.IsInf(f, 0) {
		return 0, false, newErr("D1001", f)
	}
	return f, true, nil
}

// arith is + - * / %: undefined operands give undefined; non-numbers are
// T2001 (left) or T2002 (right).
func arith(op string, l, r any) (any, error) {
	lf, lok, err := isNumber(l)
	if err != nil {
		return nil, err
	}
	if l != nil && !lok {
		return nil, newErr("T2001", l)
	}
	rf, rok, err := isNumber(r)
	if err != nil {
		return nil, err
	}
	if r != nil && !rok {
		return nil, newErr("T2002", r)
	}
	if l == nil || r == nil {
		return nil, nil
	}
	var res float64
	switch op {
	case "+":
		res = lf + rf
	case "-":
		res = lf - rf
	case "*":
		res = lf * rf
	case "/":
		res = lf / rf
	case "%":
		res = math.Mod(lf, rf)
	}
	return res, nil
}

// compare is < <= > >=: only numbers with numbers and strings with
// strings (T2009), nothing else at all (T2010).
func compare(op string, l, r any) (any, error) {
	comparable := func(v any) bool {
		switch v.(type) {
		case nil, string, float64:
			return true
		}
		return false
	}
	if !comparable(l) || !comparable(r) {
		bad := l
		if comparable(l) && l != nil {
			bad = r
		}
		if l == nil {
			bad = r
		}
		return nil, newErr("T2010", bad)
	}
	if l == nil || r == nil {
		return nil, nil
	}
	ls, lstr := l.(string)
	rs, rstr := r.(string)
	if lstr != rstr {
		return nil, &Error{Code: "T2009", Position: -1, Value: l, Value2: r}
	}
	var c int
	if lstr {
		c = cmpString(ls, rs)
	} else {
		lf, rf := l.(float64), r.(float64)
		switch {
		case lf < rf:
			c = -1
		case lf > rf:
			c = 1
		}
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	}
	return c >= 0, nil
}

// cmpString orders strings by UTF-16 code units, as JavaScript does.
func cmpString(a, b string) int {
	ua, ub := utf16Units(a), utf16Units(b)
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

// rangeOp is a..b: integers only, at most 1e7 items (D2014).
func rangeOp(l, r any) (any, error) {
	lf, lok := l.(float64)
	if l != nil && (!lok || lf != math.Trunc(lf)) {
		return nil, newErr("T2003", l)
	}
	rf, rok := r.(float64)
	if r != nil && (!rok || rf != math.Trunc(rf)) {
		return nil, newErr("T2004", r)
	}
	if l == nil || r == nil || lf > rf {
		return nil, nil
	}
	size := rf - lf + 1
	if size > 1e7 {
		return nil, newErr("D2014", size)
	}
	return &Array{items: floatRange(lf, int(size)), seq: true}, nil
}

// inOp is a in b, where b may be a single value.
func inOp(l, r any) any {
	if l == nil || r == nil {
		return false
	}
	if a, ok := r.(*Array); ok {
		for _, x := range a.items {
			if deepEqual(x, l) {
				return true
			}
		}
		return false
	}
	return deepEqual(l, r)
}

// toBool is JSONata's boolean cast ($boolean).
func toBool(v any) bool {
	switch x := v.(type) {
	case nil, nullType:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	case *Array:
		if len(x.items) == 1 {
			return toBool(x.items[0])
		}
		for _, i := range x.items {
			if toBool(i) {
				return true
			}
		}
		return false
	case *Object:
		return x.Len() > 0
	case callable:
		return false
	}
	return false
}

// deepEqual is = on any values: arrays and objects compare by content,
// functions by identity.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case *Array:
		y, ok := b.(*Array)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		for i := range x.items {
			if !deepEqual(x.items[i], y.items[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.m[k]
			if !ok || !deepEqual(x.m[k], yv) {
				return false
			}
		}
		return true
	case float64, string, bool, nullType, nil:
		return a == b
	}
	return a == b
}
