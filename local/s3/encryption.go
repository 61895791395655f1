package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// Default bucket encryption. Since January 2023 S3 encrypts every object
// with SSE-S3 and GetBucketEncryption answers AES256 for every bucket, so
// ServerSideEncryptionConfigurationNotFoundError is no longer seen; here
// too a bucket without a configuration reports the default, and
// DeleteBucketEncryption returns a bucket to it. Objects are not actually
// encrypted on the laptop: the local S3 stores what the template says and
// refuses SSE-KMS, which it cannot honour.

// EncryptionRule is a bucket's default encryption, as in
// ServerSideEncryptionConfiguration's only rule.
type EncryptionRule struct {
	// SSEAlgorithm is "AES256" (SSE-S3); "aws:kms" and "aws:kms:dsse" are
	// refused as NotImplemented.
	SSEAlgorithm     string `json:"sseAlgorithm"`
	KMSMasterKeyID   string `json:"kmsMasterKeyId,omitempty"`
	BucketKeyEnabled bool   `json:"bucketKeyEnabled,omitempty"`
}

// defaultEncryption is what S3 reports for a bucket nobody configured.
var defaultEncryption = EncryptionRule{SSEAlgorithm: "AES256"}

type encryptionXML struct {
	XMLName xml.Name            `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string              `xml:"xmlns,attr,omitempty"`
	Rules   []encryptionRuleXML `xml:"Rule"`
}

type encryptionRuleXML struct {
	Default *struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled"`
}

func validateEncryption(rule EncryptionRule) *s3Error {
	switch rule.SSEAlgorithm {
	case "AES256":
	case "aws:kms", "aws:kms:dsse":
		return notImplemented("default encryption " + rule.SSEAlgorithm)
	default:
		return errMalformedXML
	}
	if rule.KMSMasterKeyID != "" {
		return &s3Error{http.StatusBadRequest, "InvalidArgument",
			"a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"}
	}
	return nil
}

// SetEncryption sets bucket's default encryption, as PutBucketEncryption
// does. Only SSE-S3 (AES256) is accepted.
func (s *Server) SetEncryption(bucket string, rule EncryptionRule) error {
	if e := validateEncryption(rule); e != nil {
		return fmt.Errorf("encryption of bucket %q: %w", bucket, e)
	}
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Encryption = &rule
		return nil
	})
	if err != nil {
		return fmt.Errorf("encryption of bucket %q: %w", bucket, err)
	}
	return nil
}

func (s *Server) putEncryption(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	var doc encryptionXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	if len(doc.Rules) != 1 || doc.Rules[0].Default == nil {
		return errMalformedXML
	}
	x := doc.Rules[0]
	rule := EncryptionRule{SSEAlgorithm: x.Default.SSEAlgorithm, KMSMasterKeyID: x.Default.KMSMasterKeyID}
	if x.BucketKeyEnabled != nil {
		rule.BucketKeyEnabled = *x.BucketKeyEnabled
	}
	if err := s.SetEncryption(bucket, rule); err != nil {
		return err
	}
	writeOK(w)
	return nil
}

func (s *Server) getEncryption(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	st, err := s.store.bucketSettings(bucket)
	if err != nil {
		return err
	}
	rule := defaultEncryption
	if st.Encryption != nil {
		rule = *st.Encryption
	}
	x := encryptionRuleXML{BucketKeyEnabled: &rule.BucketKeyEnabled}
	x.Default = &struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	}{rule.SSEAlgorithm, rule.KMSMasterKeyID}
	writeXML(w, encryptionXML{Xmlns: s3XMLNS, Rules: []encryptionRuleXML{x}})
	return nil
}

func (s *Server) deleteEncryption(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Encryption = nil
		return nil
	})
	if err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}
