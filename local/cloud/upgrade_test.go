package cloud

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// A plain HTTP request to the WebSocket URL answers 426 Upgrade Required,
// as docs/local-websocket.md says, not S3's 403 for an anonymous request:
// a developer who opens the URL in a browser or with curl learns it is a
// WebSocket. A signed S3 request to a bucket that happens to share the
// stage's name still reaches S3.
func TestPlainGetToTheWebSocketURLIsUpgradeRequired(t *testing.T) {
	c := startCloud(t)
	url := "http" + strings.TrimPrefix(c.WebSocketURL, "ws")
	for _, path := range []string{"", "/"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, err := http.NewRequest(method, url+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Upgrade") != "websocket" {
				t.Errorf("%s %s%s: %d (Upgrade %q) %s, want 426 naming websocket", method, url, path, resp.StatusCode, resp.Header.Get("Upgrade"), body)
			}
		}
	}

	client := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	_, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(c.api.stage.Name)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "NoSuchBucket" {
		t.Errorf("signed ListObjectsV2 of bucket %q: %v, want S3's NoSuchBucket", c.api.stage.Name, err)
	}
}
