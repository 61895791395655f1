package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"thumbflow/internal/clocktest"
)

func TestParseReportsProblemsByState(t *testing.T) {
	cases := []struct {
		name, def, state, want string
	}{
		{"unknown field", `{"StartAt":"A","States":{"A":{"Type":"Pass","Nxt":"B","End":true}}}`, "A", `"Nxt" is not supported`},
		{"missing Next", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "A", "neither Next nor End"},
		{"undefined target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`, "A", `Missing 'Next' target: Nowhere`},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, "B", "not reachable"},
		{"bad path", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"foo","End":true}}}`, "A", "not a valid JSONPath"},
		{"non-reference ResultPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, "A", "reference path"},
		{"bad intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}}}`, "A", "unknown function"},
		{"catch target", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"X"}],"End":true}}}`, "A", `Missing 'Next' target: X`},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, "A", "States.ALL"},
		{"nested map state", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass"}}},"End":true}}}`, "I", "neither Next nor End"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ve := parseInvalid(t, c.def)
			for _, p := range ve.Problems {
				if p.State == c.state && strings.Contains(p.Message, c.want) {
					return
				}
			}
			t.Fatalf("problems %+v: none for state %q containing %q", ve.Problems, c.state, c.want)
		})
	}
}

func TestParseAcceptsValidDefinition(t *testing.T) {
	def := `{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"W"}],"Default":"F"},
		"W":{"Type":"Wait","SecondsPath":"$.n","Next":"S"},
		"F":{"Type":"Fail","Error":"E"},
		"S":{"Type":"Succeed"}}}`
	if _, err := Parse([]byte(def)); err != nil {
		t.Fatal(err)
	}
}

// countingInvoker returns the payload and counts calls per function.
type countingInvoker struct {
	calls atomic.Int64
	fail  int64 // fail this many first calls with a function error
}

func (c *countingInvoker) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	n := c.calls.Add(1)
	if n <= c.fail {
		return nil, &FunctionError{Type: "Boom", Message: "transient"}
	}
	return payload, nil
}

// recorder persists events like local/sfn does; once crash picks an event,
// that event and every later one are lost, as when the process dies.
type recorder struct {
	mu     sync.Mutex
	events []Event
	cp     Checkpoint
	crash  func(Event) bool
	dead   bool
}

// restart brings the recorder back, as a restarted engine would be.
func (r *recorder) restart() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = false
}

var errCrash = errors.New("simulated crash")

func (r *recorder) record(ev Event, cp Checkpoint) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.crash != nil && r.crash(ev) {
		r.crash = nil
		r.dead = true
	}
	if r.dead {
		return errCrash
	}
	r.events = append(r.events, ev)
	if cp != nil {
		r.cp = cp
	}
	return nil
}

const durableDef = `{"StartAt":"T","States":{
	"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","ResultPath":"$.t","Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2}],"Next":"W"},
	"W":{"Type":"Wait","Seconds":100,"Next":"P"},
	"P":{"Type":"Pass","Result":"done","ResultPath":"$.p","End":true}}}`

// inBubble runs f inside a synctest bubble. A VirtualClock created there
// is exact rather than heuristic: its quiet windows are bubble time, which
// passes only while every goroutine of the run is durably blocked, so a run
// stalled by a loaded machine cannot see time jump past a deadline it was
// about to set or beat (an execution or task timeout firing early). At the
// end, bubble time moves on so that the clocks' advancers see they have no
// sleepers left and exit.
func inBubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Hour) })
		f(t)
	})
}

func testExec(clock Clock) Execution {
	return Execution{
		ARN: "arn:aws:states:us-east-1:111111111111:execution:sm:e1", Name: "e1",
		StateMachineARN: "arn:aws:states:us-east-1:111111111111:stateMachine:sm", StateMachineName: "sm",
		StartTime: clock.Now(), Input: json.RawMessage(`{"x":1,"items":[1,2,3]}`),
	}
}

// TestCrashAtEveryEventFinishesExactlyOnce kills the run at each event in
// turn (the event is never recorded, as if the process died before it was
// persisted), resumes from the last checkpoint and checks that the
// execution still finishes exactly once with the same output and a gapless
// history.
func TestCrashAtEveryEventFinishesExactlyOnce(t *testing.T) {
	for name, def := range map[string]string{"task-wait-pass": durableDef, "parallel-map": branchyDef} {
		t.Run(name, func(t *testing.T) { crashAtEveryEvent(t, def) })
	}
}

const branchyDef = `{"StartAt":"P","States":{
	"P":{"Type":"Parallel","Next":"M","Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":5,"End":true}}}]},
	"M":{"Type":"Map","ItemsPath":"$[1].items","MaxConcurrency":1,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`

func crashAtEveryEvent(t *testing.T, def string) {
	inBubble(t, func(t *testing.T) { // exact virtual time: see inBubble
		m, err := Parse([]byte(def))
		if err != nil {
			t.Fatal(err)
		}
		clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		ref := &recorder{}
		want := m.Run(context.Background(), testExec(clock), Options{Clock: clock, Invoker: &countingInvoker{fail: 1}, Record: ref.record})
		if want.Status != StatusSucceeded {
			t.Fatalf("reference run: %+v", want)
		}
		for k := 2; k <= len(ref.events); k++ {
			clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			rec := &recorder{crash: func(ev Event) bool { return ev.ID == int64(k) }}
			inv := &countingInvoker{fail: 1}
			opts := Options{Clock: clock, Invoker: inv, Record: rec.record}
			res := m.Run(context.Background(), testExec(clock), opts)
			if res.Status != "" {
				t.Fatalf("crash at event %d: run ended %+v, want interrupted", k, res)
			}
			rec.restart()
			res = m.Resume(context.Background(), testExec(clock), rec.cp, opts)
			if res.Status != StatusSucceeded || string(res.Output) != string(want.Output) {
				t.Fatalf("crash at event %d: resumed result %+v, want output %s", k, res, want.Output)
			}
			terminal := 0
			for i, ev := range rec.events {
				if ev.ID != int64(i+1) {
					t.Fatalf("crash at event %d: event %d has id %d: history has a gap or repeat", k, i, ev.ID)
				}
				if strings.HasPrefix(ev.Type, "Execution") && ev.Type != "ExecutionStarted" {
					terminal++
				}
			}
			if terminal != 1 {
				t.Fatalf("crash at event %d: %d terminal events, want exactly 1", k, terminal)
			}
		}
	})
}

func TestResumeKeepsWaitDeadline(t *testing.T) { resumeKeepsWaitDeadline(t, durableDef) }

// A JSONata Wait whose Seconds is an expression keeps its deadline too.
func TestResumeKeepsJSONataWaitDeadline(t *testing.T) {
	resumeKeepsWaitDeadline(t, `{"QueryLanguage":"JSONata","StartAt":"T","States":{
	"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","Output":"{% $states.input %}","Next":"W"},
	"W":{"Type":"Wait","Seconds":"{% 60 + 40 %}","Next":"P"},
	"P":{"Type":"Pass","Output":"done","End":true}}}`)
}

func resumeKeepsWaitDeadline(t *testing.T, def string) {
	inBubble(t, func(t *testing.T) { // exact virtual time: see inBubble
		m, err := Parse([]byte(def))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := clocktest.NewVirtualClock(start)
		rec := &recorder{crash: func(ev Event) bool { return ev.Type == "WaitStateExited" }}
		opts := Options{Clock: clock, Invoker: &countingInvoker{}, Record: rec.record}
		ctx, cancel := context.WithCancel(context.Background())
		var entered time.Time
		opts.Record = func(ev Event, cp Checkpoint) error {
			if ev.Type == "WaitStateEntered" {
				entered = ev.Timestamp
				// The process dies while the Wait is pending.
				defer cancel()
			}
			return rec.record(ev, cp)
		}
		if res := m.Run(ctx, testExec(clock), opts); res.Status != "" {
			t.Fatalf("run ended %+v, want interrupted", res)
		}
		// 30 s pass while the engine is down.
		clock.Advance(30 * time.Second)
		opts.Record = rec.record
		rec.crash = nil
		res := m.Resume(context.Background(), testExec(clock), rec.cp, opts)
		if res.Status != StatusSucceeded {
			t.Fatalf("resume: %+v", res)
		}
		var exited time.Time
		for _, ev := range rec.events {
			if ev.Type == "WaitStateExited" {
				exited = ev.Timestamp
			}
		}
		if got := exited.Sub(entered); got != 100*time.Second {
			t.Fatalf("wait lasted %v across the restart, want the original 100s deadline", got)
		}
	})
}

func TestResumeRerunsInFlightTask(t *testing.T) {
	inBubble(t, func(t *testing.T) { // exact virtual time: see inBubble
		m, err := Parse([]byte(durableDef))
		if err != nil {
			t.Fatal(err)
		}
		clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		inv := &countingInvoker{}
		rec := &recorder{crash: func(ev Event) bool { return ev.Type == "LambdaFunctionSucceeded" }}
		opts := Options{Clock: clock, Invoker: inv, Record: rec.record}
		if res := m.Run(context.Background(), testExec(clock), opts); res.Status != "" {
			t.Fatalf("run ended %+v, want interrupted", res)
		}
		rec.restart()
		res := m.Resume(context.Background(), testExec(clock), rec.cp, opts)
		if res.Status != StatusSucceeded {
			t.Fatalf("resume: %+v", res)
		}
		if n := inv.calls.Load(); n != 2 {
			t.Fatalf("function ran %d times, want 2 (the in-flight call is re-run)", n)
		}
		var types []string
		for _, ev := range rec.events {
			types = append(types, ev.Type)
		}
		got := strings.Join(types, ",")
		want := "ExecutionStarted,TaskStateEntered,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionSucceeded,TaskStateExited"
		if !strings.HasPrefix(got, want) {
			t.Fatalf("history %s, want it to start %s", got, want)
		}
	})
}

func TestStopExecutionRecordsAbort(t *testing.T) {
	m, err := Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.Quiesce = time.Hour // never jump: the wait stays pending
	ctx, cancel := context.WithCancelCause(context.Background())
	rec := &recorder{}
	opts := Options{Clock: clock, Record: func(ev Event, cp Checkpoint) error {
		if ev.Type == "WaitStateEntered" {
			defer cancel(&Abort{Name: "Stopped", Cause: "by operator"})
		}
		return rec.record(ev, cp)
	}}
	res := m.Run(ctx, testExec(clock), opts)
	if res.Status != StatusAborted || res.Error != "Stopped" || res.Cause != "by operator" {
		t.Fatalf("result %+v, want ABORTED with the abort's error and cause", res)
	}
	last := rec.events[len(rec.events)-1]
	if last.Type != "ExecutionAborted" || last.Details["error"] != "Stopped" {
		t.Fatalf("last event %+v, want ExecutionAborted", last)
	}
}

func TestExecutionTimeout(t *testing.T) {
	m, err := Parse([]byte(`{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := &recorder{}
	res := m.Run(context.Background(), testExec(clock), Options{Clock: clock, Record: rec.record})
	if res.Status != StatusTimedOut || res.Error != "States.Timeout" {
		t.Fatalf("result %+v, want TIMED_OUT", res)
	}
	if last := rec.events[len(rec.events)-1]; last.Type != "ExecutionTimedOut" {
		t.Fatalf("last event %s, want ExecutionTimedOut", last.Type)
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	ev := Event{ID: 3, PreviousEventID: 2, Type: "TaskStateEntered", Timestamp: time.Unix(1700000000, 500000000).UTC(),
		DetailsField: "stateEnteredEventDetails", Details: map[string]any{"name": "T", "input": `{"a":1}`}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["timestamp"].(float64) != 1700000000.5 || m["stateEnteredEventDetails"].(map[string]any)["input"] != `{"a":1}` {
		t.Fatalf("HistoryEvent JSON %s has the wrong shape", b)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != 3 || back.PreviousEventID != 2 || back.DetailsField != ev.DetailsField || !back.Timestamp.Equal(ev.Timestamp) || back.Details["name"] != "T" {
		t.Fatalf("round trip: got %+v, want %+v", back, ev)
	}
}

// namedErr is an invoker's error from outside this package, as local/lambda
// returns them: it names itself through NamedError.
type namedErr struct{ name, cause string }

func (e namedErr) Error() string                     { return e.name }
func (e namedErr) StatesError() (name, cause string) { return e.name, e.cause }

// An error that implements NamedError fails the task with its own name and
// cause, which Retry and Catch match and the history records, for both
// kinds of Lambda resource.
func TestNamedInvokerErrorsKeepTheirNameAndCause(t *testing.T) {
	const cause = `{"errorMessage":"Rate Exceeded.","errorType":"TooManyRequests"}`
	inv := invokerFunc(func(context.Context, string, []byte) ([]byte, error) {
		return nil, fmt.Errorf("invoking: %w", namedErr{"Lambda.TooManyRequestsException", cause})
	})
	for _, resource := range []string{
		`"Resource":"arn:aws:lambda:us-east-1:111111111111:function:f"`,
		`"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"}`,
	} {
		def := `{"StartAt":"T","States":{"T":{"Type":"Task",` + resource + `,"End":true,
			"Catch":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"Next":"Caught"}]},
			"Caught":{"Type":"Fail","ErrorPath":"$.Error","CausePath":"$.Cause"}}}`
		m, err := Parse([]byte(def))
		if err != nil {
			t.Fatal(err)
		}
		var rec recorder
		res := m.Run(context.Background(), Execution{ARN: "arn:aws:states:us-east-1:111111111111:execution:sm:e"}, Options{Invoker: inv, Record: rec.record})
		if res.Status != StatusFailed || res.Error != "Lambda.TooManyRequestsException" || res.Cause != cause {
			t.Errorf("%s: result %+v, want the named error caught with its cause", resource, res)
		}
	}
}
