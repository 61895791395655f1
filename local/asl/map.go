package asl

import (
	"context"
	"strings"
	"sync"
)

func (sr *stateRun) mapState(ctx context.Context, eff any) (any, *failure, error) {
	s := sr.s
	t := sr.t
	sc := sr.scope(eff)
	var items any = eff
	if s.itemsPath != nil {
		v, ok := s.itemsPath.get(sc)
		if !ok {
			return nil, sr.runtime("%s", s.itemsPath.notFound(sc)), nil
		}
		items = v
	}
	list, ok := items.([]any)
	if !ok {
		return nil, sr.runtime("Item selector input must be a JSON array, but is: %s", jsonText(items)), nil
	}
	maxConc := s.maxConcurrency
	if s.maxConcurrencyPath != nil {
		v, ok := s.maxConcurrencyPath.get(sc)
		n, isInt := toInt(v)
		if !ok || !isInt {
			return nil, sr.runtime("The MaxConcurrencyPath field refers to value \"%s\" which is not a valid integer: %s", plain(v), s.maxConcurrencyPath.src), nil
		}
		if n < 0 {
			return nil, sr.runtime("MaxConcurrency cannot be negative."), nil
		}
		maxConc = n
	}
	if _, err := t.emit("MapStateStarted", map[string]any{"length": int64(len(list))}, nil); err != nil {
		return nil, nil, err
	}
	// AWS records MapStateStarted before it checks the tolerated failure settings.
	tolCount := int64(-1)
	if s.tolCount != nil {
		tolCount = *s.tolCount
	}
	if s.tolCountPath != nil {
		v, ok := s.tolCountPath.get(sc)
		n, isInt := toInt(v)
		if !ok || !isInt {
			return nil, sr.runtime("The ToleratedFailureCountPath field refers to value \"%s\" which is not a valid integer: %s", plain(v), s.tolCountPath.src), nil
		}
		if n < 0 {
			return nil, sr.runtime("ToleratedFailureCount cannot be negative."), nil
		}
		tolCount = n
	}
	tolPct := -1.0
	if s.tolPercent != nil {
		tolPct = *s.tolPercent
	}
	if s.tolPercentPath != nil {
		v, ok := s.tolPercentPath.get(sc)
		n, isNum := toFloat(v)
		if !ok || !isNum {
			return nil, sr.runtime("The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid number: %s", plain(v), s.tolPercentPath.src), nil
		}
		if n < 0 || n > 100 {
			return nil, sr.runtime("ToleratedFailurePercentage must be between 0 and 100."), nil
		}
		tolPct = n
	}

	// Resolve item inputs first: an ItemSelector failure fails the state.
	inputs := make([]any, len(list))
	for i, item := range list {
		if s.itemSelector == nil {
			inputs[i] = deepCopy(item)
			continue
		}
		isr := &stateRun{t: t, s: s, enteredID: sr.enteredID, enteredAt: sr.enteredAt, retries: sr.retries,
			mapCtx: map[string]any{"Item": map[string]any{"Index": int64(i), "Value": item}}}
		v, f := isr.evalTmpl(s.itemSelector, eff)
		if f != nil {
			return nil, f, nil
		}
		inputs[i] = v
	}
	if s.distributed {
		arn := strings.Replace(t.r.exec.StateMachineARN, ":stateMachine:", ":mapRun:", 1) + "/" + s.name + ":" + newUUID()
		if _, err := t.emit("MapRunStarted", map[string]any{"mapRunArn": arn}, nil); err != nil {
			return nil, nil, err
		}
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]any, len(list))
	var mu sync.Mutex
	var firstF *failure
	var firstErr error
	failed := int64(0)
	mprev := t.prev
	lastTerminal := t.prev
	conc := int(maxConc)
	if conc <= 0 || conc > len(list) {
		conc = len(list)
	}
	if conc == 0 {
		conc = 1
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	tolerated := func(failed int64) bool {
		if tolCount >= 0 && failed <= tolCount {
			return true
		}
		if tolPct >= 0 && len(list) > 0 && float64(failed)*100/float64(len(list)) <= tolPct {
			return true
		}
		return false
	}
	for i := range list {
		select {
		case sem <- struct{}{}:
		case <-mctx.Done():
		}
		if mctx.Err() != nil {
			break
		}
		mu.Lock()
		stop := firstF != nil || firstErr != nil
		start := mprev
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			it := &thread{r: t.r, prev: start, vars: &vars{parent: t.vars, m: map[string]any{}}, silent: t.silent || s.distributed}
			d := map[string]any{"index": int64(i), "name": s.name}
			if _, err := it.emit("MapIterationStarted", d, nil); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				cancel()
				return
			}
			out, f, err := it.runGraph(mctx, s.processor, s.processor.startAt, inputs[i], nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			typ := "MapIterationSucceeded"
			if f != nil {
				typ = "MapIterationFailed"
			}
			termID, err := it.emitPrev(typ, it.prev, d, nil, false)
			if err != nil {
				firstErr = err
				cancel()
				return
			}
			if !it.silent {
				mprev = it.prev
				lastTerminal = termID
			}
			if f != nil {
				failed++
				if !tolerated(failed) && firstF == nil {
					firstF = f
					cancel()
				}
				return
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	t.prev = lastTerminal
	if firstErr != nil && firstF == nil {
		return nil, nil, firstErr
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if firstF != nil {
		t.prev = mprev
		if s.distributed {
			if _, err := t.emit("MapRunFailed", map[string]any{}, nil); err != nil {
				return nil, nil, err
			}
		}
		if tolCount >= 0 || tolPct >= 0 {
			return nil, &failure{Error: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded"}, nil
		}
		return nil, firstF, nil
	}
	if s.distributed {
		if _, err := t.emit("MapRunSucceeded", nil, nil); err != nil {
			return nil, nil, err
		}
	}
	last := t.prev
	if _, err := t.emitPrev("MapStateSucceeded", last, nil, nil, false); err != nil {
		return nil, nil, err
	}
	return outs, nil, nil
}
