// Package clock is the local cloud's one production clock: the wall clock
// that the ASL interpreter (local/asl) and the Step Functions service
// (local/sfn) use for Wait states, retry back-off, timeouts and event
// timestamps unless a test injects its own. The clocks that tests inject
// are test support, in internal/clocktest.
package clock

import (
	"context"
	"time"
)

// System is the wall clock. Its times are in UTC, as Step Functions
// reports and the service persists them. A sleep cut short returns the
// context's cause, so that a run stopped for a reason (StopExecution's
// abort, the state machine's timeout) is told that reason rather than
// context.Canceled.
type System struct{}

// Now returns the current time in UTC.
func (System) Now() time.Time { return time.Now().UTC() }

// Sleep waits d of real time, or returns context.Cause(ctx) once ctx is
// done.
func (System) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
