package s3

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// nextMidnight is when S3 applies an action of days days to something of
// time t: t plus the days, rounded up to midnight UTC.
func nextMidnight(t time.Time, days int) time.Time {
	d := t.UTC().AddDate(0, 0, days)
	m := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	if m.Before(d) {
		m = m.AddDate(0, 0, 1)
	}
	return m
}

func listKeys(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func sweep(t *testing.T, e *env, now time.Time, want int) {
	t.Helper()
	n, err := e.srv.Sweep(now)
	if err != nil {
		t.Fatalf("Sweep(%v): %v", now, err)
	}
	if n != want {
		t.Errorf("Sweep(%v) removed %d, want %d", now, n, want)
	}
}

func TestSweepExpiresWhatTheRulesSay(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "uploads")
	put := func(key, body string, tags ...types.Tag) {
		t.Helper()
		putV(t, c, "uploads", key, body)
		if len(tags) > 0 {
			if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String(key), Tagging: &types.Tagging{TagSet: tags}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	temp := types.Tag{Key: aws.String("temp"), Value: aws.String("yes")}
	put("uploads/a.jpg", "original")
	put("other/b.jpg", "no rule")
	put("tmp/tagged", "x", temp)
	put("tmp/untagged", "x")
	put("tmp/wrong-value", "x", types.Tag{Key: aws.String("temp"), Value: aws.String("no")})
	put("logs/big", "0123456789")
	put("logs/small", "01")
	put("keep/k", "disabled rule")
	if err := e.srv.SetLifecycle("uploads", []LifecycleRule{
		{ID: "expire-originals", Enabled: true, Prefix: "uploads/", ExpirationDays: 30, AbortIncompleteUploadDays: 1},
		{ID: "tagged-tmp", Enabled: true, Prefix: "tmp/", Tags: []Tag{{"temp", "yes"}}, ExpirationDays: 1},
		{ID: "big-logs", Enabled: true, Prefix: "logs/", ObjectSizeGreaterThan: 5, ExpirationDays: 1},
		{ID: "disabled", Enabled: false, Prefix: "keep/", ExpirationDays: 1},
	}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String("uploads/big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("uploads/a.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	created := aws.ToTime(head.LastModified)

	sweep(t, e, created, 0)
	// Two days on: the one-day rules and the abandoned upload are due.
	sweep(t, e, nextMidnight(created, 2), 3)
	want := []string{"keep/k", "logs/small", "other/b.jpg", "tmp/untagged", "tmp/wrong-value", "uploads/a.jpg"}
	if got := listKeys(t, c, "uploads"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after two days: %v, want %v", got, want)
	}
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("uploads")})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("upload %s not aborted: %v %v", aws.ToString(up.UploadId), uploads.Uploads, err)
	}
	// The thirty-day rule is due at midnight after creation plus 30 days, not before.
	due := nextMidnight(created, 30)
	sweep(t, e, due.Add(-time.Second), 0)
	sweep(t, e, due, 1)
	want = want[:len(want)-1]
	if got := listKeys(t, c, "uploads"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after thirty days: %v, want %v", got, want)
	}
	sweep(t, e, due.AddDate(1, 0, 0), 0)
}

func TestSweepInAVersionedBucket(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "docs")
	setVersioning(t, c, "docs", types.BucketVersioningStatusEnabled)
	v1 := putV(t, c, "docs", "docs/d", "one")
	v2 := putV(t, c, "docs", "docs/d", "two")
	v3 := putV(t, c, "docs", "docs/d", "three")
	o1 := putV(t, c, "docs", "old/o", "old")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("docs"), Key: aws.String("old/o")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("docs"), Key: aws.String("old/o"), VersionId: aws.String(o1)}); err != nil {
		t.Fatal(err) // only the delete marker is left
	}
	if err := e.srv.SetLifecycle("docs", []LifecycleRule{
		{ID: "docs", Enabled: true, Prefix: "docs/", ExpirationDays: 30, NoncurrentDays: 10, NewerNoncurrentVersions: 1},
		{ID: "markers", Enabled: true, Prefix: "old/", ExpiredObjectDeleteMarker: true},
	}); err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("docs/d")})
	if err != nil {
		t.Fatal(err)
	}
	created := aws.ToTime(head.LastModified)

	// Eleven days on: v1 has been noncurrent for ten days and is not among
	// the one newest noncurrent version kept; the lone marker goes too.
	sweep(t, e, nextMidnight(created, 11), 2)
	if ids, desc := listVersions(t, c, "docs"); !sameSet(ids, []string{v2, v3}) {
		t.Errorf("after eleven days: %v, want v2 and v3 of docs/d", desc)
	}
	if _, _, err := getV(t, c, "docs", "docs/d", v1); errCode(err) != "NoSuchVersion" {
		t.Errorf("expired noncurrent version still reads: %v", err)
	}
	// Thirty days on the current version expires: a delete marker hides it.
	sweep(t, e, nextMidnight(created, 30), 1)
	if _, _, err := getV(t, c, "docs", "docs/d", ""); errCode(err) != "NoSuchKey" {
		t.Errorf("expired current version still reads: %v", err)
	}
	if body, _, err := getV(t, c, "docs", "docs/d", v3); err != nil || body != "three" {
		t.Errorf("the expired version is gone instead of noncurrent: %q %v", body, err)
	}
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, " ") == strings.Join(b, " ")
}

// TestSweepWithoutUploadsInProgress: a rule that aborts incomplete
// uploads, on a bucket that never had one, sweeps without an error.
func TestSweepWithoutUploadsInProgress(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "fresh")
	if err := e.srv.SetLifecycle("fresh", []LifecycleRule{{ID: "abort", Enabled: true, AbortIncompleteUploadDays: 1}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.srv.Sweep(time.Now()); n != 0 || err != nil {
		t.Fatalf("Sweep = %d, %v; want 0, nil", n, err)
	}
}
