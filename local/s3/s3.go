// Package s3 is the local S3 endpoint of `thumbflow dev`: gofakes3 behind a
// layer that makes it refuse what S3 refuses, so a signing, policy or CORS
// bug shows up on the laptop and not in production.
//
// It provides a Server (an http.Handler for path-style S3 requests) with
// its setup calls: CreateBucket with CORS rules (BrowserUploadCORS for the
// web client), SetVersioning, Notify for object-created events (delivered
// at least once from a durable outbox, like a Lambda subscription) and
// InjectFaults for reliability tests. The bucket configurations a
// template declares have setters of their own (SetLifecycle, SetEncryption,
// SetPublicAccessBlock, SetOwnership, SetNotification with RegisterFunction
// for its destinations) and are served through S3's configuration APIs
// too; Sweep applies lifecycle expiry when the caller says.
//
// Every request is SigV4 verified by an Authenticator (a *sigv4.Verifier),
// browser POST uploads are checked against their signed policy, checksums
// are verified, and the conditional and range headers gofakes3 ignores are
// applied here. Operations it cannot honour answer 501 instead of faking
// success. Failures are answered with S3's XML error body; errors from
// sigv4 are translated where this package calls it.
package s3

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"

	"thumbflow/local/sigv4"
)

// Authenticator verifies request signatures; *sigv4.Verifier implements it.
type Authenticator interface {
	Verify(r *http.Request, service string) error
	VerifyPolicy(p sigv4.PolicySignature) (sigv4.Credential, error)
}

// Options configures a Server. The zero value is an in-memory S3 that
// accepts the conventional local credentials test/test in us-east-1.
type Options struct {
	// Dir persists buckets, objects and the event outbox under this
	// directory. Empty keeps everything in memory.
	Dir string
	// Auth verifies signatures. Nil means sigv4.NewVerifier("test", "test", Region).
	Auth Authenticator
	// Authorizer evaluates the signer's permissions (IAM) once the
	// signature is verified; nil allows every signed request.
	Authorizer Authorizer
	// Region is reported in events and bucket locations. Default us-east-1.
	Region string
	// Now is the clock for policy expiry, metadata and events. Default time.Now.
	Now func() time.Time
	// CORS holds the CORS rules of buckets, by bucket name.
	CORS map[string][]CORSRule
	// AuthorizeLogDelivery decides whether S3's log delivery may write an
	// access log object of source into target (the target's bucket
	// policy); nil allows every delivery.
	AuthorizeLogDelivery func(source, target, key string) error
	// AccessLogFlush is how often buffered access log records are
	// written (DefaultAccessLogFlush); Close writes the rest.
	AccessLogFlush time.Duration
	// Logger receives delivery failures and request errors. Default slog.Default().
	Logger *slog.Logger
	// Access restricts the Hosts requests may name and the origins browser
	// form POSTs may come from, so web pages the developer visits cannot
	// use the local S3. Nil serves every request (tests of this package).
	Access *sigv4.Access
	// RetryMin and RetryMax bound the exponential backoff between event
	// delivery attempts. Defaults 100ms and 30s.
	RetryMin, RetryMax time.Duration
}

// Server is an http.Handler serving path-style S3 requests.
type Server struct {
	opts  Options
	auth  Authenticator
	store *store
	fake  http.Handler
	log   *slog.Logger

	corsMu sync.RWMutex
	cors   map[string][]CORSRule

	faultMu     sync.Mutex
	faultsLeft  int
	faultStatus int
	faultRate   faultRate

	events *outbox
	alog   *accessLog
	// multipartETags holds the ETag of each completion in flight, by
	// multipartKey, for its event (intents.go).
	multipartETags sync.Map
	seq            atomic.Int64
	reqID          atomic.Uint64
}

// New builds a Server, loading persisted state from opts.Dir and
// scheduling re-delivery of events that were pending at the last shutdown.
func New(opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 100 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(30*time.Second, opts.RetryMin)
	}
	auth := opts.Auth
	if auth == nil {
		v := sigv4.NewVerifier("test", "test", opts.Region)
		v.Now = opts.Now
		auth = v
	}
	st, err := newStore(opts.Dir, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	s := &Server{opts: opts, auth: auth, store: st, log: opts.Logger, cors: map[string][]CORSRule{}}
	if opts.Dir != "" {
		if err := s.loadCORS(); err != nil {
			return nil, fmt.Errorf("local s3: %w", err)
		}
	}
	for b, rules := range opts.CORS {
		s.cors[b] = rules
	}
	st.forgotten = s.forgetCORS
	fake := gofakes3.New(st,
		gofakes3.WithTimeSource(clock{opts.Now}),
		gofakes3.WithTimeSkewLimit(0), // sigv4 checks skew
	)
	s.fake = fake.Server()

	outboxDir := ""
	if opts.Dir != "" {
		outboxDir = filepath.Join(opts.Dir, "outbox")
	}
	s.events, err = newOutbox(outboxDir, opts.RetryMin, opts.RetryMax, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	if err := s.events.reconcileIntents(opts.Dir); err != nil {
		s.events.close()
		return nil, fmt.Errorf("local s3: %w", err)
	}
	st.prepare, st.commit = s.prepareEvent, s.commitEvent
	s.startAccessLog()
	return s, nil
}

// Close stops event delivery and waits for in-flight deliveries to return.
// Pending events stay in the outbox and are delivered after a restart.
func (s *Server) Close() error {
	s.closeAccessLog()
	s.events.close()
	return nil
}

type clock struct{ now func() time.Time }

func (c clock) Now() time.Time                  { return c.now() }
func (c clock) Since(t time.Time) time.Duration { return c.now().Sub(t) }

// CreateBucket creates bucket if it does not exist and replaces its CORS
// rules, so `thumbflow dev` can call it on every start.
func (s *Server) CreateBucket(bucket string, cors ...CORSRule) error {
	if err := gofakes3.ValidateBucketName(bucket); err != nil {
		return fmt.Errorf("bucket %q: %w", bucket, err)
	}
	exists, err := s.store.BucketExists(bucket)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", bucket, err)
	}
	if !exists {
		if err := s.store.CreateBucket(bucket); err != nil {
			return fmt.Errorf("creating bucket %q: %w", bucket, err)
		}
	}
	return s.SetCORS(bucket, cors)
}

// SetVersioning enables (or suspends) versioning on bucket, as
// PutBucketVersioning does, so `thumbflow dev` can version a bucket the way
// its template does. Objects already there become null versions.
func (s *Server) SetVersioning(bucket string, enabled bool) error {
	cfg := gofakes3.VersioningConfiguration{Status: gofakes3.VersioningSuspended}
	if enabled {
		cfg.Status = gofakes3.VersioningEnabled
	}
	if err := s.store.SetVersioningConfiguration(bucket, cfg); err != nil {
		return fmt.Errorf("versioning of bucket %q: %w", bucket, err)
	}
	return nil
}
