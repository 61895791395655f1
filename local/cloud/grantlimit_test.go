package cloud

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/coder/websocket"

	"thumbflow/upload"
	wsroutes "thumbflow/websocket"
)

// TestGrantLimitsArePerSourceAddress: through the local API Gateway, which
// passes the connection's remote address as requestContext.identity.sourceIp,
// one address over the template's GrantsPerMinute is refused with
// TooManyGrants while another address is still served, to a finished
// upload. Linux routes all of 127.0.0.0/8 to loopback, so a client bound
// to 127.0.0.2 is a second source address.
func TestGrantLimitsArePerSourceAddress(t *testing.T) {
	c := startCloud(t, func(cfg *Config) {
		cfg.Parameters = map[string]string{"GrantsPerMinute": "2", "OpenGrants": "10"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	from := func(ip string, header http.Header) *websocket.Conn {
		t.Helper()
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		conn, _, err := websocket.Dial(ctx, c.WebSocketURL, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: header})
		if err != nil {
			t.Fatalf("dial from %s: %v", ip, err)
		}
		t.Cleanup(func() { conn.CloseNow() })
		return conn
	}
	type answer struct {
		Type, Code, Message string
		RetryAfter          int `json:"retryAfter"`
	}
	ask := func(conn *websocket.Conn) answer {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"action": "upload", "requestId": "r", "name": "a.jpg", "type": "image/jpeg", "size": 1000})
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var a answer
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}

	busy := from("127.0.0.2", nil)
	for i := range 2 { // at the limit
		if a := ask(busy); a.Type != "grant" {
			t.Fatalf("grant %d of 2 from 127.0.0.2: %+v", i+1, a)
		}
	}
	// One past it. A new connection from the same address is the same
	// source, whatever forwarding header it sends.
	spoofed := from("127.0.0.2", http.Header{"X-Forwarded-For": {"192.0.2.1"}})
	for _, conn := range []*websocket.Conn{busy, spoofed} {
		if a := ask(conn); a.Type != "error" || a.Code != "TooManyGrants" || a.RetryAfter < 1 || a.RetryAfter > 60 || a.Message == "" {
			t.Fatalf("third grant from 127.0.0.2: %+v, want TooManyGrants with retryAfter in (0, 60]", a)
		}
	}

	cl := dial(t, ctx, c.WebSocketURL) // from 127.0.0.1
	if _, seen, _ := uploadStates(t, cl, "photo.jpg", photo(64, 48)); seen[len(seen)-1] != string(upload.StateSucceeded) {
		t.Fatalf("upload from 127.0.0.1 while 127.0.0.2 is refused: states %v", seen)
	}

	// The template's lifecycle rule expires the counters (a day after the
	// last grant), and leaves the status records.
	_, records, _, err := c.operatorOutputs()
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	count := func(prefix string) int {
		t.Helper()
		out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(records), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Contents)
	}
	if n := count(wsroutes.GrantCountPrefix); n != 2 {
		t.Fatalf("%d grant counters, want one for each of the 2 addresses", n)
	}
	if _, err := c.S3.Sweep(time.Now().Add(49 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, kept := count(wsroutes.GrantCountPrefix), count(upload.StatusPrefix); n != 0 || kept == 0 {
		t.Fatalf("after two days: %d grant counters and %d status records, want 0 and the records kept", n, kept)
	}
}
