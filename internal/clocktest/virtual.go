// Package clocktest holds the clocks that tests inject into the local
// cloud's engines in place of the production clock (local/clock): a
// VirtualClock that jumps to the next deadline once nothing else happens,
// for in-process tests, and a FastClock that runs waits faster than real
// time, for tests whose handlers do real I/O. testing/synctest suits
// in-process tests only: it cannot advance time while goroutines wait on
// real sockets.
//
// It is test support: production code does not import it.
package clocktest

import (
	"context"
	"sort"
	"sync"
	"time"
)

// VirtualClock lets tests run waits, back-off and timeouts without waiting
// real time. Time stands still while sleepers keep arriving; once none has
// arrived for three quiet windows (Quiesce each, 1 ms by default), the clock
// jumps to the earliest deadline and wakes that sleeper. Competing sleeps (a
// task timeout against a slow function) therefore resolve in deadline order,
// as they would in real time. It is a heuristic: a goroutine that computes
// for longer than the quiet period before it sleeps can see time jump past
// the deadline it was about to set; raise Quiesce on a heavily loaded
// machine, or use testing/synctest with clock.System where exactness matters.
type VirtualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*vwaiter
	gen     int
	running bool
	Quiesce time.Duration // real time to wait before jumping; 1ms if zero
}

// idleWindows is how many consecutive quiet Quiesce windows the clock waits
// before it jumps.
const idleWindows = 3

type vwaiter struct {
	at time.Time
	ch chan struct{}
}

// NewVirtualClock returns a clock that starts at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start}
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, waking sleepers whose deadline has
// passed.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.wakeLocked()
}

func (c *VirtualClock) wakeLocked() {
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// Sleep parks until the virtual time has advanced by d or ctx is done.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	w := &vwaiter{at: c.now.Add(d), ch: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.gen++
	if !c.running {
		c.running = true
		go c.advance()
	}
	c.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, x := range c.waiters {
			if x == w {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
		c.gen++
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *VirtualClock) advance() {
	q := c.Quiesce
	if q == 0 {
		q = time.Millisecond
	}
	c.mu.Lock()
	last := c.gen
	c.mu.Unlock()
	idle := 0
	for {
		time.Sleep(q)
		c.mu.Lock()
		if len(c.waiters) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		if c.gen != last {
			last = c.gen
			idle = 0
			c.mu.Unlock()
			continue
		}
		// Jump only after several quiet windows in a row, so that a
		// busy (or slow, or race-instrumented) goroutine that is about to
		// sleep does not let time skip past its deadline.
		if idle++; idle < idleWindows {
			c.mu.Unlock()
			continue
		}
		idle = 0
		sort.Slice(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
		if c.waiters[0].at.After(c.now) {
			c.now = c.waiters[0].at
		}
		c.wakeLocked()
		c.gen++
		last = c.gen
		c.mu.Unlock()
	}
}
