package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// EventHandler receives one S3 notification, like a Lambda function
// subscribed to the bucket. Returning an error makes the event be retried.
type EventHandler func(ctx context.Context, ev events.S3Event) error

// Notify subscribes fn to object-created events in bucket whose key starts
// with prefix. Events recorded for an identical earlier subscription that
// were not delivered before a restart are handed to fn as well, so the
// subscription must be registered again at every start, in the same order.
func (s *Server) Notify(bucket, prefix string, fn EventHandler) {
	s.events.subscribe(bucket, prefix, fn)
}

// entry is one pending delivery, stored as a file in the outbox directory.
type entry struct {
	ID    string          `json:"id"`
	Sub   string          `json:"subscription"`
	Event json.RawMessage `json:"event"`
	// Function is the Lambda function ARN of an entry recorded for a
	// bucket's notification configuration; it waits in pending until a
	// handler is registered for that ARN (notification.go).
	Function string `json:"function,omitempty"`
}

type subscription struct {
	id     string
	bucket string
	prefix string
	fn     EventHandler
	// function is set, and fn nil, for a destination of a bucket's
	// notification configuration: its handler is looked up at record time.
	// configID is that configuration's ID, which its events carry.
	function, configID string
}

// outbox persists events before the request that caused them is answered
// and delivers them in the background until their subscriber accepts them.
type outbox struct {
	dir                string
	retryMin, retryMax time.Duration
	log                *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// runMu orders starting a delivery (wg.Add) against close: once
	// closing is set no delivery starts, so wg.Wait never races an Add.
	runMu   sync.Mutex
	closing bool

	mu        sync.Mutex
	subs      []*subscription
	pending   map[string]*entry       // by entry ID, not yet handed to a subscriber
	functions map[string]EventHandler // by Lambda function ARN
}

func newOutbox(dir string, retryMin, retryMax time.Duration, log *slog.Logger) (*outbox, error) {
	ctx, cancel := context.WithCancel(context.Background())
	o := &outbox{dir: dir, retryMin: retryMin, retryMax: retryMax, log: log, ctx: ctx, cancel: cancel,
		pending: map[string]*entry{}, functions: map[string]EventHandler{}}
	if dir == "" {
		return o, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		cancel()
		return nil, fmt.Errorf("creating outbox: %w", err)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("reading outbox: %w", err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("reading outbox: %w", err)
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			log.Warn("skipping unreadable outbox entry", "file", f.Name(), "error", err)
			continue
		}
		o.pending[e.ID] = &e
	}
	return o, nil
}

func (o *outbox) subscribe(bucket, prefix string, fn EventHandler) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.subs {
		if s.bucket == bucket && s.prefix == prefix {
			n++
		}
	}
	sub := &subscription{id: fmt.Sprintf("%s|%s|%d", bucket, prefix, n), bucket: bucket, prefix: prefix, fn: fn}
	o.subs = append(o.subs, sub)

	var replay []*entry
	for id, e := range o.pending {
		if e.Sub == sub.id {
			replay = append(replay, e)
			delete(o.pending, id)
		}
	}
	sort.Slice(replay, func(i, j int) bool { return replay[i].ID < replay[j].ID })
	for _, e := range replay {
		o.deliver(sub, e)
	}
}

func (o *outbox) path(e *entry) string { return filepath.Join(o.dir, e.ID+".json") }

// deliver retries e with exponential backoff until sub accepts it or the
// outbox is closed; only success removes the entry.
func (o *outbox) deliver(sub *subscription, e *entry) {
	o.runMu.Lock()
	if o.closing {
		o.runMu.Unlock()
		return
	}
	o.wg.Add(1)
	o.runMu.Unlock()
	go func() {
		defer o.wg.Done()
		wait := o.retryMin
		for attempt := 1; ; attempt++ {
			var ev events.S3Event
			// Decoding the stored JSON, as the Lambda runtime would, fills
			// URLDecodedKey and proves the payload round-trips.
			err := json.Unmarshal(e.Event, &ev)
			if err == nil {
				err = callHandler(o.ctx, sub.fn, ev)
			}
			if err == nil {
				if o.dir != "" {
					if rerr := os.Remove(o.path(e)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
						o.log.Error("removing delivered outbox entry", "id", e.ID, "error", rerr)
					}
				}
				return
			}
			if o.ctx.Err() != nil {
				return
			}
			o.log.Warn("s3 event delivery failed; retrying", "subscription", sub.id, "id", e.ID, "attempt", attempt, "retry_in", wait, "error", err)
			select {
			case <-o.ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(wait*2, o.retryMax)
		}
	}()
}

// callHandler turns a subscriber panic into an error so it is retried
// instead of taking the local cloud down.
func callHandler(ctx context.Context, fn EventHandler, ev events.S3Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("event handler panicked: %v", p)
		}
	}()
	return fn(ctx, ev)
}

func (o *outbox) close() {
	o.runMu.Lock()
	o.closing = true
	o.runMu.Unlock()
	o.cancel()
	o.wg.Wait()
}

// sourceIP is the client address an event reports.
func sourceIP(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ip
}

// newEvent builds the notification exactly as S3 shapes it, including the
// form-encoded key ("red flower.jpg" arrives as "red+flower.jpg").
func (s *Server) newEvent(bucket, key, name, ip string, size int64, etag, version string) events.S3Event {
	rec := events.S3EventRecord{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         s.opts.Region,
		EventTime:         s.opts.Now().UTC(),
		EventName:         name,
		PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:local"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: ip},
		ResponseElements: map[string]string{
			"x-amz-request-id": fmt.Sprintf("%016X", s.reqID.Add(1)),
			"x-amz-id-2":       "local",
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "thumbflow-local",
			Bucket: events.S3Bucket{
				Name:          bucket,
				OwnerIdentity: events.S3UserIdentity{PrincipalID: "local"},
				Arn:           "arn:aws:s3:::" + bucket,
			},
			Object: events.S3Object{
				Key:       strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"),
				Size:      size,
				VersionID: version,
				ETag:      strings.Trim(etag, `"`),
				Sequencer: s.nextSequencer(),
			},
		},
	}
	return events.S3Event{Records: []events.S3EventRecord{rec}}
}

func (s *Server) nextSequencer() string {
	for {
		prev := s.seq.Load()
		next := max(prev+1, s.opts.Now().UnixNano())
		if s.seq.CompareAndSwap(prev, next) {
			return fmt.Sprintf("%016X", next)
		}
	}
}
