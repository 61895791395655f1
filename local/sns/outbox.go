package sns

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// pending is one http/https notification waiting for its endpoint; it is
// also its outbox file's content, so a restart neither loses it nor, once
// delivered, sends it again.
type pending struct {
	Key, Subscription, Endpoint, TopicARN, MessageID string
	Raw                                              bool `json:",omitempty"`
	Body                                             []byte
	Attempts                                         int
	Due                                              time.Time
	LastErr                                          string `json:",omitempty"`
}

func keyOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func (s *Service) outbox(sub string) string { return filepath.Join(s.opts.Dir, "outbox", sub) }

func (s *Service) loadOutbox() error {
	if s.opts.Dir == "" {
		return nil
	}
	for _, sub := range []string{"pending", "undeliverable"} {
		if err := os.MkdirAll(s.outbox(sub), 0o700); err != nil {
			return fmt.Errorf("sns outbox: %w", err)
		}
	}
	names, err := os.ReadDir(s.outbox("pending"))
	if err != nil {
		return fmt.Errorf("sns outbox: %w", err)
	}
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.outbox("pending"), n.Name()))
		if err != nil {
			return fmt.Errorf("sns outbox: %w", err)
		}
		var p pending
		if err := json.Unmarshal(b, &p); err != nil {
			s.log.Error("unreadable outbox entry; skipped", "file", n.Name(), "error", err)
			continue
		}
		s.pending[p.Key] = &p
	}
	return nil
}

// enqueue keeps p in the outbox before it is attempted. Callers hold s.mu.
func (s *Service) enqueue(p *pending) {
	if err := s.writePending(p); err != nil {
		// Still deliver from memory: losing it on a restart is better
		// than not sending it at all.
		s.log.Error("writing notification to the outbox", "endpoint", p.Endpoint, "error", err)
	}
	s.pending[p.Key] = p
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) writePending(p *pending) error {
	if s.opts.Dir == "" {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	path := filepath.Join(s.outbox("pending"), p.Key+".json")
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// finish drops p from the outbox, keeping it under undeliverable when it
// failed for good.
func (s *Service) finish(p *pending, failed bool) error {
	if s.opts.Dir == "" {
		return nil
	}
	path := filepath.Join(s.outbox("pending"), p.Key+".json")
	if failed {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.outbox("undeliverable"), p.Key+".json"), b, 0o600); err != nil {
			return err
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Pending reports how many notifications wait for their endpoint.
func (s *Service) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// deliver posts due notifications, oldest first, until Close.
func (s *Service) deliver() {
	defer close(s.done)
	for {
		due, next := s.due()
		for _, p := range due {
			if s.ctx.Err() != nil {
				return
			}
			s.attempt(p)
		}
		if len(due) > 0 {
			continue
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(max(time.Until(next), 0))
			fire = timer.C
		}
		select {
		case <-s.ctx.Done():
		case <-s.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if s.ctx.Err() != nil {
			return
		}
	}
}

func (s *Service) due() ([]*pending, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var due []*pending
	var next time.Time
	for _, p := range s.pending {
		if !p.Due.After(now) {
			due = append(due, p)
		} else if next.IsZero() || p.Due.Before(next) {
			next = p.Due
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Due.Before(due[j].Due) })
	return due, next
}

type permanentError struct{ error }

// attempt posts p once and records the outcome: SNS's default policy
// retries a failed delivery Retries times, RetryDelay apart, then drops
// it (kept here under outbox/undeliverable and logged as an error).
func (s *Service) attempt(p *pending) {
	err := s.post(p)
	if err != nil && s.ctx.Err() != nil {
		return // shutting down: the attempt does not count, p stays pending
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Attempts++
	var perm *permanentError
	switch {
	case err == nil:
		delete(s.pending, p.Key)
		if err := s.finish(p, false); err != nil {
			s.log.Error("recording delivered notification", "key", p.Key, "error", err)
		}
		s.log.Info("notification delivered", "endpoint", p.Endpoint, "messageId", p.MessageID, "attempts", p.Attempts)
	case errors.As(err, &perm) || p.Attempts > s.opts.Retries:
		delete(s.pending, p.Key)
		if err := s.finish(p, true); err != nil {
			s.log.Error("recording undeliverable notification", "key", p.Key, "error", err)
		}
		s.log.Error("notification undeliverable; giving up", "endpoint", p.Endpoint, "messageId", p.MessageID, "attempts", p.Attempts, "error", err)
	default:
		p.LastErr = err.Error()
		p.Due = time.Now().Add(s.opts.RetryDelay)
		if err := s.writePending(p); err != nil {
			s.log.Error("updating pending notification", "key", p.Key, "error", err)
		}
		s.log.Warn("notification delivery failed; will retry", "endpoint", p.Endpoint, "messageId", p.MessageID, "attempts", p.Attempts, "retryAt", p.Due, "error", err)
	}
}

// post sends one notification with SNS's headers. 5xx, 408, 429 and
// network errors are retried; any other answer outside 2xx is final.
func (s *Service) post(p *pending) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, p.Endpoint, bytes.NewReader(p.Body))
	if err != nil {
		return &permanentError{fmt.Errorf("sns endpoint: %w", err)}
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	req.Header.Set("X-Amz-Sns-Message-Type", "Notification")
	req.Header.Set("X-Amz-Sns-Message-Id", p.MessageID)
	req.Header.Set("X-Amz-Sns-Topic-Arn", p.TopicARN)
	req.Header.Set("X-Amz-Sns-Subscription-Arn", p.Subscription)
	if p.Raw {
		req.Header.Set("X-Amz-Sns-Rawdelivery", "true")
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return fmt.Errorf("sns endpoint: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 500 || c == http.StatusRequestTimeout || c == http.StatusTooManyRequests:
		return fmt.Errorf("sns endpoint answered %s: %q", resp.Status, snippet)
	default:
		return &permanentError{fmt.Errorf("sns endpoint refused the notification with %s: %q", resp.Status, snippet)}
	}
}
