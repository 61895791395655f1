package cloud

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
)

// attempt is what a page tries against the local cloud: a form POST into
// the uploads bucket, a read of an object and a WebSocket. Each field says
// how it ended: "status N ..." when the page could see the answer, "open"
// for a WebSocket that opened, "error ..." otherwise.
type attempt struct{ Post, Read, WebSocket string }

// attemptJS runs an attempt in the page with a POST grant (URL and
// fields), a presigned GET URL and the WebSocket URL.
const attemptJS = `(async (postURL, fields, getURL, wsURL) => {
	const out = {};
	try {
		const form = new FormData();
		for (const [k, v] of Object.entries(fields)) form.append(k, v);
		form.append("file", new Blob(["\xff\xd8\xff planted"], {type: "image/jpeg"}), "planted.jpg");
		const r = await fetch(postURL, {method: "POST", body: form});
		out.Post = "status " + r.status;
	} catch (e) { out.Post = "error " + e.name; }
	try {
		const r = await fetch(getURL);
		out.Read = "status " + r.status + " " + await r.text();
	} catch (e) { out.Read = "error " + e.name; }
	out.WebSocket = await new Promise(resolve => {
		const ws = new WebSocket(wsURL);
		ws.onopen = () => { ws.close(); resolve("open"); };
		ws.onerror = () => resolve("error");
	});
	return out;
})`

// grants are what an attempt needs: a POST grant for key and a GET URL
// for the secret object, signed with cfg's credentials.
func grants(t *testing.T, c *Cloud, cfg aws.Config, key string) (string, map[string]string, string) {
	t.Helper()
	ctx := context.Background()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	presign := s3.NewPresignClient(client)
	post, err := presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucketName(c, "UploadsBucket")), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) { o.Expires = 15 * time.Minute })
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"key": key}
	for k, v := range post.Values {
		fields[k] = v
	}
	get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucketName(c, "OutputBucket")), Key: aws.String("secret.txt")})
	if err != nil {
		t.Fatal(err)
	}
	return post.URL, fields, get.URL
}

// TestBrowserOtherOriginsCannotReachTheLocalCloud opens a page on another
// local origin (what any website the developer visits can be) and has it
// upload into the local S3, read from it and open a WebSocket: with a grant
// signed with the well-known test/test, and even with one signed with the
// cloud's real credentials. Nothing gets through. The same requests from
// the web client's own page still work.
func TestBrowserOtherOriginsCannotReachTheLocalCloud(t *testing.T) {
	c := startCloud(t)
	ctx := context.Background()
	client := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucketName(c, "OutputBucket")), Key: aws.String("secret.txt"), Body: strings.NewReader("the developer's data")}); err != nil {
		t.Fatal(err)
	}
	stored := func(key string) bool {
		_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucketName(c, "UploadsBucket")), Key: aws.String(key)})
		return err == nil
	}
	wellKnown := c.AWSConfig()
	wellKnown.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")

	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><title>some website</title>"))
	}))
	t.Cleanup(other.Close)

	browser := browsertest.NewBrowser(t)
	run := func(pageURL string, cfg aws.Config, key string) attempt {
		t.Helper()
		postURL, fields, getURL := grants(t, c, cfg, key)
		args, _ := json.Marshal([]any{postURL, fields, getURL, c.WebSocketURL})
		rctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(rctx, chromedp.Navigate(pageURL)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(rctx, chromedp.Evaluate[attempt](attemptJS+"(..."+string(args)+")", chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("attempt from %s: %v", pageURL, err)
		}
		return got
	}

	for _, tc := range []struct {
		name string
		cfg  aws.Config
		key  string
	}{
		{"a grant signed with test/test", wellKnown, "planted/test-test.html"},
		{"a grant signed with the real credentials", c.AWSConfig(), "planted/real.html"},
	} {
		got := run(other.URL, tc.cfg, tc.key)
		if stored(tc.key) {
			t.Errorf("another origin with %s uploaded into the local S3 (%+v)", tc.name, got)
		}
		if !strings.HasPrefix(got.Read, "error") {
			t.Errorf("another origin with %s read the local S3: %q", tc.name, got.Read)
		}
		if got.WebSocket != "error" {
			t.Errorf("another origin opened a WebSocket to the local cloud: %q", got.WebSocket)
		}
	}

	const key = "planted/from-the-web-client.jpg"
	got := run(c.WebURL, c.AWSConfig(), key)
	if got.Post != "status 204" || !stored(key) {
		t.Errorf("the web client's POST: %q, stored %v; want status 204", got.Post, stored(key))
	}
	if got.Read != "status 200 the developer's data" {
		t.Errorf("the web client's read: %q", got.Read)
	}
	if got.WebSocket != "open" {
		t.Errorf("the web client's WebSocket: %q", got.WebSocket)
	}
}
