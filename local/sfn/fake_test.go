package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"thumbflow/local/asl"
)

// fakeProgram is a stand-in interpreter with the contract's behaviour:
// steps "invoke:<fn>", "wait:<seconds>" and "fail:<error>", events with
// checkpoints, Abort handling, and silent interruption on shutdown.
type fakeProgram struct{ steps []string }

func parseFake(def []byte) (program, error) {
	var d struct{ Steps []string }
	if err := json.Unmarshal(def, &d); err != nil {
		return nil, fmt.Errorf("definition is not JSON: %w", err)
	}
	if len(d.Steps) == 0 {
		return nil, errors.New("SCHEMA_VALIDATION_FAILED: no steps")
	}
	return &fakeProgram{steps: d.Steps}, nil
}

type fakeCP struct {
	Step     int             `json:"step"`
	ID       int64           `json:"id"`
	Data     json.RawMessage `json:"data"`
	Deadline time.Time       `json:"deadline,omitzero"`
}

type fakeRun struct {
	ctx  context.Context
	opts asl.Options
	id   int64
}

var errInterrupted = errors.New("interrupted")

func (r *fakeRun) rec(typ string, details map[string]any, cp *fakeCP) error {
	r.id++
	ev := asl.Event{ID: r.id, PreviousEventID: r.id - 1, Type: typ, Timestamp: r.opts.Clock.Now(), Details: details}
	if details != nil {
		ev.DetailsField = "details"
	}
	var raw asl.Checkpoint
	if cp != nil {
		cp.ID = r.id
		raw, _ = json.Marshal(cp)
	}
	if err := r.opts.Record(ev, raw); err != nil {
		return errInterrupted
	}
	return nil
}

func (p *fakeProgram) Run(ctx context.Context, exec asl.Execution, opts asl.Options) asl.Result {
	r := &fakeRun{ctx: ctx, opts: opts}
	if err := r.rec("ExecutionStarted", map[string]any{"input": string(exec.Input)}, &fakeCP{Data: exec.Input}); err != nil {
		return asl.Result{}
	}
	return p.from(r, fakeCP{Data: exec.Input})
}

func (p *fakeProgram) Resume(ctx context.Context, exec asl.Execution, from asl.Checkpoint, opts asl.Options) asl.Result {
	var cp fakeCP
	if err := json.Unmarshal(from, &cp); err != nil {
		return asl.Result{Status: asl.StatusFailed, Error: "States.Runtime", Cause: err.Error()}
	}
	return p.from(&fakeRun{ctx: ctx, opts: opts, id: cp.ID}, cp)
}

func (p *fakeProgram) Redrive(ctx context.Context, exec asl.Execution, from asl.Checkpoint, opts asl.Options) asl.Result {
	var cp fakeCP
	if err := json.Unmarshal(from, &cp); err != nil {
		return asl.Result{Status: asl.StatusFailed, Error: "States.Runtime", Cause: err.Error()}
	}
	r := &fakeRun{ctx: ctx, opts: opts, id: opts.LastEventID}
	next := cp
	if r.rec("ExecutionRedriven", map[string]any{"redriveCount": exec.RedriveCount}, &next) != nil {
		return asl.Result{}
	}
	cp.Deadline = time.Time{}
	return p.from(r, cp)
}

func (p *fakeProgram) stopped(r *fakeRun) asl.Result {
	var abort *asl.Abort
	if errors.As(context.Cause(r.ctx), &abort) {
		if r.rec("ExecutionAborted", map[string]any{"error": abort.Name, "cause": abort.Cause}, nil) != nil {
			return asl.Result{}
		}
		return asl.Result{Status: asl.StatusAborted, Error: abort.Name, Cause: abort.Cause}
	}
	return asl.Result{}
}

func (p *fakeProgram) from(r *fakeRun, cp fakeCP) asl.Result {
	data := cp.Data
	for i := cp.Step; i < len(p.steps); i++ {
		kind, arg, _ := strings.Cut(p.steps[i], ":")
		switch kind {
		case "invoke":
			if r.rec("TaskStateEntered", map[string]any{"name": p.steps[i]}, nil) != nil ||
				r.rec("LambdaFunctionScheduled", map[string]any{"resource": arg}, nil) != nil {
				return asl.Result{}
			}
			out, err := r.opts.Invoker.Invoke(r.ctx, arg, data)
			if r.ctx.Err() != nil {
				return p.stopped(r)
			}
			if err != nil {
				if r.rec("LambdaFunctionFailed", map[string]any{"error": err.Error()}, nil) != nil ||
					r.rec("ExecutionFailed", map[string]any{"error": "Failed"}, nil) != nil {
					return asl.Result{}
				}
				return asl.Result{Status: asl.StatusFailed, Error: "Failed", Cause: err.Error()}
			}
			data = out
			if r.rec("TaskStateExited", map[string]any{"output": string(out)}, &fakeCP{Step: i + 1, Data: out}) != nil {
				return asl.Result{}
			}
		case "wait":
			deadline := cp.Deadline
			if i != cp.Step || deadline.IsZero() {
				secs, _ := strconv.Atoi(arg)
				deadline = r.opts.Clock.Now().Add(time.Duration(secs) * time.Second)
				if r.rec("WaitStateEntered", nil, &fakeCP{Step: i, Data: data, Deadline: deadline}) != nil {
					return asl.Result{}
				}
			}
			if err := r.opts.Clock.Sleep(r.ctx, deadline.Sub(r.opts.Clock.Now())); err != nil {
				return p.stopped(r)
			}
			if r.rec("WaitStateExited", nil, &fakeCP{Step: i + 1, Data: data}) != nil {
				return asl.Result{}
			}
		case "fail":
			if r.rec("ExecutionFailed", map[string]any{"error": arg}, nil) != nil {
				return asl.Result{}
			}
			return asl.Result{Status: asl.StatusFailed, Error: arg, Cause: "fail step"}
		}
	}
	if r.rec("ExecutionSucceeded", map[string]any{"output": string(data)}, nil) != nil {
		return asl.Result{}
	}
	return asl.Result{Status: asl.StatusSucceeded, Output: data}
}

// manualClock only moves when a test advances it.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
	ch  chan struct{} // closed and replaced on every Advance
	// sleepers counts the Sleeps under way by deadline, so a test can wait
	// until something sleeps until a given time rather than sleep itself.
	sleepers map[time.Time]int
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ch: make(chan struct{}), sleepers: map[time.Time]int{}}
}

// sleepingUntil is the number of Sleeps under way that end at deadline.
func (c *manualClock) sleepingUntil(deadline time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sleepers[deadline]
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	close(c.ch)
	c.ch = make(chan struct{})
	c.mu.Unlock()
}

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	deadline := c.now.Add(d)
	c.sleepers[deadline]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.sleepers[deadline]--
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		now, ch := c.now, c.ch
		c.mu.Unlock()
		if !now.Before(deadline) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
