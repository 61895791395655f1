package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ohler55/ojg/oj"
)

// maxPayload is Step Functions' 256 KiB limit on state input and output.
const maxPayload = 256 * 1024

// failure is an error raised inside the state machine, as ErrorEquals sees
// it. Runtime failures (States.Runtime) end the execution: no Retry or
// Catch applies to them, as on AWS.
type failure struct {
	Error   string
	Cause   string
	runtime bool
}

// errInterrupted marks a run stopped without a terminal event.
var errTimedOut = errors.New("execution timed out")

type runner struct {
	m      *Machine
	exec   Execution
	opts   Options
	clock  Clock
	region string

	mu     sync.Mutex
	lastID int64
	cur    *cp // the latest top-level resume point

	execCtx map[string]any
	smCtx   map[string]any
}

type thread struct {
	r      *runner
	prev   int64
	vars   *vars
	top    bool
	silent bool
}

// cp is the Checkpoint format: where to continue an interrupted execution.
type cp struct {
	LastID    int64           `json:"lastId"`
	Prev      int64           `json:"prev"`
	State     string          `json:"state,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	Entered   bool            `json:"entered,omitempty"`
	EnteredID int64           `json:"enteredId,omitempty"`
	EnteredAt time.Time       `json:"enteredAt,omitzero"`
	Deadline  time.Time       `json:"deadline,omitzero"`
	Vars      map[string]any  `json:"vars,omitempty"`
	Done      bool            `json:"done,omitempty"`
	Output    json.RawMessage `json:"output,omitempty"`
}

// resumePoint is a decoded checkpoint for the state being re-entered.
type resumePoint struct {
	enteredID int64
	enteredAt time.Time
	deadline  time.Time
}

// Run starts an execution and blocks until it ends or ctx is cancelled.
func (m *Machine) Run(ctx context.Context, exec Execution, opts Options) Result {
	r := newRunner(m, exec, opts)
	input, err := oj.Parse(exec.Input)
	if len(exec.Input) == 0 {
		input, err = map[string]any{}, nil
	}
	if err != nil {
		return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("the execution input is not valid JSON: %v", err)}
	}
	t := &thread{r: r, vars: &vars{m: map[string]any{}}, top: true}
	c := &cp{State: m.root.startAt, Input: exec.Input}
	// AWS gives the first state's entry previousEventId 0, not 1.
	if _, err := t.emitPrev("ExecutionStarted", 0, map[string]any{
		"input": string(exec.Input), "inputDetails": truncated(), "roleArn": exec.RoleARN,
	}, c, false); err != nil {
		return Result{}
	}
	if len(exec.Input) > maxPayload {
		f := &failure{Error: "States.DataLimitExceeded", Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", m.root.startAt)}
		return r.finish(ctx, t, nil, f, nil)
	}
	return r.execute(ctx, t, m.root.startAt, input, nil)
}

// Resume continues an execution from a checkpoint that Record received.
// Events continue after the checkpoint's event; a Wait keeps its deadline
// and a Task that was in flight runs again. A checkpoint inside a Parallel
// or Map is never given: those resume from the enclosing state's entry.
func (m *Machine) Resume(ctx context.Context, exec Execution, from Checkpoint, opts Options) Result {
	var c cp
	if err := json.Unmarshal(from, &c); err != nil {
		return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot resume: bad checkpoint: %v", err)}
	}
	r := newRunner(m, exec, opts)
	r.lastID = max(c.LastID, opts.LastEventID)
	t := &thread{r: r, prev: c.Prev, vars: &vars{m: c.Vars}, top: true}
	if t.vars.m == nil {
		t.vars.m = map[string]any{}
	}
	if c.Done {
		out, err := oj.Parse(c.Output)
		if err != nil {
			return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot resume: bad checkpoint output: %v", err)}
		}
		return r.finish(ctx, t, out, nil, nil)
	}
	var input any = map[string]any{}
	if len(c.Input) > 0 {
		v, err := oj.Parse(c.Input)
		if err != nil {
			return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot resume: bad checkpoint input: %v", err)}
		}
		input = v
	}
	if _, ok := m.root.states[c.State]; !ok {
		return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot resume: the state %q is not in this state machine", c.State)}
	}
	var rp *resumePoint
	if c.Entered {
		rp = &resumePoint{enteredID: c.EnteredID, enteredAt: c.EnteredAt, deadline: c.Deadline}
	}
	return r.execute(ctx, t, c.State, input, rp)
}

func newRunner(m *Machine, exec Execution, opts Options) *runner {
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if exec.StartTime.IsZero() {
		exec.StartTime = opts.Clock.Now()
	}
	if len(exec.Input) == 0 {
		exec.Input = json.RawMessage("{}")
	}
	r := &runner{m: m, exec: exec, opts: opts, clock: opts.Clock}
	if parts := strings.Split(exec.ARN, ":"); len(parts) > 3 {
		r.region = parts[3]
	}
	in, _ := oj.Parse(exec.Input)
	r.execCtx = map[string]any{
		"Id":           exec.ARN,
		"Input":        in,
		"Name":         exec.Name,
		"RoleArn":      exec.RoleARN,
		"StartTime":    isoTime(exec.StartTime),
		"RedriveCount": int64(0),
	}
	r.smCtx = map[string]any{"Id": exec.StateMachineARN, "Name": exec.StateMachineName}
	return r
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func truncated() map[string]any { return map[string]any{"truncated": false} }

func (r *runner) execute(ctx context.Context, t *thread, start string, input any, rp *resumePoint) Result {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if r.m.timeoutSeconds > 0 {
		deadline := r.exec.StartTime.Add(time.Duration(r.m.timeoutSeconds) * time.Second)
		go func() {
			if r.clock.Sleep(runCtx, deadline.Sub(r.clock.Now())) == nil {
				cancel(errTimedOut)
			}
		}()
	}
	out, f, err := t.runGraph(runCtx, r.m.root, start, input, rp)
	return r.finish(runCtx, t, out, f, err)
}

func (r *runner) finish(ctx context.Context, t *thread, out any, f *failure, err error) Result {
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		cause := context.Cause(ctx)
		var ab *Abort
		switch {
		case errors.As(cause, &ab):
			d := map[string]any{}
			if ab.Name != "" {
				d["error"] = ab.Name
			}
			if ab.Cause != "" {
				d["cause"] = ab.Cause
			}
			if _, err := t.emitForce("ExecutionAborted", d, nil); err != nil {
				return Result{}
			}
			return Result{Status: StatusAborted, Error: ab.Name, Cause: ab.Cause}
		case errors.Is(cause, errTimedOut):
			if _, err := t.emitForce("ExecutionTimedOut", map[string]any{"error": "States.Timeout"}, nil); err != nil {
				return Result{}
			}
			return Result{Status: StatusTimedOut, Error: "States.Timeout"}
		}
		return Result{}
	}
	if f != nil {
		d := map[string]any{}
		if f.Error != "" {
			d["error"] = f.Error
		}
		if f.Cause != "" {
			d["cause"] = f.Cause
		}
		if _, err := t.emit("ExecutionFailed", d, nil); err != nil {
			return Result{}
		}
		return Result{Status: StatusFailed, Error: f.Error, Cause: f.Cause}
	}
	text := jsonText(out)
	if _, err := t.emit("ExecutionSucceeded", map[string]any{"output": text, "outputDetails": truncated()}, nil); err != nil {
		return Result{}
	}
	return Result{Status: StatusSucceeded, Output: json.RawMessage(text)}
}

// emit records an event in this thread and makes it the thread's latest.
func (t *thread) emit(typ string, details map[string]any, c *cp) (int64, error) {
	return t.emitPrev(typ, t.prev, details, c, true)
}

// emitForce records even when the context is done (terminal events).
func (t *thread) emitForce(typ string, details map[string]any, c *cp) (int64, error) {
	return t.emit(typ, details, c)
}

func (t *thread) emitPrev(typ string, prev int64, details map[string]any, c *cp, advance bool) (int64, error) {
	if t.silent {
		return 0, nil
	}
	r := t.r
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastID++
	ev := Event{
		ID:              r.lastID,
		PreviousEventID: prev,
		Type:            typ,
		Timestamp:       r.clock.Now(),
		Details:         details,
	}
	if details != nil {
		ev.DetailsField = detailsField(typ)
	}
	if advance {
		t.prev = ev.ID
	}
	if r.opts.Record != nil {
		// Every event but the terminal ones carries a checkpoint, so the
		// last checkpoint a caller persisted is always that of its last
		// persisted event and resumed ids never repeat. Events inside a
		// state (task progress, branch and iteration events) resume by
		// re-running that top-level state.
		var use *cp
		switch {
		case c != nil && t.top:
			c.LastID = ev.ID
			c.Prev = t.prev
			if c.Vars == nil && len(t.vars.m) > 0 {
				c.Vars = t.vars.m
			}
			r.cur = c
			use = c
		case r.cur != nil && !terminalEvent(typ):
			cc := *r.cur
			cc.LastID = ev.ID
			use = &cc
		}
		var raw Checkpoint
		if use != nil {
			b, err := json.Marshal(use)
			if err != nil {
				return 0, fmt.Errorf("checkpoint: %w", err)
			}
			raw = b
		}
		if err := r.opts.Record(ev, raw); err != nil {
			return 0, err
		}
	}
	return ev.ID, nil
}

func terminalEvent(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut":
		return true
	}
	return false
}

func (t *thread) lastID() int64 {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	return t.r.lastID
}

func (t *thread) runGraph(ctx context.Context, g *graph, name string, input any, rp *resumePoint) (any, *failure, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		s := g.states[name]
		out, next, f, err := t.runState(ctx, s, input, rp)
		rp = nil
		if err != nil || f != nil {
			return nil, f, err
		}
		if next == "" {
			return out, nil, nil
		}
		name, input = next, out
	}
}

// stateRun is one state's execution context.
type stateRun struct {
	t         *thread
	s         *state
	enteredID int64
	enteredAt time.Time
	retries   int64
	mapCtx    map[string]any
}

func (sr *stateRun) ctxObj() map[string]any {
	st := map[string]any{"Name": sr.s.name, "EnteredTime": isoTime(sr.enteredAt)}
	if sr.s.typ == "Task" || sr.s.typ == "Parallel" || sr.s.typ == "Map" {
		st["RetryCount"] = sr.retries
	}
	c := map[string]any{"Execution": sr.t.r.execCtx, "StateMachine": sr.t.r.smCtx, "State": st}
	if sr.mapCtx != nil {
		c["Map"] = sr.mapCtx
	}
	return c
}

func (sr *stateRun) scope(input any) scope {
	return scope{input: input, ctx: sr.ctxObj(), vars: sr.t.vars}
}

func (sr *stateRun) runtime(format string, a ...any) *failure {
	return &failure{
		Error:   "States.Runtime",
		Cause:   fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", sr.s.name, sr.enteredID) + fmt.Sprintf(format, a...),
		runtime: true,
	}
}

func (t *thread) runState(ctx context.Context, s *state, input any, rp *resumePoint) (out any, next string, f *failure, err error) {
	sr := &stateRun{t: t, s: s}
	if rp != nil {
		sr.enteredID, sr.enteredAt = rp.enteredID, rp.enteredAt
	} else {
		sr.enteredAt = t.r.clock.Now()
		c := &cp{State: s.name, Input: json.RawMessage(jsonText(input)), Entered: true, EnteredAt: sr.enteredAt}
		if s.typ == "Wait" {
			// The deadline is fixed at entry so a resumed Wait keeps it.
			d, f := sr.waitDeadline(input)
			if f != nil {
				// Record entry, then fail.
				id, err := t.emit(s.typ+"StateEntered", enteredDetails(s, input), c)
				if err != nil {
					return nil, "", nil, err
				}
				sr.enteredID = id
				f.Cause = strings.Replace(f.Cause, "#0)", fmt.Sprintf("#%d)", id), 1)
				return nil, "", f, nil
			}
			c.Deadline = d
			rp = &resumePoint{deadline: d}
		}
		c.EnteredID = t.r.lastIDNext()
		id, err := t.emit(s.typ+"StateEntered", enteredDetails(s, input), c)
		if err != nil {
			return nil, "", nil, err
		}
		sr.enteredID = id
	}
	switch s.typ {
	case "Pass":
		return sr.pass(input)
	case "Succeed":
		return sr.succeed(input)
	case "Fail":
		return nil, "", sr.fail(input), nil
	case "Choice":
		return sr.choice(input)
	case "Wait":
		var deadline time.Time
		if rp != nil {
			deadline = rp.deadline
		}
		return sr.wait(ctx, input, deadline)
	case "Task", "Parallel", "Map":
		return sr.withRetry(ctx, input)
	}
	return nil, "", sr.runtime("unsupported state type %s", s.typ), nil
}

func (r *runner) lastIDNext() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastID + 1
}

func enteredDetails(s *state, input any) map[string]any {
	return map[string]any{"name": s.name, "input": jsonText(input), "inputDetails": truncated()}
}

// exit records XStateExited and returns the transition.
func (sr *stateRun) exit(output any, next string, assigned map[string]any) (any, string, *failure, error) {
	text := jsonText(output)
	if len(text) > maxPayload {
		return nil, "", &failure{Error: "States.DataLimitExceeded", Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", sr.s.name)}, nil
	}
	d := map[string]any{"name": sr.s.name, "output": text, "outputDetails": truncated()}
	if len(assigned) > 0 {
		av := make(map[string]any, len(assigned))
		for k, v := range assigned {
			av[k] = jsonText(v)
		}
		d["assignedVariables"] = av
		d["assignedVariablesDetails"] = truncated()
	}
	var c *cp
	if next != "" {
		c = &cp{State: next, Input: json.RawMessage(text)}
	} else {
		c = &cp{Done: true, Output: json.RawMessage(text)}
	}
	for k, v := range assigned {
		sr.t.vars.set(k, v)
	}
	if _, err := sr.t.emit(sr.s.typ+"StateExited", d, c); err != nil {
		return nil, "", nil, err
	}
	return output, next, nil, nil
}

// applyInput applies InputPath.
func (sr *stateRun) applyInput(input any) (any, *failure) {
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

func (sr *stateRun) evalTmpl(t *tmpl, input any) (any, *failure) {
	return sr.evalTmplScope(t, sr.scope(input))
}

func (sr *stateRun) evalTmplScope(t *tmpl, sc scope) (any, *failure) {
	switch t.kind {
	case tLit:
		return deepCopy(t.lit), nil
	case tObj:
		m := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			v, fl := sr.evalTmplScope(f.t, sc)
			if fl != nil {
				return nil, fl
			}
			m[f.key] = v
		}
		return m, nil
	case tArr:
		a := make([]any, len(t.items))
		for i, it := range t.items {
			v, fl := sr.evalTmplScope(it, sc)
			if fl != nil {
				return nil, fl
			}
			a[i] = v
		}
		return a, nil
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

func (sr *stateRun) pass(input any) (any, string, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	result := eff
	if sr.s.parameters != nil {
		if result, f = sr.evalTmpl(sr.s.parameters, eff); f != nil {
			return nil, "", f, nil
		}
	}
	if sr.s.hasResult {
		result = deepCopy(sr.s.result)
	}
	assigned, f := sr.assignFrom(sr.s.assign, result)
	if f != nil {
		return nil, "", f, nil
	}
	out, err := applyResultPath(sr.s.resultPath, input, result)
	if err != nil {
		return nil, "", sr.runtime("%s", err.Error()), nil
	}
	if out, f = sr.applyOutput(out); f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, sr.s.next, assigned)
}

func (sr *stateRun) succeed(input any) (any, string, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	out, f := sr.applyOutput(eff)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, "", nil)
}

func (sr *stateRun) fail(input any) *failure {
	s := sr.s
	f := &failure{}
	if s.errorStr != nil {
		f.Error = *s.errorStr
	}
	if s.causeStr != nil {
		f.Cause = *s.causeStr
	}
	for _, x := range []struct {
		t   *tmpl
		dst *string
	}{{s.errorPath, &f.Error}, {s.causePath, &f.Cause}} {
		if x.t == nil {
			continue
		}
		v, fl := sr.evalTmpl(x.t, input)
		if fl != nil {
			return fl
		}
		str, ok := v.(string)
		if !ok {
			return sr.runtime("The %s field must reference a string, but '%s' is not a string", x.t.field, jsonText(v))
		}
		*x.dst = str
	}
	return f
}

func (sr *stateRun) choice(input any) (any, string, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	next := ""
	var assignT *tmpl
	for _, rule := range sr.s.choices {
		ok, err := rule.eval(sr.scope(eff))
		if err != nil {
			return nil, "", sr.runtime("%s", err.Error()), nil
		}
		if ok {
			next, assignT = rule.next, rule.assign
			break
		}
	}
	if next == "" {
		next = sr.s.defaultNext
	}
	if next == "" {
		return nil, "", &failure{Error: "States.NoChoiceMatched", Cause: fmt.Sprintf("No Choice Rules matched and no Default was specified in state '%s'", sr.s.name)}, nil
	}
	assigned, f := sr.assignFrom(sr.s.assign, eff)
	if f != nil {
		return nil, "", f, nil
	}
	if assignT != nil {
		more, f := sr.assignFrom(assignT, eff)
		if f != nil {
			return nil, "", f, nil
		}
		if assigned == nil {
			assigned = map[string]any{}
		}
		for k, v := range more {
			assigned[k] = v
		}
	}
	out, f := sr.applyOutput(eff)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, next, assigned)
}

func (sr *stateRun) waitDeadline(input any) (time.Time, *failure) {
	s := sr.s
	now := sr.t.r.clock.Now()
	eff, f := sr.applyInput(input)
	if f != nil {
		return time.Time{}, f
	}
	sc := sr.scope(eff)
	switch {
	case s.seconds != nil:
		return now.Add(time.Duration(*s.seconds) * time.Second), nil
	case s.timestamp != "":
		ts, _ := parseTimestamp(s.timestamp)
		return ts, nil
	case s.secondsPath != nil:
		v, ok := s.secondsPath.get(sc)
		if !ok {
			return time.Time{}, sr.runtime("%s", s.secondsPath.notFound(sc))
		}
		n, ok := toInt(v)
		if !ok || n < 0 {
			return time.Time{}, sr.runtime("The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.secondsPath.src, plain(v))
		}
		return now.Add(time.Duration(n) * time.Second), nil
	case s.timestampPath != nil:
		v, ok := s.timestampPath.get(sc)
		if !ok {
			return time.Time{}, sr.runtime("%s", s.timestampPath.notFound(sc))
		}
		str, _ := v.(string)
		ts, err := parseTimestamp(str)
		if err != nil {
			return time.Time{}, sr.runtime("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.timestampPath.src, plain(v))
		}
		return ts, nil
	}
	return now, nil
}

// plain renders a value as Java's toString would in AWS error messages.
func plain(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonText(v)
}

func (sr *stateRun) wait(ctx context.Context, input any, deadline time.Time) (any, string, *failure, error) {
	if deadline.IsZero() {
		d, f := sr.waitDeadline(input)
		if f != nil {
			return nil, "", f, nil
		}
		deadline = d
	}
	if d := deadline.Sub(sr.t.r.clock.Now()); d > 0 {
		if err := sr.t.r.clock.Sleep(ctx, d); err != nil {
			return nil, "", nil, err
		}
	}
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	assigned, f := sr.assignFrom(sr.s.assign, eff)
	if f != nil {
		return nil, "", f, nil
	}
	out, f := sr.applyOutput(eff)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, sr.s.next, assigned)
}

// matches reports whether a retrier's or catcher's ErrorEquals covers f.
func matches(list []string, f *failure) bool {
	for _, e := range list {
		switch {
		case e == f.Error:
			return true
		case e == "States.ALL":
			return !f.runtime
		case e == "States.TaskFailed":
			// AWS: a wildcard for every known error except States.Timeout.
			if f.Error != "States.Timeout" && !f.runtime {
				return true
			}
		}
	}
	return false
}

// withRetry runs a Task, Parallel or Map body under its Retry and Catch.
func (sr *stateRun) withRetry(ctx context.Context, input any) (any, string, *failure, error) {
	counts := make([]int64, len(sr.s.retry))
	delays := make([]float64, len(sr.s.retry))
	for {
		out, f, err := sr.body(ctx, input)
		if err != nil {
			return nil, "", nil, err
		}
		if f == nil {
			return out.v, sr.s.next, nil, out.flush(sr)
		}
		if f.runtime {
			return nil, "", f, nil
		}
		retried := false
		for i, rt := range sr.s.retry {
			if !matches(rt.errorEquals, f) {
				continue
			}
			if counts[i] >= rt.maxAttempts {
				break
			}
			if counts[i] == 0 {
				delays[i] = rt.interval
			} else {
				delays[i] *= rt.backoff
			}
			counts[i]++
			d := delays[i]
			if rt.hasMaxDelay && d > rt.maxDelay {
				d = rt.maxDelay
			}
			if rt.jitterFull {
				d = rand.Float64() * d
			}
			if err := sr.t.r.clock.Sleep(ctx, time.Duration(d*float64(time.Second))); err != nil {
				return nil, "", nil, err
			}
			sr.retries++
			retried = true
			break
		}
		if retried {
			continue
		}
		if sr.s.typ == "Parallel" || sr.s.typ == "Map" {
			if _, err := sr.t.emit(sr.s.typ+"StateFailed", nil, nil); err != nil {
				return nil, "", nil, err
			}
		}
		for _, ct := range sr.s.catch {
			if !matches(ct.errorEquals, f) {
				continue
			}
			errOut := map[string]any{"Error": f.Error, "Cause": f.Cause}
			res, err := applyResultPath(ct.resultPath, input, errOut)
			if err != nil {
				return nil, "", sr.runtime("%s", err.Error()), nil
			}
			assigned, fl := sr.assignFrom(ct.assign, errOut)
			if fl != nil {
				return nil, "", fl, nil
			}
			return sr.exit(res, ct.next, assigned)
		}
		return nil, "", f, nil
	}
}

// bodyOut is a successful body result; flush records the exit.
type bodyOut struct {
	v        any
	assigned map[string]any
}

func (b bodyOut) flush(sr *stateRun) error {
	_, _, _, err := sr.exit(b.v, sr.s.next, b.assigned)
	return err
}

func (sr *stateRun) body(ctx context.Context, input any) (bodyOut, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return bodyOut{}, f, nil
	}
	var result any
	var err error
	switch sr.s.typ {
	case "Task":
		result, f, err = sr.task(ctx, eff)
	case "Parallel":
		result, f, err = sr.parallel(ctx, eff)
	case "Map":
		result, f, err = sr.mapState(ctx, eff)
	}
	if err != nil || f != nil {
		return bodyOut{}, f, err
	}
	if sr.s.resultSelector != nil {
		if result, f = sr.evalTmpl(sr.s.resultSelector, result); f != nil {
			return bodyOut{}, f, nil
		}
	}
	assigned, f := sr.assignFrom(sr.s.assign, result)
	if f != nil {
		return bodyOut{}, f, nil
	}
	out, rerr := applyResultPath(sr.s.resultPath, input, result)
	if rerr != nil {
		return bodyOut{}, sr.runtime("%s", rerr.Error()), nil
	}
	if out, f = sr.applyOutput(out); f != nil {
		return bodyOut{}, f, nil
	}
	return bodyOut{v: out, assigned: assigned}, nil, nil
}

func secondsOr(n int64, p *path, sc scope) (int64, bool) {
	if p != nil {
		v, ok := p.get(sc)
		if !ok {
			return 0, false
		}
		x, ok := toInt(v)
		return x, ok
	}
	return n, true
}

// errTaskTimeout distinguishes a task's own timeout from interruption.
var errTaskTimeout = errors.New("task timed out")

func (sr *stateRun) task(ctx context.Context, eff any) (any, *failure, error) {
	s := sr.s
	t := sr.t
	payload := eff
	if s.parameters != nil {
		var f *failure
		if payload, f = sr.evalTmpl(s.parameters, eff); f != nil {
			return nil, f, nil
		}
	}
	timeout, ok := secondsOr(s.timeoutSeconds, s.timeoutPath, sr.scope(eff))
	if !ok {
		return nil, sr.runtime("The TimeoutSecondsPath field does not reference a positive integer"), nil
	}
	heartbeat, ok := secondsOr(s.heartbeatSeconds, s.heartbeatPath, sr.scope(eff))
	if !ok {
		return nil, sr.runtime("The HeartbeatSecondsPath field does not reference a positive integer"), nil
	}
	service := s.resource == "arn:aws:states:::lambda:invoke"
	var function string
	var body []byte
	if service {
		pm, _ := payload.(map[string]any)
		fn, _ := pm["FunctionName"].(string)
		function = fn
		d := map[string]any{"parameters": jsonText(payload), "region": t.r.region, "resource": "invoke", "resourceType": "lambda"}
		if timeout > 0 {
			d["timeoutInSeconds"] = timeout
		}
		if heartbeat > 0 {
			d["heartbeatInSeconds"] = heartbeat
		}
		if _, err := t.emit("TaskScheduled", d, nil); err != nil {
			return nil, nil, err
		}
		if fn == "" {
			f, err := sr.taskFailed(service, "States.Runtime", "The FunctionName parameter is required for arn:aws:states:::lambda:invoke")
			return nil, f, err
		}
		if p, ok := pm["Payload"]; ok && p != nil {
			body = []byte(jsonText(p))
			// A string Payload that is itself JSON text is sent as that
			// text, as the AWS integration does.
			if str, isStr := p.(string); isStr {
				if _, err := oj.ParseString(str); err == nil {
					body = []byte(str)
				}
			}
		} else {
			body = []byte("{}")
		}
		if _, err := t.emit("TaskStarted", map[string]any{"resource": "invoke", "resourceType": "lambda"}, nil); err != nil {
			return nil, nil, err
		}
	} else {
		function = s.resource
		body = []byte(jsonText(payload))
		d := map[string]any{"input": string(body), "inputDetails": truncated(), "resource": s.resource}
		if timeout > 0 {
			d["timeoutInSeconds"] = timeout
		}
		if heartbeat > 0 {
			d["heartbeatInSeconds"] = heartbeat
		}
		if _, err := t.emit("LambdaFunctionScheduled", d, nil); err != nil {
			return nil, nil, err
		}
		if _, err := t.emit("LambdaFunctionStarted", nil, nil); err != nil {
			return nil, nil, err
		}
	}
	limit, limitErr := timeout, "States.Timeout"
	if heartbeat > 0 && (limit == 0 || heartbeat < limit) {
		limit, limitErr = heartbeat, "States.HeartbeatTimeout"
	}
	res, err := sr.invoke(ctx, function, body, limit)
	if errors.Is(err, errTaskTimeout) {
		if service {
			_, err = t.emit("TaskTimedOut", map[string]any{"error": limitErr, "resource": "invoke", "resourceType": "lambda"}, nil)
		} else {
			_, err = t.emit("LambdaFunctionTimedOut", map[string]any{"error": limitErr}, nil)
		}
		if err != nil {
			return nil, nil, err
		}
		return nil, &failure{Error: limitErr}, nil
	}
	if err != nil && ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if err != nil {
		var fe *FunctionError
		var se *ServiceError
		switch {
		case errors.As(err, &fe):
			cause := string(fe.Payload)
			if service && cause != "" {
				// The lambda:invoke integration re-serialises the error
				// payload compactly, keeping its key order.
				var b bytes.Buffer
				if json.Compact(&b, fe.Payload) == nil {
					cause = b.String()
				}
			}
			if cause == "" {
				cause = jsonText(map[string]any{"errorMessage": fe.Message, "errorType": fe.Type})
			}
			f, err := sr.taskFailed(service, fe.Type, cause)
			return nil, f, err
		case errors.As(err, &se):
			f, err := sr.taskFailed(service, se.Name, se.Cause)
			return nil, f, err
		default:
			f, err := sr.taskFailed(service, "Lambda.Unknown", err.Error())
			return nil, f, err
		}
	}
	if len(res) > maxPayload {
		f, err := sr.taskFailed(service, "States.DataLimitExceeded", "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.")
		return nil, f, err
	}
	var val any
	if len(res) == 0 {
		val = nil
	} else if v, perr := oj.Parse(res); perr == nil {
		val = v
	} else {
		val = string(res)
	}
	var result any = val
	if service {
		result = map[string]any{
			"ExecutedVersion": "$LATEST",
			"Payload":         val,
			"StatusCode":      int64(200),
			"SdkHttpMetadata": map[string]any{
				"HttpStatusCode": int64(200),
				"HttpHeaders":    map[string]any{"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"},
				"AllHttpHeaders": map[string]any{"Content-Type": []any{"application/json"}, "X-Amz-Executed-Version": []any{"$LATEST"}},
			},
			"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
		}
		_, err = t.emit("TaskSucceeded", map[string]any{"output": jsonText(result), "outputDetails": truncated(), "resource": "invoke", "resourceType": "lambda"}, nil)
	} else {
		_, err = t.emit("LambdaFunctionSucceeded", map[string]any{"output": jsonText(result), "outputDetails": truncated()}, nil)
	}
	if err != nil {
		return nil, nil, err
	}
	return result, nil, nil
}

func (sr *stateRun) taskFailed(service bool, name, cause string) (*failure, error) {
	d := map[string]any{"error": name}
	if cause != "" {
		d["cause"] = cause
	}
	typ := "LambdaFunctionFailed"
	if service {
		typ = "TaskFailed"
		d["resource"], d["resourceType"] = "invoke", "lambda"
	}
	if _, err := sr.t.emit(typ, d, nil); err != nil {
		return nil, err
	}
	return &failure{Error: name, Cause: cause}, nil
}

func (sr *stateRun) invoke(ctx context.Context, function string, payload []byte, limit int64) ([]byte, error) {
	inv := sr.t.r.opts.Invoker
	if inv == nil {
		return nil, &ServiceError{Name: "Lambda.ResourceNotFoundException", Cause: "no Lambda invoker is configured"}
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: &ServiceError{Name: "Lambda.Unknown", Cause: fmt.Sprint(p)}}
			}
		}()
		b, err := inv.Invoke(ictx, function, payload)
		ch <- result{b, err}
	}()
	var timer chan error
	if limit > 0 {
		timer = make(chan error, 1)
		go func() { timer <- sr.t.r.clock.Sleep(ictx, time.Duration(limit)*time.Second) }()
	}
	select {
	case res := <-ch:
		return res.b, res.err
	case err := <-timer:
		if err == nil {
			return nil, errTaskTimeout
		}
		return nil, ctx.Err()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (sr *stateRun) parallel(ctx context.Context, eff any) (any, *failure, error) {
	in := eff
	if sr.s.parameters != nil {
		var f *failure
		if in, f = sr.evalTmpl(sr.s.parameters, eff); f != nil {
			return nil, f, nil
		}
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
			bt := &thread{r: sr.t.r, prev: startID, vars: &vars{parent: sr.t.vars, m: map[string]any{}}, silent: sr.t.silent}
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
