// Package s3 is the local S3 endpoint of `thumbflow dev`: gofakes3 behind a
// layer that makes it refuse what S3 refuses. Every request is SigV4
// verified, browser POST uploads are checked against their signed policy,
// CORS is per bucket, and object-created events are delivered at least once
// from a durable outbox. Operations it cannot honour answer 501 instead of
// faking success.
package s3

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
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
	// Region is reported in events and bucket locations. Default us-east-1.
	Region string
	// Now is the clock for policy expiry, metadata and events. Default time.Now.
	Now func() time.Time
	// CORS holds the CORS rules of buckets, by bucket name.
	CORS map[string][]CORSRule
	// Logger receives delivery failures and request errors. Default slog.Default().
	Logger *slog.Logger
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

	events *outbox
	seq    atomic.Int64
	reqID  atomic.Uint64
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
	return s, nil
}

// Close stops event delivery and waits for in-flight deliveries to return.
// Pending events stay in the outbox and are delivered after a restart.
func (s *Server) Close() error {
	s.events.close()
	return nil
}

// InjectFaults makes the next n requests fail with status (500 answers
// InternalError, 503 SlowDown), so reliability tests can watch clients retry.
func (s *Server) InjectFaults(n int, status int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faultsLeft, s.faultStatus = n, status
}

func (s *Server) takeFault() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.faultsLeft <= 0 {
		return 0
	}
	s.faultsLeft--
	return s.faultStatus
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

// s3Error is S3's XML error body.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	id := fmt.Sprintf("%016X", s.reqID.Add(1))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", id)
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return // HEAD responses carry no body, as on S3
	}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(s3Error{Code: code, Message: message, Resource: r.URL.Path, RequestID: id})
}

func (s *Server) writeSigError(w http.ResponseWriter, r *http.Request, err error) {
	e := sigv4.AsError(err)
	s.writeError(w, r, e.Status, e.Code, e.Message)
}

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
			s.writeError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		}
	}()
	if st := s.takeFault(); st != 0 {
		code, msg := "InternalError", "We encountered an internal error. Please try again."
		if st == http.StatusServiceUnavailable {
			code, msg = "SlowDown", "Please reduce your request rate."
		}
		s.writeError(w, r, st, code, msg)
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
		s.writeSigError(w, r, err)
		return
	}
	if status, code, msg := unsupported(r, bucket, key); code != "" {
		s.writeError(w, r, status, code, msg)
		return
	}
	checksums, err := verifyChecksums(r)
	if err != nil {
		var e *sigv4.Error
		if errors.As(err, &e) {
			s.writeError(w, r, e.Status, e.Code, e.Message)
			return
		}
		s.writeError(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
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
			s.writeError(w, r, e.Status, e.Code, e.Message)
			return
		}
		if e := fixRange(r, s.store); e != nil {
			s.writeError(w, r, e.Status, e.Code, e.Message)
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
			s.log.Error("recording object-created event", "bucket", r.URL.Path, "err", err)
			s.writeError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return
		}
	}
	rec.flush()
}

// recorder adapts gofakes3's responses: it drops gofakes3's blanket CORS
// headers in favour of the bucket's rules, turns internal metadata back into
// S3 headers, and can hold the response until an event is recorded.
type recorder struct {
	w            http.ResponseWriter
	cors         http.Header
	checksumMode bool
	buffer       bool
	noBody       bool // a HEAD served as a GET

	hdr    http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header {
	if rec.buffer {
		if rec.hdr == nil {
			rec.hdr = rec.w.Header().Clone()
		}
		return rec.hdr
	}
	return rec.w.Header()
}

func (rec *recorder) WriteHeader(status int) {
	if rec.wrote {
		return
	}
	rec.wrote = true
	rec.status = status
	h := rec.Header()
	fixResponseHeaders(h, rec.cors, rec.checksumMode && status == http.StatusOK)
	if !rec.buffer {
		rec.w.WriteHeader(status)
	}
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.noBody {
		return len(p), nil
	}
	if rec.buffer {
		return rec.body.Write(p)
	}
	return rec.w.Write(p)
}

// finish settles the status of a response that wrote nothing.
func (rec *recorder) finish() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
}

// flush sends a buffered response.
func (rec *recorder) flush() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	dst := rec.w.Header()
	for k := range dst {
		delete(dst, k)
	}
	for k, v := range rec.hdr {
		dst[k] = v
	}
	rec.w.WriteHeader(rec.status)
	rec.w.Write(rec.body.Bytes())
}

// unsupported refuses requests whose meaning gofakes3 would silently ignore,
// so a feature that does not work locally never appears to work.
func unsupported(r *http.Request, bucket, key string) (int, string, string) {
	notImpl := func(what string) (int, string, string) {
		return http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented by the local S3: " + what
	}
	q := r.URL.Query()
	for name := range q {
		lname := strings.ToLower(name)
		if strings.HasPrefix(lname, "x-amz-") || strings.HasPrefix(lname, "response-") {
			continue
		}
		if !allowedQuery[lname] {
			return notImpl("?" + name)
		}
	}
	if q.Has("partNumber") && !q.Has("uploadId") {
		return notImpl("?partNumber on a completed object")
	}
	if bucket == "" && r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."
	}
	for name, vals := range r.Header {
		lname := strings.ToLower(name)
		v := ""
		if len(vals) > 0 {
			v = vals[0]
		}
		switch {
		case strings.HasPrefix(lname, "x-amz-server-side-encryption-customer-"),
			strings.HasPrefix(lname, "x-amz-copy-source-server-side-encryption-"),
			strings.HasPrefix(lname, "x-amz-object-lock-"),
			strings.HasPrefix(lname, "x-amz-copy-source-if-"),
			strings.HasPrefix(lname, "x-amz-grant-"),
			lname == "x-amz-tagging", lname == "x-amz-tagging-directive",
			lname == "x-amz-copy-source-range", lname == "x-amz-website-redirect-location",
			lname == "x-amz-write-offset-bytes":
			return notImpl(name)
		case lname == "x-amz-copy-source" && (q.Has("uploadId") || r.Method != http.MethodPut):
			return notImpl("UploadPartCopy")
		case lname == "x-amz-server-side-encryption" && v != "AES256":
			return notImpl(name + ": " + v)
		case lname == "x-amz-storage-class" && v != "STANDARD":
			return notImpl(name + ": " + v)
		case lname == "x-amz-acl" && v != "private" && v != "bucket-owner-full-control":
			return http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs"
		}
	}
	return 0, "", ""
}

var allowedQuery = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "max-keys": true, "continuation-token": true,
	"start-after": true, "encoding-type": true, "fetch-owner": true, "marker": true, "location": true,
	"x-id": true, "delete": true, "uploads": true, "uploadid": true, "partnumber": true,
	"max-parts": true, "part-number-marker": true, "key-marker": true, "upload-id-marker": true,
	"max-uploads": true, "versioning": true, "versions": true, "versionid": true, "version-id-marker": true,
}

// internalPrefix marks metadata that S3 stores but gofakes3 would drop or
// echo unconditionally; recorder maps it back to the real header.
const internalPrefix = "X-Amz-Tf-"

// storedHeaders are the system metadata S3 keeps with an object beyond what
// gofakes3 keeps itself (Content-Type, Content-Disposition, Content-Encoding).
var storedHeaders = []string{"Cache-Control", "Content-Language", "Expires"}

// sanitizeHeaders leaves only what S3 stores as object metadata, because
// gofakes3 stores every X-Amz-* header, including signatures and tokens.
func sanitizeHeaders(h http.Header, checksums map[string]string) {
	for name := range h {
		if strings.HasPrefix(name, "X-Amz-") && !strings.HasPrefix(name, "X-Amz-Meta-") &&
			name != "X-Amz-Copy-Source" && name != "X-Amz-Metadata-Directive" {
			delete(h, name)
		}
	}
	for _, name := range storedHeaders {
		if v := h.Get(name); v != "" {
			h.Set(internalPrefix+name, v)
		}
	}
	for name, v := range checksums {
		h.Set(internalPrefix+name, v)
	}
}

func fixResponseHeaders(h http.Header, cors http.Header, exposeChecksums bool) {
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(h, name)
		}
	}
	for k, v := range cors {
		h[k] = v
	}
	for name, v := range h {
		rest, ok := strings.CutPrefix(name, internalPrefix)
		if !ok {
			continue
		}
		delete(h, name)
		if strings.HasPrefix(rest, "Checksum-") {
			if exposeChecksums {
				h["X-Amz-"+rest] = v
				h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
			}
			continue
		}
		h[rest] = v
	}
}

// copyObject implements CopyObject here rather than in gofakes3, which
// ignores x-amz-metadata-directive: REPLACE and has no event hook.
func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string, cors http.Header) {
	src := r.Header.Get("X-Amz-Copy-Source")
	srcVersion := ""
	if i := strings.IndexByte(src, '?'); i >= 0 {
		q, err := url.ParseQuery(src[i+1:])
		if err != nil {
			s.writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Invalid copy source encoding")
			return
		}
		srcVersion = q.Get("versionId")
		if srcVersion == nullVersion {
			srcVersion = nullVersionQuery
		}
		src = src[:i]
	}
	decoded, err := url.PathUnescape(src)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Invalid copy source encoding")
		return
	}
	srcBucket, srcKey := splitPath("/" + strings.TrimPrefix(decoded, "/"))
	if srcBucket == "" || srcKey == "" {
		s.writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
		return
	}
	if ok, _ := s.store.BucketExists(bucket); !ok {
		s.writeError(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	obj, err := s.store.GetObjectVersion(srcBucket, srcKey, gofakes3.VersionID(srcVersion), nil)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	defer obj.Contents.Close()
	if obj.IsDeleteMarker {
		s.writeError(w, r, http.StatusBadRequest, "InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
		return
	}

	directive := strings.ToUpper(r.Header.Get("X-Amz-Metadata-Directive"))
	if directive == "" {
		directive = "COPY"
	}
	if directive != "COPY" && directive != "REPLACE" {
		s.writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Unknown metadata directive.")
		return
	}
	if srcBucket == bucket && srcKey == key && directive == "COPY" && srcVersion == "" {
		s.writeError(w, r, http.StatusBadRequest, "InvalidRequest",
			"This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		return
	}
	now := s.opts.Now().UTC()
	meta := map[string]string{}
	if directive == "COPY" {
		for k, v := range obj.Metadata {
			meta[k] = v
		}
	} else {
		for k, v := range r.Header {
			if strings.HasPrefix(k, "X-Amz-Meta-") || strings.HasPrefix(k, internalPrefix) ||
				k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" {
				meta[k] = v[0]
			}
		}
		for k, v := range obj.Metadata {
			if strings.HasPrefix(k, internalPrefix+"Checksum-") {
				meta[k] = v // same bytes, same checksum
			}
		}
	}
	meta["Last-Modified"] = now.Format(http.TimeFormat)

	data, err := io.ReadAll(obj.Contents)
	if err != nil {
		s.writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	res, err := s.store.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	etag := gofakes3.FormatETag(obj.Hash)
	if err := s.objectCreated(r, bucket, key, "ObjectCreated:Copy", int64(len(data)), etag, string(res.VersionID)); err != nil {
		s.log.Error("recording object-created event", "bucket", bucket, "key", key, "err", err)
		s.writeError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	type copyResult struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}
	if obj.VersionID != "" {
		w.Header().Set("X-Amz-Copy-Source-Version-Id", string(obj.VersionID))
	}
	if res.VersionID != "" {
		w.Header().Set("X-Amz-Version-Id", string(res.VersionID))
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(copyResult{LastModified: now.Format("2006-01-02T15:04:05.000Z"), ETag: etag})
}

// writeBackendError renders a gofakes3 error with its S3 code and status.
func (s *Server) writeBackendError(w http.ResponseWriter, r *http.Request, err error) {
	var e gofakes3.Error
	if errors.As(err, &e) {
		code := e.ErrorCode()
		s.writeError(w, r, code.Status(), string(code), code.Message())
		return
	}
	s.log.Error("local s3 backend", "path", r.URL.Path, "err", err)
	s.writeError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
}

// fixRange answers the Range requests gofakes3 gets wrong with S3's error.
// gofakes3 serves the whole object for a range that starts past the end;
// S3 answers 416 InvalidRange.
func fixRange(r *http.Request, st *store) *sigv4.Error {
	rng := r.Header.Get("Range")
	if rng == "" {
		return nil
	}
	spec, ok := strings.CutPrefix(rng, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		r.Header.Del("Range") // S3 ignores ranges it cannot parse, and multi-ranges
		return nil
	}
	startStr, _, _ := strings.Cut(spec, "-")
	if startStr == "" {
		return nil
	}
	start, err := strconv.ParseInt(startStr, 10, 64)
	if err != nil {
		r.Header.Del("Range")
		return nil
	}
	obj, err := requestedObject(r, st)
	if err != nil {
		return nil // let gofakes3 report NoSuchKey
	}
	obj.Contents.Close()
	if start >= obj.Size {
		return &sigv4.Error{Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidRange", Message: "The requested range is not satisfiable"}
	}
	return nil
}

// checkReadConditions applies If-Match and If-Unmodified-Since, which
// gofakes3 ignores on GET and HEAD; S3 answers 412 when they fail.
func checkReadConditions(r *http.Request, st *store) *sigv4.Error {
	ifMatch := r.Header.Get("If-Match")
	ifUnmodified := r.Header.Get("If-Unmodified-Since")
	if ifMatch == "" && ifUnmodified == "" {
		return nil
	}
	obj, err := requestedObject(r, st)
	if err != nil {
		return nil // let gofakes3 report NoSuchKey
	}
	obj.Contents.Close()
	failed := &sigv4.Error{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}
	if ifMatch != "" {
		etag := gofakes3.FormatETag(obj.Hash)
		ok := false
		for _, m := range strings.Split(ifMatch, ",") {
			m = strings.TrimSpace(m)
			ok = ok || m == "*" || m == etag || `"`+m+`"` == etag
		}
		if !ok {
			return failed
		}
		return nil // If-Match that holds overrides If-Unmodified-Since, as on S3
	}
	since, err := time.Parse(http.TimeFormat, ifUnmodified)
	if err != nil {
		return nil // S3 ignores an unparsable date
	}
	if lm, err := time.Parse(http.TimeFormat, obj.Metadata["Last-Modified"]); err == nil && lm.After(since) {
		return failed
	}
	return nil
}

// requestedObject heads the object (or ?versionId version) r reads; a
// delete marker is no object.
func requestedObject(r *http.Request, st *store) (*gofakes3.Object, error) {
	bucket, key := splitPath(r.URL.Path)
	obj, err := st.HeadObjectVersion(bucket, key, gofakes3.VersionID(r.URL.Query().Get("versionId")))
	if err == nil && obj.IsDeleteMarker {
		obj.Contents.Close()
		return nil, gofakes3.KeyNotFound(key)
	}
	return obj, err
}

// objectCreated records an event for every matching subscription. version
// is the new object's version id, empty where the bucket is not versioned.
func (s *Server) objectCreated(r *http.Request, bucket, key, name string, size int64, etag, version string) error {
	return s.events.record(s.newEvent(r, bucket, key, name, size, etag, version))
}

func (s *Server) nextSequencer() string {
	for {
		prev := s.seq.Load()
		next := max(prev+1, s.opts.Now().UnixNano())
		if s.seq.CompareAndSwap(prev, next) {
			return fmt.Sprintf("%016X", next)
		}
	}
}
