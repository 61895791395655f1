package clocktest

import (
	"context"
	"time"

	"thumbflow/local/clock"
)

// FastClock makes the state machine's waits (Wait states, retry back-off,
// TimeoutSeconds) Factor times shorter than they say, while handlers do
// real I/O at real speed. Tests use it to see a 25 s task timeout or a 4 s
// back-off in a fraction of that, with the same ordering of events as in
// production, which a virtual clock that jumps whenever nothing sleeps
// could not guarantee for handlers doing real I/O. Now is the wall clock,
// so recorded timestamps stay comparable with everything else's.
type FastClock struct {
	Factor float64
}

// TestFactor is the fastest a test runs a local cloud's clock: the Convert
// task's 25 s timeout (and every shorter TimeoutSeconds) stays at least
// 12.5 s of wall time, far more than a small conversion or a status write
// needs on a loaded machine, so a healthy attempt never times out and a
// test may assert exact attempt counts. At 20× a busy machine's ordinary
// conversions timed out (1.25 s): false Timeout failures and extra
// attempts. Speed is measured by benchmarks, never by shrinking timeouts.
const TestFactor = 2

// NewFastClock returns a clock whose sleeps are factor times shorter.
func NewFastClock(factor float64) *FastClock {
	return &FastClock{Factor: factor}
}

// Now is the wall clock.
func (c *FastClock) Now() time.Time { return clock.System{}.Now() }

// Sleep waits d of this clock's time.
func (c *FastClock) Sleep(ctx context.Context, d time.Duration) error {
	return clock.System{}.Sleep(ctx, time.Duration(float64(d)/c.Factor))
}

// Shorten is d of this clock's time in real time, for services that take
// a delay rather than a clock (the local SNS's retry delay).
func (c *FastClock) Shorten(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.Factor)
}
