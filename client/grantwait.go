package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"thumbflow/upload"
)

// CodeTooManyGrants is the refusal of a grant to a source address over its
// share (docs/protocol.md): it clears with time, so a client waits the
// answer's retryAfter and asks again.
const CodeTooManyGrants = "TooManyGrants"

// maxGrantJitter caps the random time added to a refusal's retryAfter, so
// that the files one address was refused together do not all ask again in
// the same instant (and mostly get refused again together).
const maxGrantJitter = time.Second

// GrantWait is a refused grant the client is waiting out.
type GrantWait struct {
	// Refusal is the TooManyGrants answer, with its message for a person.
	Refusal *ProtocolError
	// For is how long the client waits before asking again: the
	// refusal's RetryAfter and a little jitter.
	For time.Duration
	// Until is when it asks again.
	Until time.Time
}

// GrantWhenAllowed asks for a grant as Grant does, and when the answer is
// TooManyGrants waits the refusal's retryAfter (plus up to a second of
// jitter) and asks again, as often as it takes: the refusal is the
// server asking the client to come back later, not a failure of the file.
// Before each wait it calls waiting, when not nil, so that the caller can
// show it. Only ctx bounds the waiting: when ctx is done, or its deadline
// falls before the next ask, GrantWhenAllowed returns the refusal (a
// *ProtocolError) at once rather than sleep for nothing. Any other answer
// or error is returned as Grant returns it.
func (c *Client) GrantWhenAllowed(ctx context.Context, name, contentType string, size int64, waiting func(GrantWait)) (upload.Grant, error) {
	for {
		g, err := c.Grant(ctx, name, contentType, size)
		perr, ok := errors.AsType[*ProtocolError](err)
		if !ok || perr.Code != CodeTooManyGrants {
			return g, err
		}
		d := max(perr.RetryAfter, time.Second) + rand.N(maxGrantJitter)
		until := time.Now().Add(d)
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
			return upload.Grant{}, fmt.Errorf("no grant before the deadline: %w", perr)
		}
		if waiting != nil {
			waiting(GrantWait{Refusal: perr, For: d, Until: until})
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return upload.Grant{}, fmt.Errorf("waiting for a grant (%w): %w", perr, context.Cause(ctx))
		}
	}
}
