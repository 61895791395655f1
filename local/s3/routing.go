package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

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
	bucket, key := splitPath(r.URL.Path)
	rec := &accessRecorder{ResponseWriter: w}
	w = rec
	defer s.logAccess(r, rec, time.Now(), bucket, key)
	if st := s.takeFault(); st != 0 {
		s.writeError(w, r, faultError(st))
		return
	}
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
		// The origin rides in the metadata to the store, which records the
		// event before the object becomes visible (intents.go).
		r.Header.Set(originKey, encodeOrigin("ObjectCreated:Put", r))
	case r.Method == http.MethodPost && key != "" && q.Has("uploads"):
		// gofakes3 keeps the initiation's metadata for the completion.
		r.Header.Set(originKey, encodeOrigin("ObjectCreated:CompleteMultipartUpload", r))
	case r.Method == http.MethodPost && key != "" && q.Has("uploadId"):
		etag, err := s.completionETag(r)
		if err != nil {
			s.writeError(w, r, errMalformedXML)
			return
		}
		s.multipartETags.Store(multipartKey(bucket, key), etag)
		defer s.multipartETags.Delete(multipartKey(bucket, key))
	}
	s.forward(w, r, cors, checksumMode)
}

// completionETag computes the ETag S3 gives a completed multipart upload,
// the MD5 of the parts' MD5s and their count, from the request's part list,
// and leaves the body readable for gofakes3.
func (s *Server) completionETag(r *http.Request) (string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCompleteBody))
	if err != nil {
		return "", fmt.Errorf("reading completion: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req gofakes3.CompleteMultipartUploadRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return "", fmt.Errorf("reading completion: %w", err)
	}
	h := md5.New()
	for _, p := range req.Parts {
		b, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil {
			return "", fmt.Errorf("part %d etag: %w", p.PartNumber, err)
		}
		h.Write(b)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(req.Parts)), nil
}

// maxCompleteBody bounds a CompleteMultipartUpload body: 10,000 parts of
// about 100 bytes each.
const maxCompleteBody = 2 << 20

// forward hands r to gofakes3.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, cors http.Header, checksumMode bool) {
	rec := &recorder{w: w, cors: cors, checksumMode: checksumMode}
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
}
