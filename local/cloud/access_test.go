package cloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/coder/websocket"
)

// TestCredentialsAreGeneratedPerDataDirectory: no well-known credentials
// open the local cloud. A data directory gets its own pair once, kept
// privately and reused; an in-memory cloud gets a fresh pair; configured
// credentials still win.
func TestCredentialsAreGeneratedPerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	first := startCloud(t, func(c *Config) { c.DataDir = dir })
	if first.AccessKeyID == "test" || first.SecretAccessKey == "test" || len(first.SecretAccessKey) < 32 {
		t.Fatalf("generated credentials %q / %q", first.AccessKeyID, first.SecretAccessKey)
	}
	if fi, err := os.Stat(filepath.Join(dir, "credentials.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials not kept privately in the data directory: %v %v", fi, err)
	}
	listBuckets := func(c *Cloud, key, secret string) error {
		cfg := c.AWSConfig()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
		_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(context.Background(), &s3.ListBucketsInput{})
		return err
	}
	if err := listBuckets(first, first.AccessKeyID, first.SecretAccessKey); err != nil {
		t.Errorf("the generated credentials are refused: %v", err)
	}
	if err := listBuckets(first, "test", "test"); err == nil {
		t.Error("test/test is accepted")
	}
	first.Close()

	again := startCloud(t, func(c *Config) { c.DataDir = dir })
	if again.AccessKeyID != first.AccessKeyID || again.SecretAccessKey != first.SecretAccessKey {
		t.Error("a restart on the same data directory changed the credentials")
	}
	other := startCloud(t, func(c *Config) { c.DataDir = t.TempDir() })
	mem1, mem2 := startCloud(t), startCloud(t)
	if other.AccessKeyID == first.AccessKeyID || mem1.AccessKeyID == mem2.AccessKeyID || mem1.SecretAccessKey == mem2.SecretAccessKey {
		t.Error("two data directories or two in-memory clouds share credentials")
	}
	set := startCloud(t, func(c *Config) { c.AccessKeyID, c.SecretAccessKey = "dev", "dev-secret" })
	if err := listBuckets(set, "dev", "dev-secret"); err != nil {
		t.Errorf("configured credentials are refused: %v", err)
	}
	if _, err := Start(Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", AccessKeyID: "dev"}); err == nil {
		t.Error("an access key without a secret is accepted")
	}
}

// signedRequest is a request signed with c's own credentials for service,
// naming host: what a page that rebinds its own name to 127.0.0.1 would
// send if it knew the credentials.
func signedRequest(t *testing.T, c *Cloud, method, path, host, service, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, c.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEndpointServesOnlyLoopbackHosts: every service on the AWS endpoint
// refuses a request naming a Host that is not loopback, even when it is
// correctly signed; -public serves it.
func TestEndpointServesOnlyLoopbackHosts(t *testing.T) {
	c := startCloud(t)
	const foreign = "rebind.attacker.example"
	requests := []struct {
		name, method, path, service, target, body, refusal string
	}{
		{"S3", http.MethodGet, "/" + bucketName(c, "RecordsBucket"), "s3", "", "", "<Code>AccessDenied</Code>"},
		{"Step Functions", http.MethodPost, "/", "states", "AWSStepFunctions.ListStateMachines", "{}", `"__type":"AccessDeniedException"`},
		{"@connections", http.MethodGet, "/" + c.api.stage.Name + "/@connections/nobody", "execute-api", "", "", `"__type":"AccessDeniedException"`},
	}
	for _, r := range requests {
		status, body := do(t, signedRequest(t, c, r.method, r.path, foreign, r.service, r.target, r.body))
		if status != http.StatusForbidden || !strings.Contains(body, r.refusal) {
			t.Errorf("%s with Host %s: %d %s; want 403 %s", r.name, foreign, status, body, r.refusal)
		}
		host := strings.TrimPrefix(c.Endpoint, "http://")
		if status, body := do(t, signedRequest(t, c, r.method, r.path, host, r.service, r.target, r.body)); status == http.StatusForbidden {
			t.Errorf("%s with its own Host: %d %s", r.name, status, body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, c.WebSocketURL, &websocket.DialOptions{Host: foreign})
	if err == nil {
		ws.CloseNow()
		t.Error("WebSocket upgrade with a foreign Host succeeded")
	} else if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("WebSocket upgrade with a foreign Host: %v %v; want 403", resp, err)
	}

	public := startCloud(t, func(c *Config) { c.Public = true })
	for _, r := range requests[:2] {
		if status, body := do(t, signedRequest(t, public, r.method, r.path, "192.168.1.20:4566", r.service, r.target, r.body)); status != http.StatusOK {
			t.Errorf("-public: %s with a LAN Host: %d %s", r.name, status, body)
		}
	}
}
