package websocket

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"thumbflow/upload"
)

func TestDisposition(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"holiday-thumb.jpg", `attachment; filename="holiday-thumb.jpg"`},
		{`say "hi"\-thumb.jpg`, `attachment; filename="say _hi__-thumb.jpg"; filename*=UTF-8''say%20%22hi%22%5C-thumb.jpg`},
		{"Ürlaub; 1,2-thumb.png", `attachment; filename="_rlaub; 1,2-thumb.png"; filename*=UTF-8''%C3%9Crlaub%3B%201%2C2-thumb.png`},
		{"a\r\nSet-Cookie: x-thumb.jpg", `attachment; filename="a__Set-Cookie: x-thumb.jpg"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x-thumb.jpg`},
	} {
		if got := Disposition(tc.name); got != tc.want {
			t.Errorf("Disposition(%q)\n = %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestDownloadName(t *testing.T) {
	for _, tc := range []struct{ original, rendition, typ, want string }{
		{"holiday.jpg", "thumb", "image/jpeg", "holiday-thumb.jpg"},
		{"scan.tiff", "preview", "image/png", "scan-preview.png"},
		{"../../etc/passwd", "thumb", "image/jpeg", ".._.._etc_passwd-thumb.jpg"},
		{".hidden", "thumb", "image/png", ".hidden-thumb.png"},
		{"", "thumb", "", "image-thumb"},
		{"...", "thumb", "image/jpeg", "image-thumb.jpg"},
	} {
		if got := DownloadName(tc.original, tc.rendition, tc.typ); got != tc.want {
			t.Errorf("DownloadName(%q, %q, %q) = %q, want %q", tc.original, tc.rendition, tc.typ, got, tc.want)
		}
	}
}

func (f *fixture) s3(t *testing.T) *s3.Client {
	t.Helper()
	c := f.store.Client.(*s3.Client)
	f.h.Objects = c
	return c
}

func (f *fixture) succeed(t *testing.T, id string) {
	t.Helper()
	c := f.s3(t)
	ctx := context.Background()
	for _, name := range []string{"thumb", "preview"} {
		put(t, c, "output", upload.RenditionKey(id, name), "rendition "+name)
	}
	for _, u := range []upload.Update{
		{UploadID: id, State: upload.StateUploaded},
		{UploadID: id, State: upload.StateConverting},
		{UploadID: id, State: upload.StateSucceeded, Renditions: []upload.Rendition{
			{Name: "thumb", Width: 320, Height: 240, ContentType: "image/png", Key: upload.RenditionKey(id, "thumb")},
			{Name: "preview", Width: 1024, Height: 768, ContentType: "image/jpeg", Key: upload.RenditionKey(id, "preview")},
		}},
	} {
		if _, err := f.pub.Publish(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

func put(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func decode[T any](t *testing.T, m map[string]any) T {
	t.Helper()
	var v T
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLinksSaveUnderTheOriginalName(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "c1")
	f.succeed(t, g.UploadID)
	body, _ := json.Marshal(map[string]string{"action": "links", "requestId": "l1", "uploadId": g.UploadID, "token": g.Token, "name": "Ürlaub.heic"})
	got := decode[LinksMessage](t, f.send(t, "c2", "$default", string(body)))
	if got.Type != "links" || got.RequestID != "l1" || got.UploadID != g.UploadID || got.Links.ExpiresAt.IsZero() {
		t.Fatalf("answer = %+v", got)
	}
	res, text := get(t, got.Links.Renditions["thumb"])
	want := `attachment; filename="_rlaub-thumb.png"; filename*=UTF-8''%C3%9Crlaub-thumb.png`
	if res.StatusCode != 200 || text != "rendition thumb" || res.Header.Get("Content-Disposition") != want {
		t.Errorf("GET thumb: %d %q, Content-Disposition %q; want 200 and %s", res.StatusCode, text, res.Header.Get("Content-Disposition"), want)
	}
	if res, _ := get(t, got.Links.Renditions["preview"]); res.Header.Get("Content-Disposition") != `attachment; filename="_rlaub-preview.jpg"; filename*=UTF-8''%C3%9Crlaub-preview.jpg` {
		t.Errorf("preview Content-Disposition = %q", res.Header.Get("Content-Disposition"))
	}

	body, _ = json.Marshal(map[string]string{"action": "links", "uploadId": g.UploadID, "token": "forged" + g.Token})
	if m := f.send(t, "c2", "$default", string(body)); m["code"] != "InvalidToken" {
		t.Errorf("forged token: %v, want InvalidToken", m)
	}
}

func TestDeleteRemovesOriginalRenditionsAndRecords(t *testing.T) {
	f := newFixture(t)
	c := f.s3(t)
	ctx := context.Background()
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("uploads"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	g := f.grant(t, "c1")
	other := f.grant(t, "c1")
	for _, id := range []string{g.UploadID, other.UploadID} {
		put(t, c, "uploads", upload.OriginalKey(id), "v1")
		put(t, c, "uploads", upload.OriginalKey(id), "v2") // a replayed grant: a second version
	}
	f.send(t, "c2", "subscribe", mustJSON(map[string]string{"action": "subscribe", "uploadId": g.UploadID, "token": g.Token}))

	// In progress: refused, nothing removed.
	if _, err := f.pub.Publish(ctx, upload.Update{UploadID: g.UploadID, State: upload.StateUploaded}); err != nil {
		t.Fatal(err)
	}
	del := mustJSON(map[string]string{"action": "delete", "requestId": "d1", "uploadId": g.UploadID, "token": g.Token})
	if m := f.send(t, "c1", "$default", del); m["code"] != "UploadInProgress" {
		t.Fatalf("delete while converting: %v, want UploadInProgress", m)
	}
	f.succeed(t, g.UploadID)
	f.succeed(t, other.UploadID)
	linksBefore := decode[LinksMessage](t, f.send(t, "c1", "$default", mustJSON(map[string]string{"action": "links", "uploadId": g.UploadID, "token": g.Token})))

	if m := f.send(t, "c1", "$default", del); m["type"] != "deleted" || m["requestId"] != "d1" || m["uploadId"] != g.UploadID {
		t.Fatalf("delete: %v", m)
	}
	for name, url := range linksBefore.Links.Renditions {
		if res, _ := get(t, url); res.StatusCode != 404 {
			t.Errorf("rendition %s after delete: HTTP %d, want 404", name, res.StatusCode)
		}
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("uploads")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Versions {
		if strings.Contains(aws.ToString(v.Key), g.UploadID) {
			t.Errorf("version %s of %s survived the delete", aws.ToString(v.VersionId), aws.ToString(v.Key))
		}
	}
	if len(vs.Versions) != 2 || len(vs.DeleteMarkers) != 0 {
		t.Errorf("uploads bucket keeps %d versions and %d delete markers; want only the other upload's 2", len(vs.Versions), len(vs.DeleteMarkers))
	}
	for _, bucket := range []string{"output", "records"} {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, o := range out.Contents {
			if strings.Contains(aws.ToString(o.Key), g.UploadID) {
				t.Errorf("s3://%s/%s survived the delete", bucket, aws.ToString(o.Key))
			}
			if strings.Contains(aws.ToString(o.Key), other.UploadID) {
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("the delete removed the other upload's objects in %s too", bucket)
		}
	}
	// Repeating it is harmless: the client may not have seen the answer.
	if m := f.send(t, "c1", "$default", del); m["type"] != "deleted" {
		t.Errorf("second delete: %v", m)
	}
}

// TestLinksAndDeleteNameTheFieldAtFault: a field of the wrong type is the
// message parser's to answer (routes.go), before these actions run.
func TestLinksAndDeleteNameTheFieldAtFault(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "c1")
	for _, tc := range []struct{ body, code, mention string }{
		{`{"action":"links","requestId":"x","uploadId":"` + g.UploadID + `"}`, "InvalidRequest", `"token" is missing`},
		{`{"action":"delete","requestId":"x","token":"t"}`, "InvalidRequest", `"uploadId" is missing`},
		{`{"action":"delete","requestId":"x","uploadId":"nope","token":"t"}`, "InvalidRequest", "uploadId"},
	} {
		m := f.send(t, "c1", "$default", tc.body)
		if m["code"] != tc.code || m["requestId"] != "x" || !strings.Contains(m["message"].(string), tc.mention) {
			t.Errorf("%s: answer %v, want %s mentioning %s", tc.body, m, tc.code, tc.mention)
		}
	}
}

func TestPing(t *testing.T) {
	f := newFixture(t)
	if m := f.send(t, "c1", "$default", `{"action":"ping","requestId":"hb1"}`); m["type"] != "pong" || m["requestId"] != "hb1" {
		t.Errorf("ping: %v", m)
	}
}

func mustJSON(v any) string {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(v)
	return strings.TrimSpace(b.String())
}
