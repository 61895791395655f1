package asl

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
)

// mapState runs a Map state's body: it resolves the items and the
// concurrency and tolerance settings, runs one iteration of the item
// processor per item, and records how the state ended. A DISTRIBUTED Map
// runs the same way, but records a map run instead of each iteration.
func (sr *stateRun) mapState(ctx context.Context, eff any) (any, *failure, error) {
	s := sr.s
	t := sr.t
	sc := sr.scope(eff)
	list, f := sr.mapItems(sc, eff)
	if f != nil {
		return nil, f, nil
	}
	maxConc, f := sr.mapMaxConcurrency(sc)
	if f != nil {
		return nil, f, nil
	}
	if _, err := t.emit("MapStateStarted", map[string]any{"length": int64(len(list))}, nil); err != nil {
		return nil, nil, err
	}
	// AWS records MapStateStarted before it checks the tolerated failure settings.
	tol, f := sr.mapTolerance(sc)
	if f != nil {
		return nil, f, nil
	}
	inputs, f := sr.itemInputs(list, eff)
	if f != nil {
		return nil, f, nil
	}
	if s.batcher != nil {
		if inputs, f = sr.batch(sc, inputs); f != nil {
			return nil, f, nil
		}
	}
	if s.distributed {
		arn := strings.Replace(t.r.exec.StateMachineARN, ":stateMachine:", ":mapRun:", 1) + "/" + s.mapRunLabel() + ":" + newUUID()
		if _, err := t.emit("MapRunStarted", map[string]any{"mapRunArn": arn}, nil); err != nil {
			return nil, nil, err
		}
	}
	m := sr.iterate(ctx, inputs, maxConc, tol)
	t.prev = m.lastTerminal
	if m.firstErr != nil && m.firstF == nil {
		return nil, nil, m.firstErr
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if m.firstF != nil {
		t.prev = m.mprev
		if s.distributed {
			if _, err := t.emit("MapRunFailed", map[string]any{}, nil); err != nil {
				return nil, nil, err
			}
		}
		if tol.set() {
			return nil, &failure{Error: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded"}, nil
		}
		return nil, m.firstF, nil
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
	return m.outs, nil, nil
}

// mapItems selects the array to iterate over with ItemsPath.
func (sr *stateRun) mapItems(sc scope, eff any) ([]any, *failure) {
	s := sr.s
	if s.jsonata {
		return sr.jmapItems(eff)
	}
	var items any = eff
	if s.itemsPath != nil {
		v, ok := s.itemsPath.get(sc)
		if !ok {
			return nil, sr.runtime("%s", s.itemsPath.notFound(sc))
		}
		items = v
	}
	list, ok := items.([]any)
	if !ok {
		return nil, sr.runtime("Item selector input must be a JSON array, but is: %s", jsonText(items))
	}
	return list, nil
}

// mapMaxConcurrency is MaxConcurrency, or the value MaxConcurrencyPath
// selects; zero means no limit.
func (sr *stateRun) mapMaxConcurrency(sc scope) (int64, *failure) {
	s := sr.s
	if s.jmaxConc != nil {
		return sr.jint(s.jmaxConc, jdata{input: sc.input})
	}
	if s.maxConcurrencyPath == nil {
		return s.maxConcurrency, nil
	}
	v, ok := s.maxConcurrencyPath.get(sc)
	n, isInt := toIntOrString(v)
	if !ok || !isInt {
		return 0, sr.runtime("The MaxConcurrencyPath field refers to value \"%s\" which is not a valid integer: %s", plain(v), s.maxConcurrencyPath.src)
	}
	if n < 0 {
		return 0, sr.runtime("MaxConcurrency cannot be negative.")
	}
	return n, nil
}

// mapTolerance is how many failed iterations a Map state accepts: a count
// and a percentage of the items, each negative when the state sets none.
type mapTolerance struct {
	count   int64
	percent float64
}

// set reports whether the state has a tolerance, so that exceeding it is
// States.ExceedToleratedFailureThreshold rather than the item's failure.
func (tl mapTolerance) set() bool { return tl.count >= 0 || tl.percent >= 0 }

// allows reports whether failed failures out of items are tolerated.
func (tl mapTolerance) allows(failed int64, items int) bool {
	if tl.count >= 0 && failed <= tl.count {
		return true
	}
	if tl.percent >= 0 && items > 0 && float64(failed)*100/float64(items) <= tl.percent {
		return true
	}
	return false
}

// mapTolerance reads ToleratedFailureCount(Path) and
// ToleratedFailurePercentage(Path).
func (sr *stateRun) mapTolerance(sc scope) (mapTolerance, *failure) {
	s := sr.s
	tol := mapTolerance{count: -1, percent: -1}
	if s.tolCount != nil {
		tol.count = *s.tolCount
	}
	var f *failure
	if s.jtolCount != nil {
		if tol.count, f = sr.jint(s.jtolCount, jdata{input: sc.input}); f != nil {
			return tol, f
		}
	}
	if s.jtolPercent != nil {
		if tol.percent, f = sr.jpercent(s.jtolPercent, jdata{input: sc.input}); f != nil {
			return tol, f
		}
	}
	if s.tolCountPath != nil {
		v, ok := s.tolCountPath.get(sc)
		n, isInt := toIntOrString(v)
		if !ok || !isInt {
			return tol, sr.runtime("The ToleratedFailureCountPath field refers to value \"%s\" which is not a valid integer: %s", plain(v), s.tolCountPath.src)
		}
		if n < 0 {
			return tol, sr.runtime("ToleratedFailureCount cannot be negative.")
		}
		tol.count = n
	}
	if s.tolPercent != nil {
		tol.percent = *s.tolPercent
	}
	if s.tolPercentPath != nil {
		v, ok := s.tolPercentPath.get(sc)
		n, isNum := toFloatOrString(v)
		if !ok || !isNum {
			return tol, sr.runtime("The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid number: %s", plain(v), s.tolPercentPath.src)
		}
		if n < 0 || n > 100 {
			return tol, sr.runtime("ToleratedFailurePercentage must be between 0 and 100.")
		}
		tol.percent = n
	}
	return tol, nil
}

// itemInputs resolves every iteration's input before any runs, since an
// ItemSelector failure fails the state.
func (sr *stateRun) itemInputs(list []any, eff any) ([]any, *failure) {
	s := sr.s
	inputs := make([]any, len(list))
	for i, item := range list {
		if s.itemSelector == nil && s.jitemSel == nil {
			inputs[i] = deepCopy(item)
			continue
		}
		isr := &stateRun{t: sr.t, s: s, ctx: sr.ctx, enteredID: sr.enteredID, enteredPrev: sr.enteredPrev, enteredAt: sr.enteredAt, retries: sr.retries,
			mapCtx: map[string]any{"Item": map[string]any{"Index": int64(i), "Value": item}}}
		var v any
		var f *failure
		if s.jitemSel != nil {
			v, f = isr.evalJ(s.jitemSel, jdata{input: eff})
		} else {
			v, f = isr.evalTmpl(s.itemSelector, eff)
		}
		if f != nil {
			return nil, f
		}
		inputs[i] = v
	}
	return inputs, nil
}

// mapIterations is what a Map state's iterations share while they run.
type mapIterations struct {
	sr     *stateRun
	inputs []any
	tol    mapTolerance
	cancel context.CancelFunc

	mu       sync.Mutex
	outs     []any
	firstF   *failure // the failure that ended the state
	firstErr error    // an interruption or a recording error
	failed   int64
	// mprev is the event the next iteration's events follow, and
	// lastTerminal the last iteration end recorded.
	mprev, lastTerminal int64
}

// iterate runs the item processor once per input, at most maxConc at a
// time (zero: all at once), until one failure more than tol allows, and
// returns when every started iteration has ended.
func (sr *stateRun) iterate(ctx context.Context, inputs []any, maxConc int64, tol mapTolerance) *mapIterations {
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := &mapIterations{sr: sr, inputs: inputs, tol: tol, cancel: cancel,
		outs: make([]any, len(inputs)), mprev: sr.t.prev, lastTerminal: sr.t.prev}
	conc := int(maxConc)
	if conc <= 0 || conc > len(inputs) {
		conc = len(inputs)
	}
	if conc == 0 {
		conc = 1
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range inputs {
		select {
		case sem <- struct{}{}:
		case <-mctx.Done():
		}
		if mctx.Err() != nil {
			break
		}
		m.mu.Lock()
		stop := m.firstF != nil || m.firstErr != nil
		start := m.mprev
		m.mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m.run(mctx, i, start)
		}()
	}
	wg.Wait()
	return m
}

// run is iteration i, whose events follow the event start.
func (m *mapIterations) run(ctx context.Context, i int, start int64) {
	t, s := m.sr.t, m.sr.s
	scope := &vars{parent: t.vars, m: map[string]any{}}
	if s.distributed {
		// A distributed Map's iterations run as child executions, which
		// do not see the parent's variables.
		scope.parent = nil
	}
	it := &thread{r: t.r, prev: start, vars: scope, silent: t.silent || s.distributed}
	d := map[string]any{"index": int64(i), "name": s.name}
	if _, err := it.emit("MapIterationStarted", d, nil); err != nil {
		m.mu.Lock()
		m.firstErr = err
		m.mu.Unlock()
		m.cancel()
		return
	}
	out, f, err := it.runGraph(ctx, s.processor, s.processor.startAt, m.inputs[i], nil)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		if m.firstErr == nil {
			m.firstErr = err
		}
		return
	}
	typ := "MapIterationSucceeded"
	if f != nil {
		typ = "MapIterationFailed"
	}
	termID, err := it.emitPrev(typ, it.prev, d, nil, false)
	if err != nil {
		m.firstErr = err
		m.cancel()
		return
	}
	if !it.silent {
		m.mprev = it.prev
		m.lastTerminal = termID
	}
	if f != nil {
		m.failed++
		if !m.tol.allows(m.failed, len(m.inputs)) && m.firstF == nil {
			m.firstF = f
			m.cancel()
		}
		return
	}
	m.outs[i] = out
}

// mapRunLabel is the label in a distributed Map's map-run ARN
// (arn:…:mapRun:<machine>/<label>:<id>): the state's Label, or without
// one a generated identifier, as AWS generates one.
func (s *state) mapRunLabel() string {
	if s.label != "" {
		return s.label
	}
	return strings.ReplaceAll(newUUID(), "-", "")[:8]
}

// toIntOrString reads an integer that the *Path fields of a Map state
// select: AWS accepts a number or a string holding one ("5").
func toIntOrString(v any) (int64, bool) {
	if str, ok := v.(string); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(str), 10, 64)
		return n, err == nil
	}
	return toInt(v)
}

// toFloatOrString is toIntOrString for ToleratedFailurePercentagePath.
func toFloatOrString(v any) (float64, bool) {
	if str, ok := v.(string); ok {
		n, err := strconv.ParseFloat(strings.TrimSpace(str), 64)
		return n, err == nil && !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	return toFloat(v)
}
