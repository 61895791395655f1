package websocket

import (
	"context"
	"testing"

	"thumbflow/upload/s3store"
)

// Every grant leaves the sweeper's marker of its upload, and a refused
// request leaves none: the sweeper sees exactly the uploads that may have
// an original.
func TestGrantWritesThePendingMarker(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "conn-1")
	if m := f.send(t, "conn-1", "upload", `{"action":"upload","requestId":"r2","name":"x.jpg","type":"image/jpeg","size":0}`); m["type"] != "error" {
		t.Fatalf("empty file answered %v", m)
	}
	got, err := f.h.Pending.(*s3store.Markers).Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].UploadID != g.UploadID || got[0].Since.IsZero() {
		t.Errorf("pending markers %+v, want only the granted upload %s", got, g.UploadID)
	}
}
