package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// ErrExecutionExists is what Executions.Start returns when an execution
// of that name exists already: the same object was announced twice.
var ErrExecutionExists = errors.New("execution already exists")

// ObjectTypes reads the content type an original was stored with; the
// storage event does not carry it, and the workflow needs it.
type ObjectTypes interface {
	ContentType(ctx context.Context, obj Object) (string, error)
}

// Executions starts workflow executions.
type Executions interface {
	// StateMachineARN is the workflow the executions belong to.
	StateMachineARN() string
	// Start starts an execution named name with input, or returns
	// ErrExecutionExists.
	Start(ctx context.Context, name string, input []byte) error
}

// Starter claims an upload for the first original stored under its key and
// starts the execution that converts it: one grant, one conversion.
type Starter struct {
	Types      ObjectTypes
	Executions Executions
	Publisher  StatusPublisher
	Log        *slog.Logger
}

// Start starts the conversion of obj. It returns an error only for
// failures worth a redelivery of the event; objects outside the uploads
// prefix are logged and skipped.
func (s *Starter) Start(ctx context.Context, obj Object) error {
	log := logger(s.Log)
	id, ok := IDFromOriginalKey(obj.Key)
	if !ok {
		log.Info("ignoring object outside the uploads prefix", "bucket", obj.Bucket, "key", obj.Key)
		return nil
	}
	log = log.With("uploadId", id)
	contentType, err := s.Types.ContentType(ctx, obj)
	if err != nil {
		return fmt.Errorf("upload %s: read the type of s3://%s/%s: %w", id, obj.Bucket, obj.Key, err)
	}
	job := Job{
		UploadID: id, Bucket: obj.Bucket, Key: obj.Key, Size: obj.Size, ContentType: contentType,
		ETag: obj.ETag, VersionID: obj.VersionID,
	}
	name := ExecutionName(id, job.VersionID, job.ETag)
	arn, err := ExecutionARN(s.Executions.StateMachineARN(), name)
	if err != nil {
		return fmt.Errorf("upload %s: %w", id, err)
	}
	cur, err := s.Publisher.Publish(ctx, Update{UploadID: id, State: StateUploaded, Execution: name})
	if err != nil {
		return fmt.Errorf("upload %s: record uploaded: %w", id, err)
	}
	if cur.Execution != name {
		// One grant, one conversion: a second object under the same key
		// (the grant replayed before it expired) starts nothing, and the
		// upload keeps the outcome of its first object.
		log.Warn("ignoring another object for an upload that already has an execution",
			"executionName", cur.Execution, "ignoredExecutionName", name, "state", cur.State)
		return nil
	}
	input, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("upload %s: encode input: %w", id, err)
	}
	switch err := s.Executions.Start(ctx, name, input); {
	case errors.Is(err, ErrExecutionExists):
		// S3 delivers at least once.
		log.Info("execution already exists for this object; duplicate event ignored", "executionName", name)
		return nil
	case err != nil:
		return fmt.Errorf("upload %s: start execution %s: %w", id, name, err)
	}
	log.Info("execution started", "executionArn", arn, "size", job.Size, "contentType", job.ContentType)
	return nil
}
