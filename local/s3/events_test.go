package s3

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestObjectCreatedEvents(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads")
	mustBucket(t, e, "output")
	in, other := newSink(), newSink()
	e.srv.Notify("uploads", "incoming/", in.handle)
	e.srv.Notify("uploads", "other/", other.handle)

	put := func(bucket, key, body string) string {
		out, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
		return strings.Trim(aws.ToString(out.ETag), `"`)
	}
	etag1 := put("uploads", "incoming/red flower.jpg", "12345")
	etag2 := put("uploads", "incoming/ü.png", "1234567")
	put("uploads", "elsewhere/x.jpg", "no event")
	put("output", "incoming/y.jpg", "other bucket")
	if _, err := e.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("incoming/copy.jpg"), CopySource: aws.String("uploads/elsewhere/x.jpg")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("incoming/copy.jpg")}); err != nil {
		t.Fatal(err)
	}

	got := in.wait(t, 3)
	other.wait(t, 0)
	want := []struct {
		name, key, decoded, etag string
		size                     int64
	}{
		{"ObjectCreated:Put", "incoming/red+flower.jpg", "incoming/red flower.jpg", etag1, 5},
		{"ObjectCreated:Put", "incoming/%C3%BC.png", "incoming/ü.png", etag2, 7},
		{"ObjectCreated:Copy", "incoming/copy.jpg", "incoming/copy.jpg", "", 8},
	}
	for i, w := range want {
		r := got[i]
		if r.EventName != w.name || r.S3.Object.Key != w.key || r.S3.Object.URLDecodedKey != w.decoded || r.S3.Object.Size != w.size {
			t.Errorf("event %d: %s %q (%q) size %d; want %s %q (%q) size %d", i, r.EventName, r.S3.Object.Key, r.S3.Object.URLDecodedKey, r.S3.Object.Size, w.name, w.key, w.decoded, w.size)
		}
		if w.etag != "" && r.S3.Object.ETag != w.etag {
			t.Errorf("event %d: eTag %q, want %q", i, r.S3.Object.ETag, w.etag)
		}
		if r.EventSource != "aws:s3" || r.AWSRegion != "us-east-1" || r.S3.Bucket.Name != "uploads" || r.S3.Bucket.Arn != "arn:aws:s3:::uploads" || len(r.S3.Object.Sequencer) != 16 {
			t.Errorf("event %d envelope: %+v", i, r)
		}
		if i > 0 && r.S3.Object.Sequencer <= got[i-1].S3.Object.Sequencer {
			t.Errorf("sequencer did not increase: %s after %s", r.S3.Object.Sequencer, got[i-1].S3.Object.Sequencer)
		}
	}
}

func TestEventRetriedUntilAccepted(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads")
	var calls atomic.Int32
	ok := newSink()
	e.srv.Notify("uploads", "", func(ctx context.Context, ev events.S3Event) error {
		switch calls.Add(1) {
		case 1:
			return errors.New("start handler unavailable")
		case 2:
			panic("start handler crashed")
		}
		return ok.handle(ctx, ev)
	})
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k.jpg"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	got := ok.wait(t, 1)
	if got[0].S3.Object.Key != "k.jpg" || calls.Load() != 3 {
		t.Errorf("delivered %q after %d calls, want k.jpg after 3", got[0].S3.Object.Key, calls.Load())
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e1, "uploads", uploadsCORS)
	e1.srv.Notify("uploads", "", func(context.Context, events.S3Event) error {
		return errors.New("subscriber down until restart")
	})
	if _, err := e1.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("uploads"), Key: aws.String("a dir/ü.jpg"), Body: strings.NewReader("jpeg bytes"),
		ContentType: aws.String("image/jpeg"), CacheControl: aws.String("no-cache"), Metadata: map[string]string{"upload-id": "u-9"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e1.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("gone.txt"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e1.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("gone.txt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e1.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("scratch")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e1.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("scratch")}); err != nil {
		t.Fatal(err)
	}
	e1.close()
	pending, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.json"))
	if len(pending) != 2 {
		t.Fatalf("%d outbox entries after shutdown, want the 2 undelivered events", len(pending))
	}

	// The restart happens "ten minutes later", so a restart-time LastModified shows.
	e2 := newEnv(t, envOpts{dir: dir, skew: 10 * time.Minute})
	got, out := getBody(t, e2.client, "uploads", "a dir/ü.jpg")
	if string(got) != "jpeg bytes" || aws.ToString(out.ContentType) != "image/jpeg" || aws.ToString(out.CacheControl) != "no-cache" ||
		out.Metadata["upload-id"] != "u-9" || len(out.Metadata) != 1 {
		t.Errorf("after restart: %q %q %q %v", got, aws.ToString(out.ContentType), aws.ToString(out.CacheControl), out.Metadata)
	}
	if _, err := e2.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("gone.txt")}); errCode(err) != "NotFound" {
		t.Errorf("deleted object came back: %v", err)
	}
	if _, err := e2.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("scratch")}); errCode(err) != "NotFound" {
		t.Errorf("deleted bucket came back: %v", err)
	}
	list, err := e2.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("uploads")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("list after restart: %v %d", err, len(list.Contents))
	}
	if lm := aws.ToTime(list.Contents[0].LastModified); !lm.Equal(aws.ToTime(out.LastModified)) {
		t.Errorf("after restart the listing says LastModified %v, HEAD says %v", lm, aws.ToTime(out.LastModified))
	}

	req, _ := http.NewRequest(http.MethodOptions, e2.http.URL+"/uploads", nil)
	req.Header.Set("Origin", webOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := e2.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("CORS configuration lost across restart: preflight %d", resp.StatusCode)
	}

	// Re-registering the subscription delivers what the first run could not.
	sink := newSink()
	e2.srv.Notify("uploads", "", sink.handle)
	evs := sink.wait(t, 2)
	if evs[0].S3.Object.URLDecodedKey != "a dir/ü.jpg" || evs[1].S3.Object.Key != "gone.txt" {
		t.Errorf("replayed events: %q, %q", evs[0].S3.Object.URLDecodedKey, evs[1].S3.Object.Key)
	}
	e2.close()
	if left, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.json")); len(left) != 0 {
		t.Errorf("%d outbox entries left after successful delivery", len(left))
	}
}
