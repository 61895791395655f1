package alert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Crash windows of the alert outbox. Each case seeds an on-disk state that
// a crash can leave behind (docs/operators.md, "Restarts"), starts the
// alerter on it and checks what the webhook receives. A sentinel alert
// raised after the start (see settle) proves that nothing else was sent: the
// outbox's leftovers are due before it.

func names(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Detail.Name)
	}
	return out
}

// seedPending writes the outbox file that Observe would have written for
// execution name.
func seedPending(t *testing.T, dir, name string) string {
	t.Helper()
	s := summary(name, "FAILED")
	body, err := json.Marshal(NewEvent(s, "us-east-1", "000000000000", t0))
	if err != nil {
		t.Fatal(err)
	}
	key := keyOf(s.ExecutionARN)
	b, err := json.Marshal(pending{Key: key, Event: body, Attempts: 1, Due: t0})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "pending", key+".json"), b)
	return key
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestOutboxCrashWindows(t *testing.T) {
	cases := []struct {
		name string
		exec string // the seeded execution
		seed func(t *testing.T, dir string) (key string)
		want []string // alerts the webhook accepts, besides the sentinel
	}{
		{"crash after the POST, before the delivered marker: sent again (at least once)",
			"w-1",
			func(t *testing.T, dir string) string { return seedPending(t, dir, "w-1") },
			[]string{"w-1"}},
		{"crash after the delivered marker, before the pending file was removed: not sent again",
			"w-2",
			func(t *testing.T, dir string) string {
				key := seedPending(t, dir, "w-2")
				writeFile(t, filepath.Join(dir, "delivered", key+".json"), nil)
				return key
			},
			nil},
		{"crash after the undeliverable marker, before the pending file was removed: not sent",
			"w-3",
			func(t *testing.T, dir string) string {
				key := seedPending(t, dir, "w-3")
				writeFile(t, filepath.Join(dir, "undeliverable", key+".json"), []byte(`{}`))
				return key
			},
			nil},
		{"crash while writing the first outbox file (only a .tmp): nothing to send",
			"w-4",
			func(t *testing.T, dir string) string {
				key := seedPending(t, dir, "w-4")
				p := filepath.Join(dir, "pending", key+".json")
				if err := os.Rename(p, p+".tmp"); err != nil {
					t.Fatal(err)
				}
				return ""
			},
			nil},
		{"crash while updating the outbox file after a failed attempt: sent once",
			"w-5",
			func(t *testing.T, dir string) string {
				key := seedPending(t, dir, "w-5")
				writeFile(t, filepath.Join(dir, "pending", key+".json.tmp"), []byte(`{"key":`))
				return key
			},
			[]string{"w-5"}},
		{"a torn outbox file is dropped; the others are still sent",
			"w-6",
			func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "pending", "torn.json"), []byte(`{"key":"to`))
				return seedPending(t, dir, "w-6")
			},
			[]string{"w-6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			key := c.seed(t, dir)
			wh := newWebhook(t)
			a := start(t, Options{Webhook: wh.srv.URL, Dir: dir})
			settle(t, a, wh)
			_, got := wh.state()
			if g := names(got); len(g) != len(c.want) || (len(g) > 0 && g[0] != c.want[0]) {
				t.Fatalf("after the restart the webhook accepted %v, want %v", g, c.want)
			}
			if key != "" && exists(filepath.Join(dir, "pending", key+".json")) {
				t.Errorf("pending/%s.json is still in the outbox after the restart settled", key)
			}
			// The engine reporting the same execution again after the
			// restart raises nothing either.
			if key != "" {
				a.Observe(summary(c.exec, "FAILED"))
				settle(t, a, wh)
				if _, got := wh.state(); len(got) != len(c.want) {
					t.Fatalf("a repeated report after the restart sent %v, want only %v", names(got), c.want)
				}
			}
		})
	}
}
