package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"thumbflow/internal/bodytest"
)

// forged is a request with a known access key and a current date whose
// signature is wrong.
func forged(t *testing.T, service, claimed string, length int64, body io.ReadCloser) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPut, "http://localhost/b/big.jpg", nil)
	if err != nil {
		t.Fatal(err)
	}
	signed := "host;x-amz-date"
	if claimed != "" {
		r.Header.Set("X-Amz-Content-Sha256", claimed)
		signed = "host;x-amz-content-sha256;x-amz-date"
	}
	r.Header.Set("X-Amz-Date", t0.Format(timeFormat))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/"+t0.Format(dateFormat)+"/us-east-1/"+service+
		"/aws4_request, SignedHeaders="+signed+", Signature="+strings.Repeat("0", 64))
	r.ContentLength = length
	r.Body = body
	return r
}

func TestForgedRequestIsRefusedBeforeItsBodyIsRead(t *testing.T) {
	v := NewVerifier("test", "test", "us-east-1")
	v.Now = func() time.Time { return t0 }

	// S3 signs the hash the client claims: the signature is checked
	// first, and the body is never touched.
	body := &bodytest.Endless{}
	err := v.Verify(forged(t, "s3", hashHex([]byte("x")), 1<<30, body), "s3")
	if e := wantErr(t, err); e.Code != "SignatureDoesNotMatch" {
		t.Errorf("forged S3 request: %v, want SignatureDoesNotMatch", err)
	}
	if body.N != 0 {
		t.Errorf("forged S3 request: %d body bytes read before the signature was checked", body.N)
	}

	// A JSON service request names no hash, so its body must be hashed
	// first: a Content-Length over the limit is refused unread, and an
	// unannounced length is read no further than the limit.
	body = &bodytest.Endless{}
	err = v.Verify(forged(t, "states", "", 1<<30, body), "states")
	if e := wantErr(t, err); e.Status != http.StatusRequestEntityTooLarge || body.N != 0 {
		t.Errorf("1 GiB Content-Length: %v after reading %d bytes, want 413 unread", err, body.N)
	}
	body = &bodytest.Endless{}
	err = v.Verify(forged(t, "states", "", -1, body), "states")
	if e := wantErr(t, err); e.Status != http.StatusRequestEntityTooLarge || body.N > MaxJSONPayload+64<<10 {
		t.Errorf("endless body: %v after reading %d bytes, want 413 within %d", err, body.N, MaxJSONPayload)
	}

	// A caller's own, lower limit (http.MaxBytesReader) reads as the same failure.
	body = &bodytest.Endless{}
	r := forged(t, "states", "", -1, body)
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<10)
	err = v.Verify(r, "states")
	if e := wantErr(t, err); e.Status != http.StatusRequestEntityTooLarge || body.N > 64<<10 {
		t.Errorf("caller limit: %v after reading %d bytes, want 413", err, body.N)
	}
}

// A valid request whose Content-Length claims far more than it carries
// (or than is allowed) makes the verifier allocate by what arrives, never
// by what the client announced.
func TestVerifyDoesNotPreallocateFromContentLength(t *testing.T) {
	v := NewVerifier("test", "test", "us-east-1")
	v.Now = func() time.Time { return t0 }
	payload := []byte("small image")
	req := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPut, "http://localhost/b/k", nil)
		r.Header.Set("X-Amz-Content-Sha256", hashHex(payload))
		r.ContentLength = 1 << 30
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(payload), "s3", "us-east-1", t0); err != nil {
			t.Fatal(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(payload))
		return r
	}
	if err := v.Verify(req(), "s3"); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 4 {
		if err := v.Verify(req(), "s3"); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("4 verifications of an %d-byte body claiming 1 GiB allocated %d MiB", len(payload), n>>20)
	}
}

func TestReadAllLimit(t *testing.T) {
	b, err := ReadAllLimit(strings.NewReader("12345"), 5, 5)
	if err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	if _, err := ReadAllLimit(strings.NewReader("123456"), 3, 5); err != ErrTooLarge {
		t.Errorf("over the limit: %v, want ErrTooLarge", err)
	}
	if b, err := ReadAllLimit(strings.NewReader("abc"), 1<<40, 1<<40); err != nil || string(b) != "abc" || cap(b) > maxPrealloc+1 {
		t.Errorf("huge size hint: %q cap %d %v", b, cap(b), err)
	}
}

// An S3 object well over the 1 MiB pre-allocation still verifies and
// reaches the handler whole.
func TestVerifyLargeS3Object(t *testing.T) {
	srv, ch := newServer(t, "s3", t0)
	body := bytes.Repeat([]byte("0123456789abcdef"), 26<<20/16)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/b/large.jpg", bytes.NewReader(body))
	req.Header.Set("X-Amz-Content-Sha256", hashHex(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex(body), "s3", "us-east-1", t0); err != nil {
		t.Fatal(err)
	}
	res := do(t, req, ch)
	if res.code != "OK" || res.body != string(body) {
		t.Fatalf("26 MiB object: %q, %d bytes arrived", res.code, len(res.body))
	}
}
