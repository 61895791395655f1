package s3

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/local/sigv4"
)

// devAccess is what `thumbflow dev` allows: loopback Hosts, and browser
// requests from the web client only.
var devAccess = &sigv4.Access{Origins: []string{webOrigin, "http://localhost:8080"}}

// TestForeignHostIsRefused: a request naming a host that is not loopback
// (what a DNS-rebinding page sends) is refused with S3's AccessDenied,
// even when correctly signed, and so is its preflight.
func TestForeignHostIsRefused(t *testing.T) {
	e := newEnv(t, envOpts{access: devAccess})
	mustBucket(t, e, "uploads", uploadsCORS)
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("PutObject on a loopback host: %v", err)
	}
	for _, host := range []string{"rebind.attacker.example", "rebind.attacker.example:" + strings.Split(e.http.URL, ":")[2], "192.168.1.20:4566"} {
		get, _ := http.NewRequest(http.MethodGet, e.http.URL+"/uploads/k", nil)
		get.Host = host
		signS3(t, get, nil)
		pre, _ := http.NewRequest(http.MethodOptions, e.http.URL+"/uploads/k", nil)
		pre.Host = host
		pre.Header.Set("Origin", "http://"+host)
		pre.Header.Set("Access-Control-Request-Method", "GET")
		for _, req := range []*http.Request{get, pre} {
			status, body := send(t, e, req)
			if status != http.StatusForbidden || !strings.Contains(body, "<Code>AccessDenied</Code>") {
				t.Errorf("%s with Host %s: %d %s; want 403 AccessDenied", req.Method, host, status, body)
			}
		}
	}
	// The same signed GET on the loopback host it was made for is served.
	get, _ := http.NewRequest(http.MethodGet, e.http.URL+"/uploads/k", nil)
	signS3(t, get, nil)
	if status, body := send(t, e, get); status != http.StatusOK || body != "x" {
		t.Errorf("signed GET on a loopback host: %d %q", status, body)
	}
	public := newEnv(t, envOpts{access: &sigv4.Access{Public: true, Origins: devAccess.Origins}})
	mustBucket(t, public, "uploads")
	get, _ = http.NewRequest(http.MethodGet, public.http.URL+"/uploads", nil)
	get.Host = "192.168.1.20:4566"
	signS3(t, get, nil)
	if status, body := send(t, public, get); status != http.StatusOK {
		t.Errorf("-public: signed ListObjects on a LAN host: %d %s", status, body)
	}
}

// TestBrowserPostOnlyFromTheWebClient: a form POST that another page
// submits (its Origin is not the web client's) stores nothing, even with a
// valid policy; the web client's own POST and one without an Origin (a
// script or the CLI) still upload.
func TestBrowserPostOnlyFromTheWebClient(t *testing.T) {
	e := newEnv(t, envOpts{access: devAccess})
	mustBucket(t, e, "uploads", uploadsCORS)
	const key = "uploads/u-1.jpg"
	pp := grant(t, e, key)
	fields := fieldsOf(pp, [2]string{"key", key})
	post := func(origin string) (int, string) {
		ct, body := form(t, fields, "photo.jpg", []byte("\xff\xd8\xff jpeg"))
		req, _ := http.NewRequest(http.MethodPost, pp.URL, body)
		req.Header.Set("Content-Type", ct)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return send(t, e, req)
	}
	for _, origin := range []string{"http://127.0.0.1:9999", "https://attacker.example", "null"} {
		status, body := post(origin)
		if status != http.StatusForbidden || !strings.Contains(body, "<Code>AccessDenied</Code>") {
			t.Errorf("POST from %s: %d %s; want 403 AccessDenied", origin, status, body)
		}
		if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)}); errCode(err) != "NotFound" {
			t.Fatalf("POST from %s stored the object: %v", origin, err)
		}
	}
	for _, origin := range []string{webOrigin, "http://localhost:8080", ""} {
		if status, body := post(origin); status != http.StatusNoContent {
			t.Errorf("POST from %q: %d %s; want 204", origin, status, body)
		}
	}
}

func send(t *testing.T, e *env, req *http.Request) (int, string) {
	t.Helper()
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
