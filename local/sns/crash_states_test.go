package sns

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"thumbflow/local/outbox"
)

// TestCrashStatesOutbox starts the service on every on-disk state that a
// kill can leave one http notification in, and checks what its endpoint
// receives: the outbox writes a pending file (temporary file, then
// rename), rewrites it after each failed attempt the same way, removes it
// once delivered, and, when it gives up, writes its undeliverable copy and
// then removes the pending file. Negatives are proven by a sentinel: a
// notification published after the restart, which the endpoint must get
// with nothing before it.
func TestCrashStatesOutbox(t *testing.T) {
	seed := func(t *testing.T, dir, url string) *pending {
		if err := outbox.MkdirAll(filepath.Join(dir, "outbox"), "pending", "undeliverable"); err != nil {
			t.Fatal(err)
		}
		return &pending{Key: "k1", Subscription: "arn:aws:sns:us-east-1:000000000000:alerts:1", Endpoint: url,
			TopicARN: "arn:aws:sns:us-east-1:000000000000:alerts", MessageID: "m1", Raw: true, Body: []byte("kept"),
			Attempts: 1, Due: time.Now().Add(-time.Minute), LastErr: "connection refused"}
	}
	write := func(t *testing.T, path string, p *pending) {
		t.Helper()
		if err := outbox.WriteJSON(path, p); err != nil {
			t.Fatal(err)
		}
	}
	pendingPath := func(dir string) string { return filepath.Join(dir, "outbox", "pending", "k1.json") }
	undeliverablePath := func(dir string) string { return filepath.Join(dir, "outbox", "undeliverable", "k1.json") }
	cases := []struct {
		name  string
		state func(t *testing.T, dir string, p *pending)
		sent  bool // whether the seeded notification reaches the endpoint
	}{
		{"nothing written", func(*testing.T, string, *pending) {}, false},
		{"killed writing the pending file", func(t *testing.T, dir string, p *pending) {
			os.WriteFile(pendingPath(dir)+".tmp", []byte(`{"Key":"k1","Endpo`), 0o600)
		}, false},
		{"pending", func(t *testing.T, dir string, p *pending) { write(t, pendingPath(dir), p) }, true},
		{"pending, killed rewriting it after a failed attempt", func(t *testing.T, dir string, p *pending) {
			write(t, pendingPath(dir), p)
			os.WriteFile(pendingPath(dir)+".tmp", []byte(`{"Key":"k1","Attem`), 0o600)
		}, true},
		// Delivered, killed before the pending file was removed: SNS is
		// at least once here too, and the endpoint gets it again.
		{"delivered, pending file not yet removed", func(t *testing.T, dir string, p *pending) { write(t, pendingPath(dir), p) }, true},
		{"delivered and removed", func(*testing.T, string, *pending) {}, false},
		// Given up: the undeliverable copy is written first, so a kill
		// before the pending file's removal must not send it again.
		{"given up, pending file not yet removed", func(t *testing.T, dir string, p *pending) {
			write(t, pendingPath(dir), p)
			write(t, undeliverablePath(dir), p)
		}, false},
		{"given up and removed", func(t *testing.T, dir string, p *pending) { write(t, undeliverablePath(dir), p) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ep, url := newEndpoint(t)
			c.state(t, dir, seed(t, dir, url))
			s := newService(t, dir, io.Discard)
			arn, err := s.CreateTopic("sentinel", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Subscribe(arn, "http", url, "", true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Publish(arn, "", "sentinel"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for len(got) == 0 || got[len(got)-1] != "sentinel" {
				_, body := ep.next(t)
				got = append(got, string(body))
			}
			want := []string{"sentinel"}
			if c.sent {
				want = []string{"kept", "sentinel"}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("endpoint received %q, want %q", got, want)
			}
			waitIdle(t, s)
			if _, err := os.Stat(pendingPath(dir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the pending file is still there: %v", err)
			}
		})
	}
}
