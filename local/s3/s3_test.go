package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var ctx = context.Background()

func TestBucketAndObjectLifecycle(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https" // the SDK sends aws-chunked bodies with checksum trailers over TLS
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOpts{tls: tls})
			c := e.client
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
				t.Fatalf("CreateBucket: %v", err)
			}
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); errCode(err) != "BucketAlreadyExists" && errCode(err) != "BucketAlreadyOwnedByYou" {
				t.Fatalf("second CreateBucket: %v", err)
			}
			body := []byte("\xff\xd8 pretend jpeg")
			put, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("photos"), Key: aws.String("in/cat.jpg"),
				Body:         bytes.NewReader(body),
				ContentType:  aws.String("image/jpeg"),
				CacheControl: aws.String("max-age=60"),
				Metadata:     map[string]string{"owner": "alice", "upload-id": "u-1"},
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if sum := md5.Sum(body); aws.ToString(put.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
				t.Errorf("ETag %q is not the quoted MD5 of the body", aws.ToString(put.ETag))
			}
			// A body the SDK cannot seek is streamed as aws-chunked with a
			// checksum trailer; the SDK only does that over TLS.
			var stream io.Reader = strings.NewReader("streamed body")
			if tls {
				stream = io.NopCloser(stream)
			}
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("photos"), Key: aws.String("in/stream.bin"),
				Body: stream, ContentLength: aws.Int64(13),
			}); err != nil {
				t.Fatalf("PutObject with a non-seekable body: %v", err)
			}
			if got, _ := getBody(t, c, "photos", "in/stream.bin"); string(got) != "streamed body" {
				t.Errorf("streamed object reads back %q", got)
			}
			// gofakes3 alone stores every x-amz-* request header (signature
			// parts, security token) and aws-chunked as Content-Encoding, and
			// replays them on GET.
			req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/photos/in/stream.bin", nil)
			signS3(t, req, nil)
			resp, err := e.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for _, h := range []string{"X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Decoded-Content-Length", "X-Amz-Trailer", "X-Amz-Sdk-Checksum-Algorithm", "Content-Encoding", "Authorization"} {
				if v := resp.Header.Get(h); v != "" {
					t.Errorf("GET replays request header %s: %q", h, v)
				}
			}

			got, out := getBody(t, c, "photos", "in/cat.jpg")
			if !bytes.Equal(got, body) {
				t.Errorf("GetObject body %q, want %q", got, body)
			}
			if aws.ToString(out.ContentType) != "image/jpeg" || aws.ToString(out.CacheControl) != "max-age=60" {
				t.Errorf("ContentType %q CacheControl %q", aws.ToString(out.ContentType), aws.ToString(out.CacheControl))
			}
			if out.Metadata["owner"] != "alice" || out.Metadata["upload-id"] != "u-1" || len(out.Metadata) != 2 {
				t.Errorf("metadata %v, want exactly owner and upload-id", out.Metadata)
			}
			if aws.ToString(out.ETag) != aws.ToString(put.ETag) {
				t.Errorf("GET ETag %s != PUT ETag %s", aws.ToString(out.ETag), aws.ToString(put.ETag))
			}

			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("in/cat.jpg")})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(head.ContentLength) != int64(len(body)) || head.Metadata["owner"] != "alice" {
				t.Errorf("HeadObject length %d metadata %v", aws.ToInt64(head.ContentLength), head.Metadata)
			}
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("missing")}); errCode(err) != "NotFound" {
				t.Errorf("HeadObject on a missing key: %v", err)
			}
			if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("missing")}); errCode(err) != "NoSuchKey" {
				t.Errorf("GetObject on a missing key: %v", err)
			}

			// Copy keeps metadata by default and replaces it on request.
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String("photos"), Key: aws.String("out/cat copy.jpg"), CopySource: aws.String("photos/in/cat.jpg"),
			}); err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			got, out = getBody(t, c, "photos", "out/cat copy.jpg")
			if !bytes.Equal(got, body) || out.Metadata["owner"] != "alice" || aws.ToString(out.ContentType) != "image/jpeg" {
				t.Errorf("copied object: %q %v %q", got, out.Metadata, aws.ToString(out.ContentType))
			}
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String("photos"), Key: aws.String("out/replaced.jpg"), CopySource: aws.String("photos/in/cat.jpg"),
				MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"stage": "done"}, ContentType: aws.String("image/png"),
			}); err != nil {
				t.Fatalf("CopyObject REPLACE: %v", err)
			}
			_, out = getBody(t, c, "photos", "out/replaced.jpg")
			if len(out.Metadata) != 1 || out.Metadata["stage"] != "done" || aws.ToString(out.ContentType) != "image/png" {
				t.Errorf("REPLACE copy kept %v / %q, want only stage=done and image/png", out.Metadata, aws.ToString(out.ContentType))
			}
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String("photos"), Key: aws.String("in/cat.jpg"), CopySource: aws.String("photos/in/cat.jpg"),
			}); errCode(err) != "InvalidRequest" {
				t.Errorf("copy onto itself without REPLACE: %v", err)
			}

			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), Prefix: aws.String("in/")})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			var keys []string
			for _, o := range list.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			if strings.Join(keys, ",") != "in/cat.jpg,in/stream.bin" {
				t.Errorf("ListObjectsV2 prefix in/: %v", keys)
			}
			list, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), Delimiter: aws.String("/")})
			if err != nil {
				t.Fatalf("ListObjectsV2 delimiter: %v", err)
			}
			if len(list.CommonPrefixes) != 2 || len(list.Contents) != 0 {
				t.Errorf("ListObjectsV2 delimiter: %d prefixes, %d objects", len(list.CommonPrefixes), len(list.Contents))
			}
			page, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), MaxKeys: aws.Int32(2)})
			if err != nil || !aws.ToBool(page.IsTruncated) || len(page.Contents) != 2 {
				t.Fatalf("first page: %v truncated=%v n=%d", err, aws.ToBool(page.IsTruncated), len(page.Contents))
			}
			page, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), MaxKeys: aws.Int32(2), ContinuationToken: page.NextContinuationToken})
			if err != nil || aws.ToBool(page.IsTruncated) || len(page.Contents) != 2 {
				t.Fatalf("second page: %v truncated=%v n=%d", err, aws.ToBool(page.IsTruncated), len(page.Contents))
			}

			if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); errCode(err) != "BucketNotEmpty" {
				t.Errorf("DeleteBucket on a non-empty bucket: %v", err)
			}
			for _, k := range []string{"in/cat.jpg", "in/stream.bin", "out/cat copy.jpg", "out/replaced.jpg"} {
				if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String(k)}); err != nil {
					t.Fatalf("DeleteObject %s: %v", k, err)
				}
			}
			if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("in/cat.jpg")}); errCode(err) != "NoSuchKey" {
				t.Errorf("GetObject after delete: %v", err)
			}
			if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); err != nil {
				t.Fatalf("DeleteBucket: %v", err)
			}
			if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")}); errCode(err) != "NotFound" {
				t.Errorf("HeadBucket after delete: %v", err)
			}
		})
	}
}

func TestDeleteObjects(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e, "bkt")
	for _, k := range []string{"a", "b c", "d"} {
		if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bkt"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b c")}},
	}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if len(out.Deleted) != 2 {
		t.Errorf("deleted %d, want 2", len(out.Deleted))
	}
	list, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "d" {
		t.Fatalf("after DeleteObjects: %v %v", err, list.Contents)
	}
	e.close()
	e = newEnv(t, envOpts{dir: dir})
	list, err = e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("after restart, deleted objects came back: %v %d", err, len(list.Contents))
	}
}

func TestKeysWithSpacesAndUnicode(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads")
	keys := []string{"a b.jpg", "dir with space/ünïcødé 名前.png", "plus+sign=eq&amp;'quote'(1).jpg", "tilde~/x!y*z.gif"}
	for _, k := range keys {
		if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatalf("PutObject %q: %v", k, err)
		}
		if got, _ := getBody(t, e.client, "uploads", k); string(got) != k {
			t.Errorf("GetObject %q returned %q", k, got)
		}
	}
	list, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("uploads")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != len(keys) {
		t.Fatalf("listed %d keys, want %d", len(list.Contents), len(keys))
	}
	for _, o := range list.Contents {
		found := false
		for _, k := range keys {
			found = found || aws.ToString(o.Key) == k
		}
		if !found {
			t.Errorf("listed unexpected key %q", aws.ToString(o.Key))
		}
	}
}

func TestRangedGet(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	data := []byte("0123456789")
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ rng, want, contentRange string }{
		{"bytes=0-3", "0123", "bytes 0-3/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-2", "89", "bytes 8-9/10"},
		{"bytes=8-100", "89", "bytes 8-9/10"},
	} {
		out, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Range: aws.String(tc.rng)})
		if err != nil {
			t.Errorf("%s: %v", tc.rng, err)
			continue
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != tc.want || aws.ToString(out.ContentRange) != tc.contentRange || aws.ToInt64(out.ContentLength) != int64(len(tc.want)) {
			t.Errorf("%s: body %q Content-Range %q length %d; want %q %q", tc.rng, b, aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength), tc.want, tc.contentRange)
		}
	}
	_, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Range: aws.String("bytes=10-20")})
	if errCode(err) != "InvalidRange" {
		t.Errorf("range past the end: %v, want InvalidRange", err)
	}
}

func TestMultipartUpload(t *testing.T) {
	e := newEnv(t, envOpts{tls: true})
	mustBucket(t, e, "bkt")
	events := newSink()
	e.srv.Notify("bkt", "", events.handle)

	part1 := bytes.Repeat([]byte("a"), 5<<20)
	part2 := []byte("tail")
	up, err := e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String("bkt"), Key: aws.String("big file.bin"), ContentType: aws.String("application/x-test"),
		Metadata: map[string]string{"origin": "multipart"},
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var parts []types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		out, err := e.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String("bkt"), Key: aws.String("big file.bin"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p),
		})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := e.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("bkt"), Key: aws.String("big file.bin"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	got, out := getBody(t, e.client, "bkt", "big file.bin")
	if !bytes.Equal(got, append(append([]byte(nil), part1...), part2...)) {
		t.Errorf("assembled object is %d bytes, want %d", len(got), len(part1)+len(part2))
	}
	if out.Metadata["origin"] != "multipart" || aws.ToString(out.ContentType) != "application/x-test" {
		t.Errorf("multipart metadata %v content type %q", out.Metadata, aws.ToString(out.ContentType))
	}
	ev := events.wait(t, 1)
	if ev[0].EventName != "ObjectCreated:CompleteMultipartUpload" || ev[0].S3.Object.URLDecodedKey != "big file.bin" || ev[0].S3.Object.Size != int64(len(got)) {
		t.Errorf("event %s key %q size %d", ev[0].EventName, ev[0].S3.Object.URLDecodedKey, ev[0].S3.Object.Size)
	}

	// An aborted upload leaves nothing behind.
	up, err = e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("aborted")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("aborted"), UploadId: up.UploadId}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("aborted")}); errCode(err) != "NotFound" {
		t.Errorf("aborted upload: %v", err)
	}
}

func TestChecksums(t *testing.T) {
	e := newEnv(t, envOpts{tls: true})
	mustBucket(t, e, "bkt")
	body := []byte("checksummed bytes")
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
		key := "obj-" + string(alg)
		put, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("%s: PutObject: %v", alg, err)
		}
		_ = put
		out, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("%s: GetObject: %v", alg, err)
		}
		io.ReadAll(out.Body) // the SDK validates the checksum while reading
		out.Body.Close()
		var got string
		switch alg {
		case types.ChecksumAlgorithmCrc32:
			got = aws.ToString(out.ChecksumCRC32)
		case types.ChecksumAlgorithmCrc32c:
			got = aws.ToString(out.ChecksumCRC32C)
		case types.ChecksumAlgorithmSha1:
			got = aws.ToString(out.ChecksumSHA1)
		case types.ChecksumAlgorithmSha256:
			got = aws.ToString(out.ChecksumSHA256)
		case types.ChecksumAlgorithmCrc64nvme:
			got = aws.ToString(out.ChecksumCRC64NVME)
		}
		if got == "" {
			t.Errorf("%s: GetObject with checksum mode returned no checksum", alg)
		}
	}

	// A wrong checksum header is refused and nothing is stored.
	req, _ := http.NewRequest(http.MethodPut, e.http.URL+"/bkt/bad", bytes.NewReader(body))
	req.Header.Set("X-Amz-Checksum-Crc32", "AAAAAA==")
	signS3(t, req, body)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(rb), "<Code>BadDigest</Code>") {
		t.Errorf("wrong checksum: %d %s", resp.StatusCode, rb)
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("bad")}); errCode(err) != "NotFound" {
		t.Errorf("object with a bad checksum was stored: %v", err)
	}
}

func TestUnsupportedOperationsAre501(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"GetBucketAcl": func() error {
			_, err := e.client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("bkt")})
			return err
		},
		"PutBucketTagging": func() error {
			_, err := e.client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("bkt"), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("bkt")}}}})
			return err
		},
		"GetBucketPolicy": func() error {
			_, err := e.client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("bkt")})
			return err
		},
		"PutBucketNotificationConfiguration with a topic": func() error {
			_, err := e.client.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("bkt"), NotificationConfiguration: &types.NotificationConfiguration{
				TopicConfigurations: []types.TopicConfiguration{{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:t"), Events: []types.Event{"s3:ObjectCreated:*"}}}}})
			return err
		},
		"PutObject with tagging header": func() error {
			_, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("t"), Body: strings.NewReader("x"), Tagging: aws.String("a=b")})
			return err
		},
		"GetObject partNumber": func() error {
			_, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), PartNumber: aws.Int32(1)})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); errCode(err) != "NotImplemented" {
			t.Errorf("%s: %v, want NotImplemented", name, err)
		}
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("t")}); errCode(err) != "NotFound" {
		t.Errorf("refused tagged PutObject still stored the object: %v", err)
	}
}

func TestSignatureFailures(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	put := func(c *s3.Client) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("x")})
		return err
	}
	if got := errCode(put(e.newClient("test", "wrong-secret"))); got != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %s", got)
	}
	if got := errCode(put(e.newClient("AKIDUNKNOWN", "test"))); got != "InvalidAccessKeyId" {
		t.Errorf("unknown key: %s", got)
	}
	resp, err := e.hc.Get(e.http.URL + "/bkt/k")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/xml" ||
		!strings.Contains(string(body), "<Error><Code>AccessDenied</Code>") {
		t.Errorf("anonymous GET: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")}); errCode(err) != "NotFound" {
		t.Errorf("a rejected PUT stored the object: %v", err)
	}
}

func TestPresignedURLs(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	events := newSink()
	e.srv.Notify("bkt", "", events.handle)
	pc := s3.NewPresignClient(e.client)

	putReq, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("up loaded.jpg"), ContentType: aws.String("image/jpeg")},
		s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(putReq.Method, putReq.URL, strings.NewReader("jpeg!"))
	for k, v := range putReq.SignedHeader {
		req.Header[k] = v
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %d", resp.StatusCode)
	}
	if ev := events.wait(t, 1); ev[0].EventName != "ObjectCreated:Put" || ev[0].S3.Object.Key != "up+loaded.jpg" || ev[0].S3.Object.Size != 5 {
		t.Errorf("presigned PUT event: %+v", ev[0].S3.Object)
	}

	get := func(url string) (int, string) {
		resp, err := e.hc.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	getReq, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("up loaded.jpg")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if st, body := get(getReq.URL); st != 200 || body != "jpeg!" {
		t.Errorf("presigned GET: %d %s", st, body)
	}
	if st, body := get(strings.Replace(getReq.URL, "up%20loaded", "up%20loadee", 1)); st != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("tampered presigned GET: %d %s", st, body)
	}
	wrong, err := s3.NewPresignClient(e.newClient("nobody", "test")).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("up loaded.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if st, body := get(wrong.URL); st != 403 || !strings.Contains(body, "<Code>InvalidAccessKeyId</Code>") {
		t.Errorf("presigned GET with an unknown key: %d %s", st, body)
	}
	e.skew.Store(120) // two minutes later the one-minute URL has expired
	if st, body := get(getReq.URL); st != 403 || !strings.Contains(body, "<Code>AccessDenied</Code><Message>Request has expired</Message>") {
		t.Errorf("expired presigned GET: %d %s", st, body)
	}
}

func TestFaultInjection(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	e.srv.InjectFaults(1, http.StatusServiceUnavailable)
	resp, err := e.hc.Get(e.http.URL + "/bkt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "<Code>SlowDown</Code>") {
		t.Errorf("injected fault: %d %s", resp.StatusCode, body)
	}
	// The SDK retries InternalError, so two faults are absorbed by its retryer.
	e.srv.InjectFaults(2, http.StatusInternalServerError)
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Errorf("PutObject through two injected 500s: %v", err)
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")}); err != nil {
		t.Errorf("after faults: %v", err)
	}
}

func TestSmallerSurfaces(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")

	// AWS_ENDPOINT_URL=http://127.0.0.1:PORT without UsePathStyle: the SDK
	// picks path-style addressing for an IP endpoint by itself.
	plain := s3.New(s3.Options{Region: "us-east-1", Credentials: e.client.Options().Credentials, BaseEndpoint: aws.String(e.http.URL), HTTPClient: e.hc})
	if _, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("v1/a"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("client without UsePathStyle: %v", err)
	}

	v1, err := e.client.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("bkt"), Prefix: aws.String("v1/")})
	if err != nil || len(v1.Contents) != 1 || aws.ToString(v1.Contents[0].Key) != "v1/a" {
		t.Errorf("ListObjects v1: %v %v", err, v1)
	}

	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("acl"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead}); errCode(err) != "AccessControlListNotSupported" {
		t.Errorf("public-read ACL: %v", err)
	}
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("acl"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPrivate}); err != nil {
		t.Errorf("private ACL: %v", err)
	}

	mustBucket(t, e, "uploads", uploadsCORS)
	pp := grant(t, e, "r.jpg", map[string]string{"success_action_redirect": "http://127.0.0.1:8080/done?x=1"})
	e.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res := doPost(t, e, pp.URL, fieldsOf(pp, [2]string{"success_action_redirect", "http://127.0.0.1:8080/done?x=1"}), "r.jpg", []byte("img"))
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "http://127.0.0.1:8080/done?") ||
		!strings.Contains(res.header.Get("Location"), "key=r.jpg") || !strings.Contains(res.header.Get("Location"), "bucket=uploads") {
		t.Errorf("success_action_redirect: %d %q", res.status, res.header.Get("Location"))
	}
}

func TestConditionalRequests(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	put, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfNoneMatch: aws.String("*")}); errCode(err) != "PreconditionFailed" {
		t.Errorf("PutObject If-None-Match * on an existing key: %v", err)
	}
	if got, _ := getBody(t, e.client, "bkt", "k"); string(got) != "v1" {
		t.Errorf("failed conditional write changed the object to %q", got)
	}
	// Compare-and-swap, as the status records and the grant counters use it.
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("new"), Body: strings.NewReader("n"), IfNoneMatch: aws.String("*")}); err != nil {
		t.Errorf("PutObject If-None-Match * on a missing key: %v", err)
	}
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfMatch: aws.String(`"0000"`)}); errCode(err) != "PreconditionFailed" {
		t.Errorf("PutObject If-Match with a stale ETag: %v", err)
	}
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("missing"), Body: strings.NewReader("v"), IfMatch: put.ETag}); err == nil {
		t.Error("PutObject If-Match on a missing key succeeded")
	}
	put2, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfMatch: put.ETag})
	if err != nil {
		t.Fatalf("PutObject If-Match with the current ETag: %v", err)
	}
	if got, _ := getBody(t, e.client, "bkt", "k"); string(got) != "v2" {
		t.Errorf("conditional write with the current ETag left %q", got)
	}
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("v3"), IfMatch: put.ETag}); errCode(err) != "PreconditionFailed" {
		t.Errorf("PutObject If-Match with the ETag the last write replaced: %v", err)
	}
	put = put2
	if _, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfMatch: aws.String(`"0000"`)}); errCode(err) != "PreconditionFailed" {
		t.Errorf("GetObject If-Match with a stale ETag: %v", err)
	}
	if _, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfMatch: put.ETag}); err != nil {
		t.Errorf("GetObject If-Match with the current ETag: %v", err)
	}
	if _, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))}); errCode(err) != "PreconditionFailed" {
		t.Errorf("GetObject If-Unmodified-Since an hour ago: %v", err)
	}
	if _, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfNoneMatch: put.ETag}); errCode(err) != "NotModified" {
		t.Errorf("HeadObject If-None-Match with the current ETag: %v", err)
	}
}
