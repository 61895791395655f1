package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/upload"
)

// StepFunctions is the part of the sfn client Start calls.
type StepFunctions interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// ObjectHeader is the part of the S3 client Start calls: the event does
// not carry the object's content type, the workflow needs it.
type ObjectHeader interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// Publisher records and pushes status changes (upload.Publisher).
type Publisher interface {
	Publish(ctx context.Context, u upload.Update, sfnError, sfnCause string) (upload.Record, error)
}

// Start turns S3 object-created events into executions.
type Start struct {
	SFN             StepFunctions
	S3              ObjectHeader
	Publisher       Publisher
	StateMachineARN string
	Log             *slog.Logger
}

// Job is the execution input: everything the workflow needs about the
// original, so no step has to guess a key.
type Job struct {
	UploadID    string `json:"uploadId"`
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ContentType string `json:"contentType"`
	// ETag and VersionID identify the object the event announced; the
	// version id is empty where the bucket is not versioned.
	ETag      string `json:"eTag"`
	VersionID string `json:"versionId"`
}

// Handle starts one execution per created original. It returns an error
// only for failures worth a redelivery of the event; objects it does not
// own are logged and skipped.
func (h *Start) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := h.startOne(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Start) startOne(ctx context.Context, rec events.S3EventRecord) error {
	log := logger(h.Log)
	// Keys in S3 events are URL-encoded, with '+' for spaces.
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		log.Warn("ignoring object with an undecodable key", "key", rec.S3.Object.Key, "error", err)
		return nil
	}
	id, ok := upload.IDFromOriginalKey(key)
	if !ok {
		log.Info("ignoring object outside the uploads prefix", "bucket", rec.S3.Bucket.Name, "key", key)
		return nil
	}
	log = log.With("uploadId", id)
	bucket := rec.S3.Bucket.Name
	head, err := h.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("upload %s: head s3://%s/%s: %w", id, bucket, key, err)
	}
	job := Job{
		UploadID:    id,
		Bucket:      bucket,
		Key:         key,
		Size:        rec.S3.Object.Size,
		ContentType: aws.ToString(head.ContentType),
		ETag:        rec.S3.Object.ETag,
		VersionID:   rec.S3.Object.VersionID,
	}
	name := upload.ExecutionName(id, job.VersionID, job.ETag)
	arn, err := upload.ExecutionARN(h.StateMachineARN, name)
	if err != nil {
		return fmt.Errorf("upload %s: %w", id, err)
	}
	cur, err := h.Publisher.Publish(ctx, upload.Update{UploadID: id, State: upload.StateUploaded, ExecutionARN: arn}, "", "")
	if err != nil {
		return fmt.Errorf("upload %s: record uploaded: %w", id, err)
	}
	if cur.ExecutionARN != arn {
		// One grant, one conversion: a second object under the same key
		// (the grant replayed before it expired) starts nothing, and the
		// upload keeps the outcome of its first object.
		log.Warn("ignoring another object for an upload that already has an execution",
			"executionArn", cur.ExecutionARN, "ignoredExecutionName", name, "state", cur.State)
		return nil
	}
	input, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("upload %s: encode input: %w", id, err)
	}
	out, err := h.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(h.StateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		// The same object was announced twice: S3 delivers at least once.
		log.Info("execution already exists for this object; duplicate event ignored", "executionName", name)
		return nil
	case err != nil:
		return fmt.Errorf("upload %s: start execution %s: %w", id, name, err)
	}
	log.Info("execution started", "executionArn", aws.ToString(out.ExecutionArn), "size", job.Size, "contentType", job.ContentType)
	return nil
}

func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
