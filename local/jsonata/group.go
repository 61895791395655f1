package jsonata

type groupEntry struct {
	acc       accumulator
	exprIndex int
}

// accumulator is $append applied repeatedly, without copying the
// accumulated array each time: one value stays as it is; more are
// concatenated into a plain array, arrays contributing their items.
type accumulator struct {
	first any
	items []any
	n     int
}

// add appends v.
func (a *accumulator) add(v any) {
	a.n++
	if a.n == 1 {
		a.first = v
		return
	}
	if a.n == 2 {
		a.items = appendFlat(nil, a.first)
	}
	a.items = appendFlat(a.items, v)
}

func appendFlat(items []any, v any) []any {
	if arr, ok := v.(*Array); ok {
		return append(items, arr.items...)
	}
	return append(items, v)
}

// value is the accumulated $append result.
func (a *accumulator) value() any {
	if a.n <= 1 {
		return a.first
	}
	return &Array{items: a.items}
}

// groupBy evaluates an object constructor, either standalone or as a
// group-by (path{k: v}): items are grouped by key, then each group's value
// expression is evaluated with the group as its context.
func (ev *evaluator) groupBy(g *groupExpr, input any, e *env) (any, error) {
	in, isArr := input.(*Array)
	reduce := isArr && in.tuple
	if !isArr {
		in = newSeq(input)
	}
	items := in.items
	if len(items) == 0 {
		items = []any{nil}
	}
	groups := map[string]*groupEntry{}
	var order []string
	for _, item := range items {
		ctx, fe := item, e
		if reduce {
			t, _ := item.(tuple)
			ctx = t["@"]
			fe = frameFromTuple(e, t)
		}
		for pi, pair := range g.pairs {
			k, err := ev.eval(pair[0], ctx, fe)
			if err != nil {
				return nil, err
			}
			if k == nil {
				continue
			}
			ks, ok := k.(string)
			if !ok {
				return nil, errAt("T1003", g.pos, "", k)
			}
			if ent, ok := groups[ks]; ok {
				if ent.exprIndex != pi {
					return nil, errAt("D1009", g.pos, "", ks)
				}
				ent.acc.add(item)
			} else {
				ent := &groupEntry{exprIndex: pi}
				ent.acc.add(item)
				groups[ks] = ent
				order = append(order, ks)
			}
		}
	}
	out := NewObject()
	for _, k := range order {
		ent := groups[k]
		ctx, fe := ent.acc.value(), e
		if reduce {
			t := reduceTuples(ctx)
			ctx = t["@"]
			delete(t, "@")
			fe = frameFromTuple(e, t)
		}
		v, err := ev.eval(g.pairs[ent.exprIndex][1], ctx, fe)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out.Set(k, v)
		}
	}
	return out, nil
}

// reduceTuples merges the tuples of one group into one tuple, each
// binding holding all the group's values.
func reduceTuples(v any) tuple {
	a, ok := v.(*Array)
	if !ok {
		t, _ := v.(tuple)
		c := make(tuple, len(t))
		for k, x := range t {
			c[k] = x
		}
		return c
	}
	accs := map[string]*accumulator{}
	for _, tv := range a.items {
		for k, x := range tv.(tuple) {
			acc := accs[k]
			if acc == nil {
				acc = &accumulator{}
				accs[k] = acc
			}
			acc.add(x)
		}
	}
	res := make(tuple, len(accs))
	for k, acc := range accs {
		res[k] = acc.value()
	}
	return res
}

// appendValues is $append: concatenation, where a non-array counts as a
// one-item array and undefined is the identity.
func appendValues(a, b any) any {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	var items []any
	if aa, ok := a.(*Array); ok {
		items = append(items, aa.items...)
	} else {
		items = append(items, a)
	}
	if ba, ok := b.(*Array); ok {
		items = append(items, ba.items...)
	} else {
		items = append(items, b)
	}
	return &Array{items: items}
}
