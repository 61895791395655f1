package clock

import (
	"context"
	"time"
)

// Scaled runs the delays AWS or the template fixes (Wait states, retry
// back-off, task timeouts, Lambda's asynchronous retries, a scheduled
// rule's rate) Factor times shorter than they say, while everything else
// runs at real speed: thumbflow dev -time-scale N, and the tests' fast
// clock (clocktest.FastClock is this type). Now is the wall clock, so
// recorded timestamps stay comparable with everything else's.
type Scaled struct {
	Factor float64
}

// Now is the wall clock.
func (c *Scaled) Now() time.Time { return System{}.Now() }

// Sleep waits d of this clock's time: d/Factor of real time.
func (c *Scaled) Sleep(ctx context.Context, d time.Duration) error {
	return System{}.Sleep(ctx, c.Shorten(d))
}

// Shorten is d of this clock's time in real time, for services that take
// a delay rather than a clock (the local SNS's retry delay).
func (c *Scaled) Shorten(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.Factor)
}
