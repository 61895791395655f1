package jsonata

import "strings"

// parser is a Pratt (top-down operator precedence) parser. It produces a raw
// tree which process then rewrites into paths with steps, stages and tuple
// annotations.
type parser struct {
	lx  *lexer
	tok *token
}

func parse(src string) (*node, error) {
	p := &parser{lx: &lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tkEnd {
		return nil, errAt("S0201", p.tok.pos, tokText(p.tok), nil)
	}
	pr := &processor{}
	root, err := pr.process(n)
	if err != nil {
		return nil, err
	}
	if root.typ == ntParent || root.seekingParent != nil {
		return nil, errAt("S0217", root.pos, root.typeName(), nil)
	}
	return root, nil
}

func tokText(t *token) string {
	if t.kind == tkEnd {
		return "(end)"
	}
	return t.val
}

// advance reads the next token where an operand may start, so '/' begins
// a regex.
func (p *parser) advance() error { return p.read(false) }

// advanceInfix reads the token after an operand (or a closing bracket),
// where '/' is division: the same rule as jsonata-js, so (/a/) is an error
// there too.
func (p *parser) advanceInfix() error { return p.read(true) }

func (p *parser) read(infix bool) error {
	t, err := p.lx.next(infix)
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) isOp(s string) bool { return p.tok.kind == tkOp && p.tok.val == s }

// expectInfix is expect for a closing bracket, after which an operator
// follows.
func (p *parser) expectInfix(s string) error {
	if !p.isOp(s) {
		return p.expect(s)
	}
	return p.advanceInfix()
}

// expect consumes the operator s or fails with S0202/S0203.
func (p *parser) expect(s string) error {
	if !p.isOp(s) {
		if p.tok.kind == tkEnd {
			return errAt("S0203", p.tok.pos, "(end)", s)
		}
		return &Error{Code: "S0202", Position: p.tok.pos, Token: tokText(p.tok), Value: s}
	}
	return p.advance()
}

func (p *parser) lbp() int {
	if p.tok.kind != tkOp {
		return 0
	}
	switch p.tok.val {
	case ":", ";", ",", ")", "]", "}", "|", "**", "!", "~", "..":
		// ".." is a range only inside an array constructor, where
		// parseArray handles it
		return 0
	}
	return operators[p.tok.val]
}

func (p *parser) expression(rbp int) (*node, error) {
	t := p.tok
	if err := p.advanceInfix(); err != nil {
		return nil, err
	}
	left, err := p.nud(t)
	if err != nil {
		return nil, err
	}
	for rbp < p.lbp() {
		t = p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		left, err = p.led(t, left)
		if err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) nud(t *token) (*node, error) {
	switch t.kind {
	case tkEnd:
		// as in jsonata-js, a missing operand is reported by whatever
		// expects the next token (S0203), or else when the tree is
		// processed (S0207)
		return &node{typ: ntEnd, pos: t.pos}, nil
	case tkName:
		return &node{typ: ntName, str: t.val, pos: t.pos}, nil
	case tkVar:
		return &node{typ: ntVariable, str: t.val, pos: t.pos}, nil
	case tkString:
		return &node{typ: ntString, str: t.val, val: t.val, pos: t.pos}, nil
	case tkNumber:
		return &node{typ: ntNumber, num: t.num, val: t.num, pos: t.pos}, nil
	case tkValue:
		return &node{typ: ntValue, val: t.value, str: t.val, pos: t.pos}, nil
	case tkRegex:
		re, err := compileRegex(t.val, t.flags, t.pos)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntRegex, re: re, pos: t.pos}, nil
	}
	switch t.val {
	case "*":
		return &node{typ: ntWildcard, pos: t.pos}, nil
	case "**":
		return &node{typ: ntDescendant, pos: t.pos}, nil
	case "%":
		return &node{typ: ntParent, pos: t.pos}, nil
	case "and", "or", "in":
		return &node{typ: ntName, str: t.val, pos: t.pos}, nil
	case "-":
		e, err := p.expression(70)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntNeg, lhs: e, pos: t.pos}, nil
	case "(":
		return p.parseBlock(t)
	case "[":
		return p.parseArray(t)
	case "{":
		pairs, err := p.parsePairs()
		if err != nil {
			return nil, err
		}
		return &node{typ: ntObject, pairs: pairs, pos: t.pos}, nil
	case "|":
		return p.parseTransform(t)
	case "?":
		return &node{typ: ntPlaceholder, pos: t.pos}, nil
	}
	return nil, errAt("S0211", t.pos, t.val, nil)
}

func (p *parser) parseBlock(t *token) (*node, error) {
	n := &node{typ: ntBlock, pos: t.pos}
	for !p.isOp(")") {
		e, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, e)
		if !p.isOp(";") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	return n, p.expectInfix(")")
}

func (p *parser) parseArray(t *token) (*node, error) {
	n := &node{typ: ntArray, pos: t.pos}
	if !p.isOp("]") {
		for {
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if p.isOp("..") {
				r := &node{typ: ntBinary, op: "..", lhs: e, pos: p.tok.pos}
				if err := p.advance(); err != nil {
					return nil, err
				}
				if r.rhs, err = p.expression(0); err != nil {
					return nil, err
				}
				e = r
			}
			n.items = append(n.items, e)
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	return n, p.expectInfix("]")
}

func (p *parser) parsePairs() ([][2]*node, error) {
	var pairs [][2]*node
	if !p.isOp("}") {
		for {
			k, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, [2]*node{k, v})
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	return pairs, p.expectInfix("}")
}

func (p *parser) parseTransform(t *token) (*node, error) {
	n := &node{typ: ntTransform, pos: t.pos}
	var err error
	if n.pattern, err = p.expression(0); err != nil {
		return nil, err
	}
	if err := p.expect("|"); err != nil {
		return nil, err
	}
	if n.update, err = p.expression(0); err != nil {
		return nil, err
	}
	if p.isOp(",") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if n.del, err = p.expression(0); err != nil {
			return nil, err
		}
	}
	return n, p.expect("|")
}

func (p *parser) led(t *token, left *node) (*node, error) {
	if t.kind != tkOp {
		return nil, errAt("S0201", t.pos, tokText(t), nil)
	}
	bp := operators[t.val]
	switch t.val {
	case ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in":
		rhs, err := p.expression(bp)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntBinary, op: t.val, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "~>":
		rhs, err := p.expression(bp)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntApply, lhs: left, rhs: rhs, pos: t.pos}, nil
	case ":=":
		if left.typ != ntVariable {
			return nil, errAt("S0212", left.pos, t.val, nil)
		}
		rhs, err := p.expression(bp - 1)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntBind, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "?":
		n := &node{typ: ntCondition, cond: left, pos: t.pos}
		var err error
		if n.then, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.isOp(":") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if n.els, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, nil
	case "?:", "??":
		rhs, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntCoalesce, op: t.val, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "(":
		return p.parseCall(t, left)
	case "[":
		if p.isOp("]") {
			// [] keeps singleton arrays: it marks the step under any
			// predicates
			step := left
			for step.typ == ntPredicate {
				step = step.lhs
			}
			step.keepArray = true
			return left, p.advanceInfix()
		}
		rhs, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		return &node{typ: ntPredicate, lhs: left, rhs: rhs, pos: t.pos}, p.expectInfix("]")
	case "{":
		pairs, err := p.parsePairs()
		if err != nil {
			return nil, err
		}
		return &node{typ: ntGroup, lhs: left, pairs: pairs, pos: t.pos}, nil
	case "^":
		return p.parseOrderBy(t, left)
	case "@", "#":
		if p.tok.kind != tkVar {
			return nil, errAt("S0214", p.tok.pos, t.val, nil)
		}
		v := p.tok.val
		typ := ntFocus
		if t.val == "#" {
			typ = ntIndex
		}
		return &node{typ: typ, lhs: left, str: v, pos: t.pos}, p.advanceInfix()
	}
	return nil, errAt("S0201", t.pos, t.val, nil)
}

func (p *parser) parseOrderBy(t *token, left *node) (*node, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	n := &node{typ: ntOrderBy, lhs: left, pos: t.pos}
	for {
		desc := false
		if p.isOp("<") {
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else if p.isOp(">") {
			desc = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		e, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		n.terms = append(n.terms, sortTerm{desc: desc, expr: e})
		if !p.isOp(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	return n, p.expect(")")
}

func (p *parser) parseCall(t *token, left *node) (*node, error) {
	n := &node{typ: ntFunction, proc: left, pos: t.pos}
	if !p.isOp(")") {
		for {
			if p.isOp("?") {
				n.typ = ntPartial
				n.items = append(n.items, &node{typ: ntPlaceholder, pos: p.tok.pos})
				if err := p.advance(); err != nil {
					return nil, err
				}
			} else {
				e, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, e)
			}
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expectInfix(")"); err != nil {
		return nil, err
	}
	if left.typ != ntName || (left.str != "function" && left.str != "λ") {
		return n, nil
	}
	// a lambda definition
	lam := &node{typ: ntLambda, pos: t.pos}
	for _, a := range n.items {
		if a.typ != ntVariable {
			return nil, errAt("S0208", a.pos, "", a.str)
		}
		lam.params = append(lam.params, a.str)
	}
	if p.isOp("<") {
		src := p.lx.src
		i, depth := p.lx.pos, 1
		for i < len(src) && depth > 0 {
			switch src[i] {
			case '<':
				depth++
			case '>':
				depth--
			}
			i++
		}
		sigText := "<" + src[p.lx.pos:i]
		sig, err := parseSignature(strings.Join(strings.Fields(sigText), ""))
		if err != nil {
			if je, ok := err.(*Error); ok {
				// from an offset in the signature to one in the expression
				je.Position += p.tok.pos + 1
			}
			return nil, err
		}
		lam.sig = sig
		p.lx.pos = i
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	body, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	lam.body = body
	return lam, p.expect("}")
}
