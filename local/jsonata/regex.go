package jsonata

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// regexValue is a regex literal. JSONata treats it as a function (the
// matcher); the string functions use the compiled Go regexp directly.
//
// Patterns are compiled with Go's RE2, which has no backreferences and no
// lookaround; such patterns fail to compile with S0303.
type regexValue struct {
	src string
	re  *regexp.Regexp
}

func (r *regexValue) arity() int { return 1 }

func compileRegex(pattern, flags string, pos int) (*regexValue, error) {
	prefix := ""
	if strings.Contains(flags, "i") {
		prefix += "i"
	}
	if strings.Contains(flags, "m") {
		prefix += "m"
	}
	p := translateRegex(pattern)
	if prefix != "" {
		p = "(?" + prefix + ")" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, &Error{Code: "S0303", Position: pos, Token: pattern, Message: "regular expression not supported by RE2: " + err.Error()}
	}
	return &regexValue{src: pattern, re: re}, nil
}

// translateRegex rewrites the few JavaScript spellings RE2 spells
// differently.
func translateRegex(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			switch p[i+1] {
			case '/':
				b.WriteByte('/')
			case 'u':
				// JavaScript's \uXXXX is RE2's \x{XXXX}
				if i+6 <= len(p) {
					b.WriteString(`\x{` + p[i+2:i+6] + `}`)
					i += 5
					continue
				}
				b.WriteString(`\u`)
			default:
				b.WriteByte('\\')
				b.WriteByte(p[i+1])
			}
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// matchRes is one regex match, with character (not byte) offsets.
type matchRes struct {
	match  string
	start  int
	end    int
	groups []any
}

func runeIndex(s string, byteOff int) int { return utf8.RuneCountInString(s[:byteOff]) }

func (r *regexValue) findAll(s string, limit int) []matchRes {
	locs := r.re.FindAllStringSubmatchIndex(s, limit)
	out := make([]matchRes, 0, len(locs))
	for _, loc := range locs {
		m := matchRes{match: s[loc[0]:loc[1]], start: runeIndex(s, loc[0]), end: runeIndex(s, loc[1]), groups: []any{}}
		for g := 1; g < len(loc)/2; g++ {
			if loc[2*g] < 0 {
				// an unmatched group is undefined (null in JSON)
				m.groups = append(m.groups, nil)
				continue
			}
			m.groups = append(m.groups, s[loc[2*g]:loc[2*g+1]])
		}
		out = append(out, m)
	}
	return out
}

// matchAt implements calling a regex as a function: the first match at or
// after from, with a next() function for the following one.
func (r *regexValue) matchAt(s string, from int) any {
	rs := []rune(s)
	if from > len(rs) {
		return nil
	}
	off := len(string(rs[:from]))
	loc := r.re.FindStringSubmatchIndex(s[off:])
	if loc == nil {
		return nil
	}
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += off
		}
	}
	o := NewObject()
	o.Set("match", s[loc[0]:loc[1]])
	start, end := runeIndex(s, loc[0]), runeIndex(s, loc[1])
	o.Set("start", float64(start))
	o.Set("end", float64(end))
	groups := []any{}
	for g := 1; g < len(loc)/2; g++ {
		if loc[2*g] < 0 {
			groups = append(groups, "")
		} else {
			groups = append(groups, s[loc[2*g]:loc[2*g+1]])
		}
	}
	o.Set("groups", newArray(groups))
	next := end
	if end == start {
		next++
	}
	o.Set("next", &builtin{name: "next", fn: func(c *callCtx, args []any) (any, error) {
		if next >= len(rs) {
			return nil, nil
		}
		res := r.matchAt(s, next)
		if ro, ok := res.(*Object); ok {
			if m, _ := ro.Get("match"); m == "" {
				return nil, errAt("D1004", c.pos, "", r.src)
			}
		}
		return res, nil
	}})
	return o
}

// matcher finds the matches of pattern in s: a regex directly, or a
// custom matcher function through the {match,start,end,groups,next}
// protocol.
func matcher(c *callCtx, pattern any, s string, limit int) ([]matchRes, error) {
	if r, ok := pattern.(*regexValue); ok {
		if limit < 0 {
			limit = -1
		}
		ms := r.findAll(s, limit)
		for _, m := range ms {
			if m.match == "" {
				return nil, errAt("D1004", c.pos, "", r.src)
			}
		}
		return ms, nil
	}
	var out []matchRes
	res, err := c.call(pattern, s)
	if err != nil {
		return nil, err
	}
	for res != nil && (limit < 0 || len(out) < limit) {
		o, ok := res.(*Object)
		if !ok {
			return nil, errAt("T1010", c.pos, "", nil)
		}
		mv, _ := o.Get("match")
		sv, _ := o.Get("start")
		ev, _ := o.Get("end")
		gv, _ := o.Get("groups")
		ms, ok1 := mv.(string)
		st, ok2 := sv.(float64)
		en, ok3 := ev.(float64)
		ga, ok4 := gv.(*Array)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errAt("T1010", c.pos, "", nil)
		}
		out = append(out, matchRes{match: ms, start: int(st), end: int(en), groups: ga.items})
		nf, _ := o.Get("next")
		if nf == nil {
			break
		}
		if res, err = c.call(nf); err != nil {
			return nil, err
		}
	}
	return out, nil
}
