package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"thumbflow/thumbnail"
)

// Originals opens stored originals. Size is the stored length, so an
// oversized original is refused before its bytes are read.
type Originals interface {
	OpenOriginal(ctx context.Context, obj Object) (body io.ReadCloser, size int64, err error)
}

// RenditionWriter stores one rendition under key.
type RenditionWriter interface {
	PutRendition(ctx context.Context, key, contentType string, data []byte) error
}

// StatusPublisher records and pushes a status change (Publisher).
type StatusPublisher interface {
	Publish(ctx context.Context, u Update) (Record, error)
}

// Converter turns one upload's original into its renditions. Its errors
// are typed for the state machine: thumbnail's permanent errors,
// *ContentTypeMismatch and *InvalidTaskInput go straight to the failure
// path, *thumbnail.TransientError is retried.
type Converter struct {
	Originals  Originals
	Renditions RenditionWriter
	Spec       thumbnail.Spec
	Publisher  StatusPublisher
	Log        *slog.Logger
}

// Attempt is one try at converting a job, as the workflow makes it.
type Attempt struct {
	Job
	// Execution is the name of the execution making the attempt.
	Execution string
	// StepRetries is the Convert task's $$.State.RetryCount, for the logs
	// only: it counts throttled tries (which never reach the converter)
	// as well as failed runs, so it is never what the user is told. The
	// attempt the user sees is the record's run count (Record.Runs).
	StepRetries int
}

// Convert reads the original with the size limit, checks its type against
// the one the grant declared, converts it and writes the renditions.
func (c *Converter) Convert(ctx context.Context, a Attempt) ([]Rendition, error) {
	log := logger(c.Log).With("uploadId", a.UploadID)
	if err := a.check(); err != nil {
		// Only the start function builds this input; anything else is a
		// bug or a hand-made execution, and retrying cannot help.
		log.Error("conversion refused", "code", CodeInvalidTaskInput, "error", err)
		return nil, err
	}
	data, err := c.read(ctx, a.Object())
	log = c.countRun(ctx, log, a)
	if err != nil {
		return nil, err
	}
	if found, ok := thumbnail.Detect(data); ok && a.ContentType != "" && !thumbnail.DeclaredMatches(found, a.ContentType) {
		err := &ContentTypeMismatch{Declared: a.ContentType, Found: thumbnail.ContentType(found)}
		log.Info("conversion refused", "code", CodeContentTypeMismatch, "declared", a.ContentType, "found", err.Found)
		return nil, err
	}
	start := time.Now()
	res, err := thumbnail.Convert(ctx, data, c.Spec)
	if err != nil {
		// The user reads err's message; the decoder's detail is for us.
		log.Info("conversion failed", "code", thumbnail.Code(err), "error", err, "detail", errors.Unwrap(err))
		return nil, err
	}
	out := make([]Rendition, 0, len(res.Renditions))
	for _, r := range res.Renditions {
		key := RenditionKey(a.UploadID, r.Name)
		if err := c.Renditions.PutRendition(ctx, key, r.ContentType, r.Data); err != nil {
			return nil, storageError("write rendition "+r.Name, err)
		}
		out = append(out, Rendition{
			Name: r.Name, Width: r.Width, Height: r.Height, ContentType: r.ContentType, Bytes: int64(len(r.Data)), Key: key,
		})
	}
	log.Info("converted", "format", res.Format, "width", res.Width, "height", res.Height,
		"renditions", len(out), "ms", time.Since(start).Milliseconds())
	return out, nil
}

// countRun records that a real run has begun (a run update), so that
// from the second run of a generation on the user sees "retrying
// (attempt n)", n the runs; it returns log with the run's number. Only
// the handler sees real runs: a throttled try never gets this far. The
// run is counted after the original's read, whatever its outcome, so an
// S3 blip that fails the read (the run's first request, and the usual
// transient failure) has usually passed when the count is written. A
// failure to count must not stop the work: it is logged, and the next
// run then shows one attempt fewer.
func (c *Converter) countRun(ctx context.Context, log *slog.Logger, a Attempt) *slog.Logger {
	rec, err := c.Publisher.Publish(ctx, Update{UploadID: a.UploadID, State: StateConverting, Run: true, Execution: a.Execution})
	if err != nil {
		log.Warn("could not record the conversion run", "stepRetries", a.StepRetries, "error", err)
		return log.With("stepRetries", a.StepRetries)
	}
	return log.With("run", rec.Runs, "stepRetries", a.StepRetries)
}

// read fetches the original, reading at most one byte past the limit so
// an oversized object is refused without being held in memory.
func (c *Converter) read(ctx context.Context, obj Object) ([]byte, error) {
	limit := c.Spec.Limits.MaxBytes
	if limit <= 0 {
		limit = thumbnail.DefaultMaxBytes
	}
	body, size, err := c.Originals.OpenOriginal(ctx, obj)
	if err != nil {
		return nil, storageError(fmt.Sprintf("get s3://%s/%s", obj.Bucket, obj.Key), err)
	}
	defer body.Close()
	if size > limit {
		return nil, &thumbnail.FileTooLarge{Size: size, Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, &thumbnail.TransientError{Op: "read original", Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &thumbnail.FileTooLarge{Size: max(size, int64(len(data))), Limit: limit}
	}
	return data, nil
}
