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

// NewFastClock returns a clock whose sleeps are factor times shorter.
func NewFastClock(factor float64) *FastClock {
	return &clock.Scaled{Factor: factor}
}
