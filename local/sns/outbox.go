package sns

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"thumbflow/local/outbox"
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
	if err := outbox.MkdirAll(filepath.Join(s.opts.Dir, "outbox"), "pending", "undeliverable"); err != nil {
		return fmt.Errorf("sns outbox: %w", err)
	}
	err := outbox.Load(s.outbox("pending"), func(name string, p *pending, err error) {
		if err != nil {
			s.log.Error("unreadable outbox entry; skipped", "file", name, "error", err)
			return
		}
		// Given up before a kill removed its pending file: finish writes
		// the undeliverable copy first, so the copy decides.
		if _, err := os.Stat(filepath.Join(s.outbox("undeliverable"), name)); err == nil {
			s.log.Info("outbox entry was given up before a restart; not sending it again", "file", name, "messageId", p.MessageID)
			if err := outbox.Remove(filepath.Join(s.outbox("pending"), name)); err != nil {
				s.log.Error("removing given-up outbox entry", "file", name, "error", err)
			}
			return
		}
		s.pending[p.Key] = p
	})
	if err != nil {
		return fmt.Errorf("sns outbox: %w", err)
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
	outbox.Wake(s.wake)
}

func (s *Service) writePending(p *pending) error {
	if s.opts.Dir == "" {
		return nil
	}
	return outbox.WriteJSON(filepath.Join(s.outbox("pending"), p.Key+".json"), p)
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
	return outbox.Remove(path)
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
	outbox.Run(s.ctx, s.wake, s.due, s.attempt)
}

func (s *Service) due() ([]*pending, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return outbox.Due(s.pending, func(p *pending) time.Time { return p.Due }, time.Now())
}

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
	var perm *outbox.PermanentError
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
	header := http.Header{
		"Content-Type":               {"text/plain; charset=UTF-8"},
		"User-Agent":                 {"Amazon Simple Notification Service Agent"},
		"X-Amz-Sns-Message-Type":     {"Notification"},
		"X-Amz-Sns-Message-Id":       {p.MessageID},
		"X-Amz-Sns-Topic-Arn":        {p.TopicARN},
		"X-Amz-Sns-Subscription-Arn": {p.Subscription},
	}
	if p.Raw {
		header.Set("X-Amz-Sns-Rawdelivery", "true")
	}
	return outbox.Post(s.ctx, s.opts.Client, p.Endpoint, p.Body, header, "sns endpoint", "notification")
}
