package s3

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func putV(t *testing.T, c *s3.Client, bucket, key, body string) string {
	t.Helper()
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String("text/plain")})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

// getV reads one version ("" for the current one) and returns its body and
// the version id the response named.
func getV(t *testing.T, c *s3.Client, bucket, key, version string) (string, string, error) {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return "", "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), aws.ToString(out.VersionId), err
}

func setVersioning(t *testing.T, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
}

func versioningStatus(t *testing.T, c *s3.Client, bucket string) types.BucketVersioningStatus {
	t.Helper()
	out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketVersioning: %v", err)
	}
	return out.Status
}

// listVersions returns ListObjectVersions' ids and "key:version|marker[:latest]"
// descriptions: versions first, then delete markers, as the SDK splits them.
func listVersions(t *testing.T, c *s3.Client, bucket string) (ids []string, desc []string) {
	t.Helper()
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	add := func(key, id, kind string, latest bool) {
		ids = append(ids, id)
		if latest {
			kind += ":latest"
		}
		desc = append(desc, key+":"+kind)
	}
	for _, v := range out.Versions {
		add(aws.ToString(v.Key), aws.ToString(v.VersionId), "version", aws.ToBool(v.IsLatest))
	}
	for _, m := range out.DeleteMarkers {
		add(aws.ToString(m.Key), aws.ToString(m.VersionId), "marker", aws.ToBool(m.IsLatest))
	}
	return ids, desc
}

func TestVersionedObjects(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	if st := versioningStatus(t, e.client, "bkt"); st != "" {
		t.Fatalf("a new bucket's versioning is %q, want unset", st)
	}
	if v := putV(t, e.client, "bkt", "plain", "unversioned"); v != "" {
		t.Errorf("PUT to an unversioned bucket returned version %q", v)
	}
	if head, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("plain")}); err != nil || head.VersionId != nil {
		t.Errorf("HEAD in an unversioned bucket: %v, version %q", err, aws.ToString(head.VersionId))
	}
	setVersioning(t, e.client, "bkt", types.BucketVersioningStatusEnabled)
	if st := versioningStatus(t, e.client, "bkt"); st != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %q after enabling it", st)
	}

	v1 := putV(t, e.client, "bkt", "k", "first")
	v2 := putV(t, e.client, "bkt", "k", "second, longer")
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("version ids %q, %q: want two distinct ids", v1, v2)
	}
	if body, id, err := getV(t, e.client, "bkt", "k", ""); err != nil || body != "second, longer" || id != v2 {
		t.Errorf("current version: %q %q %v, want the second body as %s", body, id, err, v2)
	}
	if body, id, err := getV(t, e.client, "bkt", "k", v1); err != nil || body != "first" || id != v1 {
		t.Errorf("GET ?versionId=v1: %q %q %v, want the first body", body, id, err)
	}
	head, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), VersionId: aws.String(v1)})
	if err != nil || aws.ToInt64(head.ContentLength) != 5 || aws.ToString(head.VersionId) != v1 || aws.ToString(head.ContentType) != "text/plain" {
		t.Errorf("HEAD ?versionId=v1: %v, length %d, version %q", err, aws.ToInt64(head.ContentLength), aws.ToString(head.VersionId))
	}
	rng, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), VersionId: aws.String(v1), Range: aws.String("bytes=1-3")})
	if err != nil {
		t.Fatalf("ranged GET of v1: %v", err)
	}
	if b, _ := io.ReadAll(rng.Body); string(b) != "irs" {
		t.Errorf("ranged GET of v1: %q, want \"irs\"", b)
	}
	rng.Body.Close()
	if _, _, err := getV(t, e.client, "bkt", "k", "no-such-version"); errCode(err) != "NoSuchVersion" {
		t.Errorf("GET of an unknown version: %v, want NoSuchVersion", err)
	}
	// The object from before versioning is its null version.
	if body, id, err := getV(t, e.client, "bkt", "plain", "null"); err != nil || body != "unversioned" || id != "null" {
		t.Errorf("GET ?versionId=null: %q %q %v", body, id, err)
	}

	// DELETE adds a delete marker; the versions stay readable.
	del, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DeleteObject: %v, marker %v, version %q", err, aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId))
	}
	if _, _, err := getV(t, e.client, "bkt", "k", ""); errCode(err) != "NoSuchKey" {
		t.Errorf("GET after delete: %v, want NoSuchKey", err)
	}
	if body, _, err := getV(t, e.client, "bkt", "k", v2); err != nil || body != "second, longer" {
		t.Errorf("v2 after delete: %q %v", body, err)
	}
	list, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "plain" {
		t.Errorf("ListObjectsV2 after delete lists %d objects, want only \"plain\"", len(list.Contents))
	}
	if _, desc := listVersions(t, e.client, "bkt"); strings.Join(desc, " ") != "k:version k:version plain:version:latest k:marker:latest" {
		t.Errorf("ListObjectVersions: %v", desc)
	}
	// Deleting the marker by its version id brings v2 back.
	if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), VersionId: del.VersionId}); err != nil {
		t.Fatal(err)
	}
	if body, id, err := getV(t, e.client, "bkt", "k", ""); err != nil || body != "second, longer" || id != v2 {
		t.Errorf("after removing the marker: %q %q %v, want v2", body, id, err)
	}

	// Copying an old version onto its key restores it as a new version.
	cp, err := e.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), CopySource: aws.String("bkt/k?versionId=" + v1)})
	if err != nil {
		t.Fatalf("CopyObject of v1: %v", err)
	}
	v3 := aws.ToString(cp.VersionId)
	if aws.ToString(cp.CopySourceVersionId) != v1 || v3 == "" || v3 == v1 || v3 == v2 {
		t.Errorf("CopyObject: source version %q, new version %q", aws.ToString(cp.CopySourceVersionId), v3)
	}
	if body, id, err := getV(t, e.client, "bkt", "k", ""); err != nil || body != "first" || id != v3 {
		t.Errorf("after restoring v1: %q %q %v", body, id, err)
	}

	// Multipart uploads create versions too.
	up, err := e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := e.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("multipart")})
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if v4 := aws.ToString(done.VersionId); v4 == "" {
		t.Error("CompleteMultipartUpload returned no version id")
	} else if body, _, err := getV(t, e.client, "bkt", "k", v4); err != nil || body != "multipart" {
		t.Errorf("multipart version: %q %v", body, err)
	}
	if body, _, err := getV(t, e.client, "bkt", "k", v2); err != nil || body != "second, longer" {
		t.Errorf("v2 after more versions: %q %v", body, err)
	}

	// Suspended: new writes are the null version, replacing each other; the
	// versioned ones stay.
	setVersioning(t, e.client, "bkt", types.BucketVersioningStatusSuspended)
	if st := versioningStatus(t, e.client, "bkt"); st != types.BucketVersioningStatusSuspended {
		t.Fatalf("versioning %q after suspending it", st)
	}
	putV(t, e.client, "bkt", "k", "null one")
	putV(t, e.client, "bkt", "k", "null two")
	if body, id, err := getV(t, e.client, "bkt", "k", ""); err != nil || body != "null two" || id != "null" {
		t.Errorf("current after suspended puts: %q %q %v", body, id, err)
	}
	if body, _, err := getV(t, e.client, "bkt", "k", v1); err != nil || body != "first" {
		t.Errorf("v1 while suspended: %q %v", body, err)
	}
	ids, _ := listVersions(t, e.client, "bkt")
	if n := strings.Count(strings.Join(ids, " "), "null"); n != 2 { // k's and plain's
		t.Errorf("%d null versions listed, want 2 (one per key): %v", n, ids)
	}

	// A bucket with versions left is not empty.
	mustBucket(t, e, "gone")
	setVersioning(t, e.client, "gone", types.BucketVersioningStatusEnabled)
	putV(t, e.client, "gone", "x", "x")
	if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("gone"), Key: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("gone")}); errCode(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket with versions left: %v, want BucketNotEmpty", err)
	}
}

func TestVersionedUploadsAndEvents(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads", uploadsCORS)
	if err := e.srv.SetVersioning("uploads", true); err != nil {
		t.Fatal(err)
	}
	got := newSink()
	e.srv.Notify("uploads", "", got.handle)

	// The same grant posted twice, as a replay would: two versions.
	pp := grant(t, e, "incoming/u1")
	first := doPost(t, e, pp.URL, fieldsOf(pp), "a.jpg", []byte("original bytes"))
	second := doPost(t, e, pp.URL, fieldsOf(pp), "b.jpg", []byte("replayed"))
	if first.status != http.StatusNoContent || second.status != http.StatusNoContent {
		t.Fatalf("POSTs: %d %s / %d %s", first.status, first.body, second.status, second.body)
	}
	postV1, postV2 := first.header.Get("X-Amz-Version-Id"), second.header.Get("X-Amz-Version-Id")
	if postV1 == "" || postV1 == postV2 {
		t.Fatalf("POST version ids %q, %q", postV1, postV2)
	}
	putVer := putV(t, e.client, "uploads", "incoming/put", "put")
	cp, err := e.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("incoming/copy"), CopySource: aws.String("uploads/incoming/u1?versionId=" + postV1)})
	if err != nil {
		t.Fatal(err)
	}

	evs := got.wait(t, 4)
	want := []struct{ name, key, version, body string }{
		{"ObjectCreated:Post", "incoming/u1", postV1, "original bytes"},
		{"ObjectCreated:Post", "incoming/u1", postV2, "replayed"},
		{"ObjectCreated:Put", "incoming/put", putVer, "put"},
		{"ObjectCreated:Copy", "incoming/copy", aws.ToString(cp.VersionId), "original bytes"},
	}
	for i, w := range want {
		ev := evs[i]
		if ev.EventName != w.name || ev.S3.Object.URLDecodedKey != w.key || ev.S3.Object.VersionID != w.version {
			t.Errorf("event %d: %s %s version %q; want %s %s version %q", i, ev.EventName, ev.S3.Object.URLDecodedKey, ev.S3.Object.VersionID, w.name, w.key, w.version)
			continue
		}
		// What a subscriber reads with the announced version is what was written.
		if body, _, err := getV(t, e.client, "uploads", w.key, ev.S3.Object.VersionID); err != nil || body != w.body {
			t.Errorf("event %d: the announced version reads %q %v, want %q", i, body, err, w.body)
		}
	}

	// Unversioned buckets announce no version.
	mustBucket(t, e, "plain")
	plain := newSink()
	e.srv.Notify("plain", "", plain.handle)
	putV(t, e.client, "plain", "k", "x")
	if ev := plain.wait(t, 1); ev[0].S3.Object.VersionID != "" {
		t.Errorf("event in an unversioned bucket has version %q", ev[0].S3.Object.VersionID)
	}
}

func TestVersionsPersistAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e1, "bkt")
	putV(t, e1.client, "bkt", "old", "from before versioning")
	if err := e1.srv.SetVersioning("bkt", true); err != nil {
		t.Fatal(err)
	}
	v1 := putV(t, e1.client, "bkt", "k", "one")
	v2 := putV(t, e1.client, "bkt", "k", "two")
	v3 := putV(t, e1.client, "bkt", "k", "three")
	if _, err := e1.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), VersionId: aws.String(v2)}); err != nil {
		t.Fatal(err)
	}
	putV(t, e1.client, "bkt", "old", "new")
	if _, err := e1.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("old")}); err != nil {
		t.Fatal(err)
	}
	ids1, desc1 := listVersions(t, e1.client, "bkt")
	e1.close()

	e2 := newEnv(t, envOpts{dir: dir, skew: 10 * time.Minute})
	if st := versioningStatus(t, e2.client, "bkt"); st != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning after restart: %q", st)
	}
	for _, c := range []struct{ version, body string }{{v1, "one"}, {v3, "three"}, {"", "three"}, {"null", "from before versioning"}} {
		key := "k"
		if c.version == "null" {
			key = "old"
		}
		if body, _, err := getV(t, e2.client, "bkt", key, c.version); err != nil || body != c.body {
			t.Errorf("after restart, %s version %q: %q %v, want %q", key, c.version, body, err, c.body)
		}
	}
	if _, _, err := getV(t, e2.client, "bkt", "k", v2); errCode(err) != "NoSuchVersion" {
		t.Errorf("deleted version after restart: %v", err)
	}
	if _, _, err := getV(t, e2.client, "bkt", "old", ""); errCode(err) != "NoSuchKey" {
		t.Errorf("key behind a delete marker after restart: %v", err)
	}
	ids2, desc2 := listVersions(t, e2.client, "bkt")
	if strings.Join(ids1, " ") != strings.Join(ids2, " ") || strings.Join(desc1, " ") != strings.Join(desc2, " ") {
		t.Errorf("versions before restart %v %v, after %v %v", ids1, desc1, ids2, desc2)
	}
	// New versions after a restart are newer than the restored ones.
	v4 := putV(t, e2.client, "bkt", "k", "four")
	if body, id, err := getV(t, e2.client, "bkt", "k", ""); err != nil || body != "four" || id != v4 {
		t.Errorf("current after a put following the restart: %q %q %v", body, id, err)
	}
	e2.close()
	e3 := newEnv(t, envOpts{dir: dir})
	if body, _, err := getV(t, e3.client, "bkt", "k", ""); err != nil || body != "four" {
		t.Errorf("current after the second restart: %q %v", body, err)
	}
}

// TestListObjectVersionsPages: the SDK's paginator sees every version and
// delete marker exactly once, a page at a time, versioned or not.
func TestListObjectVersionsPages(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "vers")
	mustBucket(t, e, "plain")
	setVersioning(t, e.client, "vers", types.BucketVersioningStatusEnabled)
	want := map[string]bool{}
	for _, key := range []string{"a", "b", "dir/x", "dir/y", "c"} {
		for i := range 2 {
			want[key+":"+putV(t, e.client, "vers", key, key+string(rune('0'+i)))] = true
		}
		putV(t, e.client, "plain", key, key)
	}
	del, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("vers"), Key: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	want["b:"+aws.ToString(del.VersionId)] = true

	for bucket, n := range map[string]int{"vers": len(want), "plain": 5} {
		got := map[string]bool{}
		pages := 0
		p := s3.NewListObjectVersionsPaginator(e.client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("%s page %d: %v", bucket, pages, err)
			}
			pages++
			var ids []string
			for _, v := range out.Versions {
				ids = append(ids, aws.ToString(v.Key)+":"+aws.ToString(v.VersionId))
			}
			for _, m := range out.DeleteMarkers {
				ids = append(ids, aws.ToString(m.Key)+":"+aws.ToString(m.VersionId))
			}
			for _, id := range ids {
				if got[id] {
					t.Errorf("%s: %s listed twice", bucket, id)
				}
				got[id] = true
			}
			if pages > 20 {
				t.Fatalf("%s: paging does not end", bucket)
			}
		}
		if len(got) != n || pages != (n+1)/2 {
			t.Errorf("%s: %d versions in %d pages, want %d in %d", bucket, len(got), pages, n, (n+1)/2)
		}
		if bucket == "vers" {
			for id := range want {
				if !got[id] {
					t.Errorf("version %s not listed", id)
				}
			}
		} else if !got["a:null"] {
			t.Errorf("unversioned bucket lists %v, want null versions", got)
		}
	}

	// A delimiter folds keys into one common prefix, listed once.
	out, err := e.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vers"), Delimiter: aws.String("/")})
	if err != nil || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "dir/" || len(out.Versions)+len(out.DeleteMarkers) != 7 {
		t.Errorf("with delimiter: %v, prefixes %d, %d entries", err, len(out.CommonPrefixes), len(out.Versions)+len(out.DeleteMarkers))
	}
}
