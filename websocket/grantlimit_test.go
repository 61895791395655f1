package websocket

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "thumbflow/local/s3"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

// limitFixture is a Handler with grant limits on the local S3, whose
// conditional writes are the compare-and-swap the limiter relies on.
type limitFixture struct {
	h   *Handler
	s3  *s3.Client
	now time.Time
}

func newLimitFixture(t *testing.T, perMinute, open int) *limitFixture {
	t.Helper()
	srv, err := locals3.New(locals3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	for _, b := range []string{"uploads", "output", "records"} {
		if err := srv.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	c := s3.New(s3.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
	})
	key := []byte(strings.Repeat("k", 32))
	signer, err := upload.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &limitFixture{s3: c, now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	f.h = &Handler{
		Presigner:     s3.NewPresignClient(c),
		Store:         &s3store.Store{Client: c, Bucket: "records"},
		Signer:        signer,
		Limits:        upload.Limits{MaxBytes: 25 << 20, Types: thumbnail.AcceptedContentTypes()},
		Renditions:    []string{"thumb"},
		UploadsBucket: "uploads", OutputBucket: "output", RecordsBucket: "records",
		Pending:     &s3store.Markers{Client: c, Bucket: "records"},
		GrantLimits: &GrantLimiter{Counters: c, Bucket: "records", Key: GrantLimiterKey(key), PerMinute: perMinute, Open: open},
		Now:         func() time.Time { return f.now },
	}
	return f
}

// answer sends an upload request from sourceIP as API Gateway delivers
// it, and decodes the answer (a grant decodes with Type "grant" and no
// code).
func (f *limitFixture) answer(sourceIP string) (ErrorMessage, error) {
	var req events.APIGatewayWebsocketProxyRequest
	req.RequestContext.ConnectionID = "c-" + sourceIP
	req.RequestContext.RouteKey = "upload"
	req.RequestContext.Identity.SourceIP = sourceIP
	req.Body = `{"action":"upload","requestId":"r","name":"a.jpg","type":"image/jpeg","size":1000}`
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		return ErrorMessage{}, err
	}
	var m ErrorMessage
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		return m, fmt.Errorf("answer %q: %w", resp.Body, err)
	}
	if m.Type != "grant" && m.Type != "error" {
		return m, fmt.Errorf("answer %q", resp.Body)
	}
	return m, nil
}

func (f *limitFixture) ask(t *testing.T, sourceIP string) ErrorMessage {
	t.Helper()
	m, err := f.answer(sourceIP)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *limitFixture) grants(t *testing.T, sourceIP string, n int) {
	t.Helper()
	for i := range n {
		if m := f.ask(t, sourceIP); m.Type != "grant" {
			t.Fatalf("grant %d of %d for %s refused: %+v", i+1, n, sourceIP, m)
		}
	}
}

func refusedAfter(t *testing.T, m ErrorMessage, retryAfter int) {
	t.Helper()
	if m.Type != "error" || m.Code != "TooManyGrants" || m.RetryAfter != retryAfter || m.RequestID != "r" {
		t.Fatalf("answer %+v: want TooManyGrants, retry after %d s", m, retryAfter)
	}
	if !strings.Contains(m.Message, "Try again in ") {
		t.Errorf("message %q does not say when to retry", m.Message)
	}
}

func TestGrantsPerMinuteArePerSourceAddress(t *testing.T) {
	f := newLimitFixture(t, 3, 100)
	f.grants(t, "198.51.100.7", 3) // at the limit
	f.now = f.now.Add(20 * time.Second)
	refusedAfter(t, f.ask(t, "198.51.100.7"), 40) // one past it; the first three leave the window in 40 s
	if m := f.ask(t, "198.51.100.7"); m.Code != "TooManyGrants" {
		t.Fatalf("a second refusal in a row: %+v", m)
	}
	f.grants(t, "203.0.113.9", 3) // another address is still served

	f.now = f.now.Add(39 * time.Second)
	refusedAfter(t, f.ask(t, "198.51.100.7"), 1)
	f.now = f.now.Add(time.Second) // exactly a minute after the first three
	f.grants(t, "198.51.100.7", 3)
	refusedAfter(t, f.ask(t, "198.51.100.7"), 60)
}

func TestOpenGrantsAreCappedForAGrantsLifetime(t *testing.T) {
	f := newLimitFixture(t, 3, 5)
	start := f.now
	f.grants(t, "198.51.100.7", 3)
	f.now = start.Add(time.Minute)
	f.grants(t, "198.51.100.7", 2) // 5 open: at the cap
	f.now = start.Add(2 * time.Minute)
	// One past it, though the minute's limit would allow it: the first
	// grants' POSTs are usable until start+5 min.
	m := f.ask(t, "198.51.100.7")
	refusedAfter(t, m, 180)
	if !strings.Contains(m.Message, "at most 5") {
		t.Errorf("message %q does not name the cap", m.Message)
	}
	f.now = start.Add(5 * time.Minute) // the first three expired
	f.grants(t, "198.51.100.7", 3)
	refusedAfter(t, f.ask(t, "198.51.100.7"), 60)
}

// An IPv6 subscriber holds a whole /64; walking through it gets no more.
func TestIPv6AddressesCountByTheir64(t *testing.T) {
	f := newLimitFixture(t, 2, 100)
	f.grants(t, "2001:db8:1:2::1", 1)
	f.grants(t, "2001:db8:1:2:ffff::9", 1)
	refusedAfter(t, f.ask(t, "2001:db8:1:2::abcd"), 60)
	f.grants(t, "2001:db8:1:3::1", 2)
}

// The counters are keyed and filled with nothing that names an address.
func TestGrantCountersHoldNoAddress(t *testing.T) {
	f := newLimitFixture(t, 5, 5)
	f.grants(t, "198.51.100.7", 2)
	f.grants(t, "2001:db8:1:2::1", 1)
	ctx := context.Background()
	out, err := f.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("records"), Prefix: aws.String(GrantCountPrefix)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 2 {
		t.Fatalf("%d counters, want one per address", len(out.Contents))
	}
	for _, o := range out.Contents {
		obj, err := f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("records"), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		for _, s := range []string{aws.ToString(o.Key), string(b)} {
			if strings.Contains(s, "198.51.100") || strings.Contains(s, "2001:db8") {
				t.Errorf("counter %s names the address: %s", aws.ToString(o.Key), s)
			}
		}
	}
}

// Concurrent requests from one address race for its counter; the
// compare-and-swap lets exactly the limit through.
func TestConcurrentGrantsFromOneAddressStopAtTheLimit(t *testing.T) {
	f := newLimitFixture(t, 5, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := f.answer("198.51.100.7")
			mu.Lock()
			answers[m.Type+m.Code]++
			if err != nil {
				answers[err.Error()]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if answers["grant"] != 5 || answers["errorTooManyGrants"] != 7 {
		t.Fatalf("answers %v, want 5 grants and 7 TooManyGrants", answers)
	}
}
