package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"thumbflow/local/awsjson"
)

// MetricDataQuery is one entry of a metric math alarm's Metrics: a metric
// (MetricStat) or an Expression over the other entries' ids.
type MetricDataQuery struct {
	Id         string
	Expression string      `json:",omitempty"`
	MetricStat *MetricStat `json:",omitempty"`
	ReturnData *bool       `json:",omitempty"`
	Label      string      `json:",omitempty"`
	Period     int         `json:",omitempty"`
	AccountId  string      `json:",omitempty"`
	expr       func(resolver) (float64, bool)
}

// MetricStat names a metric and its statistic.
type MetricStat struct {
	Metric struct {
		Namespace, MetricName string
		Dimensions            []Dimension
	}
	Period int
	Stat   string
	Unit   string `json:",omitempty"`
}

// resolver resolves an id to its value in the period being evaluated.
type resolver func(id string) (float64, bool)

// compileMetrics checks a metric math alarm: exactly one entry returns
// data, metrics share one period, and expressions are arithmetic (+ - * /,
// parentheses, numbers, ids). It returns the alarm's period.
func compileMetrics(qs []MetricDataQuery) (int, error) {
	bad := func(format string, args ...any) error { return awsjson.Errorf("ValidationError", format, args...) }
	ids := map[string]bool{}
	returning, period := 0, 0
	for _, q := range qs {
		if q.Id == "" || ids[q.Id] {
			return 0, bad("each entry of Metrics needs a unique Id")
		}
		ids[q.Id] = true
		if q.ReturnData == nil || *q.ReturnData {
			returning++
		}
	}
	if returning != 1 {
		return 0, bad("exactly one entry of Metrics must have ReturnData true, not %d", returning)
	}
	for i := range qs {
		q := &qs[i]
		switch {
		case (q.Expression == "") == (q.MetricStat == nil):
			return 0, bad("metric %s: exactly one of Expression and MetricStat", q.Id)
		case q.MetricStat != nil:
			if period != 0 && q.MetricStat.Period != period {
				return 0, bad("the metrics of an alarm share one Period")
			}
			period = q.MetricStat.Period
		default:
			f, err := parseExpression(q.Expression, ids)
			if err != nil {
				return 0, bad("metric %s: %v", q.Id, err)
			}
			q.expr = f
		}
	}
	if period == 0 {
		return 0, bad("a metric math alarm needs at least one MetricStat")
	}
	return period, nil
}

// mathValue evaluates the returning entry over [from, from+period).
// Callers hold s.mu.
func (s *Service) mathValue(qs []MetricDataQuery, from time.Time, period time.Duration) (float64, bool, error) {
	byID := map[string]*MetricDataQuery{}
	for i := range qs {
		byID[qs[i].Id] = &qs[i]
	}
	type result struct {
		v  float64
		ok bool
	}
	memo := map[string]result{}
	var resolve resolver
	depth := 0
	resolve = func(id string) (float64, bool) {
		if r, ok := memo[id]; ok {
			return r.v, r.ok
		}
		q := byID[id]
		depth++
		defer func() { depth-- }()
		if q == nil || depth > len(qs) {
			return 0, false
		}
		var v float64
		var ok bool
		if q.MetricStat != nil {
			m := q.MetricStat.Metric
			v, ok, _ = statistic(q.MetricStat.Stat, s.window(m.Namespace, m.MetricName, m.Dimensions, from, from.Add(period)))
		} else {
			v, ok = q.expr(resolve)
		}
		memo[id] = result{v, ok}
		return v, ok
	}
	for _, q := range qs {
		if q.ReturnData == nil || *q.ReturnData {
			v, ok := resolve(q.Id)
			return v, ok, nil
		}
	}
	return 0, false, nil
}

// parseExpression compiles arithmetic over ids. A missing operand, or a
// division by zero, gives no value for the period.
func parseExpression(src string, ids map[string]bool) (func(resolver) (float64, bool), error) {
	p := &exprParser{src: src, ids: ids}
	p.next()
	f, err := p.sum()
	if err != nil {
		return nil, err
	}
	if p.tok != "" {
		return nil, fmt.Errorf("unexpected %q in %q", p.tok, src)
	}
	return f, nil
}

type exprParser struct {
	src string
	pos int
	tok string
	ids map[string]bool
}

func (p *exprParser) next() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= len(p.src) {
		p.tok = ""
		return
	}
	start := p.pos
	c := rune(p.src[p.pos])
	if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '.' {
		for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '_' || p.src[p.pos] == '.') {
			p.pos++
		}
	} else {
		p.pos++
	}
	p.tok = p.src[start:p.pos]
}

func (p *exprParser) sum() (func(resolver) (float64, bool), error) {
	left, err := p.product()
	for err == nil && (p.tok == "+" || p.tok == "-") {
		op := p.tok
		p.next()
		var right func(resolver) (float64, bool)
		if right, err = p.product(); err == nil {
			left = binary(op, left, right)
		}
	}
	return left, err
}

func (p *exprParser) product() (func(resolver) (float64, bool), error) {
	left, err := p.unary()
	for err == nil && (p.tok == "*" || p.tok == "/") {
		op := p.tok
		p.next()
		var right func(resolver) (float64, bool)
		if right, err = p.unary(); err == nil {
			left = binary(op, left, right)
		}
	}
	return left, err
}

func (p *exprParser) unary() (func(resolver) (float64, bool), error) {
	switch tok := p.tok; {
	case tok == "-":
		p.next()
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(e resolver) (float64, bool) { v, ok := f(e); return -v, ok }, nil
	case tok == "(":
		p.next()
		f, err := p.sum()
		if err != nil {
			return nil, err
		}
		if p.tok != ")" {
			return nil, fmt.Errorf("missing ) in %q", p.src)
		}
		p.next()
		return f, nil
	case tok == "":
		return nil, fmt.Errorf("incomplete expression %q", p.src)
	}
	tok := p.tok
	p.next()
	if n, err := strconv.ParseFloat(tok, 64); err == nil {
		return func(resolver) (float64, bool) { return n, true }, nil
	}
	if p.tok == "(" || strings.ToUpper(tok) == tok && !p.ids[tok] {
		return nil, fmt.Errorf("the local CloudWatch evaluates arithmetic only, not %s", tok)
	}
	if !p.ids[tok] {
		return nil, fmt.Errorf("unknown metric id %q", tok)
	}
	return func(e resolver) (float64, bool) { return e(tok) }, nil
}

func binary(op string, l, r func(resolver) (float64, bool)) func(resolver) (float64, bool) {
	return func(e resolver) (float64, bool) {
		a, ok1 := l(e)
		b, ok2 := r(e)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch op {
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "*":
			return a * b, true
		}
		if b == 0 {
			return 0, false
		}
		return a / b, true
	}
}
