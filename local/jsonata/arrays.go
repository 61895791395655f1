package jsonata

import (
	"math/rand/v2"
)

func fnAppend(c *callCtx, a []any) (any, error) { return appendValues(a[0], a[1]), nil }

func fnReverse(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	if len(arr.items) <= 1 {
		return arr, nil
	}
	out := make([]any, len(arr.items))
	for i, x := range arr.items {
		out[len(out)-1-i] = x
	}
	return newArray(out), nil
}

func fnShuffle(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	if len(arr.items) <= 1 {
		return arr, nil
	}
	out := append([]any(nil), arr.items...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return newArray(out), nil
}

func fnDistinct(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok || len(arr.items) <= 1 {
		return a[0], nil
	}
	out := &Array{seq: arr.seq}
	for _, x := range arr.items {
		dup := false
		for _, y := range out.items {
			if deepEqual(x, y) {
				dup = true
				break
			}
		}
		if !dup {
			out.items = append(out.items, x)
		}
	}
	return out, nil
}

func fnZip(c *callCtx, a []any) (any, error) {
	if len(a) == 0 {
		return newArray([]any{}), nil
	}
	n := -1
	arrs := make([]*Array, len(a))
	for i, x := range a {
		arr, ok := x.(*Array)
		if !ok {
			return newArray([]any{}), nil
		}
		arrs[i] = arr
		if n < 0 || len(arr.items) < n {
			n = len(arr.items)
		}
	}
	out := make([]any, n)
	for i := 0; i < n; i++ {
		t := make([]any, len(arrs))
		for j, arr := range arrs {
			t[j] = arr.items[i]
		}
		out[i] = newArray(t)
	}
	return newArray(out), nil
}

// fnSort is a stable merge sort; the comparator says whether its first
// argument should come after its second.
func fnSort(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	if len(arr.items) <= 1 {
		return arr, nil
	}
	var less func(x, y any) (bool, error)
	if f := a[1]; f != nil {
		less = func(x, y any) (bool, error) {
			r, err := c.call(f, x, y)
			if err != nil {
				return false, err
			}
			return !toBool(r), nil
		}
	} else {
		allNum, allStr := true, true
		for _, x := range arr.items {
			switch x.(type) {
			case float64:
				allStr = false
			case string:
				allNum = false
			default:
				allNum, allStr = false, false
			}
		}
		if !allNum && !allStr {
			return nil, newErr("D3070", nil)
		}
		less = func(x, y any) (bool, error) { return compareKeys(y, x) >= 0, nil }
	}
	items, err := mergeSort(append([]any(nil), arr.items...), less)
	if err != nil {
		return nil, err
	}
	return newArray(items), nil
}

// mergeSort sorts stably; less(x, y) reports that x may precede y.
func mergeSort(items []any, less func(x, y any) (bool, error)) ([]any, error) {
	if len(items) <= 1 {
		return items, nil
	}
	mid := len(items) / 2
	l, err := mergeSort(items[:mid], less)
	if err != nil {
		return nil, err
	}
	r, err := mergeSort(items[mid:], less)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	i, j := 0, 0
	for i < len(l) && j < len(r) {
		ok, err := less(l[i], r[j])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, l[i])
			i++
		} else {
			out = append(out, r[j])
			j++
		}
	}
	out = append(out, l[i:]...)
	return append(out, r[j:]...), nil
}
