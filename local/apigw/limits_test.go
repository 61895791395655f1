package apigw_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"thumbflow/local/apigw"
	"thumbflow/local/sigv4"
)

// endlessBody is a request body larger than any limit (it stops at 64 MiB
// so that a handler that reads it all fails rather than hangs); it counts
// what was read.
type endlessBody struct{ read int64 }

func (e *endlessBody) Read(p []byte) (int, error) {
	if e.read >= 64<<20 {
		return 0, io.EOF
	}
	n := min(len(p), 32<<10)
	clear(p[:n])
	e.read += int64(n)
	return n, nil
}

func (e *endlessBody) Close() error { return nil }

// An unauthenticated @connections request with a huge body is refused
// after reading at most one message's worth of it.
func TestManagementReadsNoMoreThanAMessageOfAForgedBody(t *testing.T) {
	e := start(t, apigw.Options{Handler: newRecorder().handle, Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	now := time.Now().UTC()
	forged := func(length int64, body io.ReadCloser) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/prod/@connections/AAAAAAAAAAAAAA=", nil)
		r.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/"+now.Format("20060102")+
			"/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
		r.ContentLength = length
		r.Body = body
		return r
	}
	for _, length := range []int64{1 << 30, -1} {
		body := &endlessBody{}
		w := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e.gw.ManagementHandler().ServeHTTP(w, forged(length, body))
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
			t.Errorf("Content-Length %d: refusing it allocated %d MiB", length, n>>20)
		}
		if w.Code != http.StatusRequestEntityTooLarge || body.read > 128<<10+64<<10 {
			t.Errorf("Content-Length %d: %d %s after reading %d bytes, want 413 within one message", length, w.Code, w.Body, body.read)
		}
	}
}
