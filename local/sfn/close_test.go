package sfn

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
)

// lateLog flags any log record written after closed is set.
type lateLog struct {
	closed, late *atomic.Bool
	msg          *atomic.Value
}

func (h lateLog) Enabled(context.Context, slog.Level) bool { return true }
func (h lateLog) Handle(_ context.Context, r slog.Record) error {
	if h.closed.Load() && !h.late.Swap(true) {
		h.msg.Store(r.Message)
	}
	return nil
}
func (h lateLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h lateLog) WithGroup(string) slog.Handler      { return h }

// Executions started while the service closes either run under Close's
// wait or are refused: none is still running (or logging) once Close has
// returned, and under -race launching never Adds to the WaitGroup from
// zero while Close Waits on it.
func TestStartExecutionWhileClosing(t *testing.T) {
	for i := 0; i < 200; i++ {
		var closed, late atomic.Bool
		var msg atomic.Value
		s, err := newService(Options{DataDir: t.TempDir(), Logger: slog.New(lateLog{&closed, &late, &msg})}, parseFake)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := s.CreateStateMachine(CreateStateMachineInput{Name: "m", Definition: `{"Steps":["wait:0"]}`, RoleARN: role})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 10; j++ {
					s.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN, Name: fmt.Sprintf("e%d-%d", g, j)})
				}
			}()
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		closed.Store(true)
		wg.Wait()
		if late.Load() {
			t.Fatalf("round %d: an execution was still running after Close returned (it logged %q)", i, msg.Load())
		}
	}
}
