package asl

import (
	"context"
	"math/rand/v2"
	"time"
)

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
			res, assigned, fl := sr.caught(ct, input, f)
			if fl != nil {
				return nil, "", fl, nil
			}
			return sr.exit(res, ct.next, assigned)
		}
		if sr.t.branch && sr.s.typ == "Task" {
			// The failure ends the branch, and the Parallel aborts its
			// branches' running states, this one among them.
			if _, err := sr.t.emit("TaskStateAborted", nil, nil); err != nil {
				return nil, "", nil, err
			}
		}
		return nil, "", f, nil
	}
}

// caught is the output and the assignments of catcher ct for failure f:
// the error output {Error, Cause} placed by ResultPath (JSONPath) or
// made by Output from $states.errorOutput (JSONata).
func (sr *stateRun) caught(ct *catcher, input any, f *failure) (any, map[string]any, *failure) {
	errOut := map[string]any{"Error": f.Error, "Cause": f.Cause}
	if sr.s.jsonata {
		return sr.joutputAssign(ct.joutput, ct.jassign, jdata{input: input, errorOutput: errOut, hasError: true}, errOut)
	}
	res, err := applyResultPath(ct.resultPath, input, errOut)
	if err != nil {
		return nil, nil, sr.runtime("%s", err.Error())
	}
	assigned, fl := sr.assignFrom(ct.assign, errOut)
	if fl != nil {
		return nil, nil, fl
	}
	return res, assigned, nil
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
	if sr.s.jsonata {
		return sr.jbody(ctx, input)
	}
	eff, f := sr.applyInput(input)
	if f != nil {
		return bodyOut{}, f, nil
	}
	var result any
	var err error
	switch {
	case sr.t.mock != nil:
		result, f = sr.mocked(eff)
	case sr.s.typ == "Task":
		result, f, err = sr.task(ctx, eff)
	case sr.s.typ == "Parallel":
		result, f, err = sr.parallel(ctx, eff)
	case sr.s.typ == "Map":
		result, f, err = sr.mapState(ctx, eff)
	}
	if err != nil || f != nil {
		return bodyOut{}, f, err
	}
	sr.t.note(func(i *Inspection) *string { return &i.Result }, result)
	if sr.s.resultSelector != nil {
		if result, f = sr.evalTmpl(sr.s.resultSelector, result); f != nil {
			return bodyOut{}, f, nil
		}
		sr.t.note(func(i *Inspection) *string { return &i.AfterResultSelector }, result)
	}
	assigned, f := sr.assignFrom(sr.s.assign, result)
	if f != nil {
		return bodyOut{}, f, nil
	}
	out, rerr := applyResultPath(sr.s.resultPath, input, result)
	if rerr != nil {
		return bodyOut{}, sr.runtime("%s", rerr.Error()), nil
	}
	sr.t.note(func(i *Inspection) *string { return &i.AfterResultPath }, out)
	if out, f = sr.applyOutput(out); f != nil {
		return bodyOut{}, f, nil
	}
	return bodyOut{v: out, assigned: assigned}, nil, nil
}

// mocked is TestState's stand-in for a Task, Parallel or Map body: its
// Parameters are still evaluated (and inspected), then the mock answers.
func (sr *stateRun) mocked(eff any) (any, *failure) {
	if sr.s.jsonata {
		if _, f := sr.jarguments(eff); f != nil {
			return nil, f
		}
		return sr.t.mock.outcome()
	}
	if sr.s.parameters != nil {
		p, f := sr.evalTmpl(sr.s.parameters, eff)
		if f != nil {
			return nil, f
		}
		sr.t.note(func(i *Inspection) *string { return &i.AfterParameters }, p)
	}
	return sr.t.mock.outcome()
}
