package s3

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestFaultRateAnswersEveryRequestAtRateOne(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bucket")
	if err := e.srv.InjectFaultRate(1, http.StatusServiceUnavailable); err != nil {
		t.Fatal(err)
	}
	// The SDK retries SlowDown; at rate 1 every attempt gets it.
	_, err := e.client.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("bucket")})
	if err == nil {
		t.Fatal("rate 1: a request succeeded")
	}
	if err := e.srv.InjectFaultRate(0, http.StatusServiceUnavailable); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("bucket")}); err != nil {
		t.Errorf("rate 0: %v", err)
	}
	if err := e.srv.InjectFaultRate(0.5, http.StatusTeapot); err == nil {
		t.Error("status 418 accepted")
	}
}
