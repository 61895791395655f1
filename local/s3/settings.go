package s3

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/johannesboyne/gofakes3"
)

// bucketSettings are the configurations of a bucket that the local S3
// stores and returns but that gofakes3 knows nothing of: lifecycle,
// default encryption, public-access block, object ownership and event
// notifications. Versioning lives with the version history (versions.go)
// and CORS with the Server (cors.go), where they were first.
//
// The settings of a bucket are one JSON file, settings.json, in its
// directory, written durably like the versioning file, so they survive a
// restart and vanish with the bucket.
type bucketSettings struct {
	Lifecycle         []LifecycleRule    `json:"lifecycle,omitempty"`
	Encryption        *EncryptionRule    `json:"encryption,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"publicAccessBlock,omitempty"`
	// NoPublicAccessBlock records a DeletePublicAccessBlock: a bucket
	// that never had one set has S3's default, every block on.
	NoPublicAccessBlock bool `json:"noPublicAccessBlock,omitempty"`
	// Ownership is the object-ownership rule, "" for S3's default
	// (BucketOwnerEnforced); NoOwnership records a delete.
	Ownership    string                     `json:"ownership,omitempty"`
	NoOwnership  bool                       `json:"noOwnership,omitempty"`
	Notification *NotificationConfiguration `json:"notification,omitempty"`
	// Logging is the server access log target (accesslog.go).
	Logging *LoggingTarget `json:"logging,omitempty"`
}

func (s *store) settingsPath(bucket string) string {
	return filepath.Join(s.bucketDir(bucket), "settings.json")
}

// loadSettings reads the settings file of bucket, if it has one.
func (s *store) loadSettings(bucket string) error {
	b, err := os.ReadFile(s.settingsPath(bucket))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading settings of bucket %q: %w", bucket, err)
	}
	var st bucketSettings
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("reading settings of bucket %q: %w", bucket, err)
	}
	s.smu.Lock()
	s.settings[bucket] = &st
	s.smu.Unlock()
	return nil
}

// bucketSettings returns a copy of the settings of bucket, or NoSuchBucket.
// The slices and pointers inside are never changed in place, so sharing
// them with the copy is safe.
func (s *store) bucketSettings(bucket string) (bucketSettings, error) {
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return bucketSettings{}, gofakes3.BucketNotFound(bucket)
	}
	s.smu.RLock()
	defer s.smu.RUnlock()
	if st := s.settings[bucket]; st != nil {
		return *st, nil
	}
	return bucketSettings{}, nil
}

// updateSettings applies change to a copy of the settings of bucket,
// persists the result and only then makes it visible, so memory never
// claims what the disk does not hold. change must replace, not modify,
// the slices and pointers it is given.
func (s *store) updateSettings(bucket string, change func(*bucketSettings) error) error {
	s.mu.Lock() // orders the write with DeleteBucket
	defer s.mu.Unlock()
	st, err := s.bucketSettings(bucket)
	if err != nil {
		return err
	}
	if err := change(&st); err != nil {
		return err
	}
	if s.dir != "" {
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encoding settings of bucket %q: %w", bucket, err)
		}
		if err := writeFileDurable(s.settingsPath(bucket), b); err != nil {
			return fmt.Errorf("persisting settings of bucket %q: %w", bucket, err)
		}
	}
	s.smu.Lock()
	s.settings[bucket] = &st
	s.smu.Unlock()
	return nil
}

// allSettings returns the buckets that have settings, with a copy of them.
func (s *store) allSettings() map[string]bucketSettings {
	s.smu.RLock()
	defer s.smu.RUnlock()
	out := make(map[string]bucketSettings, len(s.settings))
	for b, st := range s.settings {
		out[b] = *st
	}
	return out
}
