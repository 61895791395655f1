package asl

import (
	"context"
	"sync"
)

func (sr *stateRun) parallel(ctx context.Context, eff any) (any, *failure, error) {
	in := eff
	if sr.s.jsonata {
		var f *failure
		if in, f = sr.jarguments(eff); f != nil {
			return nil, f, nil
		}
	} else if sr.s.parameters != nil {
		var f *failure
		if in, f = sr.evalTmpl(sr.s.parameters, eff); f != nil {
			return nil, f, nil
		}
		sr.t.note(func(i *Inspection) *string { return &i.AfterParameters }, in)
	}
	startID, err := sr.t.emit("ParallelStateStarted", nil, nil)
	if err != nil {
		return nil, nil, err
	}
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := len(sr.s.branches)
	outs := make([]any, n)
	var mu sync.Mutex
	var firstF *failure
	var firstErr error
	var wg sync.WaitGroup
	for i, g := range sr.s.branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bt := &thread{r: sr.t.r, prev: startID, vars: &vars{parent: sr.t.vars, m: map[string]any{}}, silent: sr.t.silent, branch: true}
			out, f, err := bt.runGraph(bctx, g, g.startAt, deepCopy(in), nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil && firstF == nil {
				firstErr = err
			}
			if f != nil && firstF == nil {
				firstF = f
				cancel()
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	if firstF != nil {
		sr.t.prev = sr.t.lastID()
		return nil, firstF, nil
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	last := sr.t.lastID()
	if _, err := sr.t.emitPrev("ParallelStateSucceeded", last, nil, nil, false); err != nil {
		return nil, nil, err
	}
	sr.t.prev = last
	return outs, nil, nil
}
