package jsonata

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

var jsonNumberRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)

func fnNumber(c *callCtx, a []any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		s := x
		if jsonNumberRe.MatchString(s) {
			f, err := strconv.ParseFloat(s, 64)
			if err == nil && !math.IsInf(f, 0) {
				return f, nil
			}
		}
		for _, p := range []struct {
			prefix string
			base   int
		}{{"0x", 16}, {"0X", 16}, {"0b", 2}, {"0B", 2}, {"0o", 8}, {"0O", 8}} {
			if strings.HasPrefix(s, p.prefix) {
				if n, err := strconv.ParseInt(s[2:], p.base, 64); err == nil {
					return float64(n), nil
				}
			}
		}
		return nil, newErr("D3030", x)
	}
	return nil, newErr("D3030", a[0])
}

func num1(f func(float64) float64) func(c *callCtx, a []any) (any, error) {
	return func(c *callCtx, a []any) (any, error) {
		x, ok := a[0].(float64)
		if !ok {
			return nil, nil
		}
		return f(x), nil
	}
}

func fnSqrt(c *callCtx, a []any) (any, error) {
	x, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	if x < 0 {
		return nil, newErr("D3060", x)
	}
	return math.Sqrt(x), nil
}

func fnPower(c *callCtx, a []any) (any, error) {
	x, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	y, _ := a[1].(float64)
	r := math.Pow(x, y)
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return nil, &Error{Code: "D3061", Position: -1, Value: x, Value2: y}
	}
	return r, nil
}

// roundHalfEven is $round: half to even ("banker's rounding"), at a
// decimal precision. The shift by the precision is done on the decimal
// exponent, not by multiplying, so that 1.005 stays 1.005.
func roundHalfEven(x float64, prec int) float64 {
	shift := func(v float64, by int) float64 {
		s := formatNumber(v)
		mant, exp := s, 0
		if i := strings.IndexAny(s, "e"); i >= 0 {
			mant = s[:i]
			exp, _ = strconv.Atoi(s[i+1:])
		}
		r, _ := strconv.ParseFloat(mant+"e"+strconv.Itoa(exp+by), 64)
		return r
	}
	if prec != 0 {
		x = shift(x, prec)
	}
	r := math.Floor(x + 0.5)
	if math.Abs(r-x) == 0.5 && math.Mod(math.Abs(r), 2) == 1 {
		r--
	}
	if prec != 0 {
		r = shift(r, -prec)
	}
	if r == 0 {
		r = 0
	}
	return r
}

func fnRound(c *callCtx, a []any) (any, error) {
	x, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	p, _ := a[1].(float64)
	return roundHalfEven(x, int(p)), nil
}

func fnRandom(c *callCtx, a []any) (any, error) { return rand.Float64(), nil }

func fnFormatBase(c *callCtx, a []any) (any, error) {
	x, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	radix := 10.0
	if r, ok := a[1].(float64); ok {
		radix = r
	}
	if radix < 2 || radix > 36 {
		return nil, newErr("D3100", radix)
	}
	return strconv.FormatInt(int64(roundHalfEven(x, 0)), int(radix)), nil
}

func numbers(v any) []float64 {
	arr, ok := v.(*Array)
	if !ok {
		return nil
	}
	out := make([]float64, 0, len(arr.items))
	for _, x := range arr.items {
		if f, ok := x.(float64); ok {
			out = append(out, f)
		}
	}
	return out
}

func fnSum(c *callCtx, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := 0.0
	for _, f := range numbers(a[0]) {
		s += f
	}
	return s, nil
}

func fnCount(c *callCtx, a []any) (any, error) {
	if a[0] == nil {
		return 0.0, nil
	}
	return float64(len(a[0].(*Array).items)), nil
}

func fnMax(c *callCtx, a []any) (any, error) {
	ns := numbers(a[0])
	if len(ns) == 0 {
		return nil, nil
	}
	m := ns[0]
	for _, f := range ns[1:] {
		m = math.Max(m, f)
	}
	return m, nil
}

func fnMin(c *callCtx, a []any) (any, error) {
	ns := numbers(a[0])
	if len(ns) == 0 {
		return nil, nil
	}
	m := ns[0]
	for _, f := range ns[1:] {
		m = math.Min(m, f)
	}
	return m, nil
}

func fnAverage(c *callCtx, a []any) (any, error) {
	ns := numbers(a[0])
	if len(ns) == 0 {
		return nil, nil
	}
	s := 0.0
	for _, f := range ns {
		s += f
	}
	return s / float64(len(ns)), nil
}
