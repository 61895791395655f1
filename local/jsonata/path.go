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
		// the flag only matters on a sequence; a plain array may be the
		// caller's input, shared with other evaluations, and is not
		// written to
		if result.seq {
			result.keepSingleton = true
		}
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
