// Package outbox holds the pieces of a durable outbox the local services
// share (local/sns's deliveries): entries kept one JSON file each in a directory, a
// delivery loop that attempts them when they fall due, and the webhook
// POST that tells a retryable failure from a final one.
package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// MkdirAll creates the directories subs under root.
func MkdirAll(root string, subs ...string) error {
	for _, sub := range subs {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// Load reads every .json file of dir (skipping temporary files from an
// interrupted write) and calls each with the file's name and the entry it
// decodes to, or the decoding error.
func Load[T any](dir string, each func(name string, v *T, err error)) error {
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".json") {
			continue // a temporary file from an interrupted write
		}
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		if err != nil {
			return err
		}
		var v T
		err = json.Unmarshal(b, &v)
		each(n.Name(), &v, err)
	}
	return nil
}

// WriteJSON writes v to path atomically, readable by the owner only.
func WriteJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// Remove removes path; a path already gone is no error.
func Remove(path string) error {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	return err
}

// Due returns the entries of pending whose time (dueOf) has come by now,
// oldest first, and when the next of the others falls due (zero if none).
func Due[K comparable, T any](pending map[K]T, dueOf func(T) time.Time, now time.Time) ([]T, time.Time) {
	var due []T
	var next time.Time
	for _, p := range pending {
		if d := dueOf(p); !d.After(now) {
			due = append(due, p)
		} else if next.IsZero() || d.Before(next) {
			next = d
		}
	}
	sort.Slice(due, func(i, j int) bool { return dueOf(due[i]).Before(dueOf(due[j])) })
	return due, next
}

// Run attempts the entries due returns, oldest first, then waits for the
// next one to fall due or for a signal on wake, until ctx ends.
func Run[T any](ctx context.Context, wake <-chan struct{}, due func() ([]T, time.Time), attempt func(T)) {
	for {
		ready, next := due()
		for _, p := range ready {
			if ctx.Err() != nil {
				return
			}
			attempt(p)
		}
		if len(ready) > 0 {
			continue
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(max(time.Until(next), 0))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// Wake signals wake without blocking.
func Wake(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// PermanentError is a refusal that retrying cannot fix.
type PermanentError struct{ error }

// Unwrap returns the refusal.
func (p *PermanentError) Unwrap() error { return p.error }

// Post sends body to url with header. Like EventBridge API destinations
// and SNS's http/https deliveries, it treats 5xx, 408, 429 and network
// errors as retryable and any other answer outside 2xx as final
// (*PermanentError). who names the receiver in errors ("alert webhook"),
// what the thing refused ("alert").
func Post(ctx context.Context, client *http.Client, url string, body []byte, header http.Header, who, what string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("%s: %w", who, err)}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 500 || c == http.StatusRequestTimeout || c == http.StatusTooManyRequests:
		return fmt.Errorf("%s answered %s: %q", who, resp.Status, snippet)
	default:
		return &PermanentError{fmt.Errorf("%s refused the %s with %s: %q", who, what, resp.Status, snippet)}
	}
}
