package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/upload"
)

// TestGrantWhenAllowedWaitsOutTooManyGrants: against the real local cloud
// with GrantsPerMinute=2, a third file is refused TooManyGrants; the client
// reports the wait, asks again after retryAfter and the file converts. A
// deadline that falls before the next ask, or a cancellation during the
// wait, ends the wait with the refusal instead. The limiter counts a minute
// of the cloud's wall clock (a FastClock shortens sleeps, not Now), so this
// test waits that minute out: the one slow test of the package.
func TestGrantWhenAllowedWaitsOutTooManyGrants(t *testing.T) {
	c := cloudtest.Start(t, func(cfg *cloud.Config) {
		cfg.Parameters = map[string]string{"GrantsPerMinute": "2", "OpenGrants": "10"}
	})
	cl := uploadtest.Dial(t, context.Background(), c.WebSocketURL)
	photo := uploadtest.Photo(32, 24)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, name := range []string{"one.jpg", "two.jpg"} {
		if _, rec, err := cl.Upload(ctx, name, "image/jpeg", photo); err != nil || rec.State != upload.StateSucceeded {
			t.Fatalf("upload %s within the limit: %v %+v", name, err, rec)
		}
	}

	// A deadline sooner than the refusal's retryAfter: no wait at all.
	var waits []client.GrantWait
	note := func(w client.GrantWait) { waits = append(waits, w) }
	short, cancelShort := context.WithTimeout(ctx, 5*time.Second)
	_, err := cl.GrantWhenAllowed(short, "three.jpg", "image/jpeg", int64(len(photo)), note)
	cancelShort()
	if perr, ok := errors.AsType[*client.ProtocolError](err); !ok || perr.Code != client.CodeTooManyGrants || perr.RetryAfter <= 5*time.Second || len(waits) != 0 {
		t.Fatalf("grant over the limit with a 5 s deadline: %v (waits %+v), want TooManyGrants with retryAfter over 5 s and no wait", err, waits)
	}

	// Cancelled while it waits: the caller's cancellation ends it.
	stop, cancelStop := context.WithCancel(ctx)
	_, err = cl.GrantWhenAllowed(stop, "three.jpg", "image/jpeg", int64(len(photo)), func(w client.GrantWait) { note(w); cancelStop() })
	if _, ok := errors.AsType[*client.ProtocolError](err); !ok || !errors.Is(err, context.Canceled) || len(waits) != 1 {
		t.Fatalf("grant cancelled during its wait: %v (waits %+v), want the refusal and context.Canceled after one wait", err, waits)
	}

	waits = nil
	g, err := cl.GrantWhenAllowed(ctx, "three.jpg", "image/jpeg", int64(len(photo)), note)
	if err != nil {
		t.Fatalf("grant after waiting: %v (waits %+v)", err, waits)
	}
	if len(waits) == 0 {
		t.Fatal("the third grant in a minute was given without a wait: the limit did not apply")
	}
	w := waits[0]
	if w.Refusal.Code != client.CodeTooManyGrants || w.Refusal.Message == "" || w.For < w.Refusal.RetryAfter || w.For > w.Refusal.RetryAfter+time.Second {
		t.Errorf("wait reported as %+v, want TooManyGrants with a message, for retryAfter plus under a second", w)
	}
	if err := client.Post(ctx, nil, g, "three.jpg", photo); err != nil {
		t.Fatal(err)
	}
	if m, err := cl.WaitTerminal(ctx, g.UploadID); err != nil || m.Status.State != upload.StateSucceeded {
		t.Fatalf("the file that waited for its grant: %v %+v", err, m.Status)
	}
}
