// Package sns is the local Amazon SNS: the template's topics, their
// subscriptions and topic policies, and the query-protocol API the SDK and
// the aws CLI call. Publishing fans a message out to the subscriptions: an
// email subscription is logged (no mail leaves the machine), an http or
// https one receives SNS's notification JSON through a durable outbox with
// SNS's retries. Services that publish (EventBridge, CloudWatch alarms)
// are checked against the topic policy with local/iam, as on AWS.
package sns

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/iam"
	"thumbflow/local/sigv4"
)

// SigningName is the service of SNS's credential scope; the query
// protocol carries no X-Amz-Target, so the local cloud routes by it.
const SigningName = "sns"

// Options configure the service.
type Options struct {
	// Dir keeps topics, subscriptions and the http outbox; empty keeps
	// them in memory.
	Dir       string
	Verifier  *sigv4.Verifier
	Authorize awsjson.Authorizer
	// Region and AccountID form topic ARNs.
	Region, AccountID string
	Logger            *slog.Logger
	// Now stamps notifications; nil is the wall clock.
	Now func() time.Time
	// Client posts to http and https endpoints; nil has a 15 s timeout,
	// SNS's own.
	Client *http.Client
	// RetryDelay is the wait between http attempts; zero is SNS's default
	// delivery policy (DefaultRetryDelay). A test rig may scale it.
	RetryDelay time.Duration
	// Retries is the number of retries after the first attempt; zero is
	// SNS's default delivery policy (DefaultRetries).
	Retries int
}

// SNS's default delivery policy for http/https: 3 retries, 20 s apart
// (minDelayTarget = maxDelayTarget = 20, linear).
const (
	DefaultRetries    = 3
	DefaultRetryDelay = 20 * time.Second
)

// Service is the local SNS.
type Service struct {
	opts Options
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu      sync.Mutex
	topics  map[string]*topic // by ARN
	pending map[string]*pending
}

// topic is one topic with its subscriptions; topics are also the content
// of topics.json.
type topic struct {
	ARN, Name, DisplayName string
	// Policy is the topic policy document (JSON), or "".
	Policy        string          `json:",omitempty"`
	Subscriptions []*subscription `json:",omitempty"`
	policy        *iam.Policy
}

type subscription struct {
	ARN, Protocol, Endpoint string
	Raw                     bool `json:",omitempty"`
}

// New opens the topics and the outbox kept in opts.Dir and starts the
// delivery of notifications still pending there.
func New(opts Options) (*Service, error) {
	awsjson.Defaults(&opts.Logger, &opts.Now, &opts.Region, &opts.AccountID)
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "sns"), topics: map[string]*topic{}, pending: map[string]*pending{},
		done: make(chan struct{}), wake: make(chan struct{}, 1)}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.deliver()
	return s, nil
}

// Close stops delivery; notifications still pending stay in the outbox.
func (s *Service) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// Matches reports whether r is addressed to SNS: signed for the "sns"
// service (the query protocol has no X-Amz-Target).
func (s *Service) Matches(r *http.Request) bool {
	return awsjson.SigningService(r) == SigningName && r.Header.Get("X-Amz-Target") == ""
}

func (s *Service) topicARN(name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", s.opts.Region, s.opts.AccountID, name)
}

func (s *Service) load() error {
	if s.opts.Dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.opts.Dir, "topics.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sns: %w", err)
	}
	if err == nil {
		var list []*topic
		if err := json.Unmarshal(b, &list); err != nil {
			return fmt.Errorf("sns: topics.json: %w", err)
		}
		for _, t := range list {
			if err := t.parsePolicy(); err != nil {
				return fmt.Errorf("sns: topic %s: %w", t.ARN, err)
			}
			s.topics[t.ARN] = t
		}
	}
	return s.loadOutbox()
}

// save writes the topics atomically. Callers hold s.mu.
func (s *Service) save() error {
	if s.opts.Dir == "" {
		return nil
	}
	b, err := awsjson.MarshalValues(s.topics)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	path := filepath.Join(s.opts.Dir, "topics.json")
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	return nil
}

func (t *topic) parsePolicy() error {
	t.policy = nil
	if t.Policy == "" {
		return nil
	}
	p, err := iam.Parse(t.Policy)
	if err != nil {
		return err
	}
	t.policy = &p
	return nil
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
