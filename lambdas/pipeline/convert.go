package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/thumbnail"
	"thumbflow/upload"
)

// ObjectStore is the part of the S3 client Convert calls.
type ObjectStore interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// ContentTypeMismatch is a permanent error: the browser declared one type
// and sent another. Its Go type name is the Step Functions error name.
type ContentTypeMismatch struct {
	Declared, Found string
}

func (e *ContentTypeMismatch) Error() string {
	return fmt.Sprintf("The file was sent as %s but is a %s image. Upload it again and let the browser declare its real type.", e.Declared, e.Found)
}

// Convert reads an original, converts it and writes the renditions to the
// output bucket, which has no notification, so a write can never start
// the pipeline again.
type Convert struct {
	S3           ObjectStore
	OutputBucket string
	Spec         thumbnail.Spec
	Publisher    Publisher
	Log          *slog.Logger
}

// ConvertInput is the Convert task's payload.
type ConvertInput struct {
	Job
	// RetryCount is $$.State.RetryCount: 0 on the first attempt.
	RetryCount   int    `json:"retryCount"`
	ExecutionARN string `json:"executionArn"`
}

// ConvertOutput lists the renditions written.
type ConvertOutput struct {
	Renditions []upload.Rendition `json:"renditions"`
}

// Handle converts one original. Its errors are typed for the state
// machine: the converter's permanent errors and *ContentTypeMismatch go
// straight to the failure path, *thumbnail.TransientError is retried.
func (h *Convert) Handle(ctx context.Context, in ConvertInput) (ConvertOutput, error) {
	log := logger(h.Log).With("uploadId", in.UploadID)
	if !upload.ValidID(in.UploadID) || in.Key != upload.OriginalKey(in.UploadID) {
		// Only the start handler builds this input; anything else is a bug
		// or a hand-made execution, and retrying cannot help.
		return ConvertOutput{}, &thumbnail.CorruptImage{Err: fmt.Errorf("input names key %q for upload %q", in.Key, in.UploadID)}
	}
	if in.RetryCount > 0 {
		// Make the retry visible; a failure to tell must not stop the work.
		u := upload.Update{UploadID: in.UploadID, State: upload.StateRetrying, Attempt: in.RetryCount + 1, ExecutionARN: in.ExecutionARN}
		if _, err := h.Publisher.Publish(ctx, u, "", ""); err != nil {
			log.Warn("could not publish retrying status", "attempt", in.RetryCount+1, "error", err)
		}
	}
	data, err := h.read(ctx, in)
	if err != nil {
		return ConvertOutput{}, err
	}
	if found, ok := thumbnail.Detect(data); ok && in.ContentType != "" && thumbnail.ContentType(found) != in.ContentType {
		err := &ContentTypeMismatch{Declared: in.ContentType, Found: thumbnail.ContentType(found)}
		log.Info("conversion refused", "code", "ContentTypeMismatch", "declared", in.ContentType, "found", err.Found)
		return ConvertOutput{}, err
	}
	start := time.Now()
	res, err := thumbnail.Convert(ctx, data, h.Spec)
	if err != nil {
		// The user reads err's message; the decoder's detail is for us.
		log.Info("conversion failed", "code", thumbnail.Code(err), "error", err, "detail", errors.Unwrap(err), "attempt", in.RetryCount+1)
		return ConvertOutput{}, err
	}
	out := ConvertOutput{Renditions: make([]upload.Rendition, 0, len(res.Renditions))}
	for _, r := range res.Renditions {
		key := upload.RenditionKey(in.UploadID, r.Name)
		_, err := h.S3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(h.OutputBucket),
			Key:         aws.String(key),
			Body:        bytes.NewReader(r.Data),
			ContentType: aws.String(r.ContentType),
			// Renditions never change for an upload id.
			CacheControl: aws.String("private, max-age=31536000, immutable"),
		})
		if err != nil {
			return ConvertOutput{}, &thumbnail.TransientError{Op: "write rendition " + r.Name, Err: err}
		}
		out.Renditions = append(out.Renditions, upload.Rendition{
			Name: r.Name, Width: r.Width, Height: r.Height, ContentType: r.ContentType, Bytes: int64(len(r.Data)), Key: key,
		})
	}
	log.Info("converted", "format", res.Format, "width", res.Width, "height", res.Height,
		"renditions", len(out.Renditions), "ms", time.Since(start).Milliseconds())
	return out, nil
}

// read fetches the original, reading at most one byte past the limit so
// an oversized object is refused without being held in memory.
func (h *Convert) read(ctx context.Context, in ConvertInput) ([]byte, error) {
	limit := h.Spec.Limits.MaxBytes
	if limit <= 0 {
		limit = thumbnail.DefaultMaxBytes
	}
	get := &s3.GetObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(in.Key)}
	if in.VersionID != "" {
		get.VersionId = aws.String(in.VersionID) // the object that was announced, even if replaced since
	}
	obj, err := h.S3.GetObject(ctx, get)
	if err != nil {
		return nil, &thumbnail.TransientError{Op: fmt.Sprintf("get s3://%s/%s", in.Bucket, in.Key), Err: err}
	}
	defer obj.Body.Close()
	if n := aws.ToInt64(obj.ContentLength); n > limit {
		return nil, &thumbnail.FileTooLarge{Size: n, Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(obj.Body, limit+1))
	if err != nil {
		return nil, &thumbnail.TransientError{Op: "read original", Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &thumbnail.FileTooLarge{Size: max(aws.ToInt64(obj.ContentLength), int64(len(data))), Limit: limit}
	}
	return data, nil
}
