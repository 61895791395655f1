package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// stateRun is one state's execution context.
type stateRun struct {
	t *thread
	s *state
	// ctx is the run's context, which bounds JSONata evaluations too.
	ctx       context.Context
	enteredID int64
	// enteredPrev is the previousEventId of the state's entry, which
	// AWS gives EvaluationFailed too.
	enteredPrev int64
	enteredAt   time.Time
	retries     int64
	mapCtx      map[string]any
	// taskToken is $$.Task.Token while a .waitForTaskToken task runs.
	taskToken string
	// tail is set when a lambda:invoke asks for LogType Tail; log is
	// then the invocation's log.
	tail bool
	log  string
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
	if sr.taskToken != "" {
		c["Task"] = map[string]any{"Token": sr.taskToken}
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
	sr := &stateRun{t: t, s: s, ctx: ctx}
	if rp != nil {
		sr.enteredID, sr.enteredAt = rp.enteredID, rp.enteredAt
	} else {
		sr.enteredAt = t.r.clock.Now()
		c := &cp{State: s.name, Input: json.RawMessage(jsonText(input)), Entered: true, EnteredAt: sr.enteredAt}
		sr.enteredPrev = t.prev
		if s.typ == "Wait" && s.jsonata {
			// The deadline is fixed at entry so a resumed Wait keeps it.
			// A JSONata Wait records a failure after its entry
			// (EvaluationFailed), so here it is only tried quietly; when
			// it fails, runJSONata evaluates it again after entry.
			if d, ok := sr.quietWaitDeadline(input); ok {
				c.Deadline = d
				rp = &resumePoint{deadline: d}
			}
		}
		if s.typ == "Wait" && !s.jsonata {
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
	if s.jsonata && s.typ != "Task" && s.typ != "Parallel" && s.typ != "Map" {
		return sr.runJSONata(ctx, input, rp)
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
