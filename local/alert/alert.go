// Package alert tells the on-call engineer, once, about every thumbnail
// execution whose status-change event matches the stack's EventBridge
// rules (template.yaml's ExecutionFailedRule: system failures, not user
// rejections), the way the deployed stack does: the alert is the
// EventBridge "Step Functions Execution Status Change" event itself, so a
// receiver written against the local cloud works unchanged against AWS.
//
// Each alert is logged at once and, when a webhook is configured, written
// to an outbox before Observe returns and delivered in the background, so
// a slow or broken webhook never holds up an execution, and a restart
// neither loses a pending alert nor sends a delivered one again.
package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/events"
	"thumbflow/local/outbox"
	"thumbflow/local/sfn"
)

// endedBadly is the pattern used when Options.Patterns is nil (an alerter
// built without a template): every execution that did not succeed.
var endedBadly = Pattern{"detail": map[string]any{"status": []any{"FAILED", "TIMED_OUT", "ABORTED"}}}

// Options configure an Alerter. Only Region and AccountID matter for the
// event's shape; the rest have defaults.
type Options struct {
	// Webhook receives each alert as an HTTP POST of the event JSON; empty
	// only logs.
	Webhook string
	// Dir keeps the outbox and the record of delivered alerts; empty keeps
	// them in memory, so a restart forgets them.
	Dir string
	// Region and AccountID fill the event's envelope as EventBridge would.
	Region, AccountID string
	// Client posts to the webhook; nil uses a client with a 10 s timeout.
	Client *http.Client
	// Backoff is the wait before retry n (from 1); nil doubles from 1 s up
	// to 5 min, so a webhook that is down for an hour is still reached.
	Backoff func(n int) time.Duration
	// MaxAttempts bounds the deliveries of one alert (default 50, about
	// four hours with the default backoff); after it the alert is kept in
	// the outbox's "undeliverable" directory and logged as an error.
	MaxAttempts int
	Logger      *slog.Logger
	// Patterns are the event patterns of the rules that alert (the
	// template's); an event alerts when any matches. Nil alerts on every
	// FAILED, TIMED_OUT or ABORTED execution; empty never alerts.
	Patterns []Pattern
	// Now stamps the event's time; nil is the wall clock.
	Now func() time.Time
}

// Event is the EventBridge envelope of a Step Functions status change.
type Event = events.Envelope[Detail]

// Detail is the event's detail as Step Functions sends it: dates in epoch
// milliseconds, input and output as JSON text, absent values as null.
type Detail = events.StatusChangeDetail

// DetailType and Source are what EventBridge rules match on.
const (
	DetailType = events.StatusChangeDetailType
	Source     = events.StatusChangeSource
)

// NewEvent renders s as EventBridge would deliver it. The id is derived
// from the execution ARN, so a receiver can discard a repeated alert by id
// (EventBridge itself delivers at least once).
func NewEvent(s sfn.ExecutionSummary, region, account string, now time.Time) Event {
	return Event{
		Version: "0", ID: eventID(s.ExecutionARN, s.Status), DetailType: DetailType, Source: Source,
		Account: account, Time: now.UTC().Format(time.RFC3339), Region: region,
		Resources: []string{s.ExecutionARN}, Detail: events.NewStatusChangeDetail(s),
	}
}

// eventID is a UUID-shaped hash of what makes the event unique.
func eventID(arn, status string) string {
	h := sha256.Sum256([]byte(arn + "\x00" + status))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Alerter turns ended executions into alerts. Its Observe method is what
// sfn.Service.OnExecutionEnd takes.
type Alerter struct {
	opts Options
	log  *slog.Logger

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	seen    map[string]bool // execution keys alerted (pending or delivered)
	pending map[string]*pending
}

// pending is one alert waiting for the webhook. It is also the outbox
// file's content.
type pending struct {
	Key      string          `json:"key"`
	Event    json.RawMessage `json:"event"`
	Attempts int             `json:"attempts"`
	Due      time.Time       `json:"due"`
	LastErr  string          `json:"lastError,omitempty"`
}

// New starts an alerter, and with it the delivery of alerts that were
// still pending when the outbox was last used.
func New(opts Options) (*Alerter, error) {
	if opts.Webhook != "" {
		u, err := url.Parse(opts.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("alert webhook %q: want an http or https URL", opts.Webhook)
		}
	}
	awsjson.Defaults(&opts.Logger, &opts.Now, &opts.Region, &opts.AccountID)
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Backoff == nil {
		opts.Backoff = func(n int) time.Duration {
			d := time.Second << min(n-1, 20)
			return min(d, 5*time.Minute)
		}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 50
	}
	if opts.Patterns == nil {
		opts.Patterns = []Pattern{endedBadly}
	}
	a := &Alerter{
		opts: opts, log: opts.Logger.With("component", "alert"),
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		seen: map[string]bool{}, pending: map[string]*pending{},
	}
	if err := a.load(); err != nil {
		return nil, err
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	go a.deliver()
	return a, nil
}

// Close stops delivery. Alerts still pending stay in the outbox for the
// next New on the same directory.
func (a *Alerter) Close() error {
	a.cancel()
	<-a.done
	return nil
}

func (a *Alerter) dir(sub string) string { return filepath.Join(a.opts.Dir, sub) }

// load reads the outbox: delivered markers and pending alerts.
func (a *Alerter) load() error {
	if a.opts.Dir == "" {
		return nil
	}
	if err := outbox.MkdirAll(a.opts.Dir, "pending", "delivered", "undeliverable"); err != nil {
		return fmt.Errorf("alert outbox: %w", err)
	}
	for _, sub := range []string{"delivered", "undeliverable"} {
		names, err := os.ReadDir(a.dir(sub))
		if err != nil {
			return fmt.Errorf("alert outbox: %w", err)
		}
		for _, n := range names {
			a.seen[strings.TrimSuffix(n.Name(), ".json")] = true
		}
	}
	err := outbox.Load(a.dir("pending"), func(name string, p *pending, err error) {
		if err != nil || p.Key == "" {
			a.log.Error("dropping unreadable pending alert", "file", name, "error", err)
			return
		}
		if a.seen[p.Key] {
			// Delivered, but the process stopped before the pending
			// file was removed.
			os.Remove(filepath.Join(a.dir("pending"), name))
			return
		}
		// A restart is a fresh chance: whatever kept the webhook away
		// may have been fixed with it.
		p.Due = time.Time{}
		a.seen[p.Key] = true
		a.pending[p.Key] = p
	})
	if err != nil {
		return fmt.Errorf("alert outbox: %w", err)
	}
	return nil
}

// Observe raises the alert for an execution that ended badly, once per
// execution, and ignores every other summary. It never waits for the
// network.
func (a *Alerter) Observe(s sfn.ExecutionSummary) {
	if s.Status == "RUNNING" || s.Status == "SUCCEEDED" {
		return
	}
	ev := NewEvent(s, a.opts.Region, a.opts.AccountID, a.opts.Now())
	if !a.matches(ev) {
		// A user rejection: counted by the status function's metrics,
		// never paged, so never an ERROR line either.
		a.log.Info("execution ended without alert: no alert rule matches",
			"status", s.Status, "executionArn", s.ExecutionARN, "uploadId", uploadID(s.Input), "errorName", s.Error)
		return
	}
	key := keyOf(s.ExecutionARN)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[key] {
		a.log.Info("alert already raised for execution", "executionArn", s.ExecutionARN)
		return
	}
	a.log.Error("execution alert",
		"detail-type", ev.DetailType, "id", ev.ID, "status", s.Status,
		"executionArn", s.ExecutionARN, "stateMachineArn", s.StateMachineARN,
		"uploadId", uploadID(s.Input), "error", s.Error, "cause", s.Cause,
		"startDate", s.StartDate, "stopDate", s.StopDate)
	a.seen[key] = true
	if a.opts.Webhook == "" {
		if err := a.mark("delivered", key, nil); err != nil {
			a.log.Error("recording alert", "executionArn", s.ExecutionARN, "error", err)
		}
		return
	}
	body, err := json.Marshal(ev)
	if err != nil {
		a.log.Error("encoding alert", "executionArn", s.ExecutionARN, "error", err)
		return
	}
	p := &pending{Key: key, Event: body, Due: a.opts.Now()}
	if err := a.save(p); err != nil {
		// Still deliver it from memory: losing it on a restart is
		// better than not sending it at all.
		a.log.Error("writing alert to the outbox", "executionArn", s.ExecutionARN, "error", err)
	}
	a.pending[key] = p
	outbox.Wake(a.wake)
}

// matches reports whether any alert rule matches ev. A pattern the
// matcher cannot evaluate alerts, and says so: a missed page is worse
// than a spurious one.
func (a *Alerter) matches(ev Event) bool {
	m, err := eventMap(ev)
	if err != nil {
		a.log.Error("encoding event for the alert rules; alerting anyway", "executionArn", ev.Detail.ExecutionARN, "error", err)
		return true
	}
	for _, p := range a.opts.Patterns {
		ok, err := p.Match(m)
		if err != nil {
			a.log.Error("alert rule cannot be evaluated; alerting anyway", "executionArn", ev.Detail.ExecutionARN, "error", err)
			return true
		}
		if ok {
			return true
		}
	}
	return false
}

// eventMap is ev as a rule sees it: its JSON, decoded.
func eventMap(ev Event) (map[string]any, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// uploadID is the execution input's uploadId, for the log line.
func uploadID(input json.RawMessage) string {
	var in struct {
		UploadID string `json:"uploadId"`
	}
	json.Unmarshal(input, &in)
	return in.UploadID
}

func keyOf(executionARN string) string {
	h := sha256.Sum256([]byte(executionARN))
	return hex.EncodeToString(h[:16])
}

// save writes p to the outbox atomically.
func (a *Alerter) save(p *pending) error {
	if a.opts.Dir == "" {
		return nil
	}
	return outbox.WriteJSON(filepath.Join(a.dir("pending"), p.Key+".json"), p)
}

// mark records that the alert with key ended in sub (delivered or
// undeliverable) and drops it from the outbox. The marker is written
// before the pending file is removed, so a crash between the two leaves a
// delivered alert that load recognises, never a second delivery.
func (a *Alerter) mark(sub, key string, body []byte) error {
	if a.opts.Dir == "" {
		return nil
	}
	if err := os.WriteFile(filepath.Join(a.dir(sub), key+".json"), body, 0o600); err != nil {
		return err
	}
	return outbox.Remove(filepath.Join(a.dir("pending"), key+".json"))
}

// deliver posts due alerts, oldest first, until Close.
func (a *Alerter) deliver() {
	defer close(a.done)
	outbox.Run(a.ctx, a.wake, a.due, a.attempt)
}

// due returns the pending alerts whose time has come, and when the next
// one falls due.
func (a *Alerter) due() ([]*pending, time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return outbox.Due(a.pending, func(p *pending) time.Time { return p.Due }, time.Now())
}

// attempt posts p once and records the outcome.
func (a *Alerter) attempt(p *pending) {
	err := a.post(p.Event)
	a.mu.Lock()
	defer a.mu.Unlock()
	p.Attempts++
	var perm *outbox.PermanentError
	switch {
	case err == nil:
		delete(a.pending, p.Key)
		if err := a.mark("delivered", p.Key, nil); err != nil {
			a.log.Error("recording delivered alert", "key", p.Key, "error", err)
		}
		a.log.Info("alert delivered", "key", p.Key, "attempts", p.Attempts)
	case errors.As(err, &perm) || p.Attempts >= a.opts.MaxAttempts:
		delete(a.pending, p.Key)
		if err := a.mark("undeliverable", p.Key, p.Event); err != nil {
			a.log.Error("recording undeliverable alert", "key", p.Key, "error", err)
		}
		a.log.Error("alert undeliverable; giving up", "key", p.Key, "attempts", p.Attempts, "error", err)
	default:
		p.LastErr = err.Error()
		p.Due = time.Now().Add(a.opts.Backoff(p.Attempts))
		if err := a.save(p); err != nil {
			a.log.Error("updating pending alert", "key", p.Key, "error", err)
		}
		a.log.Warn("alert delivery failed; will retry", "key", p.Key, "attempts", p.Attempts, "retryAt", p.Due, "error", err)
	}
}

// post sends one alert. As EventBridge API destinations do, it retries
// 5xx, 408, 429 and network errors, and gives up on any other 4xx.
func (a *Alerter) post(body []byte) error {
	header := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"thumbflow-alert"}}
	return outbox.Post(a.ctx, a.opts.Client, a.opts.Webhook, body, header, "alert webhook", "alert")
}

// Pending reports how many alerts wait for the webhook, for tests and
// for the dev server's shutdown message.
func (a *Alerter) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending)
}
