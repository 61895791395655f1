package jsonata

func fnKeys(c *callCtx, a []any) (any, error) {
	out := newSeq()
	seen := map[string]bool{}
	collectKeys(a[0], seen, out)
	return out, nil
}

// collectKeys gathers the keys of an object, or the union of the keys of
// the objects in an array, nested arrays included.
func collectKeys(v any, seen map[string]bool, out *Array) {
	switch x := v.(type) {
	case *Object:
		for _, k := range x.keys {
			if !seen[k] {
				seen[k] = true
				out.items = append(out.items, k)
			}
		}
	case *Array:
		for _, item := range x.items {
			collectKeys(item, seen, out)
		}
	}
}

func fnLookup(c *callCtx, a []any) (any, error) {
	k, _ := a[1].(string)
	return lookupField(a[0], k), nil
}

func spread(v any) any {
	switch x := v.(type) {
	case *Array:
		var res any = newSeq()
		for _, item := range x.items {
			res = appendValues(res, spread(item))
		}
		return res
	case *Object:
		out := newSeq()
		for _, k := range x.keys {
			o := NewObject()
			o.Set(k, x.m[k])
			out.items = append(out.items, o)
		}
		return out
	}
	return v
}

func fnSpread(c *callCtx, a []any) (any, error) { return spread(a[0]), nil }

func fnMerge(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	out := NewObject()
	for _, item := range arr.items {
		if o, ok := item.(*Object); ok {
			for _, k := range o.keys {
				out.Set(k, o.m[k])
			}
		}
	}
	return out, nil
}

// hofArgs passes a callback only as many of (value, index/key, whole) as
// it declares parameters for.
func hofArgs(f any, args ...any) []any {
	n := 1
	if cf, ok := f.(callable); ok {
		n = cf.arity()
	}
	if n < 1 {
		n = 1
	}
	if n > len(args) {
		n = len(args)
	}
	return args[:n]
}

func fnEach(c *callCtx, a []any) (any, error) {
	o, ok := a[0].(*Object)
	if !ok {
		return nil, nil
	}
	out := newSeq()
	for _, k := range o.keys {
		v, err := c.call(a[1], hofArgs(a[1], o.m[k], k, o)...)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out.items = append(out.items, v)
		}
	}
	return out, nil
}

func fnSift(c *callCtx, a []any) (any, error) {
	o, ok := a[0].(*Object)
	if !ok {
		return nil, nil
	}
	out := NewObject()
	for _, k := range o.keys {
		v, err := c.call(a[1], hofArgs(a[1], o.m[k], k, o)...)
		if err != nil {
			return nil, err
		}
		if toBool(v) {
			out.Set(k, o.m[k])
		}
	}
	if out.Len() == 0 {
		return nil, nil
	}
	return out, nil
}

func fnError(c *callCtx, a []any) (any, error) {
	msg, ok := a[0].(string)
	if !ok {
		msg = "$error() function evaluated"
	}
	return nil, &Error{Code: "D3137", Position: -1, Message: msg, Value: msg}
}

func fnAssert(c *callCtx, a []any) (any, error) {
	b, _ := a[0].(bool)
	if b {
		return nil, nil
	}
	msg, ok := a[1].(string)
	if !ok {
		msg = "$assert() statement failed"
	}
	return nil, &Error{Code: "D3141", Position: -1, Message: msg, Value: msg}
}

func fnType(c *callCtx, a []any) (any, error) {
	switch a[0].(type) {
	case nil:
		return nil, nil
	case nullType:
		return "null", nil
	case float64:
		return "number", nil
	case string:
		return "string", nil
	case bool:
		return "boolean", nil
	case *Array:
		return "array", nil
	case *Object:
		return "object", nil
	}
	return "function", nil
}

func fnBoolean(c *callCtx, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	return toBool(a[0]), nil
}

func fnNot(c *callCtx, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	return !toBool(a[0]), nil
}

func fnExists(c *callCtx, a []any) (any, error) { return a[0] != nil, nil }

func fnClone(c *callCtx, a []any) (any, error) { return deepClone(a[0]), nil }

func fnEval(c *callCtx, a []any) (any, error) {
	src, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	root, err := parse(src)
	if err != nil {
		return nil, &Error{Code: "D3120", Position: -1, Value: err.Error()}
	}
	input := c.input
	if len(a) > 1 && a[1] != nil {
		input = a[1]
		if arr, ok := input.(*Array); ok && !arr.seq {
			input = &Array{items: []any{arr}, seq: true, outerWrapper: true}
		}
	}
	res, err := c.ev.eval(root, input, c.env)
	if err != nil {
		if je, ok := err.(*Error); ok && je.Code == "U1001" {
			return nil, err
		}
		return nil, &Error{Code: "D3121", Position: -1, Value: err.Error()}
	}
	return res, nil
}
