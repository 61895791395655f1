// Package events is the local Amazon EventBridge: the default event bus,
// the template's rules with their event patterns (matched as EventBridge's
// content filtering does, see Pattern), and their targets, each delivered
// through a Go callback that the local cloud registers per target ARN
// (an SNS topic, a function). Events come from PutEvents (the SDK, the aws
// CLI) and from the local services themselves (Put, ObserveExecution).
package events

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/sigv4"
)

// TargetPrefix is the X-Amz-Target prefix of EventBridge's requests;
// SigningName the service of their credential scope.
const (
	TargetPrefix = "AWSEvents."
	SigningName  = "events"
)

// maxRequestBytes is PutEvents' limit on a request's entries (256 KiB),
// with room for the JSON around them.
const maxRequestBytes = 512 << 10

// Event is an event as EventBridge delivers it to targets.
type Event = Envelope[json.RawMessage]

// Envelope is EventBridge's event envelope around a detail of type D;
// the status-change events carry a typed detail.
type Envelope[D any] struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     D        `json:"detail"`
}

// Delivery is one event on its way to one target.
type Delivery struct {
	// RuleARN is the rule that matched: the aws:SourceArn a resource
	// policy (the SNS topic policy) checks.
	RuleARN, TargetID, TargetARN string
	// Input is what the target receives: the event, or the target's
	// Input or InputPath applied to it.
	Input []byte
	// Attempt counts from 1.
	Attempt int
}

// Deliver hands one delivery to a target. An error wrapped by Permanent is
// not retried.
type Deliver func(ctx context.Context, d Delivery) error

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks a delivery failure that retrying cannot fix, such as a
// refusal by the target's resource policy.
func Permanent(err error) error { return permanent{err} }

// Options configure the service.
type Options struct {
	Verifier  *sigv4.Verifier
	Authorize awsjson.Authorizer
	// Region and AccountID form rule ARNs and events' envelopes.
	Region, AccountID string
	Logger            *slog.Logger
	// Now stamps events; nil is the wall clock.
	Now func() time.Time
	// Backoff is the wait before retry n (from 1); nil is EventBridge's
	// exponential backoff from 1 s, capped at 5 min.
	Backoff func(n int) time.Duration
}

// Defaults of a target's RetryPolicy, as EventBridge documents them.
const (
	DefaultMaximumRetryAttempts = 185
	DefaultMaximumEventAge      = 24 * time.Hour
)

// Service is the local EventBridge.
type Service struct {
	opts Options
	log  *slog.Logger
	srv  *awsjson.Server

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	rules    map[string]*rule // by name, on the default bus
	handlers map[string]Deliver
}

// New returns the service; Close stops its pending retries.
func New(opts Options) *Service {
	awsjson.Defaults(&opts.Logger, &opts.Now, &opts.Region, &opts.AccountID)
	if opts.Backoff == nil {
		opts.Backoff = func(n int) time.Duration { return min(time.Second<<min(n-1, 20), 5*time.Minute) }
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "events"), rules: map[string]*rule{}, handlers: map[string]Deliver{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = &awsjson.Server{
		SigningName: SigningName, TargetPrefix: TargetPrefix, JSONVersion: "1.1", MaxBytes: maxRequestBytes,
		Verifier: opts.Verifier, Authorize: opts.Authorize, Operations: s.operations(),
		InternalErrorCode: "InternalException",
	}
	return s
}

// Close stops retries and waits for deliveries in progress.
func (s *Service) Close() error {
	s.cancel()
	s.wg.Wait()
	return nil
}

// ServeHTTP answers EventBridge's API (AWS JSON 1.1).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.srv.ServeHTTP(w, r) }

// Matches reports whether r is an EventBridge request (by X-Amz-Target).
func (s *Service) Matches(r *http.Request) bool { return s.srv.Matches(r) }

// HandleTargets registers deliver for the targets whose ARN starts with
// arnPrefix (a whole ARN, or "arn:aws:sns:" for every topic); the longest
// prefix wins. A target nobody handles is logged and skipped.
func (s *Service) HandleTargets(arnPrefix string, deliver Deliver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[arnPrefix] = deliver
}

func (s *Service) handler(arn string) Deliver {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, found := "", Deliver(nil)
	for p, h := range s.handlers {
		if strings.HasPrefix(arn, p) && len(p) >= len(best) {
			best, found = p, h
		}
	}
	return found
}

// Put sends ev to the default bus: every enabled rule whose pattern
// matches delivers it to its targets, in the background. It returns the
// names of the rules that matched.
func (s *Service) Put(ev Event) []string {
	body, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("encoding event", "id", ev.ID, "error", err)
		return nil
	}
	s.mu.Lock()
	var matched []*rule
	for _, r := range s.rules {
		if r.enabled() && r.pattern != nil {
			if ok, _ := r.pattern.Matches(body); ok {
				matched = append(matched, r)
			}
		}
	}
	s.mu.Unlock()
	var names []string
	for _, r := range matched {
		names = append(names, r.name)
		for _, t := range r.targetList() {
			s.dispatch(r, t, ev, body)
		}
	}
	return names
}

// dispatch delivers to one target with its retry policy.
func (s *Service) dispatch(r *rule, t target, ev Event, body []byte) {
	input, err := t.input(body)
	if err != nil {
		s.log.Error("target input", "rule", r.name, "target", t.ID, "error", err)
		return
	}
	deliver := s.handler(t.ARN)
	if deliver == nil {
		s.log.Warn("no local handler for the rule's target; event dropped", "rule", r.name, "target", t.ID, "arn", t.ARN, "eventId", ev.ID)
		return
	}
	d := Delivery{RuleARN: r.arn, TargetID: t.ID, TargetARN: t.ARN, Input: input}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		started := s.opts.Now()
		for d.Attempt = 1; ; d.Attempt++ {
			err := deliver(s.ctx, d)
			if err == nil {
				s.log.Info("event delivered", "rule", r.name, "target", t.ID, "eventId", ev.ID, "attempt", d.Attempt)
				return
			}
			var p permanent
			if errors.As(err, &p) || d.Attempt > t.maxRetries || s.opts.Now().Sub(started) >= t.maxAge {
				s.log.Error("event delivery failed; giving up", "rule", r.name, "target", t.ID, "eventId", ev.ID, "attempts", d.Attempt, "error", err)
				return
			}
			s.log.Warn("event delivery failed; will retry", "rule", r.name, "target", t.ID, "eventId", ev.ID, "attempt", d.Attempt, "error", err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.opts.Backoff(d.Attempt)):
			}
		}
	}()
}
