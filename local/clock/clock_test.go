package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSystemIsUTC(t *testing.T) {
	if loc := (System{}).Now().Location(); loc != time.UTC {
		t.Fatalf("Now is in %v, want UTC", loc)
	}
}

// The service relies on a stopped sleep returning the context's cause:
// StopExecution's abort and the state machine's timeout are causes.
func TestSystemSleepReturnsTheCause(t *testing.T) {
	cause := errors.New("stopped for a reason")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	for _, d := range []time.Duration{0, time.Hour} {
		if err := (System{}).Sleep(ctx, d); !errors.Is(err, cause) {
			t.Errorf("Sleep(%v) on a cancelled context = %v, want its cause", d, err)
		}
	}
	if err := (System{}).Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v, want nil", err)
	}
}
