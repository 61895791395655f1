package jsonata

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

func fnString(c *callCtx, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	pretty, _ := a[1].(bool)
	return stringify(a[0], pretty)
}

func fnLength(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	return float64(utf8.RuneCountInString(s)), nil
}

// substr is $substring: code points, a negative start counting from the
// end; like Array.prototype.slice, fractional bounds are truncated only
// after start + length is computed.
func substr(s string, start float64, length any) string {
	rs := []rune(s)
	n := float64(len(rs))
	if n+start < 0 {
		start = 0
	}
	if l, ok := length.(float64); ok {
		if l <= 0 {
			return ""
		}
		end := start + l
		if start < 0 {
			end = n + start + l
		}
		return sliceRunes(rs, clampInt(start), clampInt(end))
	}
	return sliceRunes(rs, clampInt(start), len(rs))
}

func clampInt(f float64) int {
	switch {
	case f > 1e15:
		return 1 << 50
	case f < -1e15:
		return -(1 << 50)
	}
	return int(f)
}

// sliceRunes is Array.prototype.slice on code points.
func sliceRunes(rs []rune, st, end int) string {
	n := len(rs)
	if st < 0 {
		st += n
		if st < 0 {
			st = 0
		}
	}
	if end < 0 {
		end += n
	}
	if end > n {
		end = n
	}
	if st >= end || st >= n {
		return ""
	}
	return string(rs[st:end])
}

func fnSubstring(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	start, _ := a[1].(float64)
	return substr(s, start, a[2]), nil
}

func fnSubstringBefore(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	chars, _ := a[1].(string)
	if i := strings.Index(s, chars); a[1] != nil && i >= 0 {
		return s[:i], nil
	}
	return s, nil
}

func fnSubstringAfter(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	chars, _ := a[1].(string)
	if i := strings.Index(s, chars); a[1] != nil && i >= 0 {
		return s[i+len(chars):], nil
	}
	return s, nil
}

// upperSpecial holds the characters whose upper case is longer, which
// JavaScript's toUpperCase expands and Go's ToUpper does not.
var upperSpecial = strings.NewReplacer("ß", "SS", "ﬀ", "FF", "ﬁ", "FI", "ﬂ", "FL", "ﬃ", "FFI", "ﬄ", "FFL", "ﬅ", "ST", "ﬆ", "ST")

func fnUpper(c *callCtx, a []any) (any, error) {
	if s, ok := a[0].(string); ok {
		return strings.ToUpper(upperSpecial.Replace(s)), nil
	}
	return nil, nil
}

func fnLower(c *callCtx, a []any) (any, error) {
	if s, ok := a[0].(string); ok {
		return strings.ToLower(s), nil
	}
	return nil, nil
}

func fnTrim(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String(), nil
}

func fnPad(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	width, _ := a[1].(float64)
	ch, _ := a[2].(string)
	if ch == "" {
		ch = " "
	}
	padLen := int(math.Abs(width)) - utf8.RuneCountInString(s)
	if padLen <= 0 {
		return s, nil
	}
	padding := []rune(strings.Repeat(ch, padLen))[:padLen]
	if width > 0 {
		return s + string(padding), nil
	}
	return string(padding) + s, nil
}

func fnContains(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	if p, ok := a[1].(string); ok {
		return strings.Contains(s, p), nil
	}
	if a[1] == nil {
		return nil, nil
	}
	ms, err := matcher(c, a[1], s, 1)
	if err != nil {
		return nil, err
	}
	return len(ms) > 0, nil
}

func optLimit(v any, code string) (int, error) {
	if v == nil {
		return -1, nil
	}
	f := v.(float64)
	if f < 0 {
		return 0, newErr(code, f)
	}
	return int(f), nil
}

func fnSplit(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	limit, err := optLimit(a[2], "D3020")
	if err != nil {
		return nil, err
	}
	var parts []string
	if sep, ok := a[1].(string); ok {
		if sep == "" {
			for _, r := range s {
				parts = append(parts, string(r))
			}
		} else {
			parts = strings.Split(s, sep)
		}
	} else {
		ms, err := matcher(c, a[1], s, -1)
		if err != nil {
			return nil, err
		}
		rs := []rune(s)
		prev := 0
		for _, m := range ms {
			parts = append(parts, string(rs[prev:m.start]))
			prev = m.end
		}
		parts = append(parts, string(rs[prev:]))
	}
	if limit >= 0 && limit < len(parts) {
		parts = parts[:limit]
	}
	items := make([]any, len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return newArray(items), nil
}

func fnJoin(c *callCtx, a []any) (any, error) {
	arr, ok := a[0].(*Array)
	if !ok {
		return nil, nil
	}
	sep, _ := a[1].(string)
	parts := make([]string, len(arr.items))
	for i, x := range arr.items {
		parts[i], _ = x.(string)
	}
	return strings.Join(parts, sep), nil
}

func fnMatch(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	limit, err := optLimit(a[2], "D3040")
	if err != nil {
		return nil, err
	}
	ms, err := matcher(c, a[1], s, limit)
	if err != nil {
		return nil, err
	}
	out := newSeq()
	for _, m := range ms {
		o := NewObject()
		o.Set("match", m.match)
		o.Set("index", float64(m.start))
		o.Set("groups", newArray(m.groups))
		out.items = append(out.items, o)
	}
	return out, nil
}

func fnReplace(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	if p, ok := a[1].(string); ok && p == "" {
		return nil, newErr("D3010", p)
	}
	limit, err := optLimit(a[3], "D3011")
	if err != nil {
		return nil, err
	}
	var ms []matchRes
	if p, ok := a[1].(string); ok {
		rs := []rune(s)
		pr := []rune(p)
		from := 0
		for limit < 0 || len(ms) < limit {
			i := strings.Index(string(rs[from:]), p)
			if i < 0 {
				break
			}
			st := from + utf8.RuneCountInString(string(rs[from:])[:i])
			ms = append(ms, matchRes{match: p, start: st, end: st + len(pr), groups: []any{}})
			from = st + len(pr)
		}
	} else if ms, err = matcher(c, a[1], s, limit); err != nil {
		return nil, err
	}
	rs := []rune(s)
	var b strings.Builder
	prev := 0
	for _, m := range ms {
		b.WriteString(string(rs[prev:m.start]))
		switch r := a[2].(type) {
		case string:
			b.WriteString(substitute(r, m))
		default:
			mo := NewObject()
			mo.Set("match", m.match)
			mo.Set("index", float64(m.start))
			mo.Set("groups", newArray(m.groups))
			v, err := c.call(r, mo)
			if err != nil {
				return nil, err
			}
			vs, ok := v.(string)
			if !ok {
				return nil, newErr("D3012", v)
			}
			b.WriteString(vs)
		}
		prev = m.end
	}
	b.WriteString(string(rs[prev:]))
	return b.String(), nil
}

// substitute expands $0, $n and $$ in a replacement string. A $ followed
// by more digits than there are groups takes the longest group number that
// exists.
func substitute(repl string, m matchRes) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		if repl[i] != '$' || i+1 >= len(repl) {
			b.WriteByte(repl[i])
			continue
		}
		nx := repl[i+1]
		switch {
		case nx == '$':
			b.WriteByte('$')
			i++
		case nx == '0':
			b.WriteString(m.match)
			i++
		case nx >= '1' && nx <= '9':
			maxDigits := 1
			if len(m.groups) > 0 {
				maxDigits = len(strconv.Itoa(len(m.groups)))
			}
			j := i + 1
			for j < len(repl) && j < i+1+maxDigits && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(repl[i+1 : j])
			if j-(i+1) > 1 && n > len(m.groups) {
				j--
				n, _ = strconv.Atoi(repl[i+1 : j])
			}
			if n >= 1 && n <= len(m.groups) {
				if g, ok := m.groups[n-1].(string); ok {
					b.WriteString(g)
				}
			}
			i = j - 1
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// fnBase64Encode encodes each character as one byte (its code modulo 256),
// as jsonata-js does (Buffer's 'binary' encoding): ASCII and Latin-1 text
// round-trip; other text does not.
func fnBase64Encode(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	var b []byte
	for _, u := range utf16Units(s) {
		b = append(b, byte(u))
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func fnBase64Decode(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// lenient like Node's Buffer: skip what is not base64, decode the
		// rest
		clean := strings.Map(func(r rune) rune {
			if r < 128 && (r == '+' || r == '/' || (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'z')) {
				return r
			}
			return -1
		}, s)
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		b, _ = base64.RawStdEncoding.DecodeString(clean)
	}
	// each byte is one character (Latin-1), as in jsonata-js
	rs := make([]rune, len(b))
	for i, x := range b {
		rs[i] = rune(x)
	}
	return string(rs), nil
}

const uriUnreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"

func encodeURI(s string, keep string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 || (r >= 0xD800 && r < 0xE000) {
			return "", false
		}
		if r < 128 && strings.IndexByte(keep, byte(r)) >= 0 {
			b.WriteByte(byte(r))
		} else {
			for _, c := range []byte(s[i : i+w]) {
				b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
			}
		}
		i += w
	}
	return b.String(), true
}

func decodeURI(s string, reserved string) (string, bool) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		if v < 128 && strings.IndexByte(reserved, byte(v)) >= 0 {
			out = append(out, s[i:i+3]...)
		} else {
			out = append(out, byte(v))
		}
		i += 2
	}
	if !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}

func urlFunc(name string, enc bool, set string) func(c *callCtx, a []any) (any, error) {
	return func(c *callCtx, a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, nil
		}
		var r string
		if enc {
			r, ok = encodeURI(s, set)
		} else {
			r, ok = decodeURI(s, set)
		}
		if !ok {
			return nil, &Error{Code: "D3140", Position: -1, Token: name, Value: s}
		}
		return r, nil
	}
}
