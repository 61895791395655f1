package asl

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

// FuzzParseAndRun checks that no definition or input, however malformed,
// panics: bad input must come back as a validation error or a failed
// execution. It also checks what an operator relies on in every run: the
// result is a known status with its fields (JSON output on success, an
// error name on failure), and the history is a chain of events numbered
// from 1, in time order, opened by ExecutionStarted and closed by the event
// of the result's status.
func FuzzParseAndRun(f *testing.F) {
	f.Add([]byte(durableDef), []byte(`{"x":1}`))
	f.Add([]byte(branchyDef), []byte(`[1,{"items":[1,2]}]`))
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}',$.x)"},"ResultPath":"$.r[0]","End":true}}}`), []byte(`{"x":[1]}`))
	f.Add([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEqualsPath":"$.m","Next":"D"}],"Default":"D"},"D":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.JsonToString($)"}}}`), []byte(`{"n":1,"m":"x"}`))
	f.Fuzz(func(t *testing.T, def, input []byte) {
		m, err := Parse(def)
		if err != nil || !json.Valid(input) {
			return
		}
		clock := clocktest.NewVirtualClock(time.Unix(0, 0))
		clock.Advance(0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		exec := testExec(clock)
		exec.Input = input
		rec := &recorder{}
		res := m.Run(ctx, exec, Options{Clock: clock, Invoker: &countingInvoker{}, Record: rec.record})
		checkRunProperties(t, res, rec.events)
	})
}

var closingEvent = map[string]string{
	StatusSucceeded: "ExecutionSucceeded",
	StatusFailed:    "ExecutionFailed",
	StatusTimedOut:  "ExecutionTimedOut",
	StatusAborted:   "ExecutionAborted",
}

func checkRunProperties(t *testing.T, res Result, evs []Event) {
	t.Helper()
	if res.Status == "" {
		return // interrupted by the fuzz run's own deadline: resumable, not ended
	}
	closing, ok := closingEvent[res.Status]
	if !ok {
		t.Fatalf("result status %q is not a Step Functions status", res.Status)
	}
	switch res.Status {
	case StatusSucceeded:
		if !json.Valid(res.Output) {
			t.Fatalf("SUCCEEDED with output %q, which is not JSON", res.Output)
		}
	case StatusFailed:
		// AWS allows a Fail state without Error; the engine must still
		// not invent a success.
		if res.Output != nil {
			t.Fatalf("FAILED with output %s", res.Output)
		}
	}
	if len(evs) < 2 || evs[0].Type != "ExecutionStarted" {
		t.Fatalf("history %s does not open with ExecutionStarted", history(evs))
	}
	if last := evs[len(evs)-1].Type; last != closing {
		t.Fatalf("%s execution's history ends with %s, want %s", res.Status, last, closing)
	}
	for i, ev := range evs {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d (%s) has id %d", i, ev.Type, ev.ID)
		}
		if i > 0 && ev.Timestamp.Before(evs[i-1].Timestamp) {
			t.Fatalf("event %d (%s) at %s is before event %d at %s", ev.ID, ev.Type, ev.Timestamp, evs[i-1].ID, evs[i-1].Timestamp)
		}
		if n := closingCount(ev.Type); n && i != len(evs)-1 {
			t.Fatalf("%s at event %d of %d: an execution ends once, at the end", ev.Type, ev.ID, len(evs))
		}
	}
}

func closingCount(typ string) bool {
	for _, c := range closingEvent {
		if typ == c {
			return true
		}
	}
	return false
}
