package s3

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Get/Put/DeleteBucketLifecycleConfiguration. The rules are stored and
// returned as S3 does, and Sweep (sweep.go) applies their expirations.
// Transitions are refused: the local S3 has one storage class.

// LifecycleRule is one rule of a bucket's lifecycle configuration. Its
// filter (Prefix, Tags, the size bounds) selects the objects the rule
// applies to; every part that is set must match. Day counts are whole
// days; zero means the action is absent.
type LifecycleRule struct {
	ID      string `json:"id"`
	Enabled bool   `json:"enabled"` // Status Enabled; false is Disabled
	Prefix  string `json:"prefix,omitempty"`
	// LegacyPrefix records that the rule named its prefix in the
	// deprecated top-level <Prefix> element, not in <Filter>, so it is
	// returned the way it was put.
	LegacyPrefix          bool  `json:"legacyPrefix,omitempty"`
	Tags                  []Tag `json:"tags,omitempty"`
	ObjectSizeGreaterThan int64 `json:"objectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    int64 `json:"objectSizeLessThan,omitempty"`

	// ExpirationDays expires current versions that many days after their
	// creation; ExpirationDate expires them from that midnight (UTC) on.
	ExpirationDays int       `json:"expirationDays,omitempty"`
	ExpirationDate time.Time `json:"expirationDate,omitzero"`
	// ExpiredObjectDeleteMarker removes delete markers that are the only
	// version of their key left.
	ExpiredObjectDeleteMarker bool `json:"expiredObjectDeleteMarker,omitempty"`
	// NoncurrentDays expires a version that many days after it became
	// noncurrent, keeping the NewerNoncurrentVersions newest of them.
	NoncurrentDays          int `json:"noncurrentDays,omitempty"`
	NewerNoncurrentVersions int `json:"newerNoncurrentVersions,omitempty"`
	// AbortIncompleteUploadDays aborts multipart uploads that many days
	// after they were started.
	AbortIncompleteUploadDays int `json:"abortIncompleteUploadDays,omitempty"`
}

// Tag is an object tag, or a tag a lifecycle filter requires.
type Tag struct {
	Key   string `json:"key" xml:"Key"`
	Value string `json:"value" xml:"Value"`
}

// maxLifecycleRules is S3's limit on the rules of one configuration.
const maxLifecycleRules = 1000

var errNoSuchLifecycle = &s3Error{http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"}

// SetLifecycle replaces bucket's lifecycle rules, as
// PutBucketLifecycleConfiguration does; nil removes them. A rule without
// an ID gets one derived from its content, so calling SetLifecycle with
// the same rules at every start gives the same IDs.
func (s *Server) SetLifecycle(bucket string, rules []LifecycleRule) error {
	rules = append([]LifecycleRule(nil), rules...)
	for i := range rules {
		if rules[i].ID == "" {
			rules[i].ID = lifecycleRuleID(rules[i])
		}
	}
	if len(rules) > 0 {
		if e := validateLifecycle(rules); e != nil {
			return fmt.Errorf("lifecycle of bucket %q: %w", bucket, e)
		}
	}
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Lifecycle = rules
		return nil
	})
	if err != nil {
		return fmt.Errorf("lifecycle of bucket %q: %w", bucket, err)
	}
	return nil
}

// lifecycleRuleID stands in for the random ID S3 gives a rule without
// one: 48 characters, like S3's, but stable.
func lifecycleRuleID(r LifecycleRule) string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:30])
}

func validateLifecycle(rules []LifecycleRule) *s3Error {
	invalidArg := func(format string, args ...any) *s3Error {
		return &s3Error{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf(format, args...)}
	}
	invalidReq := func(msg string) *s3Error { return &s3Error{http.StatusBadRequest, "InvalidRequest", msg} }
	if len(rules) > maxLifecycleRules {
		return invalidArg("The number of lifecycle rules must not exceed the allowed limit of %d rules", maxLifecycleRules)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		switch {
		case len(r.ID) > 255:
			return invalidArg("ID length should not exceed allowed limit of 255")
		case ids[r.ID]:
			return invalidArg("Rule ID must be unique. Found same ID for more than one rule")
		case r.ExpirationDays < 0:
			return invalidArg("'Days' for Expiration action must be a positive integer")
		case r.NoncurrentDays < 0:
			return invalidArg("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		case r.AbortIncompleteUploadDays < 0:
			return invalidArg("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		case r.NewerNoncurrentVersions < 0 || r.NewerNoncurrentVersions > 100:
			return invalidArg("'NewerNoncurrentVersions' must be between 1 and 100")
		case r.NewerNoncurrentVersions > 0 && r.NoncurrentDays == 0:
			return invalidArg("'NewerNoncurrentVersions' requires 'NoncurrentDays'")
		case r.ExpirationDays > 0 && !r.ExpirationDate.IsZero(),
			r.ExpiredObjectDeleteMarker && (r.ExpirationDays > 0 || !r.ExpirationDate.IsZero()):
			return errMalformedXML // Expiration holds one of Days, Date, ExpiredObjectDeleteMarker
		case !r.ExpirationDate.IsZero() && !r.ExpirationDate.Equal(r.ExpirationDate.UTC().Truncate(24*time.Hour)):
			return invalidArg("'Date' must be at midnight GMT")
		case r.ExpirationDays == 0 && r.ExpirationDate.IsZero() && !r.ExpiredObjectDeleteMarker &&
			r.NoncurrentDays == 0 && r.AbortIncompleteUploadDays == 0:
			return invalidReq("At least one action needs to be specified in a rule")
		case len(r.Tags) > 0 && r.ExpiredObjectDeleteMarker:
			return invalidReq("ExpiredObjectDeleteMarker cannot be specified with Tag filters.")
		case len(r.Tags) > 0 && r.AbortIncompleteUploadDays > 0:
			return invalidReq("AbortIncompleteMultipartUpload cannot be specified with Tags.")
		case r.ObjectSizeGreaterThan < 0 || r.ObjectSizeLessThan < 0,
			r.ObjectSizeLessThan > 0 && r.ObjectSizeGreaterThan >= r.ObjectSizeLessThan:
			return invalidArg("ObjectSizeGreaterThan must be less than ObjectSizeLessThan, and both non-negative")
		case r.LegacyPrefix && (len(r.Tags) > 0 || r.ObjectSizeGreaterThan > 0 || r.ObjectSizeLessThan > 0):
			return errMalformedXML // the legacy Prefix carries no other filter
		}
		if e := validateTags(r.Tags); e != nil {
			return e
		}
		ids[r.ID] = true
	}
	return nil
}

func (s *Server) putLifecycle(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	var doc lifecycleXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	if len(doc.Rules) == 0 {
		return errMalformedXML
	}
	rules := make([]LifecycleRule, len(doc.Rules))
	for i, x := range doc.Rules {
		rule, err := x.rule()
		if err != nil {
			return err
		}
		rules[i] = rule
	}
	if err := s.SetLifecycle(bucket, rules); err != nil {
		return err
	}
	writeOK(w)
	return nil
}

func (s *Server) getLifecycle(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	st, err := s.store.bucketSettings(bucket)
	if err != nil {
		return err
	}
	if len(st.Lifecycle) == 0 {
		return errNoSuchLifecycle
	}
	doc := lifecycleXML{Xmlns: s3XMLNS}
	for _, rule := range st.Lifecycle {
		doc.Rules = append(doc.Rules, lifecycleRuleToXML(rule))
	}
	writeXML(w, doc)
	return nil
}

func (s *Server) deleteLifecycle(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	if err := s.SetLifecycle(bucket, nil); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}
