package asl

// applyInput applies InputPath.
func (sr *stateRun) applyInput(input any) (any, *failure) {
	v, f := sr.inputPath(input)
	if f == nil {
		sr.t.note(func(i *Inspection) *string { return &i.AfterInputPath }, v)
	}
	return v, f
}

func (sr *stateRun) inputPath(input any) (any, *failure) {
	ip := sr.s.inputPath
	switch {
	case !ip.set:
		return input, nil
	case ip.null:
		return map[string]any{}, nil
	}
	sc := sr.scope(input)
	v, ok := ip.p.get(sc)
	if !ok {
		return nil, sr.runtime("%s", ip.p.notFound(sc))
	}
	return v, nil
}

func (sr *stateRun) applyOutput(v any) (any, *failure) {
	op := sr.s.outputPath
	switch {
	case !op.set:
		return v, nil
	case op.null:
		return map[string]any{}, nil
	}
	sc := sr.scope(v)
	out, ok := op.p.get(sc)
	if !ok {
		return nil, sr.runtime("%s", op.p.notFound(sc))
	}
	return out, nil
}

func applyResultPath(rp optPath, raw, result any) (any, error) {
	switch {
	case !rp.set:
		return result, nil
	case rp.null:
		return raw, nil
	}
	return setPath(rp.p, raw, result)
}

// evalFields builds the object of a template's fields, each evaluated by
// eval to its key and value; the first failure stops it.
func evalFields[F any](fields []F, eval func(F) (string, any, *failure)) (any, *failure) {
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		k, v, fl := eval(f)
		if fl != nil {
			return nil, fl
		}
		m[k] = v
	}
	return m, nil
}

// evalItems builds the array of a template's items, each evaluated by
// eval; the first failure stops it.
func evalItems[T any](items []T, eval func(T) (any, *failure)) (any, *failure) {
	a := make([]any, len(items))
	for i, it := range items {
		v, fl := eval(it)
		if fl != nil {
			return nil, fl
		}
		a[i] = v
	}
	return a, nil
}

func (sr *stateRun) evalTmpl(t *tmpl, input any) (any, *failure) {
	return sr.evalTmplScope(t, sr.scope(input))
}

func (sr *stateRun) evalTmplScope(t *tmpl, sc scope) (any, *failure) {
	switch t.kind {
	case tLit:
		return deepCopy(t.lit), nil
	case tObj:
		return evalFields(t.fields, func(f tfield) (string, any, *failure) {
			v, fl := sr.evalTmplScope(f.t, sc)
			return f.key, v, fl
		})
	case tArr:
		return evalItems(t.items, func(it *tmpl) (any, *failure) { return sr.evalTmplScope(it, sc) })
	case tPath:
		v, ok := t.path.get(sc)
		if !ok {
			in := sc.input
			if t.path.ctx {
				in = sc.ctx
			}
			return nil, sr.runtime("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", t.path.src, t.field, jsonText(in))
		}
		return deepCopy(v), nil
	case tCall:
		v, err := t.call.eval(sc)
		if err != nil {
			return nil, &failure{Error: "States.IntrinsicFailure", Cause: err.Error()}
		}
		return v, nil
	}
	return nil, nil
}

// assign evaluates Assign against the state's result; the values are
// applied only when the state exits, as on AWS.
func (sr *stateRun) assignFrom(t *tmpl, result any) (map[string]any, *failure) {
	if t == nil {
		return nil, nil
	}
	v, f := sr.evalTmpl(t, result)
	if f != nil {
		return nil, f
	}
	m, _ := v.(map[string]any)
	return m, nil
}
