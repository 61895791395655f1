package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// formatNumber renders a number as JavaScript's Number.prototype.toString
// does (shortest round-trip digits; exponent form below 1e-6 and from 1e21).
func formatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	sign := ""
	if f < 0 {
		sign = "-"
		f = -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expS, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expS)
	k := len(digits)
	n := exp + 1
	var out string
	switch {
	case k <= n && n <= 21:
		out = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		out = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + digits
	default:
		es := "+"
		if n-1 < 0 {
			es = "-"
		}
		m := digits[:1]
		if k > 1 {
			m += "." + digits[1:]
		}
		out = m + "e" + es + strconv.Itoa(abs(n-1))
	}
	return sign + out
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// round15 is Number(x.toPrecision(15)): JSONata stringifies numbers with 15
// significant digits, hiding binary noise such as 0.1+0.2.
func round15(f float64) float64 {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64)
	return r
}

// stringify is $string: strings as they are, everything else as JSON with
// numbers to 15 significant digits; functions become "".
func stringify(v any, pretty bool) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case callable:
		return "", nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", newErr("D3001", x)
		}
	}
	if a, ok := v.(*Array); ok && a.outerWrapper && len(a.items) > 0 {
		v = a.items[0]
	}
	var b strings.Builder
	if err := writeJSON(&b, v, pretty, ""); err != nil {
		return "", err
	}
	return b.String(), nil
}

// writeJSON writes a value as JSON.stringify would after jsonata-js's
// replacer (numbers to 15 digits, functions as "").
func writeJSON(b *strings.Builder, v any, pretty bool, indent string) error {
	switch x := v.(type) {
	case nil, nullType:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return newErr("D1001", x)
		}
		if x == math.Trunc(x) {
			b.WriteString(formatNumber(x))
		} else {
			b.WriteString(formatNumber(round15(x)))
		}
	case string:
		writeJSONString(b, x)
	case callable:
		b.WriteString(`""`)
	case *Array:
		return writeJSONArray(b, x, pretty, indent)
	case *Object:
		return writeJSONObject(b, x, pretty, indent)
	default:
		b.WriteString("null")
	}
	return nil
}

func writeJSONArray(b *strings.Builder, x *Array, pretty bool, indent string) error {
	b.WriteByte('[')
	inner := indent + "  "
	n := 0
	for _, e := range x.items {
		if n > 0 {
			b.WriteByte(',')
		}
		if pretty {
			b.WriteString("\n" + inner)
		}
		if e == nil {
			b.WriteString("null")
		} else if err := writeJSON(b, e, pretty, inner); err != nil {
			return err
		}
		n++
	}
	if pretty && n > 0 {
		b.WriteString("\n" + indent)
	}
	b.WriteByte(']')
	return nil
}

func writeJSONObject(b *strings.Builder, x *Object, pretty bool, indent string) error {
	b.WriteByte('{')
	inner := indent + "  "
	n := 0
	for _, k := range x.keys {
		e := x.m[k]
		if e == nil {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		if pretty {
			b.WriteString("\n" + inner)
		}
		writeJSONString(b, k)
		b.WriteByte(':')
		if pretty {
			b.WriteByte(' ')
		}
		if err := writeJSON(b, e, pretty, inner); err != nil {
			return err
		}
		n++
	}
	if pretty && n > 0 {
		b.WriteString("\n" + indent)
	}
	b.WriteByte('}')
	return nil
}

// writeJSONString quotes as JSON.stringify does: only quote, backslash and
// control characters are escaped.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&15])
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// utf16Units is the string as JavaScript sees it, for orderings and
// encodings defined on UTF-16 code units.
func utf16Units(s string) []uint16 { return utf16.Encode([]rune(s)) }
