package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ohler55/ojg/oj"

	"thumbflow/local/clock"
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

// errTimedOut is the cause with which execute cancels a run when the state
// machine's TimeoutSeconds has passed; finish then records ExecutionTimedOut.
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
	// branch is set on a Parallel branch's thread: a Task whose failure
	// ends the branch is then recorded as aborted, as AWS does.
	branch bool
	// inspect and mock are set by TestState on the tested state's thread.
	inspect *Inspection
	mock    *Mock
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
		opts.Clock = clock.System{}
	}
	if exec.StartTime.IsZero() {
		exec.StartTime = opts.Clock.Now()
	}
	if len(exec.Input) == 0 {
		exec.Input = json.RawMessage("{}")
	}
	if opts.Tokens == nil {
		opts.Tokens = NewTaskTokens()
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
		"RedriveCount": int64(exec.RedriveCount),
	}
	r.smCtx = map[string]any{"Id": exec.StateMachineARN, "Name": exec.StateMachineName}
	return r
}

// errorDetails are the details of an event that ends an execution with an
// error: AWS leaves out an empty error or cause.
func errorDetails(name, cause string) map[string]any {
	d := map[string]any{}
	if name != "" {
		d["error"] = name
	}
	if cause != "" {
		d["cause"] = cause
	}
	return d
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func truncated() map[string]any { return map[string]any{"truncated": false} }

func (r *runner) execute(ctx context.Context, t *thread, start string, input any, rp *resumePoint) Result {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if r.m.timeoutSeconds > 0 {
		from := r.exec.StartTime
		if !r.exec.RedriveTime.IsZero() {
			from = r.exec.RedriveTime
		}
		deadline := from.Add(time.Duration(r.m.timeoutSeconds) * time.Second)
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
			if _, err := t.emitForce("ExecutionAborted", errorDetails(ab.Name, ab.Cause), nil); err != nil {
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
		if _, err := t.emit("ExecutionFailed", errorDetails(f.Error, f.Cause), nil); err != nil {
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
