package sfn

import (
	"context"
	"sync"
	"testing"
	"time"

	"thumbflow/local/asl"
	"thumbflow/local/clock"
)

// tickingClock moves a millisecond forward every time it is read, as a
// fast clock (or a loaded machine) does between two reads.
type tickingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *tickingClock) Sleep(ctx context.Context, d time.Duration) error {
	return clock.System{}.Sleep(ctx, d)
}

// An execution's StopDate is the timestamp of its terminal history event,
// so that the duration DescribeExecution gives and the one the history's
// last event gives agree (thumbflow history shows both).
func TestStopDateIsTheTerminalEventsTimestamp(t *testing.T) {
	s, err := New(Options{Clock: &tickingClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct{ name, def, end string }{
		{"ok", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "ExecutionSucceeded"},
		{"bad", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`, "ExecutionFailed"},
	} {
		sm, err := s.CreateStateMachine(CreateStateMachineInput{Name: tc.name, Definition: tc.def, RoleARN: role})
		if err != nil {
			t.Fatal(err)
		}
		ex, err := s.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN, Name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		var d DescribeExecutionOutput
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if d, err = s.DescribeExecution(ex.ExecutionARN); err != nil {
				t.Fatal(err)
			}
			if d.Status != asl.StatusRunning {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still running", tc.name)
			}
		}
		h, err := s.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: ex.ExecutionARN, MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		last := h.Events[len(h.Events)-1]
		if last.Type != tc.end {
			t.Fatalf("%s: last event %s, want %s", tc.name, last.Type, tc.end)
		}
		if d.StopDate == nil {
			t.Fatalf("%s: %s without a StopDate", tc.name, d.Status)
		}
		if stop := time.Time(*d.StopDate); !stop.Equal(last.Timestamp) {
			t.Errorf("%s: StopDate %v, want the %s timestamp %v", tc.name, stop, last.Type, last.Timestamp)
		}
	}
}
