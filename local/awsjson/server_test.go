package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"thumbflow/local/sigv4"
)

type echo struct{ Name string }

func newServer() (*Server, *int) {
	calls := 0
	s := &Server{
		SigningName: "sqs", TargetPrefix: "AmazonSQS.", JSONVersion: "1.0", MaxBytes: 1024,
		Verifier: sigv4.NewVerifier("AKID", "secret", "us-east-1"), ErrorNamespace: "com.amazonaws.sqs",
		Operations: map[string]Operation{
			"Echo": Op(func(_ context.Context, in echo) (echo, error) { calls++; return in, nil }),
			"Fail": Op(func(context.Context, echo) (echo, error) { return echo{}, errors.New("disk full") }),
		},
	}
	return s, &calls
}

func answer(t *testing.T, s *Server, r *http.Request) (int, http.Header, map[string]string) {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var body map[string]string
	json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, w.Header(), body
}

// stream is a body that counts what is read from it.
type stream struct{ read int }

func (s *stream) Read(p []byte) (int, error) { s.read += len(p); return len(p), nil }

// TestOversizedRequestIsRefusedUnread: a request over the quota is refused
// before the verifier reads (and hashes) a byte of it.
func TestOversizedRequestIsRefusedUnread(t *testing.T) {
	s, calls := newServer()
	body := &stream{}
	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(body))
	r.ContentLength = 1 << 30
	r.Header.Set("X-Amz-Target", "AmazonSQS.Echo")
	code, _, out := answer(t, s, r)
	if code != http.StatusRequestEntityTooLarge || out["__type"] != "com.amazonaws.sqs#RequestEntityTooLarge" || body.read != 0 || *calls != 0 {
		t.Errorf("oversized request: %d %v, %d bytes read", code, out, body.read)
	}
}

func TestRefusalsAreRenderedAsTheSDKsExpect(t *testing.T) {
	s, calls := newServer()
	get := httptest.NewRequest(http.MethodGet, "/", nil)
	if code, _, _ := answer(t, s, get); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", code)
	}
	unsigned := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Name":"x"}`))
	unsigned.Header.Set("X-Amz-Target", "AmazonSQS.Echo")
	code, hdr, out := answer(t, s, unsigned)
	if code/100 != 4 || hdr.Get("X-Amzn-ErrorType") == "" || !strings.HasPrefix(out["__type"], "com.amazonaws.sqs#") || *calls != 0 {
		t.Errorf("unsigned request: %d %v %v", code, hdr, out)
	}

	s.Verifier = nil
	for target, want := range map[string]string{
		"AmazonSQS.Nope": "com.amazonaws.sqs#UnknownOperationException",
		"Other.Echo":     "com.amazonaws.sqs#UnknownOperationException",
		"AmazonSQS.Fail": "com.amazonaws.sqs#InternalFailure",
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
		r.Header.Set("X-Amz-Target", target)
		if _, _, out := answer(t, s, r); out["__type"] != want {
			t.Errorf("%s: %v, want %s", target, out, want)
		}
	}
	bad := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Name":`))
	bad.Header.Set("X-Amz-Target", "AmazonSQS.Echo")
	if code, _, out := answer(t, s, bad); code != 400 || out["__type"] != "com.amazonaws.sqs#SerializationException" {
		t.Errorf("malformed JSON: %d %v", code, out)
	}
	ok := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Name":"x"}`))
	ok.Header.Set("X-Amz-Target", "AmazonSQS.Echo")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, ok)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-amz-json-1.0" || strings.TrimSpace(w.Body.String()) != `{"Name":"x"}` {
		t.Errorf("Echo: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

func TestAccessKeyIDAndSigningService(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00")
	if AccessKeyID(r) != "AKIDEXAMPLE" || SigningService(r) != "sns" {
		t.Errorf("AccessKeyID %q, SigningService %q", AccessKeyID(r), SigningService(r))
	}
	p := httptest.NewRequest(http.MethodGet, "/?X-Amz-Credential=AKID2%2F20260301%2Fus-east-1%2Fsqs%2Faws4_request", nil)
	if AccessKeyID(p) != "AKID2" || SigningService(p) != "sqs" {
		t.Errorf("presigned: AccessKeyID %q, SigningService %q", AccessKeyID(p), SigningService(p))
	}
}
