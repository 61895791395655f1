package s3

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// preflight sends the OPTIONS request a browser sends before a
// cross-origin request to bucket.
func preflight(t *testing.T, e *env, bucket, origin, method, headers string) (*http.Response, string) {
	t.Helper()
	return preflightPath(t, e, bucket+"/photo.jpg", origin, method, headers)
}

// preflightPath sends the OPTIONS request a browser sends before a
// cross-origin request to path, a bucket or an object of one.
func preflightPath(t *testing.T, e *env, path, origin, method, headers string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, e.http.URL+"/"+path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestBucketCORSThroughTheAPI(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "pics")
	const app, other = "https://app.example.com", "http://old.example.org"

	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("pics")}); errCode(err) != "NoSuchCORSConfiguration" {
		t.Fatalf("GetBucketCors before any rule: %v, want NoSuchCORSConfiguration", err)
	}
	if resp, _ := preflight(t, e, "pics", app, "GET", ""); resp.StatusCode != 403 {
		t.Fatalf("preflight to a bucket without CORS: %d, want 403", resp.StatusCode)
	}

	rules := []types.CORSRule{
		{
			ID:             aws.String("web-app"),
			AllowedOrigins: []string{app, "http://*.example.com"},
			AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"content-type", "x-amz-*"},
			ExposeHeaders:  []string{"ETag", "x-amz-version-id"},
			MaxAgeSeconds:  aws.Int32(600),
		},
		{AllowedOrigins: []string{other}, AllowedMethods: []string{"HEAD"}},
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("pics"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("pics")})
	if err != nil {
		t.Fatalf("GetBucketCors: %v", err)
	}
	if !reflect.DeepEqual(got.CORSRules, rules) {
		t.Errorf("GetBucketCors returned\n%+v\nwant\n%+v", got.CORSRules, rules)
	}

	// The rules take effect with the next request, as on S3.
	resp, _ := preflight(t, e, "pics", app, "PUT", "Content-Type, X-Amz-Meta-Owner")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != app ||
		resp.Header.Get("Access-Control-Max-Age") != "600" || resp.Header.Get("Access-Control-Expose-Headers") != "ETag, x-amz-version-id" {
		t.Errorf("preflight from the newly allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := preflight(t, e, "pics", "http://shop.example.com", "GET", ""); resp.StatusCode != 200 {
		t.Errorf("preflight from an origin the wildcard covers: %d", resp.StatusCode)
	}
	if resp, _ := preflight(t, e, "pics", app, "DELETE", ""); resp.StatusCode != 403 {
		t.Errorf("preflight for a method no rule allows: %d, want 403", resp.StatusCode)
	}
	if resp, _ := preflight(t, e, "pics", app, "GET", "authorization"); resp.StatusCode != 403 {
		t.Errorf("preflight with a header no rule allows: %d, want 403", resp.StatusCode)
	}
	if resp, _ := preflight(t, e, "pics", other, "HEAD", ""); resp.StatusCode != 200 {
		t.Errorf("preflight from the second rule's origin: %d", resp.StatusCode)
	}

	// Replacing the configuration removes the old origin at once.
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("pics"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: rules[:1]}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	if resp, body := preflight(t, e, "pics", other, "HEAD", ""); resp.StatusCode != 403 || !strings.Contains(body, "CORSResponse") {
		t.Errorf("preflight from the removed origin: %d %s, want 403 CORSResponse", resp.StatusCode, body)
	}
	// Actual responses follow the new rules too.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pics"), Key: aws.String("photo.jpg"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/pics/photo.jpg", nil)
	req.Header.Set("Origin", app)
	signS3(t, req, nil)
	r2, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 || r2.Header.Get("Access-Control-Allow-Origin") != app {
		t.Errorf("GET from the allowed origin: %d, Access-Control-Allow-Origin %q", r2.StatusCode, r2.Header.Get("Access-Control-Allow-Origin"))
	}

	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("pics")}); err != nil {
		t.Fatalf("DeleteBucketCors: %v", err)
	}
	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("pics")}); errCode(err) != "NoSuchCORSConfiguration" {
		t.Errorf("GetBucketCors after delete: %v", err)
	}
	if resp, _ := preflight(t, e, "pics", app, "GET", ""); resp.StatusCode != 403 {
		t.Errorf("preflight after DeleteBucketCors: %d, want 403", resp.StatusCode)
	}
}

func TestBucketCORSRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "pics")
	put := func(bucket string, rules ...types.CORSRule) error {
		_, err := e.client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket),
			CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}})
		return err
	}
	ok := types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}
	for name, tc := range map[string]struct {
		err  error
		code string
	}{
		"unknown bucket":      {put("nope", ok), "NoSuchBucket"},
		"unsupported method":  {put("pics", types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}), "InvalidRequest"},
		"two wildcards":       {put("pics", types.CORSRule{AllowedOrigins: []string{"http://*.*.example.com"}, AllowedMethods: []string{"GET"}}), "InvalidRequest"},
		"wildcard expose hdr": {put("pics", types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, ExposeHeaders: []string{"*"}}), "InvalidRequest"},
	} {
		if errCode(tc.err) != tc.code {
			t.Errorf("%s: %v, want %s", name, tc.err, tc.code)
		}
	}
	// Documents the SDK would not send.
	for name, doc := range map[string]string{
		"no rules":  `<CORSConfiguration></CORSConfiguration>`,
		"no origin": `<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		"not XML":   `<CORSConfiguration><CORSRule>`,
	} {
		if status, code := rawPut(t, e, "/pics?cors", doc); status != 400 || code != "MalformedXML" {
			t.Errorf("%s: %d %s, want 400 MalformedXML", name, status, code)
		}
	}
	// S3 wants the document's Content-MD5 or checksum, and checks it.
	doc := `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`
	for name, tc := range map[string]struct{ md5, code string }{
		"no Content-MD5":    {"", "InvalidRequest"},
		"wrong Content-MD5": {"1B2M2Y8AsgTpgAmY7PhCfg==", "BadDigest"},
	} {
		req, _ := http.NewRequest(http.MethodPut, e.http.URL+"/pics?cors", strings.NewReader(doc))
		if tc.md5 != "" {
			req.Header.Set("Content-MD5", tc.md5)
		}
		signS3(t, req, []byte(doc))
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: %d %s, want 400 %s", name, resp.StatusCode, b, tc.code)
		}
	}
	if _, err := e.client.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("nope")}); errCode(err) != "NoSuchBucket" {
		t.Errorf("GetBucketCors of an unknown bucket: %v", err)
	}
	if _, err := e.client.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("pics")}); errCode(err) != "NoSuchCORSConfiguration" {
		t.Errorf("a refused configuration was stored: %v", err)
	}
}
