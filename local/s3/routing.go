package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// splitPath returns the bucket and key of a path-style URL.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// ServeHTTP answers one S3 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug in gofakes3 or here must cost one request, not the local cloud.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("local s3 panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
			s.writeError(w, r, errInternal)
		}
	}()
	if !s.opts.Access.HostAllowed(r.Host) {
		s.writeError(w, r, errForeignHost)
		return
	}
	if st := s.takeFault(); st != 0 {
		s.writeError(w, r, faultError(st))
		return
	}
	bucket, key := splitPath(r.URL.Path)
	if r.Method == http.MethodOptions {
		s.preflight(w, r, bucket)
		return
	}
	cors := s.corsHeaders(r, bucket)
	for k, v := range cors {
		w.Header()[k] = v
	}

	if r.Method == http.MethodPost && bucket != "" && key == "" && !r.URL.Query().Has("delete") &&
		strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data") {
		s.postObject(w, r, bucket)
		return
	}

	if err := s.auth.Verify(r, "s3"); err != nil {
		s.writeError(w, r, asS3Error(fromSigV4(err)))
		return
	}
	if e := s.authorize(r, bucket, key); e != nil {
		s.writeError(w, r, e)
		return
	}
	if s.serveSubresource(w, r, bucket, key) {
		return
	}
	if e := unsupported(r, bucket, key); e != nil {
		s.writeError(w, r, e)
		return
	}
	checksums, e := verifyChecksums(r)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	checksumMode := strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED")
	sanitizeHeaders(r.Header, checksums)

	q := r.URL.Query()
	if q.Get("versionId") == nullVersion {
		// gofakes3 reads ?versionId=null as "the current version".
		q.Set("versionId", nullVersionQuery)
		r.URL.RawQuery = q.Encode()
	}
	switch {
	case r.Method == http.MethodPut && key != "" && r.Header.Get("X-Amz-Copy-Source") != "":
		s.copyObject(w, r, bucket, key, cors)
		return
	case r.Method == http.MethodPut && key != "" && !q.Has("uploadId"):
		s.forward(w, r, cors, checksumMode, func(rec *recorder) error {
			return s.objectCreated(r, bucket, key, "ObjectCreated:Put", r.ContentLength, rec.Header().Get("ETag"), rec.Header().Get("X-Amz-Version-Id"))
		})
		return
	case r.Method == http.MethodPost && key != "" && q.Has("uploadId"):
		s.forward(w, r, cors, checksumMode, func(rec *recorder) error {
			version := rec.Header().Get("X-Amz-Version-Id")
			obj, err := s.store.HeadObjectVersion(bucket, key, gofakes3.VersionID(version))
			if err != nil {
				return fmt.Errorf("reading completed upload: %w", err)
			}
			obj.Contents.Close()
			return s.objectCreated(r, bucket, key, "ObjectCreated:CompleteMultipartUpload", obj.Size, completedETag(rec.body.Bytes(), obj.Hash), version)
		})
		return
	}
	s.forward(w, r, cors, checksumMode, nil)
}

// completedETag prefers the ETag CompleteMultipartUpload reported to the client.
func completedETag(body []byte, hash []byte) string {
	var res struct {
		ETag string `xml:"ETag"`
	}
	if xml.Unmarshal(body, &res) == nil && res.ETag != "" {
		return res.ETag
	}
	return gofakes3.FormatETag(hash)
}

// forward hands r to gofakes3. When created is non-nil the response is held
// back until created has durably recorded the event, so a client never sees
// success for an upload whose event could be lost.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, cors http.Header, checksumMode bool, created func(*recorder) error) {
	rec := &recorder{w: w, cors: cors, checksumMode: checksumMode, buffer: created != nil}
	fakeReq := r
	if _, key := splitPath(r.URL.Path); key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if e := checkReadConditions(r, s.store); e != nil {
			s.writeError(w, r, e)
			return
		}
		if e := fixRange(r, s.store); e != nil {
			s.writeError(w, r, e)
			return
		}
	}
	if r.Method == http.MethodHead && r.URL.Query().Get("versionId") != "" {
		// gofakes3 answers HEAD ?versionId with the current version; its GET
		// has the same headers and status, and the body is dropped.
		fakeReq = r.Clone(r.Context())
		fakeReq.Method = http.MethodGet
		rec.noBody = true
	}
	s.fake.ServeHTTP(rec, fakeReq)
	rec.finish() // gofakes3 answers a successful PUT without calling WriteHeader
	if created == nil {
		return
	}
	if rec.status/100 == 2 {
		if err := created(rec); err != nil {
			s.log.Error("recording object-created event", "bucket", r.URL.Path, "error", err)
			s.writeError(w, r, errInternal)
			return
		}
	}
	rec.flush()
}
