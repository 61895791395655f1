package apigw_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"thumbflow/local/apigw"
)

// TestGoPostToConnectionLimitBoundary: the Go API the local cloud's
// handlers can be wired to (Gateway.PostToConnection, without the HTTP
// management endpoint's body bound in front of it) takes exactly 128 KiB
// and refuses one byte more with ErrPayloadTooLarge, sending nothing.
func TestGoPostToConnectionLimitBoundary(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	c := dial(t, e.wsURL)
	id := rec.next(t, apigw.RouteConnect).RequestContext.ConnectionID
	ctx := context.Background()
	edge := strings.Repeat("x", apigw.DefaultMaxMessageBytes)
	if err := e.gw.PostToConnection(ctx, id, []byte(edge)); err != nil {
		t.Fatalf("a post of exactly 128 KiB: %v", err)
	}
	if got := read(t, c); got != edge {
		t.Fatalf("the client read %d bytes, want %d", len(got), len(edge))
	}
	if err := e.gw.PostToConnection(ctx, id, []byte(edge+"y")); !errors.Is(err, apigw.ErrPayloadTooLarge) {
		t.Fatalf("a post of 128 KiB + 1 byte: %v, want ErrPayloadTooLarge", err)
	}
	if err := e.gw.PostToConnection(ctx, id, []byte("sentinel")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "sentinel" {
		t.Fatalf("after a refused post the client read %d bytes, want the sentinel", len(got))
	}
}
