// Package secretsmanager is the local AWS Secrets Manager: the secrets the
// template declares (a GenerateSecretString is generated once and kept in
// the data directory, mode 0600) and the API the SDK and the aws CLI call
// to read and manage them, so a function reads its key the same way
// locally as on AWS.
package secretsmanager

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/sigv4"
)

// TargetPrefix is the X-Amz-Target prefix of Secrets Manager's requests;
// SigningName the service of their credential scope.
const (
	TargetPrefix = "secretsmanager."
	SigningName  = "secretsmanager"
)

// maxRequestBytes bounds one request: a secret value is at most 64 KiB,
// and the rest of a request is small.
const maxRequestBytes = 256 << 10

// Options configure the service.
type Options struct {
	// Dir keeps the secrets (secrets.json, mode 0600); empty keeps them in
	// memory only.
	Dir string
	// Verifier checks signatures; nil accepts unsigned requests (tests).
	Verifier *sigv4.Verifier
	// Authorize decides IAM for each call; nil allows every verified call.
	Authorize awsjson.Authorizer
	// Region and AccountID form the secrets' ARNs.
	Region, AccountID string
	Logger            *slog.Logger
	// Now is the clock of dates and of the recovery window; nil is the
	// wall clock.
	Now func() time.Time
	// Rand is the source of generated passwords and ARN suffixes; nil is
	// crypto/rand.
	Rand io.Reader
}

// Service is the local Secrets Manager.
type Service struct {
	opts Options
	log  *slog.Logger
	srv  *awsjson.Server

	mu      sync.Mutex
	secrets map[string]*secret // by ARN
}

// secret is one secret with its versions; it is also what secrets.json
// keeps.
type secret struct {
	ARN, Name, Description string
	Created, Changed       time.Time
	Accessed               time.Time `json:",omitzero"`
	// Deleted is when DeleteSecret scheduled the deletion, and Purge when
	// the recovery window ends.
	Deleted  time.Time  `json:",omitzero"`
	Purge    time.Time  `json:",omitzero"`
	Versions []*version // oldest first
}

type version struct {
	ID      string
	String  *string `json:",omitempty"`
	Binary  []byte  `json:",omitempty"`
	Created time.Time
	Stages  []string
}

// New opens the secrets kept in opts.Dir.
func New(opts Options) (*Service, error) {
	awsjson.Defaults(&opts.Logger, &opts.Now, &opts.Region, &opts.AccountID)
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "secretsmanager"), secrets: map[string]*secret{}}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.srv = &awsjson.Server{
		SigningName: SigningName, TargetPrefix: TargetPrefix, JSONVersion: "1.1", MaxBytes: maxRequestBytes,
		Verifier: opts.Verifier, Authorize: opts.Authorize, Operations: s.operations(),
		InternalErrorCode: "InternalServiceError",
	}
	return s, nil
}

// ServeHTTP answers Secrets Manager's API (AWS JSON 1.1).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.srv.ServeHTTP(w, r) }

// Matches reports whether r is a Secrets Manager request (by its
// X-Amz-Target), for the local cloud's router.
func (s *Service) Matches(r *http.Request) bool { return s.srv.Matches(r) }

func (s *Service) path() string { return filepath.Join(s.opts.Dir, "secrets.json") }

func (s *Service) load() error {
	if s.opts.Dir == "" {
		return nil
	}
	b, err := os.ReadFile(s.path())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secretsmanager: %w", err)
	}
	var list []*secret
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("secretsmanager: %s: %w", s.path(), err)
	}
	for _, sec := range list {
		s.secrets[sec.ARN] = sec
	}
	return nil
}

// save writes every secret atomically, readable by the owner only: the
// file holds secret values. Callers hold s.mu.
func (s *Service) save() error {
	if s.opts.Dir == "" {
		return nil
	}
	b, err := awsjson.MarshalValues(s.secrets)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return fmt.Errorf("secretsmanager: %w", err)
	}
	tmp, err := os.CreateTemp(s.opts.Dir, "secrets-*.tmp")
	if err != nil {
		return fmt.Errorf("secretsmanager: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("secretsmanager: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("secretsmanager: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("secretsmanager: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path()); err != nil {
		return fmt.Errorf("secretsmanager: %w", err)
	}
	return nil
}

// uuid returns a random version 4 UUID, the shape of a VersionId.
func (s *Service) uuid() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.opts.Rand, b[:]); err != nil {
		return "", fmt.Errorf("secretsmanager: random id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// arn is the ARN of a new secret: the name and six random characters, as
// Secrets Manager forms it.
func (s *Service) arn(name string) (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	suffix := make([]byte, 6)
	for i := range suffix {
		c, err := pick(s.opts.Rand, len(alphabet))
		if err != nil {
			return "", err
		}
		suffix[i] = alphabet[c]
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.opts.Region, s.opts.AccountID, name, suffix), nil
}
