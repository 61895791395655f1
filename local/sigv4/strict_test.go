package sigv4

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"thumbflow/internal/bodytest"
)

// sdkS3 is the real S3 client and presigner pointed at srv, with the
// credentials newServer's verifier knows.
func sdkS3(srv *httptest.Server) (*s3.Client, *s3.PresignClient) {
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		// As config.LoadDefaultConfig sets it: a checksum on every upload.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	})
	return c, s3.NewPresignClient(c)
}

// A presigned request may carry only the x-amz-* headers its signature
// covers: S3 refuses any other with 403 AccessDenied "There were headers
// present in the request which were not signed" and lists them. Other
// headers (Range, a browser's own) stay free, as on S3.
func TestPresignedRequestWithUnsignedAmzHeadersIsRefused(t *testing.T) {
	srv, ch := newServer(t, "s3", time.Now())
	_, presigner := sdkS3(srv)
	ctx := context.Background()

	get, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("records"), Key: aws.String("status/a.json")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, url string, hdr http.Header) result {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		return do(t, req, ch)
	}
	if res := send(http.MethodGet, get.URL, http.Header{"Range": {"bytes=0-9"}, "X-Custom": {"free"}}); res.code != "OK" {
		t.Fatalf("presigned GET with unsigned non-x-amz headers: %q, want accepted", res.code)
	}
	res := send(http.MethodGet, get.URL, http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}, "X-Amz-Acl": {"public-read"}})
	if res.code != "AccessDenied: There were headers present in the request which were not signed: x-amz-acl, x-amz-checksum-mode" {
		t.Errorf("presigned GET with unsigned x-amz-* headers: %q, want AccessDenied naming both", res.code)
	}

	// The headers PresignPutObject signed may be sent; one more may not.
	put, err := presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a.jpg"),
		Metadata: map[string]string{"owner": "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := put.SignedHeader["X-Amz-Meta-Owner"]; !ok {
		t.Fatalf("the SDK did not sign the metadata header: %v", put.SignedHeader)
	}
	if res := send(put.Method, put.URL, put.SignedHeader); res.code != "OK" {
		t.Fatalf("presigned PUT with its signed headers: %q", res.code)
	}
	extra := put.SignedHeader.Clone()
	extra.Set("X-Amz-Meta-Owner", "alice")
	extra.Set("X-Amz-Server-Side-Encryption", "AES256")
	if res := send(put.Method, put.URL, extra); !strings.HasPrefix(res.code, "AccessDenied: There were headers present in the request which were not signed: x-amz-server-side-encryption") {
		t.Errorf("presigned PUT with an unsigned x-amz-server-side-encryption: %q, want AccessDenied", res.code)
	}

	// The error carries the names for services that render them apart.
	v := NewVerifier("test", "test", "us-east-1")
	req, _ := http.NewRequest(http.MethodGet, get.URL, nil)
	req.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	e := wantErr(t, v.Verify(req, "s3"))
	if e.Status != http.StatusForbidden || e.Code != "AccessDenied" || len(e.HeadersNotSigned) != 1 || e.HeadersNotSigned[0] != "x-amz-content-sha256" {
		t.Errorf("unsigned x-amz-content-sha256: %+v, want 403 AccessDenied listing it", e)
	}
}

// lowerS3Limit makes the S3 payload limit n bytes for one test, so that a
// limit can be shown to hold without sending gigabytes.
func lowerS3Limit(t *testing.T, n int64) {
	old := s3PayloadLimit
	s3PayloadLimit = n
	t.Cleanup(func() { s3PayloadLimit = old })
}

// chunkStream is an aws-chunked body (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
// that never reaches its final chunk: 1 KiB chunks of 'a', up to 64 MiB so
// that a decoder with no cap fails rather than hangs. N counts the bytes
// read.
type chunkStream struct {
	N   int64
	buf []byte
}

func (c *chunkStream) Read(p []byte) (int, error) {
	if c.N >= 64<<20 {
		return 0, io.EOF
	}
	if len(c.buf) == 0 {
		c.buf = append([]byte("400\r\n"), append(bytes.Repeat([]byte("a"), 1024), "\r\n"...)...)
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	c.N += int64(n)
	return n, nil
}

func (c *chunkStream) Close() error { return nil }

// unsignedTrailerRequest is a correctly signed STREAMING-UNSIGNED-PAYLOAD-
// TRAILER PUT, the mode the SDK uses over TLS, with body as its encoded
// body: a forged body behind a genuine signature.
func unsignedTrailerRequest(t *testing.T, body io.ReadCloser, hdr map[string]string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1:4566/b/k", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedTrailer)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	r.ContentLength = -1
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, StreamingUnsignedTrailer, "s3", "us-east-1", t0); err != nil {
		t.Fatal(err)
	}
	r.Body = body
	return r
}

// aws-chunked bodies are held to the limits of plain bodies: what a body
// may not carry plainly, it may not carry chunked, and a declared length
// or chunk over the limit is refused before its bytes are read.
func TestChunkedBodiesAreCappedLikePlainBodies(t *testing.T) {
	const limit = 16 << 10
	lowerS3Limit(t, limit)
	v := NewVerifier("test", "test", "us-east-1")
	v.Now = func() time.Time { return t0 }
	tooLarge := func(t *testing.T, err error) {
		t.Helper()
		if e := wantErr(t, err); e.Status != http.StatusBadRequest || e.Code != "EntityTooLarge" {
			t.Errorf("got %v, want 400 EntityTooLarge, as for a plain body over the limit", err)
		}
	}

	t.Run("plain body over the limit", func(t *testing.T) {
		body := bytes.Repeat([]byte("p"), limit+1)
		r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1:4566/b/k", bytes.NewReader(body))
		r.Header.Set("X-Amz-Content-Sha256", hashHex(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), "s3", "us-east-1", t0); err != nil {
			t.Fatal(err)
		}
		tooLarge(t, v.Verify(r, "s3"))
	})
	t.Run("endless chunks", func(t *testing.T) {
		body := &chunkStream{}
		tooLarge(t, v.Verify(unsignedTrailerRequest(t, body, nil), "s3"))
		if body.N > limit+128<<10 {
			t.Errorf("read %d bytes of a body over a %d-byte limit", body.N, limit)
		}
	})
	t.Run("declared decoded length over the limit", func(t *testing.T) {
		body := &bodytest.Endless{}
		tooLarge(t, v.Verify(unsignedTrailerRequest(t, body, map[string]string{"X-Amz-Decoded-Content-Length": fmt.Sprint(limit + 1)}), "s3"))
		if body.N != 0 {
			t.Errorf("read %d bytes before refusing the declared length", body.N)
		}
	})
	t.Run("one chunk over the limit", func(t *testing.T) {
		body := io.NopCloser(io.MultiReader(strings.NewReader(fmt.Sprintf("%x\r\n", limit+1)), &bodytest.Endless{}))
		tooLarge(t, v.Verify(unsignedTrailerRequest(t, body, nil), "s3"))
	})
	t.Run("caller's lower limit", func(t *testing.T) {
		body := &chunkStream{}
		r := unsignedTrailerRequest(t, body, nil)
		r.Body = http.MaxBytesReader(nil, r.Body, 4<<10)
		tooLarge(t, v.Verify(r, "s3"))
		if body.N > 128<<10 {
			t.Errorf("read %d bytes past a 4 KiB caller limit", body.N)
		}
	})

	// The real SDK sends aws-chunked with a checksum trailer over TLS: a
	// payload under the limit is stored, one over it refused.
	srv, ch := newTLSServer(t)
	client, _ := sdkS3(srv)
	put := func(n int) (result, error) {
		_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"),
			Body: bytes.NewReader(bytes.Repeat([]byte("s"), n))})
		return <-ch, err
	}
	res, err := put(limit)
	if err != nil || res.code != "OK" || len(res.body) != limit || res.hdr.Get("X-Amz-Checksum-Crc32") == "" ||
		res.hdr.Get("Sent-X-Amz-Content-Sha256") != StreamingUnsignedTrailer {
		t.Fatalf("SDK PutObject at the limit: %v, %q, %d bytes, headers %v", err, res.code, len(res.body), res.hdr)
	}
	res, err = put(limit + 1)
	var api smithy.APIError
	if !strings.HasPrefix(res.code, "EntityTooLarge") || !errors.As(err, &api) || api.ErrorCode() != "EntityTooLarge" {
		t.Errorf("SDK PutObject over the limit: %v, %q; want EntityTooLarge", err, res.code)
	}
}

// newTLSServer is newServer for S3 over TLS, where the SDK sends
// aws-chunked bodies, answering failures in S3's XML so that the SDK
// reports their codes.
func newTLSServer(t *testing.T) (*httptest.Server, chan result) {
	t.Helper()
	v := NewVerifier("test", "test", "us-east-1")
	ch := make(chan result, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := r.Header.Get("X-Amz-Content-Sha256")
		if err := v.Verify(r, "s3"); err != nil {
			e := wantErr(t, err)
			ch <- result{code: e.Code + ": " + e.Message}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(e.Status)
			xml.NewEncoder(w).Encode(struct {
				XMLName       xml.Name `xml:"Error"`
				Code, Message string
			}{Code: e.Code, Message: e.Message})
			return
		}
		b, _ := io.ReadAll(r.Body)
		hdr := r.Header.Clone()
		hdr.Set("Sent-X-Amz-Content-Sha256", sent) // before Verify decoded it
		ch <- result{code: "OK", body: string(b), hdr: hdr}
		w.Header().Set("ETag", `"etag"`)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// Only the checksum trailers X-Amz-Trailer declares reach the request
// headers. Declaring any other trailer is refused before the body is read,
// as S3 refuses it (400 InvalidRequest "The value specified in the
// x-amz-trailer header is not supported"), and a trailer the header did
// not declare is MalformedTrailerError, so a body can never set a header
// the signature did not cover.
func TestOnlyDeclaredChecksumTrailersAreAccepted(t *testing.T) {
	v := NewVerifier("test", "test", "us-east-1")
	v.Now = func() time.Time { return t0 }
	const payload = "5\r\nhello\r\n6\r\n world\r\n0\r\n"

	for _, declared := range []string{"x-amz-meta-owner", "content-type", "x-amz-checksum-crc32, x-amz-website-redirect-location", "x-amz-checksum-md5"} {
		t.Run("declared "+declared, func(t *testing.T) {
			body := &bodytest.Endless{}
			r := unsignedTrailerRequest(t, body, map[string]string{"X-Amz-Trailer": declared})
			e := wantErr(t, v.Verify(r, "s3"))
			if e.Status != http.StatusBadRequest || e.Code != "InvalidRequest" || e.Message != "The value specified in the x-amz-trailer header is not supported" {
				t.Errorf("got %+v, want S3's 400 InvalidRequest", e)
			}
			if body.N != 0 {
				t.Errorf("read %d body bytes before refusing the header", body.N)
			}
		})
	}

	t.Run("undeclared trailer beside a declared one", func(t *testing.T) {
		body := payload + "x-amz-checksum-crc32:DUoRhQ==\r\nx-amz-meta-owner:mallory\r\n\r\n"
		r := unsignedTrailerRequest(t, io.NopCloser(strings.NewReader(body)), map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"})
		if e := wantErr(t, v.Verify(r, "s3")); e.Status != http.StatusBadRequest || e.Code != "MalformedTrailerError" {
			t.Errorf("got %+v, want 400 MalformedTrailerError", e)
		}
		if got := r.Header.Get("X-Amz-Meta-Owner"); got != "" {
			t.Errorf("an undeclared trailer became the header x-amz-meta-owner: %q", got)
		}
	})
	t.Run("declared trailer twice", func(t *testing.T) {
		body := payload + "x-amz-checksum-crc32:DUoRhQ==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
		r := unsignedTrailerRequest(t, io.NopCloser(strings.NewReader(body)), map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"})
		if e := wantErr(t, v.Verify(r, "s3")); e.Code != "MalformedTrailerError" {
			t.Errorf("got %+v, want MalformedTrailerError", e)
		}
	})

	// A body signed as STREAMING-AWS4-HMAC-SHA256-PAYLOAD declares no
	// trailer at all: one after its final chunk was declared by no one.
	t.Run("trailer after a body without trailers", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1:4566/b/k", nil)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
		r.Header.Set("X-Amz-Decoded-Content-Length", "5")
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, StreamingPayload, "s3", "us-east-1", t0); err != nil {
			t.Fatal(err)
		}
		_, seed, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		good := signedChunks(seed, "hello")
		ok := r.Clone(context.Background())
		ok.Body = io.NopCloser(strings.NewReader(good))
		if err := v.Verify(ok, "s3"); err != nil {
			t.Fatalf("the same body without a trailer: %v", err)
		}
		r.Body = io.NopCloser(strings.NewReader(strings.TrimSuffix(good, "\r\n") + "x-amz-meta-owner:mallory\r\n\r\n"))
		if e := wantErr(t, v.Verify(r, "s3")); e.Code != "MalformedTrailerError" || r.Header.Get("X-Amz-Meta-Owner") != "" {
			t.Errorf("got %+v (x-amz-meta-owner %q), want MalformedTrailerError and no header", e, r.Header.Get("X-Amz-Meta-Owner"))
		}
	})
}

// signedChunks is the STREAMING-AWS4-HMAC-SHA256-PAYLOAD body of data in
// one chunk, signed for creds at t0 by the published algorithm.
func signedChunks(seed, data string) string {
	key := signingKey(creds.SecretAccessKey, Credential{Date: t0.Format(dateFormat), Region: "us-east-1", Service: "s3"})
	scope := t0.Format(dateFormat) + "/us-east-1/s3/aws4_request"
	var b strings.Builder
	prev := seed
	for _, c := range []string{data, ""} {
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + t0.Format(timeFormat) + "\n" + scope + "\n" + prev + "\n" + hashHex(nil) + "\n" + hashHex([]byte(c))
		prev = fmt.Sprintf("%x", hmacSHA256(key, sts))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s\r\n", len(c), prev, c)
	}
	return b.String()
}

// A declared decoded length under the limit but far above what arrives
// makes the decoder allocate by what arrives, as a plain body's
// Content-Length does.
func TestChunkedDoesNotPreallocateFromDeclaredLength(t *testing.T) {
	v := NewVerifier("test", "test", "us-east-1")
	v.Now = func() time.Time { return t0 }
	req := func() *http.Request {
		return unsignedTrailerRequest(t, io.NopCloser(strings.NewReader("5\r\nhello\r\n0\r\n\r\n")),
			map[string]string{"X-Amz-Decoded-Content-Length": fmt.Sprint(900 << 20)})
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 4 {
		if e := wantErr(t, v.Verify(req(), "s3")); e.Code != "IncompleteBody" {
			t.Fatalf("5 bytes declared as 900 MiB: %v, want IncompleteBody", e)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("4 decodings of 5 bytes declared as 900 MiB allocated %d MiB", n>>20)
	}
}
