package s3store

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
)

// The sweeper's adapters list only pending markers and find an original by
// its key, on gofakes3 and on the local S3.
func TestMarkersAndStoredOriginals(t *testing.T) {
	ctx := context.Background()
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			m := &Markers{Client: c, Bucket: "records"}
			a, b := upload.NewID(), upload.NewID()
			for _, id := range []string{a, b} {
				if err := m.Mark(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("records"), Key: aws.String(upload.StatusKey(a)), Body: strings.NewReader("{}")}); err != nil {
				t.Fatal(err)
			}
			if err := m.Clear(ctx, a); err != nil {
				t.Fatal(err)
			}
			got, err := m.Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].UploadID != b || got[0].Since.IsZero() {
				t.Errorf("pending %+v, want only %s with its time", got, b)
			}

			o := &StoredOriginals{Client: c, Bucket: "records"}
			if _, _, ok, err := o.Original(ctx, b); ok || err != nil {
				t.Errorf("original before upload: %v, %v", ok, err)
			}
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("records"), Key: aws.String(upload.OriginalKey(b)), Body: strings.NewReader("12345")}); err != nil {
				t.Fatal(err)
			}
			obj, at, ok, err := o.Original(ctx, b)
			if !ok || err != nil || obj.Key != upload.OriginalKey(b) || obj.Size != 5 || obj.ETag == "" || at.IsZero() {
				t.Errorf("original: %+v at %v, %v, %v", obj, at, ok, err)
			}
		})
	}
}
