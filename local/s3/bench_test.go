package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// benchEnv is newEnv for benchmarks, with a subscriber so the event path
// (outbox write and delivery) is part of what is measured.
func benchEnv(b *testing.B, dir string) *env {
	e := newEnv(b, envOpts{dir: dir})
	if err := e.srv.CreateBucket("uploads", uploadsCORS); err != nil {
		b.Fatal(err)
	}
	e.srv.Notify("uploads", "", func(context.Context, events.S3Event) error { return nil })
	return e
}

func benchPut(b *testing.B, dir string, size int) {
	e := benchEnv(b, dir)
	body := bytes.Repeat([]byte("x"), size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("bench.jpg"), Body: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutObject1MiBMemory(b *testing.B) { benchPut(b, "", 1<<20) }
func BenchmarkPutObject1MiBDisk(b *testing.B)   { benchPut(b, b.TempDir(), 1<<20) }

func BenchmarkGetObject1MiB(b *testing.B) {
	e := benchEnv(b, "")
	body := bytes.Repeat([]byte("x"), 1<<20)
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k")})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
}

func BenchmarkBrowserPostUpload1MiB(b *testing.B) {
	e := benchEnv(b, "")
	pp, err := s3.NewPresignClient(e.client).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("u.jpg")},
		func(o *s3.PresignPostOptions) { o.Conditions = []any{[]any{"content-length-range", 1, 2 << 20}} })
	if err != nil {
		b.Fatal(err)
	}
	ct, body := form(b, fieldsOf(pp), "u.jpg", bytes.Repeat([]byte("x"), 1<<20))
	raw := body.Bytes()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, pp.URL, bytes.NewReader(raw))
		req.Header.Set("Content-Type", ct)
		resp, err := e.hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
