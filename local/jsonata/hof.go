package jsonata

// eachCall calls fn on each item of arr with the item, its index and
// arr, in order, and gives the item and the answer to each.
func (c *callCtx) eachCall(arr *Array, fn any, each func(x, v any)) error {
	for i, x := range arr.items {
		v, err := c.call(fn, hofArgs(fn, x, float64(i), arr)...)
		if err != nil {
			return err
		}
		each(x, v)
	}
	return nil
}

func fnMap(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	out := newSeq()
	err := c.eachCall(arr, a[1], func(x, v any) {
		if v != nil {
			out.items = append(out.items, v)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func fnFilter(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	out := newSeq()
	err := c.eachCall(arr, a[1], func(x, v any) {
		if toBool(v) {
			out.items = append(out.items, x)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fnSingle returns the one item matching (D3138 for more, D3139 for none).
func fnSingle(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	var found any
	n := 0
	for i, x := range arr.items {
		keep := true
		if a[1] != nil {
			v, err := c.call(a[1], hofArgs(a[1], x, float64(i), arr)...)
			if err != nil {
				return nil, err
			}
			keep = toBool(v)
		}
		if keep {
			n++
			if n > 1 {
				return nil, newErr("D3138", nil)
			}
			found = x
		}
	}
	if n == 0 {
		return nil, newErr("D3139", nil)
	}
	return found, nil
}

// fnReduce folds left; without an initial value the first item is the
// start. The callback needs at least two parameters (D3050).
func fnReduce(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	f := a[1]
	if cf, ok := f.(callable); !ok || cf.arity() < 2 {
		return nil, newErr("D3050", nil)
	}
	items := arr.items
	var acc any
	if len(a) > 2 && a[2] != nil {
		acc = a[2]
	} else {
		if len(items) == 0 {
			return nil, nil
		}
		acc = items[0]
		items = items[1:]
		for i, x := range items {
			v, err := c.call(f, hofArgs(f, acc, x, float64(i+1), arr)...)
			if err != nil {
				return nil, err
			}
			acc = v
		}
		return acc, nil
	}
	for i, x := range items {
		v, err := c.call(f, hofArgs(f, acc, x, float64(i), arr)...)
		if err != nil {
			return nil, err
		}
		acc = v
	}
	return acc, nil
}
