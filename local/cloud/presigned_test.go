package cloud

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A grant's download link is presigned for exactly the request it
// describes: the local S3 serves it as sent, and refuses it with S3's 403
// AccessDenied XML once an x-amz-* header it did not sign is added (here
// one asking for an ACL, which no link grants).
func TestPresignedLinkRefusesUnsignedAmzHeaders(t *testing.T) {
	c := startCloud(t)
	ctx := context.Background()
	client := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucketName(c, "RecordsBucket")), Key: aws.String("status/x.json"),
		Body: strings.NewReader(`{"state":"uploaded"}`)}); err != nil {
		t.Fatal(err)
	}
	link, err := s3.NewPresignClient(client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucketName(c, "RecordsBucket")), Key: aws.String("status/x.json")})
	if err != nil {
		t.Fatal(err)
	}
	get := func(hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, link.URL, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(nil); status != http.StatusOK || body != `{"state":"uploaded"}` {
		t.Fatalf("presigned link: %d %s", status, body)
	}
	status, body := get(map[string]string{"X-Amz-Acl": "public-read"})
	if status != http.StatusForbidden || !strings.Contains(body, "<Code>AccessDenied</Code>") ||
		!strings.Contains(body, "There were headers present in the request which were not signed") || !strings.Contains(body, "x-amz-acl") {
		t.Errorf("presigned link with an unsigned x-amz-acl: %d %s, want S3's 403 AccessDenied naming it", status, body)
	}
}
