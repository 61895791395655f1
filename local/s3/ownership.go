package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// Get/Put/DeleteBucketOwnershipControls. The local S3 has no ACLs: it
// behaves as a bucket with BucketOwnerEnforced, S3's default for new
// buckets since April 2023, and refuses the settings that would make ACLs
// matter (ObjectWriter, BucketOwnerPreferred) rather than ignore them.
// After a delete, GetBucketOwnershipControls answers
// OwnershipControlsNotFoundError, as on S3.

// OwnershipBucketOwnerEnforced is the only object ownership the local S3 honours.
const OwnershipBucketOwnerEnforced = "BucketOwnerEnforced"

type ownershipXML struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

var errNoOwnershipControls = &s3Error{http.StatusNotFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"}

func validateOwnership(ownership string) *s3Error {
	switch ownership {
	case OwnershipBucketOwnerEnforced:
		return nil
	case "BucketOwnerPreferred", "ObjectWriter":
		return notImplemented("object ownership " + ownership + " (the local S3 has no ACLs)")
	default:
		return errMalformedXML
	}
}

// SetOwnership sets bucket's object ownership, as
// PutBucketOwnershipControls does; only BucketOwnerEnforced is accepted.
func (s *Server) SetOwnership(bucket, ownership string) error {
	if e := validateOwnership(ownership); e != nil {
		return fmt.Errorf("ownership controls of bucket %q: %w", bucket, e)
	}
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Ownership, st.NoOwnership = ownership, false
		return nil
	})
	if err != nil {
		return fmt.Errorf("ownership controls of bucket %q: %w", bucket, err)
	}
	return nil
}

func (s *Server) putOwnership(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	var doc ownershipXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	if len(doc.Rules) != 1 {
		return errMalformedXML
	}
	if err := s.SetOwnership(bucket, doc.Rules[0].ObjectOwnership); err != nil {
		return err
	}
	writeOK(w)
	return nil
}

func (s *Server) getOwnership(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	st, err := s.store.bucketSettings(bucket)
	if err != nil {
		return err
	}
	if st.NoOwnership {
		return errNoOwnershipControls
	}
	doc := ownershipXML{Xmlns: s3XMLNS}
	doc.Rules = append(doc.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{OwnershipBucketOwnerEnforced})
	writeXML(w, doc)
	return nil
}

func (s *Server) deleteOwnership(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Ownership, st.NoOwnership = "", true
		return nil
	})
	if err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}
