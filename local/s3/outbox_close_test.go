package s3

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Events recorded while the outbox closes are either delivered before
// close returns or left for the next start: no delivery begins after close
// has returned (under -race, the WaitGroup is never Added from zero while
// close Waits).
func TestOutboxCloseWhileRecording(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ev := events.S3Event{Records: []events.S3EventRecord{{S3: events.S3Entity{Object: events.S3Object{Key: "k", Sequencer: "1"}}}}}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		o, err := newOutbox("", time.Millisecond, time.Millisecond, log)
		if err != nil {
			t.Fatal(err)
		}
		var closed, late atomic.Bool
		o.subscribe("b", "", func(ctx context.Context, ev events.S3Event) error {
			if closed.Load() {
				late.Store(true)
			}
			return nil
		})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 20; j++ {
					for _, sub := range o.matching("b", "k") {
						o.deliver(sub, &entry{ID: "1", Sub: sub.id, Event: body})
					}
				}
			}()
		}
		o.close()
		closed.Store(true)
		wg.Wait()
		o.close()
		if late.Load() {
			t.Fatalf("round %d: an event was delivered after close returned", i)
		}
	}
}
