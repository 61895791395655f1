package jsonata

import "strconv"

// processor rewrites the raw parse tree: dotted expressions become paths of
// steps; predicates, group-by, order-by and the @/# bindings attach to steps;
// parent references (%) are resolved to the step whose tuple binds their
// ancestor; lambda bodies get tail calls marked as thunks.
type processor struct {
	ancestorLabel int
	ancestry      []*node
}

func (pr *processor) process(e *node) (*node, error) {
	r, err := pr.processInner(e)
	if err != nil {
		return nil, err
	}
	if e.keepArray {
		r.keepArray = true
	}
	return r, nil
}

func (pr *processor) processInner(e *node) (*node, error) {
	switch e.typ {
	case ntBinary, ntCoalesce, ntApply:
		if e.typ == ntBinary && e.op == "." {
			return pr.processDot(e)
		}
		lhs, rhs, err := pr.processPair(e.lhs, e.rhs)
		if err != nil {
			return nil, err
		}
		if e.typ == ntApply {
			return &node{typ: ntApply, pos: e.pos, lhs: lhs, rhs: rhs, keepArray: lhs.keepArray || rhs.keepArray}, nil
		}
		r := &node{typ: e.typ, op: e.op, pos: e.pos, lhs: lhs, rhs: rhs}
		pushAncestry(r, lhs)
		pushAncestry(r, rhs)
		return r, nil
	case ntPredicate:
		return pr.processPredicate(e)
	case ntGroup:
		return pr.processGroup(e)
	case ntOrderBy:
		return pr.processOrderBy(e)
	case ntFocus:
		return pr.processFocus(e)
	case ntIndex:
		return pr.processIndex(e)
	case ntBind:
		rhs, err := pr.process(e.rhs)
		if err != nil {
			return nil, err
		}
		r := &node{typ: ntBind, pos: e.pos, lhs: e.lhs, rhs: rhs}
		pushAncestry(r, rhs)
		return r, nil
	}
	return pr.processOther(e)
}

// processStep processes the left side of e, and gives it with its last
// step: the left side itself unless it is a path.
func (pr *processor) processStep(e *node) (r, step *node, err error) {
	r, err = pr.process(e.lhs)
	if err != nil {
		return nil, nil, err
	}
	step = r
	if r.typ == ntPath {
		step = r.items[len(r.items)-1]
	}
	return r, step, nil
}

// resolved resolves the ancestry of the path r and gives it.
func (pr *processor) resolved(r *node) (*node, error) {
	if err := pr.resolveAncestry(r); err != nil {
		return nil, err
	}
	return r, nil
}

// processPair processes two expressions, a then b.
func (pr *processor) processPair(a, b *node) (*node, *node, error) {
	x, err := pr.process(a)
	if err != nil {
		return nil, nil, err
	}
	y, err := pr.process(b)
	if err != nil {
		return nil, nil, err
	}
	return x, y, nil
}

func (pr *processor) processList(r *node, in []*node) ([]*node, error) {
	out := make([]*node, len(in))
	for i, x := range in {
		v, err := pr.process(x)
		if err != nil {
			return nil, err
		}
		pushAncestry(r, v)
		out[i] = v
	}
	return out, nil
}

func (pr *processor) processOther(e *node) (*node, error) {
	var err error
	switch e.typ {
	case ntArray:
		r := &node{typ: ntArray, pos: e.pos}
		r.items, err = pr.processList(r, e.items)
		return r, err
	case ntObject:
		r := &node{typ: ntObject, pos: e.pos}
		for _, pair := range e.pairs {
			kv, err := pr.processList(r, pair[:])
			if err != nil {
				return nil, err
			}
			r.pairs = append(r.pairs, [2]*node{kv[0], kv[1]})
		}
		return r, nil
	case ntNeg:
		x, err := pr.process(e.lhs)
		if err != nil {
			return nil, err
		}
		if x.typ == ntNumber {
			return &node{typ: ntNumber, num: -x.num, val: -x.num, pos: e.pos}, nil
		}
		r := &node{typ: ntNeg, lhs: x, pos: e.pos}
		pushAncestry(r, x)
		return r, nil
	case ntFunction, ntPartial:
		r := &node{typ: e.typ, pos: e.pos}
		if r.items, err = pr.processList(r, e.items); err != nil {
			return nil, err
		}
		r.proc, err = pr.process(e.proc)
		return r, err
	case ntLambda:
		r := &node{typ: ntLambda, pos: e.pos, params: e.params, sig: e.sig}
		body, err := pr.process(e.body)
		if err != nil {
			return nil, err
		}
		r.body = tailCallOptimize(body)
		return r, nil
	case ntCondition:
		r := &node{typ: ntCondition, pos: e.pos}
		if r.cond, err = pr.process(e.cond); err != nil {
			return nil, err
		}
		pushAncestry(r, r.cond)
		if r.then, err = pr.process(e.then); err != nil {
			return nil, err
		}
		pushAncestry(r, r.then)
		if e.els != nil {
			if r.els, err = pr.process(e.els); err != nil {
				return nil, err
			}
			pushAncestry(r, r.els)
		}
		return r, nil
	case ntTransform:
		r := &node{typ: ntTransform, pos: e.pos}
		if r.pattern, err = pr.process(e.pattern); err != nil {
			return nil, err
		}
		if r.update, err = pr.process(e.update); err != nil {
			return nil, err
		}
		if e.del != nil {
			if r.del, err = pr.process(e.del); err != nil {
				return nil, err
			}
		}
		return r, nil
	case ntBlock:
		r := &node{typ: ntBlock, pos: e.pos}
		r.items, err = pr.processList(r, e.items)
		for _, x := range r.items {
			// a block holding a constructed array is itself one: a path
			// starting with it evaluates it once, not per context item
			if x.consarray || (x.typ == ntPath && x.items[0].consarray) {
				r.consarray = true
			}
		}
		return r, err
	case ntName:
		return &node{typ: ntPath, items: []*node{e}, pos: e.pos, keepSingletonArray: e.keepArray}, nil
	case ntParent:
		r := &node{typ: ntParent, pos: e.pos, slot: &slot{label: "!" + strconv.Itoa(pr.ancestorLabel), level: 1, index: len(pr.ancestry)}}
		pr.ancestorLabel++
		pr.ancestry = append(pr.ancestry, r)
		return r, nil
	case ntString, ntNumber, ntValue, ntWildcard, ntDescendant, ntVariable, ntRegex, ntPlaceholder:
		return e, nil
	}
	if e.typ == ntEnd {
		return nil, errAt("S0207", e.pos, "(end)", nil)
	}
	return nil, errAt("S0206", e.pos, "", nil)
}

func (pr *processor) processDot(e *node) (*node, error) {
	lstep, err := pr.process(e.lhs)
	if err != nil {
		return nil, err
	}
	var r *node
	if lstep.typ == ntPath {
		r = lstep
	} else {
		r = &node{typ: ntPath, items: []*node{lstep}, pos: e.pos}
	}
	if lstep.typ == ntParent {
		r.seekingParent = []*slot{lstep.slot}
	}
	rest, err := pr.process(e.rhs)
	if err != nil {
		return nil, err
	}
	if rest.typ == ntPath {
		r.items = append(r.items, rest.items...)
	} else {
		if rest.predicate != nil {
			rest.stages = rest.predicate
			rest.predicate = nil
		}
		r.items = append(r.items, rest)
	}
	for _, st := range r.items {
		switch st.typ {
		case ntNumber, ntValue:
			return nil, errAt("S0213", st.pos, "", st.val)
		case ntString:
			st.typ = ntName
		}
		if st.keepArray {
			r.keepSingletonArray = true
		}
	}
	if f := r.items[0]; f.typ == ntArray {
		f.consarray = true
	}
	if l := r.items[len(r.items)-1]; l.typ == ntArray {
		l.consarray = true
	}
	return pr.resolved(r)
}

func (pr *processor) processPredicate(e *node) (*node, error) {
	r, step, err := pr.processStep(e)
	if err != nil {
		return nil, err
	}
	inStages := r.typ == ntPath
	if step.group != nil {
		return nil, errAt("S0209", e.pos, "", nil)
	}
	pred, err := pr.process(e.rhs)
	if err != nil {
		return nil, err
	}
	if pred.seekingParent != nil {
		for _, s := range pred.seekingParent {
			if s.level == 1 {
				if _, err := pr.seekParent(step, s); err != nil {
					return nil, err
				}
			} else {
				s.level--
			}
		}
		pushAncestry(step, pred)
	}
	st := stage{filter: pred, pos: e.pos}
	if inStages {
		step.stages = append(step.stages, st)
	} else {
		step.predicate = append(step.predicate, st)
	}
	return r, nil
}

func pushAncestry(r, v *node) {
	if v.seekingParent == nil && v.typ != ntParent {
		return
	}
	slots := v.seekingParent
	if v.typ == ntParent {
		slots = append(slots, v.slot)
	}
	r.seekingParent = append(r.seekingParent, slots...)
}

func (pr *processor) seekParent(n *node, s *slot) (*slot, error) {
	switch n.typ {
	case ntName, ntWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor != nil {
				pr.ancestry[s.index].slot.label = n.ancestor.label
			}
			n.ancestor = s
			n.tuple = true
		}
	case ntParent:
		s.level++
	case ntBlock:
		if len(n.items) > 0 {
			n.tuple = true
			return pr.seekParent(n.items[len(n.items)-1], s)
		}
	case ntPath:
		n.tuple = true
		i := len(n.items) - 1
		var err error
		s, err = pr.seekParent(n.items[i], s)
		if err != nil {
			return nil, err
		}
		i--
		for s.level > 0 && i >= 0 {
			if s, err = pr.seekParent(n.items[i], s); err != nil {
				return nil, err
			}
			i--
		}
	default:
		return nil, errAt("S0217", n.pos, n.typeName(), nil)
	}
	return s, nil
}

func (pr *processor) resolveAncestry(path *node) error {
	last := path.items[len(path.items)-1]
	slots := append([]*slot(nil), last.seekingParent...)
	if last.typ == ntParent {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		i := len(path.items) - 2
		for s.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.items[i]
			i--
			for i >= 0 && step.focus != "" && path.items[i].focus != "" {
				step = path.items[i]
				i--
			}
			var err error
			if s, err = pr.seekParent(step, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// tailCallOptimize wraps a function call in tail position into a thunk, so
// that apply can run it in a loop instead of recursing.
func tailCallOptimize(e *node) *node {
	switch e.typ {
	case ntFunction:
		if e.predicate == nil && e.group == nil {
			return &node{typ: ntLambda, thunk: true, body: e, pos: e.pos}
		}
	case ntCondition:
		e.then = tailCallOptimize(e.then)
		if e.els != nil {
			e.els = tailCallOptimize(e.els)
		}
	case ntBlock:
		if n := len(e.items); n > 0 {
			e.items[n-1] = tailCallOptimize(e.items[n-1])
		}
	}
	return e
}

// processGroup processes a group-by clause, path{key: value}, attaches to its step.
func (pr *processor) processGroup(e *node) (*node, error) {
	r, err := pr.process(e.lhs)
	if err != nil {
		return nil, err
	}
	if r.group != nil {
		return nil, errAt("S0210", e.pos, "{", nil)
	}
	g := &groupExpr{pos: e.pos}
	for _, pair := range e.pairs {
		k, v, err := pr.processPair(pair[0], pair[1])
		if err != nil {
			return nil, err
		}
		g.pairs = append(g.pairs, [2]*node{k, v})
	}
	r.group = g
	return r, nil
}

// processOrderBy processes an order-by clause, path^(terms), becomes a sort step of the path.
func (pr *processor) processOrderBy(e *node) (*node, error) {
	r, err := pr.process(e.lhs)
	if err != nil {
		return nil, err
	}
	if r.typ != ntPath {
		r = &node{typ: ntPath, items: []*node{r}, pos: r.pos}
	}
	st := &node{typ: ntSort, pos: e.pos}
	for _, t := range e.terms {
		x, err := pr.process(t.expr)
		if err != nil {
			return nil, err
		}
		pushAncestry(st, x)
		st.terms = append(st.terms, sortTerm{desc: t.desc, expr: x})
	}
	r.items = append(r.items, st)
	return pr.resolved(r)
}

// processFocus processes a context binding, step@$v, marks the step as binding a tuple variable.
func (pr *processor) processFocus(e *node) (*node, error) {
	r, step, err := pr.processStep(e)
	if err != nil {
		return nil, err
	}
	if step.stages != nil || step.predicate != nil {
		return nil, errAt("S0215", e.pos, "@", nil)
	}
	if step.typ == ntSort {
		return nil, errAt("S0216", e.pos, "@", nil)
	}
	if e.keepArray {
		step.keepArray = true
	}
	step.focus = e.str
	step.tuple = true
	return r, nil
}

// processIndex processes a positional binding, step#$i, binds the index in the tuple stream.
func (pr *processor) processIndex(e *node) (*node, error) {
	r, step, err := pr.processStep(e)
	if err != nil {
		return nil, err
	}
	if r.typ != ntPath {
		r = &node{typ: ntPath, items: []*node{r}, pos: r.pos}
		if step.predicate != nil {
			step.stages = step.predicate
			step.predicate = nil
		}
	}
	if step.stages == nil {
		step.index = e.str
	} else {
		step.stages = append(step.stages, stage{index: e.str, pos: e.pos})
	}
	step.tuple = true
	return r, nil
}
