package jsonata

import "math"

// path evaluates a location path step by step. Steps that bind variables
// (@, #) or are needed by a parent reference (%) switch the path to a
// stream of tuples, each carrying its bindings alongside the context item.
func (ev *evaluator) path(n *node, input any, e *env) (any, error) {
	var inSeq *Array
	if a, ok := input.(*Array); ok && n.items[0].typ != ntVariable {
		inSeq = a
	} else {
		inSeq = newSeq(input)
	}
	var result *Array
	var tuples *Array
	isTuple := false
	for i, step := range n.items {
		if step.tuple {
			isTuple = true
		}
		if i == 0 && step.consarray {
			v, err := ev.eval(step, inSeq, e)
			if err != nil {
				return nil, err
			}
			if _, ok := v.(*Array); !ok && len(n.items) > 1 {
				// as in jsonata-js, a constructed array that a predicate
				// or group-by turned into a single value is not
				// iterated by the following steps
				result = nil
				break
			}
			result = asSeq(v)
		} else if isTuple {
			var err error
			if tuples, err = ev.tupleStep(step, inSeq, tuples, e); err != nil {
				return nil, err
			}
		} else {
			var err error
			if result, err = ev.step(step, inSeq, e, i == len(n.items)-1); err != nil {
				return nil, err
			}
		}
		if !isTuple && (result == nil || len(result.items) == 0) {
			break
		}
		if step.focus == "" {
			inSeq = result
		}
	}
	if isTuple {
		if n.tuple {
			result = tuples
		} else {
			result = newSeq()
			for _, t := range tuples.items {
				result.items = append(result.items, t.(tuple)["@"])
			}
		}
	}
	if n.keepSingletonArray {
		if result == nil {
			result = newSeq()
		}
		if result.cons && !result.seq {
			result = newSeq(result)
		}
		result.keepSingleton = true
	}
	if n.group != nil {
		src := result
		if isTuple {
			src = tuples
		}
		var in any
		if src != nil {
			in = src
		}
		return ev.groupBy(n.group, in, e)
	}
	if result == nil {
		return nil, nil
	}
	return result, nil
}

// asSeq views any value as an array, wrapping a non-array in a sequence.
func asSeq(v any) *Array {
	if a, ok := v.(*Array); ok {
		return a
	}
	if v == nil {
		return newSeq()
	}
	return newSeq(v)
}

func (ev *evaluator) step(n *node, input *Array, e *env, last bool) (*Array, error) {
	if n.typ == ntSort {
		v, err := ev.sortStep(n, input, e)
		if err != nil {
			return nil, err
		}
		res := asSeq(v)
		return ev.stages(n.stages, res, e)
	}
	var results []any
	for _, item := range input.items {
		res, err := ev.eval(n, item, e)
		if err != nil {
			return nil, err
		}
		for _, st := range n.stages {
			if st.filter != nil {
				if res, err = ev.filter(st.filter, res, e); err != nil {
					return nil, err
				}
			}
		}
		if res != nil {
			results = append(results, res)
		}
	}
	if last && len(results) == 1 {
		if a, ok := results[0].(*Array); ok && !a.seq {
			return a, nil
		}
	}
	out := newSeq()
	for _, r := range results {
		if a, ok := r.(*Array); ok && !a.cons {
			out.items = append(out.items, a.items...)
		} else {
			out.items = append(out.items, r)
		}
	}
	return out, nil
}

func (ev *evaluator) stages(stages []stage, input *Array, e *env) (*Array, error) {
	res := input
	for _, st := range stages {
		if st.filter != nil {
			v, err := ev.filter(st.filter, res, e)
			if err != nil {
				return nil, err
			}
			res = asSeq(v)
			continue
		}
		for i, t := range res.items {
			if tt, ok := t.(tuple); ok {
				tt[st.index] = float64(i)
			}
		}
	}
	return res, nil
}

func (ev *evaluator) tupleStep(n *node, input *Array, tuples *Array, e *env) (*Array, error) {
	if n.typ == ntSort {
		var res *Array
		if tuples != nil {
			v, err := ev.sortStep(n, tuples, e)
			if err != nil {
				return nil, err
			}
			res = asSeq(v)
		} else {
			v, err := ev.sortStep(n, input, e)
			if err != nil {
				return nil, err
			}
			sorted := asSeq(v)
			res = &Array{seq: true, tuple: true}
			for i, x := range sorted.items {
				t := tuple{"@": x}
				if n.index != "" {
					t[n.index] = float64(i)
				}
				res.items = append(res.items, t)
			}
		}
		return ev.stages(n.stages, res, e)
	}
	if tuples == nil {
		tuples = &Array{seq: true, tuple: true}
		for _, x := range input.items {
			tuples.items = append(tuples.items, tuple{"@": x})
		}
	}
	out := &Array{seq: true, tuple: true}
	for _, tv := range tuples.items {
		t := tv.(tuple)
		res, err := ev.eval(n, t["@"], frameFromTuple(e, t))
		if err != nil {
			return nil, err
		}
		if res == nil {
			continue
		}
		ra, isArr := res.(*Array)
		if !isArr {
			ra = newSeq(res)
		}
		for b, item := range ra.items {
			nt := make(tuple, len(t)+2)
			for k, v := range t {
				nt[k] = v
			}
			if ra.tuple {
				for k, v := range item.(tuple) {
					nt[k] = v
				}
			} else {
				if n.focus != "" {
					nt[n.focus] = item
					nt["@"] = t["@"]
				} else {
					nt["@"] = item
				}
				if n.index != "" {
					nt[n.index] = float64(b)
				}
				if n.ancestor != nil {
					nt[n.ancestor.label] = t["@"]
				}
			}
			out.items = append(out.items, nt)
		}
	}
	return ev.stages(n.stages, out, e)
}

// filter applies a predicate: a number selects by index (negative counts
// from the end), anything else is tested for truth per item.
func (ev *evaluator) filter(pred *node, input any, e *env) (any, error) {
	results := newSeq()
	in, isArr := input.(*Array)
	if isArr && in.tuple {
		results.tuple = true
	}
	if !isArr {
		if input == nil {
			in = newSeq()
		} else {
			in = newSeq(input)
		}
	}
	if pred.typ == ntNumber {
		idx := int(math.Floor(pred.num))
		if idx < 0 {
			idx += len(in.items)
		}
		if idx >= 0 && idx < len(in.items) {
			item := in.items[idx]
			if a, ok := item.(*Array); ok {
				return a, nil
			}
			results.items = append(results.items, item)
		}
		return results, nil
	}
	for i, item := range in.items {
		ctx, fe := item, e
		if in.tuple {
			t := item.(tuple)
			ctx = t["@"]
			fe = frameFromTuple(e, t)
		}
		res, err := ev.eval(pred, ctx, fe)
		if err != nil {
			return nil, err
		}
		if f, ok := res.(float64); ok {
			res = newSeq(f)
		}
		if nums, ok := arrayOfNumbers(res); ok {
			for _, f := range nums {
				ii := int(math.Floor(f))
				if ii < 0 {
					ii += len(in.items)
				}
				if ii == i {
					results.items = append(results.items, item)
				}
			}
		} else if toBool(res) {
			results.items = append(results.items, item)
		}
	}
	return results, nil
}

func arrayOfNumbers(v any) ([]float64, bool) {
	a, ok := v.(*Array)
	if !ok || len(a.items) == 0 {
		return nil, false
	}
	out := make([]float64, len(a.items))
	for i, x := range a.items {
		f, ok := x.(float64)
		if !ok {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

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

// sortStep evaluates path^(terms): a stable merge sort on the terms'
// values. As in jsonata-js, nothing is evaluated for fewer than two items,
// and the type checks (T2008, T2007) apply to the pairs compared.
func (ev *evaluator) sortStep(n *node, input any, e *env) (any, error) {
	in := asSeq(input)
	isTuple := in.tuple
	if len(in.items) <= 1 {
		return in, nil
	}
	keys := make(map[int][]any, len(in.items))
	idx := make([]any, len(in.items))
	for i, item := range in.items {
		idx[i] = i
		ctx, fe := item, e
		if isTuple {
			t := item.(tuple)
			ctx = t["@"]
			fe = frameFromTuple(e, t)
		}
		vals := make([]any, len(n.terms))
		for j, term := range n.terms {
			v, err := ev.eval(term.expr, ctx, fe)
			if err != nil {
				return nil, err
			}
			vals[j] = v
		}
		keys[i] = vals
	}
	less := func(x, y any) (bool, error) {
		ka, kb := keys[x.(int)], keys[y.(int)]
		for j, term := range n.terms {
			c, err := compareSortValues(ka[j], kb[j], n.pos)
			if err != nil {
				return false, err
			}
			if c == 0 {
				continue
			}
			if term.desc && ka[j] != nil && kb[j] != nil {
				c = -c
			}
			return c < 0, nil
		}
		return true, nil
	}
	sorted, err := mergeSort(idx, less)
	if err != nil {
		return nil, err
	}
	out := &Array{seq: true, tuple: isTuple, items: make([]any, len(sorted))}
	for i, k := range sorted {
		out.items[i] = in.items[k.(int)]
	}
	return out, nil
}

func compareSortValues(a, b any, pos int) (int, error) {
	if a == nil || b == nil {
		return compareKeys(a, b), nil
	}
	_, an := a.(float64)
	_, as := a.(string)
	_, bn := b.(float64)
	_, bs := b.(string)
	if !(an || as) {
		return 0, errAt("T2008", pos, "", a)
	}
	if !(bn || bs) {
		return 0, errAt("T2008", pos, "", b)
	}
	if an != bn {
		return 0, &Error{Code: "T2007", Position: pos, Value: a, Value2: b}
	}
	return compareKeys(a, b), nil
}

// compareKeys orders sort keys; undefined sorts last.
func compareKeys(a, b any) int {
	if a == nil {
		if b == nil {
			return 0
		}
		return 1
	}
	if b == nil {
		return -1
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case string:
		return cmpString(x, b.(string))
	}
	return 0
}

// lookupField is the name step: a field of an object, or of every object in
// an array (flattened one level).
func lookupField(input any, key string) any {
	switch x := input.(type) {
	case *Array:
		out := newSeq()
		for _, item := range x.items {
			r := lookupField(item, key)
			if r == nil {
				continue
			}
			if a, ok := r.(*Array); ok {
				out.items = append(out.items, a.items...)
			} else {
				out.items = append(out.items, r)
			}
		}
		return out
	case *Object:
		return x.m[key]
	}
	return nil
}

func wildcard(input any) any {
	out := newSeq()
	if a, ok := input.(*Array); ok && a.outerWrapper && len(a.items) > 0 {
		input = a.items[0]
	}
	if arr, ok := input.(*Array); ok {
		out.items = append(out.items, flatten(arr, nil)...)
		return out
	}
	if o, ok := input.(*Object); ok {
		for _, k := range o.keys {
			v := o.m[k]
			if a, ok := v.(*Array); ok {
				// $append semantics: the result is a plain array from here on
				out.items = append(out.items, flatten(a, nil)...)
				out.seq = false
			} else {
				out.items = append(out.items, v)
			}
		}
	}
	return out
}

func flatten(v any, acc []any) []any {
	if a, ok := v.(*Array); ok {
		for _, x := range a.items {
			acc = flatten(x, acc)
		}
		return acc
	}
	return append(acc, v)
}

func descendants(input any) any {
	if input == nil {
		return nil
	}
	out := newSeq()
	recurseDesc(input, out)
	if len(out.items) == 1 {
		return out.items[0]
	}
	return out
}

func recurseDesc(v any, out *Array) {
	switch x := v.(type) {
	case *Array:
		for _, m := range x.items {
			recurseDesc(m, out)
		}
	case *Object:
		out.items = append(out.items, v)
		for _, k := range x.keys {
			recurseDesc(x.m[k], out)
		}
	default:
		out.items = append(out.items, v)
	}
}
