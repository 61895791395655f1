package s3

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// accessLogs lists the log objects under prefix in bucket and returns
// their records, in key order.
func accessLogs(t *testing.T, c *s3.Client, bucket, prefix string) (keys, records []string) {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
		got, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		records = append(records, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	return keys, records
}

// record splits an access log line into its fields, quoted and bracketed
// ones whole.
var logField = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+`)

// TestAccessLogsRecordEachRequestInTheTargetBucket: a bucket with a logging
// target has each request written, in S3's access log format, into an
// object under the target prefix: operation, key, status, error code and
// bytes, as S3 writes them. The log bucket's own requests are not logged.
func TestAccessLogsRecordEachRequestInTheTargetBucket(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "data")
	mustBucket(t, e, "logs")
	if err := e.srv.SetLogging("data", &LoggingTarget{Bucket: "logs", Prefix: "data/"}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetLogging("data", &LoggingTarget{Bucket: "nowhere"}); err == nil {
		t.Error("a target bucket that does not exist is accepted")
	}
	ctx := context.Background()
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("a/b.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	getBody(t, e.client, "data", "a/b.txt")
	_, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("missing")})
	if errCode(err) != "NoSuchKey" {
		t.Fatalf("get missing: %v", err)
	}
	if keys, _ := accessLogs(t, e.client, "logs", ""); len(keys) != 0 {
		t.Fatalf("logs delivered before a flush: %v", keys)
	}
	e.srv.FlushAccessLogs()

	keys, records := accessLogs(t, e.client, "logs", "")
	if len(keys) != 1 || !regexp.MustCompile(`^data/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$`).MatchString(keys[0]) {
		t.Fatalf("log objects %v; want one data/YYYY-mm-DD-HH-MM-SS-<16 hex>", keys)
	}
	want := [][]string{
		{"REST.PUT.OBJECT", "a/b.txt", `"PUT /data/a/b.txt?x-id=PutObject HTTP/1.1"`, "200", "-"},
		{"REST.GET.OBJECT", "a/b.txt", `"GET /data/a/b.txt?x-id=GetObject HTTP/1.1"`, "200", "-"},
		{"REST.GET.OBJECT", "missing", `"GET /data/missing?x-id=GetObject HTTP/1.1"`, "404", "NoSuchKey"},
	}
	if len(records) != len(want) {
		t.Fatalf("%d records, want %d (the log bucket's own listing is not logged):\n%s", len(records), len(want), strings.Join(records, "\n"))
	}
	for i, line := range records {
		f := logField.FindAllString(line, -1)
		if len(f) != 26 {
			t.Errorf("record %d has %d fields, want S3's 26: %s", i, len(f), line)
			continue
		}
		if f[1] != "data" || f[3] != "127.0.0.1" || f[4] != "test" || f[19] != "SigV4" || f[21] != "AuthHeader" {
			t.Errorf("record %d: bucket, remote IP, requester, signature, auth = %s %s %s %s %s: %s", i, f[1], f[3], f[4], f[19], f[21], line)
		}
		if _, err := time.Parse("[02/Jan/2006:15:04:05 -0700]", f[2]); err != nil {
			t.Errorf("record %d time %s: %v", i, f[2], err)
		}
		if got := []string{f[6], f[7], f[8], f[9], f[10]}; strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("record %d: operation, key, request URI, status, error = %q, want %q", i, got, want[i])
		}
	}
	if f := logField.FindAllString(records[1], -1); f[11] != "5" || f[12] != "5" {
		t.Errorf("GET of a 5-byte object: bytes sent %s, object size %s", f[11], f[12])
	}
}

// TestAccessLogsAreFlushedOnTheTimerAndAtClose: records reach the target
// without an explicit flush, on the timer, and what is buffered when the
// server closes is written, not lost.
func TestAccessLogsAreFlushedOnTheTimerAndAtClose(t *testing.T) {
	e := newEnv(t, envOpts{accessLogFlush: 10 * time.Millisecond})
	mustBucket(t, e, "data")
	mustBucket(t, e, "logs")
	if err := e.srv.SetLogging("data", &LoggingTarget{Bucket: "logs", Prefix: "x/"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("k")})
	deadline := time.Now().Add(30 * time.Second) // only a hang fails
	for {
		if keys, records := accessLogs(t, e.client, "logs", "x/"); len(keys) > 0 {
			if len(records) != 1 || !strings.Contains(records[0], " REST.HEAD.OBJECT k ") {
				t.Fatalf("timer flush wrote %q", records)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the timer never flushed the access log")
		}
		time.Sleep(5 * time.Millisecond)
	}

	closing := newEnv(t, envOpts{dir: t.TempDir(), accessLogFlush: time.Hour})
	mustBucket(t, closing, "data")
	mustBucket(t, closing, "logs")
	if err := closing.srv.SetLogging("data", &LoggingTarget{Bucket: "logs"}); err != nil {
		t.Fatal(err)
	}
	closing.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("at-close")})
	dir := closing.srv.opts.Dir
	closing.close()
	reopened := newEnv(t, envOpts{dir: dir})
	if _, records := accessLogs(t, reopened.client, "logs", ""); len(records) != 1 || !strings.Contains(records[0], " at-close ") {
		t.Fatalf("after close and restart, the log bucket holds %q", records)
	}
}
