package clocktest

import "thumbflow/local/clock"

// FastClock makes the state machine's waits (Wait states, retry back-off,
// TimeoutSeconds) Factor times shorter than they say, while handlers do
// real I/O at real speed. Tests use it to see a 25 s task timeout or a 4 s
// back-off in a fraction of that, with the same ordering of events as in
// production, which a virtual clock that jumps whenever nothing sleeps
// could not guarantee for handlers doing real I/O. It is the clock
// thumbflow dev -time-scale runs on (clock.Scaled), so tests and the
// developer shorten time the same way.
type FastClock = clock.Scaled

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
	return &clock.Scaled{Factor: factor}
}
