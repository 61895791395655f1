package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/ohler55/ojg/oj"

	"thumbflow/local/clock"
)

// StateTest is one TestState call: a state run once, in isolation, with
// what the API lets the caller set.
type StateTest struct {
	Input json.RawMessage
	// Variables are the workflow variables the state sees (a JSON object).
	Variables json.RawMessage
	// Context replaces members of the Context object ($$), for example
	// {"Execution":{"Name":"x"}}.
	Context json.RawMessage
	// Mock replaces the call of a Task, or the run of a Parallel or Map.
	Mock *Mock
	// RetrierRetryCount is how many retries the matching retrier has
	// already made (stateConfiguration.retrierRetryCount).
	RetrierRetryCount int
	Execution         Execution
	Options           Options
}

// Mock is TestState's mock: a result, or an error with its cause.
type Mock struct {
	Result json.RawMessage
	Failed bool
	Error  string
	Cause  string
}

// Test statuses, as TestState reports them.
const (
	TestSucceeded   = "SUCCEEDED"
	TestFailed      = "FAILED"
	TestRetriable   = "RETRIABLE"
	TestCaughtError = "CAUGHT_ERROR"
)

// StateTestResult is how the state ended and what it did with its data.
type StateTestResult struct {
	Status    string
	Output    json.RawMessage // SUCCEEDED and CAUGHT_ERROR
	Error     string
	Cause     string
	NextState string
	Inspection
}

// Inspection is TestState's inspectionData: the data after each step of
// the state's processing (JSON text; empty when the step did not run) and
// how Retry or Catch handled an error.
type Inspection struct {
	Input, AfterInputPath, AfterParameters, Result      string
	AfterResultSelector, AfterResultPath, Variables     string
	RetryIndex, RetryBackoffIntervalSeconds, CatchIndex *int
}

// ParseForTest parses what TestState accepts: a single state's definition,
// or with stateName a whole state machine of which that state is tested.
// It returns the machine to run the state in and the state's name.
func ParseForTest(definition []byte, stateName string) (*Machine, string, error) {
	if stateName != "" {
		m, err := Parse(definition)
		if err != nil {
			return nil, "", err
		}
		if _, ok := m.root.states[stateName]; !ok {
			return nil, "", &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("the state %q is not in the definition", stateName), Code: CodeSchema, Location: "/States"}}}
		}
		return m, stateName, nil
	}
	raw, err := oj.Parse(definition)
	if err != nil {
		return nil, "", &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("the definition is not valid JSON: %v", err), Code: CodeInvalidJSON}}}
	}
	st, ok := raw.(map[string]any)
	if !ok {
		return nil, "", &ValidationError{Problems: []Problem{{Message: "the state definition must be a JSON object", Code: CodeSchema, Location: "/"}}}
	}
	// The state's transitions go to stand-in states, so that the state
	// can be checked and run as the only real state of a machine.
	const name = "TestState"
	states := map[string]any{name: st}
	for _, target := range stateTargets(st) {
		if target != name {
			states[target] = map[string]any{"Type": "Succeed"}
		}
	}
	def, _ := json.Marshal(map[string]any{"StartAt": name, "States": states})
	m, err := Parse(def)
	if err != nil {
		return nil, "", err
	}
	return m, name, nil
}

// stateTargets lists the states a raw state definition transitions to.
func stateTargets(st map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	add(st["Next"])
	add(st["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := st[key].([]any)
		for _, item := range list {
			if o, ok := item.(map[string]any); ok {
				add(o["Next"])
			}
		}
	}
	return out
}

// TestState runs the named state once, as the TestState API does: Retry
// and Catch are not applied but reported (RETRIABLE with the retrier and
// its back-off, CAUGHT_ERROR with the catcher and the output it makes),
// no history is recorded and a Wait state does not wait.
func (m *Machine) TestState(ctx context.Context, name string, test StateTest) (StateTestResult, error) {
	s, ok := m.root.states[name]
	if !ok {
		return StateTestResult{}, fmt.Errorf("asl: no state %q", name)
	}
	if test.Mock != nil && s.typ != "Task" && s.typ != "Map" && s.typ != "Parallel" {
		return StateTestResult{}, fmt.Errorf("a mock can only be specified for Task, Map, or Parallel states, not %s", s.typ)
	}
	opts := test.Options
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if s.typ == "Wait" {
		opts.Clock = noWait{opts.Clock}
	}
	opts.Record = nil
	r := newRunner(m, test.Execution, opts)
	if err := r.overrideContext(test.Context); err != nil {
		return StateTestResult{}, err
	}
	input, err := parseJSONOr(test.Input, map[string]any{})
	if err != nil {
		return StateTestResult{}, fmt.Errorf("the input is not valid JSON: %w", err)
	}
	v, err := parseJSONOr(test.Variables, map[string]any{})
	vm, isObj := v.(map[string]any)
	if err != nil || !isObj {
		return StateTestResult{}, fmt.Errorf("the variables are not a JSON object")
	}
	ins := &Inspection{Input: jsonText(input)}
	t := &thread{r: r, vars: &vars{m: vm}, top: true, silent: true, inspect: ins, mock: test.Mock}
	var res StateTestResult
	switch s.typ {
	case "Task", "Parallel", "Map":
		res, err = t.testWithErrors(ctx, s, input, int64(test.RetrierRetryCount))
	default:
		out, next, f, runErr := t.runState(ctx, s, input, nil)
		err = runErr
		res = StateTestResult{Status: TestSucceeded, Output: json.RawMessage(jsonText(out)), NextState: next}
		if f != nil {
			res = StateTestResult{Status: TestFailed, Error: f.Error, Cause: f.Cause}
		}
	}
	if err != nil {
		return StateTestResult{}, err
	}
	// Steps a state does not have pass their data through unchanged.
	if ins.AfterParameters == "" && ins.Result != "" {
		ins.AfterParameters = ins.AfterInputPath
	}
	if ins.AfterResultSelector == "" && ins.Result != "" && s.typ != "Pass" {
		ins.AfterResultSelector = ins.Result
	}
	ins.Variables = jsonText(t.vars.m)
	res.Inspection = *ins
	return res, nil
}

// testWithErrors runs a Task, Parallel or Map body once and reports what
// its Retry and Catch would do with a failure.
func (t *thread) testWithErrors(ctx context.Context, s *state, input any, retried int64) (StateTestResult, error) {
	sr := &stateRun{t: t, s: s, ctx: ctx, enteredAt: t.r.clock.Now(), retries: retried}
	out, f, err := sr.body(ctx, input)
	if err != nil {
		return StateTestResult{}, err
	}
	if f == nil {
		for k, v := range out.assigned {
			t.vars.set(k, v)
		}
		return StateTestResult{Status: TestSucceeded, Output: json.RawMessage(jsonText(out.v)), NextState: s.next}, nil
	}
	failed := StateTestResult{Status: TestFailed, Error: f.Error, Cause: f.Cause}
	if f.runtime {
		return failed, nil
	}
	for i, rt := range s.retry {
		if !matches(rt.errorEquals, f) {
			continue
		}
		if retried < rt.maxAttempts {
			delay := rt.interval * math.Pow(rt.backoff, float64(retried))
			if rt.hasMaxDelay && delay > rt.maxDelay {
				delay = rt.maxDelay
			}
			idx, secs := i, int(math.Round(delay))
			t.inspect.RetryIndex, t.inspect.RetryBackoffIntervalSeconds = &idx, &secs
			failed.Status, failed.NextState = TestRetriable, s.name
			return failed, nil
		}
		break // exhausted: the catchers decide
	}
	for i, ct := range s.catch {
		if !matches(ct.errorEquals, f) {
			continue
		}
		res, assigned, cf := sr.caught(ct, input, f)
		if cf != nil {
			return StateTestResult{Status: TestFailed, Error: cf.Error, Cause: cf.Cause}, nil
		}
		for k, v := range assigned {
			t.vars.set(k, v)
		}
		idx := i
		t.inspect.CatchIndex = &idx
		return StateTestResult{Status: TestCaughtError, Output: json.RawMessage(jsonText(res)), Error: f.Error, Cause: f.Cause, NextState: ct.next}, nil
	}
	return failed, nil
}

// outcome is the mocked result or failure of a state's call.
func (m *Mock) outcome() (any, *failure) {
	if m.Failed {
		return nil, &failure{Error: m.Error, Cause: m.Cause}
	}
	v, err := parseJSONOr(m.Result, nil)
	if err != nil {
		return nil, &failure{Error: "States.Runtime", Cause: "the mocked result is not valid JSON", runtime: true}
	}
	return v, nil
}

// note records one step of the tested state's data processing.
func (t *thread) note(dst func(*Inspection) *string, v any) {
	if t.inspect != nil {
		*dst(t.inspect) = jsonText(v)
	}
}

// overrideContext merges a TestState context into the Context object.
func (r *runner) overrideContext(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	v, err := oj.Parse(raw)
	c, ok := v.(map[string]any)
	if err != nil || !ok {
		return fmt.Errorf("the context is not a JSON object")
	}
	for key, dst := range map[string]map[string]any{"Execution": r.execCtx, "StateMachine": r.smCtx} {
		if o, ok := c[key].(map[string]any); ok {
			for k, v := range o {
				dst[k] = v
			}
		}
	}
	return nil
}

func parseJSONOr(raw json.RawMessage, def any) (any, error) {
	if len(raw) == 0 {
		return def, nil
	}
	return oj.Parse(raw)
}

// noWait is the clock of a tested Wait state: TestState does not wait.
type noWait struct{ Clock }

func (noWait) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
