package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A scaled clock shortens exactly the delays it is asked to wait, and a
// cancelled sleep returns the context's cause.
func TestScaled(t *testing.T) {
	c := &Scaled{Factor: 60}
	if got := c.Shorten(5 * time.Minute); got != 5*time.Second {
		t.Errorf("5 minutes at 60× is %v, want 5s", got)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped")
	cancel(stop)
	if err := c.Sleep(ctx, time.Hour); err != stop {
		t.Errorf("cancelled sleep: %v", err)
	}
}
