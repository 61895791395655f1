package cloud

import (
	"context"
	"time"
)

// FastClock runs the state machine's own time (Wait states, retry
// back-off, TimeoutSeconds) Factor times faster than real time, while
// handlers do real I/O at real speed. Tests use it to see a 25 s task
// timeout or a 4 s back-off in a fraction of that, with the same ordering
// of events as in production, which a virtual clock that jumps whenever
// nothing sleeps could not guarantee for handlers doing real I/O.
type FastClock struct {
	Factor float64
	start  time.Time
}

// NewFastClock returns a clock running factor times faster than real time.
func NewFastClock(factor float64) *FastClock {
	return &FastClock{Factor: factor, start: time.Now()}
}

// Now is the start time plus the scaled time since.
func (c *FastClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.Factor))
}

// Sleep waits d of this clock's time.
func (c *FastClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(time.Duration(float64(d) / c.Factor))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
