package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
)

// Bucket and object configuration sub-resources (?cors, ?lifecycle,
// ?tagging, ...) are answered here, not by gofakes3, which has none of
// them: it would answer them as ListObjects or PutObject.

// s3XMLNS is the namespace of S3's response documents.
const s3XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

// maxConfigBody bounds a configuration document; S3's largest, a
// lifecycle configuration of 1000 rules, is well below it.
const maxConfigBody = 1 << 20

// subresourceHandler answers one method of a sub-resource. It writes the
// success response itself; a returned *s3Error or gofakes3 error is
// rendered as S3's error body.
type subresourceHandler func(s *Server, w http.ResponseWriter, r *http.Request, bucket, key string) error

// subresource holds the handlers of one sub-resource, nil for a method S3
// does not allow on it.
type subresource struct {
	get, put, del subresourceHandler
	// checksummed: S3 refuses a PUT that carries neither Content-MD5 nor
	// an x-amz-checksum-* header, so a client that would fail on AWS
	// fails here too.
	checksummed bool
}

// bucketSubresources are the bucket configurations, by query parameter.
var bucketSubresources = map[string]subresource{
	"cors":              {get: (*Server).getCORS, put: (*Server).putCORS, del: (*Server).deleteCORS, checksummed: true},
	"lifecycle":         {get: (*Server).getLifecycle, put: (*Server).putLifecycle, del: (*Server).deleteLifecycle, checksummed: true},
	"encryption":        {get: (*Server).getEncryption, put: (*Server).putEncryption, del: (*Server).deleteEncryption, checksummed: true},
	"publicAccessBlock": {get: (*Server).getPublicAccessBlock, put: (*Server).putPublicAccessBlock, del: (*Server).deletePublicAccessBlock, checksummed: true},
	"ownershipControls": {get: (*Server).getOwnership, put: (*Server).putOwnership, del: (*Server).deleteOwnership, checksummed: true},
	"notification":      {get: (*Server).getNotification, put: (*Server).putNotification},
}

// objectTagging is the object sub-resource ?tagging.
var objectTagging = subresource{get: (*Server).getObjectTagging, put: (*Server).putObjectTagging, del: (*Server).deleteObjectTagging, checksummed: true}

// serveSubresource answers r if it addresses a configuration sub-resource
// this package implements, and reports whether it did. r is authenticated.
func (s *Server) serveSubresource(w http.ResponseWriter, r *http.Request, bucket, key string) bool {
	if bucket == "" {
		return false
	}
	q := r.URL.Query()
	var sub subresource
	found := false
	if key == "" {
		for name, sr := range bucketSubresources {
			if q.Has(name) {
				sub, found = sr, true
				break
			}
		}
	} else if q.Has("tagging") {
		sub, found = objectTagging, true
	}
	if !found {
		return false
	}
	var h subresourceHandler
	switch r.Method {
	case http.MethodGet:
		h = sub.get
	case http.MethodPut:
		h = sub.put
	case http.MethodDelete:
		h = sub.del
	}
	if h == nil {
		s.writeError(w, r, &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."})
		return true
	}
	if ok, _ := s.store.BucketExists(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket)
		return true
	}
	if r.Method == http.MethodPut && sub.checksummed &&
		r.Header.Get("Content-MD5") == "" && !hasChecksumHeader(r.Header) {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: Content-MD5"})
		return true
	}
	if err := h(s, w, r, bucket, key); err != nil {
		s.writeSubresourceError(w, r, err)
	}
	return true
}

func hasChecksumHeader(h http.Header) bool {
	for alg := range checksumAlgorithms {
		if h.Get("X-Amz-Checksum-"+alg) != "" {
			return true
		}
	}
	return false
}

func (s *Server) writeSubresourceError(w http.ResponseWriter, r *http.Request, err error) {
	var e *s3Error
	if errors.As(err, &e) {
		s.writeError(w, r, e)
		return
	}
	s.writeBackendError(w, r, err)
}

// Errors common to the configuration documents.
var (
	errMalformedXML = &s3Error{http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema"}
	errMissingBody = &s3Error{http.StatusBadRequest, "MissingRequestBodyError", "Request Body is empty"}
)

// notImplemented is the refusal of a configuration the local S3 cannot
// honour, so it never appears to work.
func notImplemented(what string) *s3Error {
	return &s3Error{http.StatusNotImplemented, "NotImplemented",
		"A header or query you provided implies functionality that is not implemented by the local S3: " + what}
}

// readXML reads a configuration document into v after checking the body
// against its Content-MD5 and x-amz-checksum-* headers, as S3 does.
func readXML(r *http.Request, v any) error {
	if _, e := verifyChecksums(r); e != nil {
		return e
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxConfigBody+1))
		if err != nil {
			return &s3Error{http.StatusBadRequest, "IncompleteBody", "reading body: " + err.Error()}
		}
	}
	if len(body) > maxConfigBody {
		return &s3Error{http.StatusBadRequest, "MalformedXML", "The XML you provided was larger than the maximum allowed"}
	}
	if md := r.Header.Get("Content-MD5"); md != "" {
		want, err := base64.StdEncoding.DecodeString(md)
		if err != nil || len(want) != md5.Size {
			return &s3Error{http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid."}
		}
		if sum := md5.Sum(body); !bytes.Equal(sum[:], want) {
			return &s3Error{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."}
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errMissingBody
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return errMalformedXML
	}
	return nil
}

// writeXML answers 200 with v as an XML document.
func writeXML(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		// Only a bug in the response types can get here.
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// writeNoContent answers a successful DELETE of a sub-resource.
func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// writeOK answers a successful PUT of a sub-resource.
func writeOK(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}
