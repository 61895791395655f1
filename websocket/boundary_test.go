package websocket

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Limits at the edge and one unit past it.

// TestMessageSizeBoundary: a request of exactly MaxRequestBytes is handled;
// one byte more is MessageTooLarge.
func TestMessageSizeBoundary(t *testing.T) {
	f := newFixture(t)
	msg := func(n int) string {
		base := `{"action":"ping","requestId":"p1"}`
		return base[:len(base)-1] + strings.Repeat(" ", n-len(base)) + "}"
	}
	if m := f.send(t, "c1", "ping", msg(MaxRequestBytes)); m["type"] == "error" {
		t.Fatalf("a %d-byte message (the limit) was refused: %v", MaxRequestBytes, m)
	}
	m := f.send(t, "c1", "ping", msg(MaxRequestBytes+1))
	if m["type"] != "error" || m["code"] != "MessageTooLarge" || m["requestId"] != "p1" {
		t.Fatalf("a %d-byte message answered %v, want MessageTooLarge naming requestId p1", MaxRequestBytes+1, m)
	}
}

// TestUploadSizeBoundary: a file of exactly the limit gets a grant whose
// POST policy fixes that exact size; one byte more is FileTooLarge.
func TestUploadSizeBoundary(t *testing.T) {
	f := newFixture(t)
	limit := f.h.Limits.MaxBytes
	req := func(size int64) map[string]any {
		return f.send(t, "c1", "upload", fmt.Sprintf(`{"action":"upload","requestId":"r","name":"a.jpg","type":"image/jpeg","size":%d}`, size))
	}
	m := req(limit)
	if m["type"] != "grant" {
		t.Fatalf("a file of exactly %d bytes: %v, want a grant", limit, m)
	}
	if m := req(limit + 1); m["code"] != "FileTooLarge" {
		t.Fatalf("a file of %d bytes: %v, want FileTooLarge", limit+1, m)
	}
	if m := req(1); m["type"] != "grant" {
		t.Fatalf("a 1-byte file: %v, want a grant", m)
	}
	if m := req(0); m["code"] != "EmptyFile" {
		t.Fatalf("an empty file: %v, want EmptyFile", m)
	}
}

// TestSubscribeTokenExpiryBoundary: the grant's token works through the
// last second before WatchUntil and not at WatchUntil.
func TestSubscribeTokenExpiryBoundary(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "c1")
	start := f.now
	if want := start.Add(24 * time.Hour); !g.WatchUntil.Equal(want) {
		t.Fatalf("WatchUntil %s, want %s (24 h after the grant)", g.WatchUntil, want)
	}
	body, _ := json.Marshal(map[string]string{"action": "subscribe", "uploadId": g.UploadID, "token": g.Token})
	for _, c := range []struct {
		at      time.Time
		expired bool
	}{
		{g.WatchUntil.Add(-time.Second), false},
		{g.WatchUntil.Add(-time.Nanosecond), false},
		{g.WatchUntil, true},
		{g.WatchUntil.Add(time.Second), true},
	} {
		f.now = c.at
		m := f.send(t, "c2", "subscribe", string(body))
		if got := m["code"] == "TokenExpired"; got != c.expired {
			t.Errorf("subscribe %v after the grant: %v, want expired=%v", c.at.Sub(start), m, c.expired)
		}
	}
}
