package s3

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"thumbflow/local/sigv4"
)

// Server access logging: a bucket with a LoggingTarget has a record of
// each request to it written, in S3's server access log format, into
// objects of the target bucket under the target prefix. S3 delivers its
// logs in batches, best effort, minutes to hours late; the local S3
// batches them too, flushing every Options.AccessLogFlush and at Close,
// so that a test or a developer sees them without waiting an hour.

// DefaultAccessLogFlush is how often buffered access log records are
// written when Options.AccessLogFlush is zero.
const DefaultAccessLogFlush = time.Minute

// LoggingTarget is where a bucket's access logs go: a bucket of the same
// local S3 and a key prefix (LogFilePrefix / TargetPrefix).
type LoggingTarget struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
}

// SetLogging sets (or with nil removes) the access log target of bucket.
func (s *Server) SetLogging(bucket string, t *LoggingTarget) error {
	if t != nil {
		if ok, _ := s.store.BucketExists(t.Bucket); !ok {
			return fmt.Errorf("access logging of bucket %q: target bucket %q does not exist", bucket, t.Bucket)
		}
		if t.Bucket == bucket {
			return fmt.Errorf("access logging of bucket %q: a bucket cannot log to itself", bucket)
		}
	}
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Logging = t
		return nil
	})
	if err != nil {
		return fmt.Errorf("access logging of bucket %q: %w", bucket, err)
	}
	return nil
}

// accessLog buffers records by source bucket until a flush writes them.
type accessLog struct {
	mu      sync.Mutex
	pending map[string][]string // source bucket → records
	stop    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
}

func (s *Server) startAccessLog() {
	s.alog = &accessLog{pending: map[string][]string{}, stop: make(chan struct{})}
	every := s.opts.AccessLogFlush
	if every <= 0 {
		every = DefaultAccessLogFlush
	}
	s.alog.done.Add(1)
	go func() {
		defer s.alog.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.FlushAccessLogs()
			case <-s.alog.stop:
				return
			}
		}
	}()
}

// closeAccessLog stops the timer and writes what is buffered.
func (s *Server) closeAccessLog() {
	s.alog.once.Do(func() {
		close(s.alog.stop)
		s.alog.done.Wait()
		s.FlushAccessLogs()
	})
}

// FlushAccessLogs writes every buffered record now: one log object per
// source bucket, named as S3 names them
// (<prefix>YYYY-mm-DD-HH-MM-SS-<16 hex digits>). A delivery the target's
// policy refuses (Options.AuthorizeLogDelivery) is dropped with an error
// line, as S3 drops it.
func (s *Server) FlushAccessLogs() {
	s.alog.mu.Lock()
	pending := s.alog.pending
	s.alog.pending = map[string][]string{}
	s.alog.mu.Unlock()
	sources := make([]string, 0, len(pending))
	for b := range pending {
		sources = append(sources, b)
	}
	sort.Strings(sources)
	for _, source := range sources {
		st, err := s.store.bucketSettings(source)
		if err != nil || st.Logging == nil {
			continue // the bucket went, or stopped logging, meanwhile
		}
		t := st.Logging
		suffix := make([]byte, 8)
		rand.Read(suffix)
		key := t.Prefix + s.opts.Now().UTC().Format("2006-01-02-15-04-05") + "-" + strings.ToUpper(hex.EncodeToString(suffix))
		if f := s.opts.AuthorizeLogDelivery; f != nil {
			if err := f(source, t.Bucket, key); err != nil {
				s.log.Error("access log delivery refused", "bucket", source, "target", t.Bucket, "error", err)
				continue
			}
		}
		body := []byte(strings.Join(pending[source], ""))
		if _, err := s.store.PutObject(t.Bucket, key, map[string]string{"Content-Type": "text/plain"}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
			s.log.Error("access log delivery failed", "bucket", source, "target", t.Bucket, "key", key, "error", err)
		}
	}
}

// accessRecorder sees what a request's response was, for its record.
type accessRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	head   []byte // the start of an error body, for its <Code>
}

func (a *accessRecorder) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *accessRecorder) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	if a.status >= 300 && len(a.head) < 512 {
		a.head = append(a.head, b[:min(len(b), 512-len(a.head))]...)
	}
	n, err := a.ResponseWriter.Write(b)
	a.bytes += int64(n)
	return n, err
}

func (a *accessRecorder) Unwrap() http.ResponseWriter { return a.ResponseWriter }

var errorCode = regexp.MustCompile(`<Code>([^<]+)</Code>`)

// logAccess buffers the record of one request to bucket, if it logs.
func (s *Server) logAccess(r *http.Request, rec *accessRecorder, start time.Time, bucket, key string) {
	if bucket == "" {
		return
	}
	st, err := s.store.bucketSettings(bucket)
	if err != nil || st.Logging == nil {
		return
	}
	line := s.accessRecord(r, rec, start, bucket, key)
	s.alog.mu.Lock()
	s.alog.pending[bucket] = append(s.alog.pending[bucket], line)
	s.alog.mu.Unlock()
}

// accessRecord is one line of S3's server access log format: bucket owner,
// bucket, [time], remote IP, requester, request id, operation, key,
// "request URI", status, error code, bytes sent, object size, total time,
// turn-around time, "referer", "user agent", version id, host id,
// signature version, cipher suite, authentication type, host header, TLS
// version, access point ARN, ACL required. Fields the local S3 does not
// know are "-", as S3 writes an unknown field.
func (s *Server) accessRecord(r *http.Request, rec *accessRecorder, start time.Time, bucket, key string) string {
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	quote := func(v string) string {
		if v == "" {
			return "-"
		}
		return strconv.Quote(v)
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	code := "-"
	if m := errorCode.FindSubmatch(rec.head); m != nil {
		code = string(m[1])
	}
	requester := "-"
	if id := sigv4.AccessKeyID(r); id != "" {
		requester = id
		if p, ok := s.opts.Authorizer.(interface{ PrincipalARN(string) string }); ok {
			if arn := p.PrincipalARN(id); arn != "" {
				requester = arn
			}
		}
	}
	sig, auth := "-", "-"
	switch {
	case r.URL.Query().Has("X-Amz-Signature"):
		sig, auth = "SigV4", "QueryString"
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256"):
		sig, auth = "SigV4", "AuthHeader"
	case r.Method == http.MethodPost && key == "":
		sig, auth = "SigV4", "AuthHeader" // a browser form's policy signature
	}
	tlsVersion, cipher := "-", "-"
	if r.TLS != nil {
		tlsVersion = map[uint16]string{0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}[r.TLS.Version]
		cipher = tls.CipherSuiteName(r.TLS.CipherSuite)
	}
	size := "-"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if cl := rec.Header().Get("Content-Length"); cl != "" && key != "" {
			size = cl
		}
	} else if r.ContentLength > 0 && key != "" {
		size = strconv.FormatInt(r.ContentLength, 10)
	}
	sent := "-"
	if rec.bytes > 0 {
		sent = strconv.FormatInt(rec.bytes, 10)
	}
	ms := strconv.FormatInt(time.Since(start).Milliseconds(), 10)
	fields := []string{
		"-", // bucket owner's canonical id: the local S3 has no canonical users
		bucket,
		"[" + start.UTC().Format("02/Jan/2006:15:04:05 -0700") + "]",
		dash(sourceIP(r)),
		requester,
		dash(rec.Header().Get("X-Amz-Request-Id")),
		operation(r, key),
		dash(key),
		strconv.Quote(r.Method + " " + r.URL.RequestURI() + " " + r.Proto),
		strconv.Itoa(status),
		code,
		sent,
		size,
		ms,
		ms,
		quote(r.Referer()),
		quote(r.UserAgent()),
		dash(rec.Header().Get("X-Amz-Version-Id")),
		"-",
		sig,
		cipher,
		auth,
		dash(r.Host),
		dash(tlsVersion),
		"-",
		"-",
	}
	return strings.Join(fields, " ") + "\n"
}

// operation is S3's REST.<METHOD>.<resource> name of a request: OBJECT
// or BUCKET, a bucket's subresource (REST.GET.CORS), the multipart steps
// (REST.POST.UPLOADS, REST.PUT.PART, REST.POST.UPLOAD), REST.COPY.OBJECT
// and REST.POST.MULTI_OBJECT_DELETE. A browser form POST, which names the
// bucket only, is REST.POST.OBJECT (docs/local-s3.md).
func operation(r *http.Request, key string) string {
	q := r.URL.Query()
	method, what := r.Method, "BUCKET"
	switch {
	case key == "" && q.Has("delete"):
		what = "MULTI_OBJECT_DELETE"
	case key == "" && r.Method == http.MethodPost:
		what = "OBJECT"
	case key == "":
		for sub := range subresourceActions {
			if q.Has(sub) {
				what = strings.ToUpper(sub)
			}
		}
	case q.Has("tagging"):
		what = "OBJECT_TAGGING"
	case q.Has("uploads"):
		what = "UPLOADS"
	case q.Has("uploadId") && r.Method == http.MethodPut:
		what = "PART"
	case q.Has("uploadId"):
		what = "UPLOAD"
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		method, what = "COPY", "OBJECT"
	default:
		what = "OBJECT"
	}
	return "REST." + method + "." + what
}
