package jsonata

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
