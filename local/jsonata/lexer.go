package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tkEnd tokKind = iota
	tkOp
	tkName
	tkVar
	tkString
	tkNumber
	tkValue // true, false, null
	tkRegex
)

type token struct {
	kind  tokKind
	val   string // operator symbol, name, string value, regex pattern
	num   float64
	value any // for tkValue
	flags string
	pos   int // position just after the token, as jsonata-js reports
	start int
}

// operators maps each operator symbol to its left binding power.
var operators = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0,
	"@": 80, "#": 80, ";": 80, ":": 80, "?": 20, "+": 50, "-": 50, "*": 60,
	"/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40, "**": 60,
	"..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "?:": 40,
	"??": 40, "and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0,
}

var twoCharOps = []string{"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"}

type lexer struct {
	src string
	pos int
}

func isOpChar(c byte) bool {
	return strings.IndexByte(".[]{}()@#;,:?+-*/%|=<>^&!~", c) >= 0
}

// next reads one token. In infix position (after an operand) '/' is the
// division operator; elsewhere it starts a regex.
func (l *lexer) next(infix bool) (*token, error) {
	src := l.src
	for {
		for l.pos < len(src) && strings.IndexByte(" \t\n\r\v\f", src[l.pos]) >= 0 {
			l.pos++
		}
		if strings.HasPrefix(src[l.pos:], "/*") {
			end := strings.Index(src[l.pos+2:], "*/")
			if end < 0 {
				// reported where the comment starts, as jsonata-js does
				return nil, errAt("S0106", l.pos, "", nil)
			}
			l.pos += end + 4
			continue
		}
		break
	}
	start := l.pos
	if l.pos >= len(src) {
		return &token{kind: tkEnd, pos: l.pos, start: start}, nil
	}
	c := src[l.pos]
	if c == '/' && !infix {
		return l.scanRegex()
	}
	for _, op := range twoCharOps {
		if strings.HasPrefix(src[l.pos:], op) {
			l.pos += 2
			return &token{kind: tkOp, val: op, pos: l.pos, start: start}, nil
		}
	}
	if c == '!' || c == '~' {
		l.pos++
		return nil, errAt("S0204", l.pos, string(c), nil)
	}
	if isOpChar(c) {
		l.pos++
		return &token{kind: tkOp, val: string(c), pos: l.pos, start: start}, nil
	}
	if c == '"' || c == '\'' {
		return l.scanString(c)
	}
	if c >= '0' && c <= '9' {
		return l.scanNumber()
	}
	if c == '`' {
		end := strings.IndexByte(src[l.pos+1:], '`')
		if end < 0 {
			l.pos = len(src)
			return nil, errAt("S0105", l.pos, "", nil)
		}
		name := src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		return &token{kind: tkName, val: name, pos: l.pos, start: start}, nil
	}
	i := l.pos
	for i < len(src) {
		r, w := utf8.DecodeRuneInString(src[i:])
		if r < 128 && (isOpChar(byte(r)) || strings.IndexByte(" \t\n\r\v\f\"'`", byte(r)) >= 0) {
			break
		}
		i += w
	}
	name := src[l.pos:i]
	l.pos = i
	if name == "" {
		l.pos++
		return nil, errAt("S0204", l.pos, string(c), nil)
	}
	if name[0] == '$' {
		return &token{kind: tkVar, val: name[1:], pos: l.pos, start: start}, nil
	}
	switch name {
	case "and", "or", "in":
		return &token{kind: tkOp, val: name, pos: l.pos, start: start}, nil
	case "true":
		return &token{kind: tkValue, value: true, val: name, pos: l.pos, start: start}, nil
	case "false":
		return &token{kind: tkValue, value: false, val: name, pos: l.pos, start: start}, nil
	case "null":
		return &token{kind: tkValue, value: Null, val: name, pos: l.pos, start: start}, nil
	}
	return &token{kind: tkName, val: name, pos: l.pos, start: start}, nil
}

// scanRegex reads /pattern/flags; a / inside brackets or escaped does not
// end the pattern.
func (l *lexer) scanRegex() (*token, error) {
	src := l.src
	start := l.pos
	i := l.pos + 1
	depth := 0
	for i < len(src) {
		c := src[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '/' && depth == 0 {
			break
		}
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		}
		i++
	}
	if i >= len(src) {
		l.pos = len(src)
		return nil, errAt("S0302", l.pos, "", nil)
	}
	pattern := src[start+1 : i]
	if pattern == "" {
		l.pos = i + 1
		return nil, errAt("S0301", l.pos, "", nil)
	}
	i++
	fs := i
	for i < len(src) && (src[i] == 'i' || src[i] == 'm') {
		i++
	}
	l.pos = i
	return &token{kind: tkRegex, val: pattern, flags: src[fs:i], pos: l.pos, start: start}, nil
}

// scanString reads a quoted string with JSON's escapes; any other escape
// is S0103.
func (l *lexer) scanString(q byte) (*token, error) {
	src := l.src
	start := l.pos
	var b strings.Builder
	i := l.pos + 1
	for i < len(src) {
		c := src[i]
		if c == '\\' {
			i++
			if i >= len(src) {
				break
			}
			switch src[i] {
			case '"', '\\', '/', '\'':
				b.WriteByte(src[i])
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if i+5 > len(src) {
					l.pos = i
					return nil, errAt("S0104", i, "", nil)
				}
				n, err := strconv.ParseUint(src[i+1:i+5], 16, 32)
				if err != nil {
					l.pos = i
					return nil, errAt("S0104", i, "", nil)
				}
				r := rune(n)
				i += 4
				if r >= 0xD800 && r < 0xDC00 && i+7 <= len(src) && strings.HasPrefix(src[i+1:], "\\u") {
					if n2, err := strconv.ParseUint(src[i+3:i+7], 16, 32); err == nil && n2 >= 0xDC00 && n2 < 0xE000 {
						r = (r-0xD800)<<10 + (rune(n2) - 0xDC00) + 0x10000
						i += 6
					}
				}
				b.WriteRune(r)
			default:
				l.pos = i
				return nil, errAt("S0103", i, string(src[i]), nil)
			}
			i++
			continue
		}
		if c == q {
			l.pos = i + 1
			return &token{kind: tkString, val: b.String(), pos: l.pos, start: start}, nil
		}
		b.WriteByte(c)
		i++
	}
	l.pos = len(src)
	return nil, errAt("S0101", l.pos, "", nil)
}

// scanNumber reads a JSON number (without sign: '-' is an operator).
func (l *lexer) scanNumber() (*token, error) {
	src := l.src
	start := l.pos
	i := l.pos
	digits := func() {
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if src[i] == '0' {
		i++
	} else {
		digits()
	}
	if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
		i++
		digits()
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && src[j] >= '0' && src[j] <= '9' {
			i = j
			digits()
		}
	}
	text := src[start:i]
	l.pos = i
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, errAt("S0102", l.pos, text, nil)
	}
	return &token{kind: tkNumber, num: f, val: text, pos: l.pos, start: start}, nil
}
