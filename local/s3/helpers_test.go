package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"thumbflow/local/sigv4"
)

const webOrigin = "http://127.0.0.1:8080"

// uploadsCORS is the rule `thumbflow dev` gives the uploads bucket.
var uploadsCORS = CORSRule{
	AllowedOrigins: []string{webOrigin},
	AllowedMethods: []string{"POST", "GET", "HEAD"},
	AllowedHeaders: []string{"*"},
	ExposeHeaders:  []string{"ETag", "Location"},
	MaxAgeSeconds:  300,
}

// env is one local S3 behind a real HTTP(S) server with an SDK client.
type env struct {
	srv    *Server
	http   *httptest.Server
	client *s3.Client
	hc     *http.Client
	skew   *atomic.Int64 // server clock offset in seconds
	once   sync.Once
}

// close stops the server the way a shutdown of `thumbflow dev` does.
func (e *env) close() {
	e.once.Do(func() {
		e.http.Close()
		e.srv.Close()
	})
}

type envOpts struct {
	dir  string
	tls  bool
	skew time.Duration // initial server clock offset
	// access restricts Hosts and Origins, as `thumbflow dev` does.
	access *sigv4.Access
	// accessLogFlush is Options.AccessLogFlush.
	accessLogFlush time.Duration
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	skew := &atomic.Int64{}
	skew.Store(int64(o.skew / time.Second))
	srv, err := New(Options{
		Dir:      o.dir,
		Now:      func() time.Time { return time.Now().Add(time.Duration(skew.Load()) * time.Second) },
		RetryMin: 5 * time.Millisecond,
		RetryMax: 20 * time.Millisecond,
		Access:   o.access,

		AccessLogFlush: o.accessLogFlush,
	})
	if err != nil {
		t.Fatal(err)
	}
	var hs *httptest.Server
	if o.tls {
		hs = httptest.NewTLSServer(srv)
	} else {
		hs = httptest.NewServer(srv)
	}
	e := &env{srv: srv, http: hs, hc: hs.Client(), skew: skew}
	t.Cleanup(e.close)
	e.client = e.newClient("test", "test")
	return e
}

func (e *env) newClient(key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(e.http.URL),
		UsePathStyle: true,
		HTTPClient:   e.hc,
	})
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "non-API error: " + err.Error()
	}
	return ""
}

func mustBucket(t *testing.T, e *env, name string, cors ...CORSRule) {
	t.Helper()
	if err := e.srv.CreateBucket(name, cors...); err != nil {
		t.Fatal(err)
	}
}

func getBody(t *testing.T, c *s3.Client, bucket, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, out
}

// sink collects delivered events.
type sink struct {
	mu     sync.Mutex
	events []events.S3EventRecord
	got    chan struct{}
}

func newSink() *sink { return &sink{got: make(chan struct{}, 100)} }

func (s *sink) handle(_ context.Context, ev events.S3Event) error {
	s.mu.Lock()
	s.events = append(s.events, ev.Records...)
	s.mu.Unlock()
	s.got <- struct{}{}
	return nil
}

// wait blocks until n events arrived, then briefly checks that no more come.
func (s *sink) wait(t *testing.T, n int) []events.S3EventRecord {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-s.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d events, want %d", i, n)
		}
	}
	select {
	case <-s.got:
		t.Fatalf("more than %d events delivered", n)
	case <-time.After(50 * time.Millisecond):
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]events.S3EventRecord(nil), s.events...)
	sort.Slice(out, func(i, j int) bool { return out[i].S3.Object.Sequencer < out[j].S3.Object.Sequencer })
	return out
}

// form builds a browser-shaped multipart POST body; fields keep their order
// and the file comes last, as browsers send it.
func form(t testing.TB, fields [][2]string, filename string, file []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// signS3 signs a raw request the way the SDK signs S3 requests.
func signS3(t *testing.T, req *http.Request, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", h)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := signer.SignHTTP(context.Background(), creds, req, h, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
}
