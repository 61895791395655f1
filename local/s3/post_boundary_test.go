package s3

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPostExactSizeBoundary: the upload grant's policy fixes the exact size
// (content-length-range [n, n]); one byte less or more is refused and
// stores nothing.
func TestPostExactSizeBoundary(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads", uploadsCORS)
	const key, n = "uploads/u-size.jpg", 1000
	pp := grant(t, e, key, []any{"content-length-range", n, n}, map[string]string{"Content-Type": "image/jpeg"})
	fields := fieldsOf(pp, [2]string{"key", key}, [2]string{"Content-Type", "image/jpeg"})
	file := func(size int) []byte { return []byte("\xff\xd8\xff" + strings.Repeat("j", size-3)) }
	for _, c := range []struct {
		size int
		want string
	}{
		{n - 1, "<Code>EntityTooSmall</Code>"},
		{n + 1, "<Code>EntityTooLarge</Code>"},
	} {
		res := doPost(t, e, pp.URL, fields, "photo.jpg", file(c.size))
		if res.status != 400 || !strings.Contains(res.body, c.want) {
			t.Fatalf("%d bytes under a [%d, %d] policy: %d %s, want 400 %s", c.size, n, n, res.status, res.body, c.want)
		}
		if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)}); errCode(err) != "NotFound" {
			t.Fatalf("a refused %d-byte upload was stored: %v", c.size, err)
		}
	}
	if res := doPost(t, e, pp.URL, fields, "photo.jpg", file(n)); res.status/100 != 2 {
		t.Fatalf("exactly %d bytes: %d %s, want success", n, res.status, res.body)
	}
	head, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)})
	if err != nil || aws.ToInt64(head.ContentLength) != n {
		t.Fatalf("stored object: %v, length %d, want %d", err, aws.ToInt64(head.ContentLength), n)
	}
}

// TestPostPolicyExpiryBoundary: the grant's policy expires 15 minutes after
// it was signed. The server's clock runs in whole seconds ahead of the
// wall clock here, so "at expiry" is exact: the server reads at least the
// signing time plus 15 minutes, which the policy refuses.
func TestPostPolicyExpiryBoundary(t *testing.T) {
	for _, c := range []struct {
		name    string
		ahead   time.Duration
		expired bool
	}{
		{"30 s before expiry", 15*time.Minute - 30*time.Second, false},
		{"at expiry", 15 * time.Minute, true},
		{"1 s past expiry", 15*time.Minute + time.Second, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			mustBucket(t, e, "uploads", uploadsCORS)
			const key = "uploads/u-exp.jpg"
			pp := grant(t, e, key, map[string]string{"Content-Type": "image/jpeg"})
			fields := fieldsOf(pp, [2]string{"key", key}, [2]string{"Content-Type", "image/jpeg"})
			e.skew.Store(int64(c.ahead / time.Second))
			res := doPost(t, e, pp.URL, fields, "photo.jpg", []byte("\xff\xd8\xff jpeg"))
			refused := res.status == 403 && strings.Contains(res.body, "Policy expired.")
			if refused != c.expired || (!c.expired && res.status/100 != 2) {
				t.Fatalf("server %v ahead of signing: %d %s, want expired=%v", c.ahead, res.status, res.body, c.expired)
			}
		})
	}
}
