package s3

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type postResult struct {
	status int
	body   string
	header http.Header
}

func doPost(t *testing.T, e *env, url string, fields [][2]string, filename string, file []byte) postResult {
	t.Helper()
	ct, body := form(t, fields, filename, file)
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", webOrigin)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return postResult{resp.StatusCode, string(b), resp.Header}
}

// grant is the upload grant the browser receives: the SDK's presigned POST.
func grant(t *testing.T, e *env, key string, conditions ...any) *s3.PresignedPostRequest {
	t.Helper()
	pp, err := s3.NewPresignClient(e.client).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) {
			o.Expires = 15 * time.Minute
			o.Conditions = conditions
		})
	if err != nil {
		t.Fatalf("PresignPostObject: %v", err)
	}
	return pp
}

// fieldsOf lists extra fields first and the grant's other fields after.
func fieldsOf(pp *s3.PresignedPostRequest, extra ...[2]string) [][2]string {
	fields := append([][2]string(nil), extra...)
	seen := map[string]bool{}
	for _, f := range extra {
		seen[strings.ToLower(f[0])] = true
	}
	for k, v := range pp.Values {
		if !seen[strings.ToLower(k)] {
			fields = append(fields, [2]string{k, v})
		}
	}
	return fields
}

func set(fields [][2]string, name, value string) [][2]string {
	out := append([][2]string(nil), fields...)
	for i := range out {
		if strings.EqualFold(out[i][0], name) {
			out[i][1] = value
			return out
		}
	}
	return append(out, [2]string{name, value})
}

func TestPostPolicy(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads", uploadsCORS)
	mustBucket(t, e, "other-bucket")
	events := newSink()
	e.srv.Notify("uploads", "", events.handle)

	const key = "uploads/u-1.jpg"
	pp := grant(t, e, key,
		[]any{"content-length-range", 1, 64},
		[]any{"starts-with", "$Content-Type", "image/"},
		map[string]string{"x-amz-meta-upload-id": "u-1"},
		map[string]string{"success_action_status": "201"},
	)
	base := fieldsOf(pp, [2]string{"key", key}, [2]string{"Content-Type", "image/jpeg"},
		[2]string{"x-amz-meta-upload-id", "u-1"}, [2]string{"success_action_status", "201"})
	jpeg := []byte("\xff\xd8\xff small jpeg")

	denied := func(reason string) string {
		return "<Code>AccessDenied</Code><Message>Invalid according to Policy: " + reason + "</Message>"
	}
	cases := []struct {
		name   string
		url    string
		fields [][2]string
		file   []byte
		status int
		want   string
	}{
		{"key violated", pp.URL, set(base, "key", "uploads/u-2.jpg"), jpeg, 403, denied(`Policy Condition failed: [&#34;eq&#34;, &#34;$key&#34;, &#34;uploads/u-1.jpg&#34;]`)},
		{"starts-with Content-Type violated", pp.URL, set(base, "Content-Type", "text/html"), jpeg, 403, denied(`Policy Condition failed: [&#34;starts-with&#34;, &#34;$Content-Type&#34;, &#34;image/&#34;]`)},
		{"x-amz-meta eq violated", pp.URL, set(base, "x-amz-meta-upload-id", "u-2"), jpeg, 403, denied(`Policy Condition failed: [&#34;eq&#34;, &#34;$x-amz-meta-upload-id&#34;, &#34;u-1&#34;]`)},
		{"success_action_status eq violated", pp.URL, set(base, "success_action_status", "200"), jpeg, 403, denied(`Policy Condition failed: [&#34;eq&#34;, &#34;$success_action_status&#34;, &#34;201&#34;]`)},
		{"field outside the policy", pp.URL, set(base, "x-amz-meta-admin", "true"), jpeg, 403, denied("Extra input fields: x-amz-meta-admin")},
		{"bucket violated", strings.Replace(pp.URL, "/uploads", "/other-bucket", 1), base, jpeg, 403, denied(`Policy Condition failed: [&#34;eq&#34;, &#34;$bucket&#34;, &#34;uploads&#34;]`)},
		{"content-length-range exceeded", pp.URL, base, make([]byte, 65), 400, "<Code>EntityTooLarge</Code>"},
		{"content-length-range below minimum", pp.URL, base, nil, 400, "<Code>EntityTooSmall</Code>"},
		{"tampered policy", pp.URL, set(base, "policy", base64.StdEncoding.EncodeToString([]byte(`{"expiration":"2099-01-01T00:00:00Z","conditions":[]}`))), jpeg, 403, "<Code>SignatureDoesNotMatch</Code>"},
		{"forged signature", pp.URL, set(base, "X-Amz-Signature", strings.Repeat("0", 64)), jpeg, 403, "<Code>SignatureDoesNotMatch</Code>"},
		{"unknown access key", pp.URL, set(base, "X-Amz-Credential", strings.Replace(pp.Values["X-Amz-Credential"], "test/", "nobody/", 1)), jpeg, 403, "<Code>InvalidAccessKeyId</Code>"},
		{"no policy", pp.URL, set(set(base, "policy", ""), "X-Amz-Signature", ""), jpeg, 403, "<Code>AccessDenied</Code>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := doPost(t, e, tc.url, tc.fields, "photo.jpg", tc.file)
			if res.status != tc.status || !strings.Contains(res.body, tc.want) {
				t.Fatalf("got %d %s\nwant %d containing %s", res.status, res.body, tc.status, tc.want)
			}
			for _, b := range []string{"uploads", "other-bucket"} {
				if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)}); errCode(err) != "NotFound" {
					t.Fatalf("refused upload was stored in %s: %v", b, err)
				}
			}
		})
	}

	t.Run("satisfied", func(t *testing.T) {
		res := doPost(t, e, pp.URL, base, "photo.jpg", jpeg)
		if res.status != 201 || !strings.Contains(res.body, "<Key>"+key+"</Key>") || !strings.Contains(res.body, "<Bucket>uploads</Bucket>") {
			t.Fatalf("got %d %s, want 201 PostResponse", res.status, res.body)
		}
		if res.header.Get("Access-Control-Allow-Origin") != webOrigin || !strings.Contains(res.header.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Errorf("POST response CORS headers: %v", res.header)
		}
		got, out := getBody(t, e.client, "uploads", key)
		if string(got) != string(jpeg) || aws.ToString(out.ContentType) != "image/jpeg" {
			t.Errorf("stored %q as %q", got, aws.ToString(out.ContentType))
		}
		if len(out.Metadata) != 1 || out.Metadata["upload-id"] != "u-1" {
			t.Errorf("metadata %v: signing and control fields must not be stored", out.Metadata)
		}
		ev := events.wait(t, 1)
		if ev[0].EventName != "ObjectCreated:Post" || ev[0].S3.Object.Key != key || ev[0].S3.Object.Size != int64(len(jpeg)) ||
			"\""+ev[0].S3.Object.ETag+"\"" != res.header.Get("ETag") {
			t.Errorf("event %s %+v, ETag header %s", ev[0].EventName, ev[0].S3.Object, res.header.Get("ETag"))
		}
	})

	t.Run("field names are case-insensitive", func(t *testing.T) {
		var fields [][2]string
		for _, f := range base {
			fields = append(fields, [2]string{strings.ToUpper(f[0]), f[1]})
		}
		if res := doPost(t, e, pp.URL, fields, "photo.jpg", jpeg); res.status != 201 {
			t.Fatalf("upper-case field names: %d %s", res.status, res.body)
		}
		events.wait(t, 1)
	})

	t.Run("success_action_status default and 200", func(t *testing.T) {
		plain := grant(t, e, "uploads/plain.jpg", []any{"starts-with", "$success_action_status", ""})
		fields := fieldsOf(plain, [2]string{"key", "uploads/plain.jpg"})
		if res := doPost(t, e, plain.URL, fields, "p.jpg", jpeg); res.status != 204 || res.body != "" {
			t.Errorf("default: %d %q, want 204 and no body", res.status, res.body)
		}
		if res := doPost(t, e, plain.URL, set(fields, "success_action_status", "200"), "p.jpg", jpeg); res.status != 200 {
			t.Errorf("200: %d", res.status)
		}
		if res := doPost(t, e, plain.URL, set(fields, "success_action_status", "302"), "p.jpg", jpeg); res.status != 204 {
			t.Errorf("unsupported value: %d, want the 204 default", res.status)
		}
		events.wait(t, 3)
	})

	t.Run("starts-with key and ${filename}", func(t *testing.T) {
		pfx := grant(t, e, "uploads/${filename}", []any{"starts-with", "$key", "uploads/"})
		if res := doPost(t, e, pfx.URL, fieldsOf(pfx, [2]string{"key", "uploads/${filename}"}), "from browser.png", jpeg); res.status != 204 {
			t.Fatalf("starts-with key satisfied: %d %s", res.status, res.body)
		}
		if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("uploads/from browser.png")}); err != nil {
			t.Errorf("${filename} not substituted: %v", err)
		}
		res := doPost(t, e, pfx.URL, fieldsOf(pfx, [2]string{"key", "private/x.png"}), "x.png", jpeg)
		if res.status != 403 || !strings.Contains(res.body, "starts-with") {
			t.Errorf("starts-with key violated: %d %s", res.status, res.body)
		}
		events.wait(t, 1)
	})

	t.Run("unsupported field covered by the policy", func(t *testing.T) {
		tagged := grant(t, e, "uploads/tagged.jpg", map[string]string{"tagging": "<Tagging/>"})
		res := doPost(t, e, tagged.URL, fieldsOf(tagged, [2]string{"key", "uploads/tagged.jpg"}, [2]string{"tagging", "<Tagging/>"}), "t.jpg", jpeg)
		if res.status != 501 || !strings.Contains(res.body, "<Code>NotImplemented</Code>") {
			t.Fatalf("tagging field: %d %s", res.status, res.body)
		}
		if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("uploads/tagged.jpg")}); errCode(err) != "NotFound" {
			t.Errorf("refused upload was stored: %v", err)
		}
	})

	t.Run("expired policy", func(t *testing.T) {
		e.skew.Store(3600)
		defer e.skew.Store(0)
		res := doPost(t, e, pp.URL, base, "photo.jpg", jpeg)
		if res.status != 403 || !strings.Contains(res.body, denied("Policy expired.")) {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
}

func TestCORSPreflightForBrowserUpload(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads", uploadsCORS)
	mustBucket(t, e, "records")
	preflight := func(bucket, origin, method, headers string) (*http.Response, string) {
		return preflightPath(t, e, bucket, origin, method, headers)
	}

	// The browser's exact preflight for a multipart form POST from the web client.
	resp, _ := preflight("uploads", webOrigin, "POST", "")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != webOrigin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag") ||
		resp.Header.Get("Access-Control-Max-Age") != "300" {
		t.Errorf("upload preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = preflight("uploads", webOrigin, "POST", "content-type, x-requested-with")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Headers") != "content-type, x-requested-with" {
		t.Errorf("preflight with headers: %d %v", resp.StatusCode, resp.Header)
	}
	for name, tc := range map[string][4]string{
		"other origin":        {"uploads", "http://evil.example", "POST", ""},
		"method not allowed":  {"uploads", webOrigin, "DELETE", ""},
		"bucket without CORS": {"records", webOrigin, "POST", ""},
	} {
		resp, body := preflight(tc[0], tc[1], tc[2], tc[3])
		if resp.StatusCode != 403 || !strings.Contains(body, "<Code>CORSResponse</Code>") || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %s %v", name, resp.StatusCode, body, resp.Header)
		}
	}

	// A simple cross-origin GET to a bucket without CORS gets no allow header.
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/records/x", nil)
	req.Header.Set("Origin", webOrigin)
	r2, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("bucket without CORS answered with Access-Control-Allow-Origin %q", r2.Header.Get("Access-Control-Allow-Origin"))
	}
}
