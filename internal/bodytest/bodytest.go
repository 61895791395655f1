// Package bodytest provides what tests of request-size limits share: a
// request body larger than any limit that counts what was read, and a
// forged SigV4 request to send it with.
package bodytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Endless is a request body larger than any limit: zeros, 32 KiB a read
// at most, ending at 64 MiB only so that a handler that reads it all
// fails rather than hangs. N counts the bytes read.
type Endless struct{ N int64 }

func (e *Endless) Read(p []byte) (int, error) {
	if e.N >= 64<<20 {
		return 0, io.EOF
	}
	n := min(len(p), 32<<10)
	clear(p[:n])
	e.N += int64(n)
	return n, nil
}

func (e *Endless) Close() error { return nil }

// Forged is a POST to target, dated now, that names the access key
// "test" and a SigV4 scope of service in us-east-1 but carries a wrong
// (all-zero) signature: a request no one signed. It announces length
// bytes (-1 for an unknown length) and reads them from body.
func Forged(target, service string, length int64, body io.ReadCloser) *http.Request {
	now := time.Now().UTC()
	r := httptest.NewRequest(http.MethodPost, target, nil)
	r.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/"+now.Format("20060102")+
		"/us-east-1/"+service+"/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
	r.ContentLength = length
	r.Body = body
	return r
}
