package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"net/url"

	"github.com/aws/aws-lambda-go/events"

	"thumbflow/upload"
)

// Start turns S3 object-created events into conversions.
type Start struct {
	Starter *upload.Starter
	Log     *slog.Logger
}

// Handle starts one conversion per created original. It returns an error
// only for failures worth a redelivery of the event.
func (h *Start) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, rec := range ev.Records {
		// Keys in S3 events are URL-encoded, with '+' for spaces.
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			logger(h.Log).Warn("ignoring object with an undecodable key", "key", rec.S3.Object.Key, "error", err)
			continue
		}
		obj := upload.Object{
			Bucket: rec.S3.Bucket.Name, Key: key, Size: rec.S3.Object.Size,
			ETag: rec.S3.Object.ETag, VersionID: rec.S3.Object.VersionID,
		}
		if err := h.Starter.Start(ctx, obj); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
