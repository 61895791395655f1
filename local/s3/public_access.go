package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// Get/Put/DeletePublicAccessBlock. Since April 2023 S3 turns every block
// on for a new bucket, and GetPublicAccessBlock answers
// NoSuchPublicAccessBlockConfiguration only once the configuration was
// deleted; the local S3 does the same. Nothing here is public anyway (no
// ACLs, no bucket policies grant anonymous access): the setting is stored
// and returned so the template's and a user's calls behave as on AWS.

// PublicAccessBlock is a bucket's PublicAccessBlockConfiguration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"blockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets"`
}

// defaultPublicAccessBlock is what a new bucket has on S3.
var defaultPublicAccessBlock = PublicAccessBlock{true, true, true, true}

type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

var errNoSuchPublicAccessBlock = &s3Error{http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration",
	"The public access block configuration was not found"}

// SetPublicAccessBlock sets bucket's public-access block, as
// PutPublicAccessBlock does.
func (s *Server) SetPublicAccessBlock(bucket string, b PublicAccessBlock) error {
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.PublicAccessBlock, st.NoPublicAccessBlock = &b, false
		return nil
	})
	if err != nil {
		return fmt.Errorf("public access block of bucket %q: %w", bucket, err)
	}
	return nil
}

func (s *Server) putPublicAccessBlock(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	var doc publicAccessBlockXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	b := PublicAccessBlock{doc.BlockPublicAcls, doc.IgnorePublicAcls, doc.BlockPublicPolicy, doc.RestrictPublicBuckets}
	if err := s.SetPublicAccessBlock(bucket, b); err != nil {
		return err
	}
	writeOK(w)
	return nil
}

func (s *Server) getPublicAccessBlock(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	st, err := s.store.bucketSettings(bucket)
	if err != nil {
		return err
	}
	if st.NoPublicAccessBlock {
		return errNoSuchPublicAccessBlock
	}
	b := defaultPublicAccessBlock
	if st.PublicAccessBlock != nil {
		b = *st.PublicAccessBlock
	}
	writeXML(w, publicAccessBlockXML{Xmlns: s3XMLNS, BlockPublicAcls: b.BlockPublicAcls, IgnorePublicAcls: b.IgnorePublicAcls,
		BlockPublicPolicy: b.BlockPublicPolicy, RestrictPublicBuckets: b.RestrictPublicBuckets})
	return nil
}

func (s *Server) deletePublicAccessBlock(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.PublicAccessBlock, st.NoPublicAccessBlock = nil, true
		return nil
	})
	if err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}
