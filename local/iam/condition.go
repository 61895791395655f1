package iam

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// operator is a parsed condition operator: its comparison, whether it is
// negated, whether it passes when the key is absent (IfExists), and its
// set qualifier.
type operator struct {
	compare  func(policy, request string) bool
	negated  bool
	ifExists bool
	set      string // "", "ForAnyValue" or "ForAllValues"
	null     bool
}

// comparisons are the operators without their qualifiers. The negated
// ones are listed by the positive comparison they negate.
var comparisons = map[string]func(policy, request string) bool{
	"StringEquals":           func(p, r string) bool { return p == r },
	"StringEqualsIgnoreCase": strings.EqualFold,
	"StringLike":             glob,
	"NumericEquals":          numeric(func(p, r float64) bool { return r == p }),
	"NumericLessThan":        numeric(func(p, r float64) bool { return r < p }),
	"NumericLessThanEquals":  numeric(func(p, r float64) bool { return r <= p }),
	"NumericGreaterThan":     numeric(func(p, r float64) bool { return r > p }),
	"NumericGreaterThanEquals": numeric(func(p, r float64) bool {
		return r >= p
	}),
	"DateEquals":            date(func(p, r time.Time) bool { return r.Equal(p) }),
	"DateLessThan":          date(func(p, r time.Time) bool { return r.Before(p) }),
	"DateLessThanEquals":    date(func(p, r time.Time) bool { return !r.After(p) }),
	"DateGreaterThan":       date(func(p, r time.Time) bool { return r.After(p) }),
	"DateGreaterThanEquals": date(func(p, r time.Time) bool { return !r.Before(p) }),
	"Bool":                  func(p, r string) bool { return strings.EqualFold(p, r) },
	"IpAddress":             ipInPrefix,
	"ArnEquals":             func(p, r string) bool { return p == r },
	"ArnLike":               matchARN,
}

var negations = map[string]string{
	"StringNotEquals":           "StringEquals",
	"StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringNotLike":             "StringLike",
	"NumericNotEquals":          "NumericEquals",
	"DateNotEquals":             "DateEquals",
	"NotIpAddress":              "IpAddress",
	"ArnNotEquals":              "ArnEquals",
	"ArnNotLike":                "ArnLike",
}

func parseOperator(name string) (operator, error) {
	var op operator
	rest := name
	for _, q := range []string{"ForAnyValue:", "ForAllValues:"} {
		if s, ok := strings.CutPrefix(rest, q); ok {
			op.set, rest = strings.TrimSuffix(q, ":"), s
		}
	}
	if rest == "Null" {
		op.null = true
		return op, nil
	}
	rest, op.ifExists = strings.CutSuffix(rest, "IfExists")
	if pos, ok := negations[rest]; ok {
		op.negated, rest = true, pos
	}
	cmp, ok := comparisons[rest]
	if !ok {
		return operator{}, fmt.Errorf("condition operator %q is not supported", name)
	}
	op.compare = cmp
	return op, nil
}

// holds reports whether the condition op (on key, with the policy's
// values) holds for the request's values of the key, which are nil when
// the request has no such key.
func (op operator) holds(policy Values, request []string, present bool) bool {
	if op.null {
		// Null: "true" means the key must be absent.
		want := len(policy) > 0 && strings.EqualFold(policy[0], "true")
		return want == !present
	}
	if !present {
		switch {
		case op.ifExists:
			return true
		case op.set == "ForAllValues":
			return true // vacuously: no value fails
		}
		// A negated operator holds for an absent key: nothing equals it.
		return op.negated && op.set == ""
	}
	one := func(r string) bool {
		for _, p := range policy {
			if op.compare(p, r) {
				return !op.negated
			}
		}
		return op.negated
	}
	if op.set == "ForAllValues" {
		for _, r := range request {
			if !one(r) {
				return false
			}
		}
		return true
	}
	// Single-valued keys and ForAnyValue: any request value will do.
	for _, r := range request {
		if one(r) {
			return true
		}
	}
	return false
}

func numeric(cmp func(policy, request float64) bool) func(string, string) bool {
	return func(p, r string) bool {
		pv, err1 := strconv.ParseFloat(p, 64)
		rv, err2 := strconv.ParseFloat(r, 64)
		return err1 == nil && err2 == nil && cmp(pv, rv)
	}
}

// parseDate reads the dates IAM accepts: ISO 8601 (RFC 3339) or epoch
// seconds.
func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func date(cmp func(policy, request time.Time) bool) func(string, string) bool {
	return func(p, r string) bool {
		pt, ok1 := parseDate(p)
		rt, ok2 := parseDate(r)
		return ok1 && ok2 && cmp(pt, rt)
	}
}

func ipInPrefix(p, r string) bool {
	addr, err := netip.ParseAddr(r)
	if err != nil {
		return false
	}
	if pfx, err := netip.ParsePrefix(p); err == nil {
		return pfx.Contains(addr)
	}
	if a, err := netip.ParseAddr(p); err == nil {
		return a == addr
	}
	return false
}
