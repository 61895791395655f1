// Package sqs is the local Amazon SQS: standard queues from the template
// (the start-failures queue) and from CreateQueue, kept in the data
// directory, with the API the SDK and the aws CLI call (AWS JSON 1.0), and
// Enqueue for the local Lambda's OnFailure destination.
package sqs

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/sigv4"
)

// TargetPrefix is the X-Amz-Target prefix of SQS's JSON requests;
// SigningName the service of their credential scope.
const (
	TargetPrefix = "AmazonSQS."
	SigningName  = "sqs"
)

// maxRequestBytes bounds a request: ten messages of SQS's 256 KiB each,
// with room for their attributes.
const maxRequestBytes = 3 << 20

// MaxWait is SQS's longest WaitTimeSeconds.
const MaxWait = 20 * time.Second

// Options configure the service.
type Options struct {
	// Dir keeps the queues and their messages (one JSON file per queue);
	// empty keeps them in memory.
	Dir       string
	Verifier  *sigv4.Verifier
	Authorize awsjson.Authorizer
	// Region and AccountID form queue URLs and ARNs.
	Region, AccountID string
	Logger            *slog.Logger
	// Now is the clock of visibility timeouts, delays and retention; nil
	// is the wall clock. Long polling waits on real time, bounded by
	// WaitTimeSeconds.
	Now func() time.Time
}

// Service is the local SQS.
type Service struct {
	opts Options
	log  *slog.Logger
	srv  *awsjson.Server

	mu     sync.Mutex
	queues map[string]*queue // by name
	// arrived is closed and replaced whenever a message is sent, waking
	// long polls.
	arrived chan struct{}
}

// New opens the queues kept in opts.Dir.
func New(opts Options) (*Service, error) {
	awsjson.Defaults(&opts.Logger, &opts.Now, &opts.Region, &opts.AccountID)
	s := &Service{opts: opts, log: opts.Logger.With("component", "sqs"), queues: map[string]*queue{}, arrived: make(chan struct{})}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.srv = &awsjson.Server{
		SigningName: SigningName, TargetPrefix: TargetPrefix, JSONVersion: "1.0", MaxBytes: maxRequestBytes,
		Verifier: opts.Verifier, Authorize: opts.Authorize, Operations: s.operations(),
		ErrorNamespace: "com.amazonaws.sqs", InternalErrorCode: "InternalError",
	}
	return s, nil
}

// ServeHTTP answers SQS's JSON API.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.srv.ServeHTTP(w, r) }

// Matches reports whether r is an SQS JSON request (by X-Amz-Target).
// SQS's older query protocol (form-encoded Action=...) is not served.
func (s *Service) Matches(r *http.Request) bool { return s.srv.Matches(r) }

// URL is the queue URL AWS forms for name.
func (s *Service) URL(name string) string {
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", s.opts.Region, s.opts.AccountID, name)
}

// ARN is the queue ARN for name.
func (s *Service) ARN(name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.opts.Region, s.opts.AccountID, name)
}

// byRef finds a queue by URL (any host: the SDK may address the local
// endpoint), ARN or name. Callers hold s.mu.
func (s *Service) byRef(ref string) (*queue, error) {
	name := ref
	if i := strings.LastIndexAny(ref, "/:"); i >= 0 {
		name = ref[i+1:]
	}
	q, ok := s.queues[name]
	if !ok || name == "" {
		return nil, queueMissing()
	}
	return q, nil
}

func queueMissing() error {
	return &awsjson.Error{Code: "QueueDoesNotExist", Message: "The specified queue does not exist.", Status: http.StatusBadRequest,
		QueryError: "AWS.SimpleQueueService.NonExistentQueue;Sender"}
}

func (s *Service) file(name string) string { return filepath.Join(s.opts.Dir, name+".json") }

func (s *Service) load() error {
	if s.opts.Dir == "" {
		return nil
	}
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.opts.Dir, e.Name()))
		if err != nil {
			return fmt.Errorf("sqs: %w", err)
		}
		var q queue
		if err := json.Unmarshal(b, &q); err != nil {
			return fmt.Errorf("sqs: %s: %w", e.Name(), err)
		}
		s.queues[q.Name] = &q
	}
	return nil
}

// save writes q atomically. Callers hold s.mu.
func (s *Service) save(q *queue) error {
	if s.opts.Dir == "" {
		return nil
	}
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	tmp := s.file(q.Name) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("sqs: saving queue %s: %w", q.Name, err)
	}
	if err := os.Rename(tmp, s.file(q.Name)); err != nil {
		return fmt.Errorf("sqs: saving queue %s: %w", q.Name, err)
	}
	return nil
}

func (s *Service) remove(name string) error {
	if s.opts.Dir == "" {
		return nil
	}
	if err := os.Remove(s.file(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqs: %w", err)
	}
	return nil
}

// wake tells long polls that a message arrived. Callers hold s.mu.
func (s *Service) wake() {
	close(s.arrived)
	s.arrived = make(chan struct{})
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
