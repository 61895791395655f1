package jsonata

import "strings"

// signature is a parsed function signature such as <s-nn?:s>. Each
// parameter accepts a set of type symbols (s n b l a o f, and m for
// undefined, which every parameter accepts except f).
type signature struct {
	text   string
	params []sigParam
}

type sigParam struct {
	types    string // accepted symbols
	typ      byte   // declared type symbol, '(' for a choice
	optional bool
	variadic bool
	context  bool
	subtype  string
}

func (s *signature) arity() int { return len(s.params) }

func parseSignature(text string) (*signature, error) {
	sig := &signature{text: text}
	body := text
	if strings.HasPrefix(body, "<") {
		body = body[1:]
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == ':' || c == '>' {
			break
		}
		var last *sigParam
		if len(sig.params) > 0 {
			last = &sig.params[len(sig.params)-1]
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			sig.params = append(sig.params, sigParam{types: string(c) + "m", typ: c})
		case 'a':
			sig.params = append(sig.params, sigParam{types: "asnblfom", typ: c})
		case 'f':
			sig.params = append(sig.params, sigParam{types: "f", typ: c})
		case 'j':
			sig.params = append(sig.params, sigParam{types: "asnblom", typ: c})
		case 'x':
			sig.params = append(sig.params, sigParam{types: "asnblfom", typ: c})
		case '-':
			if last != nil {
				last.context = true
				last.optional = true
			}
		case '?':
			if last != nil {
				last.optional = true
			}
		case '+':
			if last != nil {
				last.variadic = true
			}
		case '(':
			end := strings.IndexByte(body[i:], ')')
			if end < 0 {
				return nil, errAt("S0401", i, "", body)
			}
			choice := body[i+1 : i+end]
			if strings.Contains(choice, "<") {
				return nil, errAt("S0402", i, "", choice)
			}
			sig.params = append(sig.params, sigParam{types: choice + "m", typ: '('})
			i += end
		case '<':
			if last == nil || (last.typ != 'a' && last.typ != 'f') {
				t := ""
				if last != nil {
					t = string(last.typ)
				}
				return nil, errAt("S0401", i, "", t)
			}
			depth, j := 1, i+1
			for ; j < len(body) && depth > 0; j++ {
				switch body[j] {
				case '<':
					depth++
				case '>':
					depth--
				}
			}
			last.subtype = body[i+1 : j-1]
			i = j - 1
		}
	}
	return sig, nil
}

func typeSymbol(v any) byte {
	switch v.(type) {
	case nil:
		return 'm'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nullType:
		return 'l'
	case *Array:
		return 'a'
	case *Object:
		return 'o'
	case callable:
		return 'f'
	}
	return 'm'
}

// match finds how many arguments each parameter takes, backtracking like
// the regular expression jsonata-js builds from the signature.
func (s *signature) match(syms []byte, pi, ai int, counts []int) bool {
	if pi == len(s.params) {
		return ai == len(syms)
	}
	p := s.params[pi]
	max := 1
	if p.variadic {
		max = len(syms) - ai
	}
	n := 0
	for n < max && ai+n < len(syms) && strings.IndexByte(p.types, syms[ai+n]) >= 0 {
		n++
	}
	min := 1
	if p.optional {
		min = 0
	}
	for k := n; k >= min; k-- {
		counts[pi] = k
		if s.match(syms, pi+1, ai+k, counts) {
			return true
		}
	}
	return false
}

// validate checks args against the signature, inserting the context item
// for a missing '-' parameter and wrapping non-arrays for 'a' parameters.
func (s *signature) validate(args []any, input any) ([]any, error) {
	syms := make([]byte, len(args))
	for i, a := range args {
		syms[i] = typeSymbol(a)
	}
	counts := make([]int, len(s.params))
	if !s.match(syms, 0, 0, counts) {
		bad := s.firstBad(syms)
		var v any
		if bad < len(args) {
			v = args[bad]
		}
		return nil, &Error{Code: "T0410", Position: -1, Value: v, Index: bad + 1}
	}
	out := make([]any, 0, len(s.params))
	ai := 0
	for pi, p := range s.params {
		if counts[pi] == 0 {
			if p.context {
				if strings.IndexByte(p.types, typeSymbol(input)) < 0 {
					return nil, &Error{Code: "T0411", Position: -1, Value: input, Index: ai + 1}
				}
				out = append(out, input)
			} else {
				// as jsonata-js: a skipped optional parameter still
				// consumes the argument at its position
				var v any
				if ai < len(args) {
					v = args[ai]
				}
				out = append(out, v)
				ai++
			}
			continue
		}
		for k := 0; k < counts[pi]; k++ {
			var arg any
			if ai < len(args) {
				arg = args[ai]
			}
			if p.typ == 'a' && arg != nil {
				if err := checkSubtype(p, arg, ai); err != nil {
					return nil, err
				}
				if _, ok := arg.(*Array); !ok {
					arg = newArray([]any{arg})
				}
			}
			out = append(out, arg)
			ai++
		}
	}
	return out, nil
}

func checkSubtype(p sigParam, arg any, ai int) error {
	if p.subtype == "" {
		return nil
	}
	a, ok := arg.(*Array)
	if !ok {
		if string(typeSymbol(arg)) != p.subtype {
			return &Error{Code: "T0412", Position: -1, Value: arg, Index: ai + 1}
		}
		return nil
	}
	if len(a.items) == 0 {
		return nil
	}
	want := p.subtype[0]
	for _, x := range a.items {
		if typeSymbol(x) != want {
			return &Error{Code: "T0412", Position: -1, Value: arg, Index: ai + 1}
		}
	}
	return nil
}

// firstBad finds the index of the first argument that cannot be matched,
// for the error message.
func (s *signature) firstBad(syms []byte) int {
	ai := 0
	for _, p := range s.params {
		if ai < len(syms) && strings.IndexByte(p.types, syms[ai]) >= 0 {
			ai++
			if p.variadic {
				for ai < len(syms) && strings.IndexByte(p.types, syms[ai]) >= 0 {
					ai++
				}
			}
		} else if !p.optional {
			return ai
		}
	}
	return ai
}
