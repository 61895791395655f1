package asl

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ohler55/ojg/oj"
)

// Redrive re-runs an execution that ended FAILED, TIMED_OUT or ABORTED
// from the state that did not succeed, as RedriveExecution does: it
// records ExecutionRedriven (with exec.RedriveCount) after the execution's
// last event, then enters that state again, with a new *StateEntered
// event and fresh retry counts. from is the last checkpoint recorded
// before the execution ended, and opts.LastEventID the id of its terminal
// event.
//
// A Parallel or Map state runs again as a whole: AWS re-runs only the
// branches or iterations that did not succeed.
func (m *Machine) Redrive(ctx context.Context, exec Execution, from Checkpoint, opts Options) Result {
	var c cp
	if err := json.Unmarshal(from, &c); err != nil {
		return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot redrive: bad checkpoint: %v", err)}
	}
	r := newRunner(m, exec, opts)
	r.lastID = max(c.LastID, opts.LastEventID)
	t := &thread{r: r, prev: r.lastID, vars: &vars{m: c.Vars}, top: true}
	if t.vars.m == nil {
		t.vars.m = map[string]any{}
	}
	state, input := c.State, c.Input
	if c.Done {
		state = ""
	}
	if _, ok := m.root.states[state]; !ok && !c.Done {
		return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot redrive: the state %q is not in this state machine", state)}
	}
	// Resuming after ExecutionRedriven enters the state afresh.
	next := &cp{State: state, Input: input, Done: c.Done, Output: c.Output}
	if _, err := t.emit("ExecutionRedriven", map[string]any{"redriveCount": int64(exec.RedriveCount)}, next); err != nil {
		return Result{}
	}
	if c.Done {
		out, err := oj.Parse(c.Output)
		if err != nil {
			return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot redrive: bad checkpoint output: %v", err)}
		}
		return r.finish(ctx, t, out, nil, nil)
	}
	var in any = map[string]any{}
	if len(input) > 0 {
		v, err := oj.Parse(input)
		if err != nil {
			return Result{Status: StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("cannot redrive: bad checkpoint input: %v", err)}
		}
		in = v
	}
	return r.execute(ctx, t, state, in, nil)
}
