package websocket

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
)

// Objects is the part of the S3 client "delete" calls. Originals live in a
// versioned bucket, so removing one means removing each of its versions
// (and delete markers); a plain DeleteObject would only hide it.
type Objects interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// DeletedMessage answers "delete".
type DeletedMessage struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId,omitempty"`
	UploadID  string `json:"uploadId"`
}

// deleteAction removes everything the service keeps about one upload: the
// original (every version), the renditions, the status and failure
// records and the subscriptions. The token is the only authority needed,
// as for watching: the session lives on the client.
//
// An upload still being converted is refused, because the running
// execution would write renditions and records again after the delete.
func (h *Handler) deleteAction(ctx context.Context, log *slog.Logger, requestID, body string) any {
	req, bad := readTokenRequest(requestID, body)
	if bad != nil {
		return *bad
	}
	if msg := h.checkToken(log, req); msg != nil {
		return msg
	}
	id := req.UploadID
	log = log.With("uploadId", id)
	rec, ok, err := h.Store.GetStatus(ctx, id)
	if err != nil {
		log.Error("could not read status", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not delete the upload; please try again.")
	}
	if ok && !rec.State.Terminal() {
		return errorMsg(req.RequestID, "UploadInProgress", "This image is still being converted. Delete it once it is done or failed.")
	}
	if err := h.deleteAll(ctx, id); err != nil {
		log.Error("could not delete upload", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not delete the upload; please try again.")
	}
	log.Info("upload deleted")
	return DeletedMessage{Type: "deleted", RequestID: req.RequestID, UploadID: id}
}

// deleteAll deletes the status record last, so that a delete cut short is
// repeated by the client against an upload that still says where it stood.
func (h *Handler) deleteAll(ctx context.Context, id string) error {
	if h.Objects == nil {
		return fmt.Errorf("no S3 client for deleting")
	}
	if err := h.deleteVersions(ctx, h.UploadsBucket, upload.OriginalKey(id)); err != nil {
		return err
	}
	var keys []bucketKey
	for _, name := range h.Renditions {
		keys = append(keys, bucketKey{h.OutputBucket, upload.RenditionKey(id, name)})
	}
	keys = append(keys, bucketKey{h.RecordsBucket, upload.FailureKey(id)}, bucketKey{h.RecordsBucket, upload.PendingKey(id)})
	subs, err := h.list(ctx, h.RecordsBucket, upload.SubscriptionKey(id, ""))
	if err != nil {
		return err
	}
	for _, k := range subs {
		keys = append(keys, bucketKey{h.RecordsBucket, k})
	}
	keys = append(keys, bucketKey{h.RecordsBucket, upload.StatusKey(id)})
	for _, k := range keys {
		// Deleting a missing key succeeds, so a repeated delete is harmless.
		if _, err := h.Objects.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key)}); err != nil {
			return fmt.Errorf("delete s3://%s/%s: %w", k.bucket, k.key, err)
		}
	}
	return nil
}

type bucketKey struct{ bucket, key string }

func (h *Handler) deleteVersions(ctx context.Context, bucket, key string) error {
	p := s3.NewListObjectVersionsPaginator(h.Objects, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list versions of s3://%s/%s: %w", bucket, key, err)
		}
		var versions []*string
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == key {
				versions = append(versions, v.VersionId)
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				versions = append(versions, m.VersionId)
			}
		}
		for _, v := range versions {
			if _, err := h.Objects.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: v}); err != nil {
				return fmt.Errorf("delete s3://%s/%s version %s: %w", bucket, key, aws.ToString(v), err)
			}
		}
	}
	return nil
}

func (h *Handler) list(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(h.Objects, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}
