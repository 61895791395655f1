package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"thumbflow/upload"
)

// Markers keeps the sweeper's pending markers as empty objects under
// upload.PendingPrefix in the records bucket: the object's LastModified is
// when the grant was issued, so a marker needs no body. It implements
// upload.PendingMarkers.
type Markers struct {
	Client API
	Bucket string
}

// Mark records that upload id has a grant and no terminal status.
func (m *Markers) Mark(ctx context.Context, id string) error {
	_, err := m.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String(upload.PendingKey(id)), Body: bytes.NewReader(nil)})
	if err != nil {
		return fmt.Errorf("mark upload %s pending: %w", id, err)
	}
	return nil
}

// Pending lists every marker, page by page.
func (m *Markers) Pending(ctx context.Context) ([]upload.Pending, error) {
	var out []upload.Pending
	in := &s3.ListObjectsV2Input{Bucket: aws.String(m.Bucket), Prefix: aws.String(upload.PendingPrefix)}
	for {
		page, err := m.Client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list pending markers: %w", err)
		}
		for _, o := range page.Contents {
			id := strings.TrimPrefix(aws.ToString(o.Key), upload.PendingPrefix)
			out = append(out, upload.Pending{UploadID: id, Since: aws.ToTime(o.LastModified)})
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// Clear deletes the marker of upload id.
func (m *Markers) Clear(ctx context.Context, id string) error {
	_, err := m.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String(upload.PendingKey(id))})
	if err != nil {
		return fmt.Errorf("clear pending marker of %s: %w", id, err)
	}
	return nil
}

// StoredOriginals finds an upload's original in the uploads bucket by its
// key, for the sweeper. It implements upload.StoredOriginals.
type StoredOriginals struct {
	Client OriginalsAPI
	Bucket string
}

// Original reports the current original of id and when it was stored.
func (o *StoredOriginals) Original(ctx context.Context, id string) (upload.Object, time.Time, bool, error) {
	key := upload.OriginalKey(id)
	out, err := o.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key)})
	if nf := (*types.NotFound)(nil); errors.As(err, &nf) {
		return upload.Object{}, time.Time{}, false, nil
	}
	if err != nil {
		return upload.Object{}, time.Time{}, false, fmt.Errorf("head s3://%s/%s: %w", o.Bucket, key, err)
	}
	obj := upload.Object{Bucket: o.Bucket, Key: key, Size: aws.ToInt64(out.ContentLength),
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), VersionID: aws.ToString(out.VersionId)}
	return obj, aws.ToTime(out.LastModified), true, nil
}
