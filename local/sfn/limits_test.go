package sfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"thumbflow/internal/bodytest"
	"thumbflow/local/sigv4"
)

// An unauthenticated request announcing a huge body is refused without
// the service reading or allocating for it.
func TestHugeForgedRequestIsRefusedUnread(t *testing.T) {
	s, _ := startFake(t, Options{Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	forged := func(length int64, body io.ReadCloser) *http.Request {
		r := bodytest.Forged("/", "states", length, body)
		r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		return r
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body := &bodytest.Endless{}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, forged(1<<30, body))
	runtime.ReadMemStats(&after)
	if w.Code != http.StatusRequestEntityTooLarge || body.N != 0 {
		t.Errorf("1 GiB Content-Length: %d %s after reading %d bytes, want 413 unread", w.Code, w.Body, body.N)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("refusing it allocated %d MiB", n>>20)
	}

	body = &bodytest.Endless{}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, forged(-1, body))
	if w.Code != http.StatusRequestEntityTooLarge || body.N > maxRequestBytes+64<<10 {
		t.Errorf("body of unannounced length: %d %s after reading %d bytes, want 413 within 1 MiB", w.Code, w.Body, body.N)
	}
}

// A signed request over 1 MB is refused as too large, not truncated into
// a signature mismatch.
func TestOversizedSignedRequestIsTooLarge(t *testing.T) {
	s, _ := startFake(t, Options{Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	payload := `{"name":"` + strings.Repeat("x", maxRequestBytes) + `"}`
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(payload))
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	h := sha256.Sum256([]byte(payload))
	sum := hex.EncodeToString(h[:])
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, r, sum, "states", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB signed request: %d %s, want 413", w.Code, w.Body)
	}
}
