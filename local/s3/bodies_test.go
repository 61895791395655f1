package s3

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestVersionedBodiesStayOnDisk: with a data directory, the bodies of a
// versioned bucket (the pipeline's uploads bucket) are kept only in their
// object files, so the memory the store needs does not grow with the
// originals it holds; GET, a range, HEAD, listings and a restart still see
// each object's bytes, size and ETag exactly.
func TestVersionedBodiesStayOnDisk(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e, "bkt")
	if err := e.srv.SetVersioning("bkt", true); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	v1 := putV(t, e.client, "bkt", "k", string(body[:1000]))
	putV(t, e.client, "bkt", "k", string(body))
	etag := fmt.Sprintf("%q", fmt.Sprintf("%x", md5.Sum(body)))

	check := func(e *env, when string) {
		t.Helper()
		e.srv.store.vmu.RLock()
		for _, v := range e.srv.store.tracked("bkt").keys["k"] {
			if v.data != nil || v.file == "" {
				t.Errorf("%s: version %s holds %d bytes in memory (file %q)", when, v.id, len(v.data), v.file)
			}
		}
		e.srv.store.vmu.RUnlock()
		got, out := getBody(t, e.client, "bkt", "k")
		if !bytes.Equal(got, body) || aws.ToString(out.ETag) != etag {
			t.Errorf("%s: GET %d bytes, ETag %s; want %d bytes, %s", when, len(got), aws.ToString(out.ETag), len(body), etag)
		}
		r, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Range: aws.String("bytes=100-199")})
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if !bytes.Equal(part, body[100:200]) {
			t.Errorf("%s: range 100-199 read %q", when, part)
		}
		if old, _, err := getV(t, e.client, "bkt", "k", v1); err != nil || old != string(body[:1000]) {
			t.Errorf("%s: first version %d bytes, %v", when, len(old), err)
		}
		list, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
		if err != nil || len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != int64(len(body)) || aws.ToString(list.Contents[0].ETag) != etag {
			t.Errorf("%s: listing %+v, %v; want k of %d bytes, %s", when, list.Contents, err, len(body), etag)
		}
	}
	check(e, "stored")
	e.close()
	check(newEnv(t, envOpts{dir: dir}), "after a restart")
}

// TestUnversionedBodiesStayOnDisk: with a data directory, an unversioned
// bucket's bodies of bodyOnDisk bytes or more (renditions) are kept only in
// their object files, and small ones (status records) in memory; reads,
// listings, a conditional PUT on the ETag, an overwrite, a delete and a
// restart all see the right bytes.
func TestUnversionedBodiesStayOnDisk(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e, "out")
	big := bytes.Repeat([]byte("rendition bytes "), 8<<10) // 128 KiB
	etag := fmt.Sprintf("%q", fmt.Sprintf("%x", md5.Sum(big)))
	put := func(e *env, key string, body []byte, ifMatch string) error {
		in := &s3.PutObjectInput{Bucket: aws.String("out"), Key: aws.String(key), Body: bytes.NewReader(body)}
		if ifMatch != "" {
			in.IfMatch = aws.String(ifMatch)
		}
		_, err := e.client.PutObject(ctx, in)
		return err
	}
	if err := put(e, "big", big, ""); err != nil {
		t.Fatal(err)
	}
	if err := put(e, "small", []byte(`{"state":"succeeded"}`), ""); err != nil {
		t.Fatal(err)
	}
	check := func(e *env, when string) {
		t.Helper()
		e.srv.store.vmu.RLock()
		disk, small := e.srv.store.onDisk["out"]["big"], e.srv.store.onDisk["out"]["small"]
		e.srv.store.vmu.RUnlock()
		if disk == nil || disk.data != nil || small != nil {
			t.Errorf("%s: big on disk only %v, small in memory %v", when, disk != nil && disk.data == nil, small == nil)
		}
		if got, out := getBody(t, e.client, "out", "big"); !bytes.Equal(got, big) || aws.ToString(out.ETag) != etag {
			t.Errorf("%s: GET %d bytes, ETag %s", when, len(got), aws.ToString(out.ETag))
		}
		if got, _ := getBody(t, e.client, "out", "small"); string(got) != `{"state":"succeeded"}` {
			t.Errorf("%s: small object %q", when, got)
		}
		list, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("out"), Prefix: aws.String("big")})
		if err != nil || len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != int64(len(big)) || aws.ToString(list.Contents[0].ETag) != etag {
			t.Errorf("%s: listing %+v, %v", when, list.Contents, err)
		}
	}
	check(e, "stored")
	e.close()
	e = newEnv(t, envOpts{dir: dir})
	check(e, "after a restart")

	if err := put(e, "big", []byte("x"), `"not-the-etag"`); errCode(err) != "PreconditionFailed" {
		t.Errorf("If-Match with a wrong ETag: %v", err)
	}
	if err := put(e, "big", []byte("replaced"), etag); err != nil {
		t.Fatalf("If-Match with the stored ETag: %v", err)
	}
	if got, _ := getBody(t, e.client, "out", "big"); string(got) != "replaced" {
		t.Errorf("after a small overwrite: %q", got)
	}
	e.srv.store.vmu.RLock()
	if e.srv.store.onDisk["out"]["big"] != nil {
		t.Error("a small overwrite left the old body's on-disk entry")
	}
	e.srv.store.vmu.RUnlock()
	if err := put(e, "big", big, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("out"), Key: aws.String("big")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("out"), Key: aws.String("big")}); err == nil {
		t.Error("deleted object still answers HEAD")
	}
}
