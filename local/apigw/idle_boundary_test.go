package apigw

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"
)

// TestIdleTimeoutBoundary: in virtual time (a synctest bubble), a
// connection is open one nanosecond before its idle timeout and closed
// (1001) at it, counted from connecting or from the client's last frame.
// This is the gateway's own watch on a connection without a socket, so
// that the clock is exact; TestIdleTimeoutClosesConnection covers the
// socket.
func TestIdleTimeoutBoundary(t *testing.T) {
	const idle = 10 * time.Minute // API Gateway's
	for _, activeAt := range []time.Duration{0, 5 * time.Minute} {
		synctest.Test(t, func(t *testing.T) {
			g := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if g.limits.IdleTimeout != idle {
				t.Fatalf("default idle timeout %s, want %s", g.limits.IdleTimeout, idle)
			}
			c := &conn{id: "c1", ready: make(chan struct{})}
			close(c.ready) // no socket: close only records the decision
			c.touch()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() { g.watch(ctx, c); close(done) }()
			at := func(d time.Duration, wantClosed bool, what string) {
				t.Helper()
				time.Sleep(d)
				synctest.Wait()
				if got := c.closing.Load(); got != wantClosed {
					t.Fatalf("client active at %s: %s: closed = %v, want %v", activeAt, what, got, wantClosed)
				}
			}
			if activeAt > 0 {
				at(activeAt, false, "at its frame")
				c.touch()
			}
			at(idle-time.Nanosecond, false, "1 ns before the idle timeout")
			at(time.Nanosecond, true, "at the idle timeout")
			if c.closeCode != 1001 {
				t.Errorf("closed with %d, want 1001 (going away)", c.closeCode)
			}
			<-done
		})
	}
}
