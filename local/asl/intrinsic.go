package asl

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/ohler55/ojg/oj"
)

// call is a parsed intrinsic function invocation.
type call struct {
	name string
	args []arg
}

// arg is one intrinsic argument: a literal, a path or a nested call.
type arg struct {
	lit  any
	path *path
	call *call
}

type intrinsicParser struct {
	s   string
	pos int
}

func isIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

func parseIntrinsic(s string) (*call, error) {
	p := &intrinsicParser{s: s}
	c, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("invalid intrinsic function %q: %w", s, err)
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected %q", s, p.s[p.pos:])
	}
	return c, nil
}

func (p *intrinsicParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*call, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != '(' {
		p.pos++
	}
	if p.pos == len(p.s) {
		return nil, fmt.Errorf("missing '('")
	}
	name := strings.TrimSpace(p.s[start:p.pos])
	if _, ok := intrinsics[name]; !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	p.pos++
	c := &call{name: name}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
		return c, nil
	}
	for {
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		p.space()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("missing ')'")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return c, nil
		default:
			return nil, fmt.Errorf("unexpected %q", p.s[p.pos:])
		}
	}
}

func (p *intrinsicParser) arg() (arg, error) {
	p.space()
	if p.pos >= len(p.s) {
		return arg{}, fmt.Errorf("missing argument")
	}
	rest := p.s[p.pos:]
	switch {
	case rest[0] == '\'':
		var b strings.Builder
		p.pos++
		for p.pos < len(p.s) {
			ch := p.s[p.pos]
			if ch == '\\' && p.pos+1 < len(p.s) {
				b.WriteByte(p.s[p.pos+1])
				p.pos += 2
				continue
			}
			if ch == '\'' {
				p.pos++
				return arg{lit: b.String()}, nil
			}
			b.WriteByte(ch)
			p.pos++
		}
		return arg{}, fmt.Errorf("unterminated string")
	case strings.HasPrefix(rest, "States."):
		c, err := p.call()
		if err != nil {
			return arg{}, err
		}
		return arg{call: c}, nil
	case rest[0] == '$':
		end := p.pos
		depth := 0
		inQuote := byte(0)
		for end < len(p.s) {
			ch := p.s[end]
			if inQuote != 0 {
				switch ch {
				case '\\':
					end++ // an escaped character, such as \' or \\
				case inQuote:
					inQuote = 0
				}
			} else if ch == '\'' || ch == '"' {
				inQuote = ch
			} else if ch == '[' || ch == '(' {
				depth++
			} else if ch == ']' || ch == ')' {
				if depth == 0 {
					break
				}
				depth--
			} else if ch == ',' && depth == 0 {
				break
			}
			end++
		}
		src := strings.TrimSpace(p.s[p.pos:end])
		pa, err := compilePath(src)
		if err != nil {
			return arg{}, err
		}
		p.pos = end
		return arg{path: pa}, nil
	default:
		end := p.pos
		for end < len(p.s) && p.s[end] != ',' && p.s[end] != ')' {
			end++
		}
		tok := strings.TrimSpace(p.s[p.pos:end])
		v, err := oj.ParseString(tok)
		if err != nil {
			return arg{}, fmt.Errorf("invalid argument %q", tok)
		}
		switch v.(type) {
		case int64, float64, bool, nil:
		default:
			return arg{}, fmt.Errorf("invalid argument %q", tok)
		}
		p.pos = end
		return arg{lit: v}, nil
	}
}

// intrinsicError is raised as States.IntrinsicFailure... by callers; AWS
// reports argument problems as States.Runtime for some functions, so the
// name is carried.
type intrinsicError struct{ msg string }

func (e *intrinsicError) Error() string { return e.msg }

func ierr(format string, a ...any) error { return &intrinsicError{fmt.Sprintf(format, a...)} }

func (c *call) eval(s scope) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.call != nil:
			v, err := a.call.eval(s)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case a.path != nil:
			v, ok := a.path.get(s)
			if !ok {
				return nil, ierr("The JSONPath '%s' could not be found in the input", a.path.src)
			}
			args[i] = v
		default:
			args[i] = a.lit
		}
	}
	return intrinsics[c.name](args)
}

var intrinsics map[string]func(args []any) (any, error)

func init() {
	intrinsics = map[string]func([]any) (any, error){
		"States.Format":         fnFormat,
		"States.StringToJson":   fnStringToJSON,
		"States.JsonToString":   fnJSONToString,
		"States.Array":          func(a []any) (any, error) { return append([]any{}, a...), nil },
		"States.ArrayPartition": fnArrayPartition,
		"States.ArrayContains":  fnArrayContains,
		"States.ArrayRange":     fnArrayRange,
		"States.ArrayGetItem":   fnArrayGetItem,
		"States.ArrayLength":    fnArrayLength,
		"States.ArrayUnique":    fnArrayUnique,
		"States.Base64Encode":   fnBase64Encode,
		"States.Base64Decode":   fnBase64Decode,
		"States.Hash":           fnHash,
		"States.JsonMerge":      fnJSONMerge,
		"States.MathRandom":     fnMathRandom,
		"States.MathAdd":        fnMathAdd,
		"States.StringSplit":    fnStringSplit,
		"States.UUID":           fnUUID,
	}
}

func nargs(name string, a []any, min, max int) error {
	if len(a) < min || len(a) > max {
		if min == max {
			return ierr("%s requires exactly %d argument(s), got %d", name, min, len(a))
		}
		return ierr("%s requires %d to %d arguments, got %d", name, min, max, len(a))
	}
	return nil
}

func fnFormat(a []any) (any, error) {
	if len(a) < 1 {
		return nil, ierr("States.Format requires a format string")
	}
	f, ok := a[0].(string)
	if !ok {
		return nil, ierr("States.Format's first argument must be a string")
	}
	var b strings.Builder
	n := 1
	for i := 0; i < len(f); i++ {
		if f[i] == '{' && i+1 < len(f) && f[i+1] == '}' {
			if n >= len(a) {
				return nil, ierr("States.Format has more placeholders than arguments")
			}
			b.WriteString(javaString(a[n]))
			n++
			i++
			continue
		}
		b.WriteByte(f[i])
	}
	if n != len(a) {
		return nil, ierr("States.Format has more arguments than placeholders")
	}
	return b.String(), nil
}

func fnStringToJSON(a []any) (any, error) {
	if err := nargs("States.StringToJson", a, 1, 1); err != nil {
		return nil, err
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, ierr("States.StringToJson requires a string")
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := oj.ParseString(s)
	if err != nil {
		return nil, ierr("States.StringToJson: %v", err)
	}
	return v, nil
}

func fnJSONToString(a []any) (any, error) {
	if err := nargs("States.JsonToString", a, 1, 1); err != nil {
		return nil, err
	}
	return jsonText(a[0]), nil
}

func toInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) {
			return int64(v), true
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func fnArrayPartition(a []any) (any, error) {
	if err := nargs("States.ArrayPartition", a, 2, 2); err != nil {
		return nil, err
	}
	arr, ok := a[0].([]any)
	if !ok {
		return nil, ierr("States.ArrayPartition requires an array")
	}
	n, ok := toInt(a[1])
	if !ok || n <= 0 {
		return nil, ierr("States.ArrayPartition requires a positive chunk size")
	}
	out := []any{}
	for i := 0; i < len(arr); i += int(n) {
		j := min(i+int(n), len(arr))
		out = append(out, append([]any{}, arr[i:j]...))
	}
	return out, nil
}

func fnArrayContains(a []any) (any, error) {
	if err := nargs("States.ArrayContains", a, 2, 2); err != nil {
		return nil, err
	}
	arr, ok := a[0].([]any)
	if !ok {
		return nil, ierr("States.ArrayContains requires an array")
	}
	for _, x := range arr {
		if jsonEqual(x, a[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(a []any) (any, error) {
	if err := nargs("States.ArrayRange", a, 3, 3); err != nil {
		return nil, err
	}
	s, ok1 := toInt(a[0])
	e, ok2 := toInt(a[1])
	st, ok3 := toInt(a[2])
	if !ok1 || !ok2 || !ok3 || st == 0 {
		return nil, ierr("States.ArrayRange requires integer start, end and a non-zero step")
	}
	out := []any{}
	for i := s; (st > 0 && i <= e) || (st < 0 && i >= e); i += st {
		out = append(out, i)
		if len(out) > 1000 {
			return nil, ierr("States.ArrayRange: the result has more than 1000 items")
		}
	}
	return out, nil
}

func fnArrayGetItem(a []any) (any, error) {
	if err := nargs("States.ArrayGetItem", a, 2, 2); err != nil {
		return nil, err
	}
	arr, ok := a[0].([]any)
	i, ok2 := toInt(a[1])
	if !ok || !ok2 {
		return nil, ierr("States.ArrayGetItem requires an array and an integer index")
	}
	if i < 0 || int(i) >= len(arr) {
		return nil, ierr("States.ArrayGetItem: index %d out of bounds", i)
	}
	return arr[i], nil
}

func fnArrayLength(a []any) (any, error) {
	if err := nargs("States.ArrayLength", a, 1, 1); err != nil {
		return nil, err
	}
	arr, ok := a[0].([]any)
	if !ok {
		return nil, ierr("States.ArrayLength requires an array")
	}
	return int64(len(arr)), nil
}

func fnArrayUnique(a []any) (any, error) {
	if err := nargs("States.ArrayUnique", a, 1, 1); err != nil {
		return nil, err
	}
	arr, ok := a[0].([]any)
	if !ok {
		return nil, ierr("States.ArrayUnique requires an array")
	}
	out := []any{}
	for _, x := range arr {
		dup := false
		for _, y := range out {
			if jsonEqual(x, y) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out, nil
}

func fnBase64Encode(a []any) (any, error) {
	if err := nargs("States.Base64Encode", a, 1, 1); err != nil {
		return nil, err
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, ierr("States.Base64Encode requires a string")
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(a []any) (any, error) {
	if err := nargs("States.Base64Decode", a, 1, 1); err != nil {
		return nil, err
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, ierr("States.Base64Decode requires a string")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, ierr("States.Base64Decode: %v", err)
	}
	return string(b), nil
}

// newHash is the hash named alg (MD5, SHA-1, SHA-256, SHA-384, SHA-512),
// or nil when alg is none of those.
func newHash(alg string) hash.Hash {
	switch alg {
	case "MD5":
		return md5.New()
	case "SHA-1":
		return sha1.New()
	case "SHA-256":
		return sha256.New()
	case "SHA-384":
		return sha512.New384()
	case "SHA-512":
		return sha512.New()
	}
	return nil
}

func fnHash(a []any) (any, error) {
	if err := nargs("States.Hash", a, 2, 2); err != nil {
		return nil, err
	}
	alg, _ := a[1].(string)
	h := newHash(alg)
	if h == nil {
		return nil, ierr("States.Hash: unsupported algorithm %q", alg)
	}
	s, ok := a[0].(string)
	if !ok {
		s = jsonText(a[0])
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(a []any) (any, error) {
	if err := nargs("States.JsonMerge", a, 3, 3); err != nil {
		return nil, err
	}
	l, ok1 := a[0].(map[string]any)
	r, ok2 := a[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, ierr("States.JsonMerge requires two objects")
	}
	if deep, _ := a[2].(bool); deep {
		return nil, ierr("States.JsonMerge: deep merging is not supported")
	}
	out := make(map[string]any, len(l)+len(r))
	for k, v := range l {
		out[k] = v
	}
	for k, v := range r {
		out[k] = v
	}
	return out, nil
}

func fnMathRandom(a []any) (any, error) {
	if err := nargs("States.MathRandom", a, 2, 3); err != nil {
		return nil, err
	}
	lo, ok1 := toFloat(a[0])
	hi, ok2 := toFloat(a[1])
	if !ok1 || !ok2 {
		return nil, ierr("States.MathRandom requires numbers")
	}
	l, h := int64(lo), int64(hi)
	if h <= l {
		return l, nil
	}
	n, err := rand.Int(rand.Reader, big.NewInt(h-l))
	if err != nil {
		return nil, ierr("States.MathRandom: %v", err)
	}
	return l + n.Int64(), nil
}

func javaRound(f float64) int64 { return int64(math.Floor(f + 0.5)) }

func fnMathAdd(a []any) (any, error) {
	if err := nargs("States.MathAdd", a, 2, 2); err != nil {
		return nil, err
	}
	x, ok1 := toFloat(a[0])
	y, ok2 := toFloat(a[1])
	if !ok1 || !ok2 {
		return nil, ierr("States.MathAdd requires numbers")
	}
	return javaRound(x) + javaRound(y), nil
}

func fnStringSplit(a []any) (any, error) {
	if err := nargs("States.StringSplit", a, 2, 2); err != nil {
		return nil, err
	}
	s, ok1 := a[0].(string)
	d, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return nil, ierr("States.StringSplit requires two strings")
	}
	out := []any{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) }) {
		out = append(out, part)
	}
	return out, nil
}

func fnUUID(a []any) (any, error) {
	if err := nargs("States.UUID", a, 0, 0); err != nil {
		return nil, err
	}
	return newUUID(), nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// jsonText renders v as compact JSON text, as AWS writes JSON into strings.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func jsonEqual(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			w, ok := bm[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], ba[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// javaString renders a value as AWS's Java runtime prints it in
// States.Format: objects as {k=v, ...}, arrays as [a, b].
func javaString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + javaString(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = javaString(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return jsonText(v)
}
