package pipeline

import (
	"context"
	"fmt"
	"io"

	"thumbflow/upload"
)

// Status records a change of state and pushes it to subscribers. The state
// machine calls it for converting, succeeded and failed.
type Status struct {
	Publisher upload.StatusPublisher
	// Metrics receives one embedded-metric-format line per terminal
	// record (Lambda's stdout, which CloudWatch Logs turns into the
	// metrics template.yaml's alarms watch); nil publishes none.
	Metrics io.Writer
}

// StatusInput is the Status task's payload.
type StatusInput struct {
	UploadID     string             `json:"uploadId"`
	State        upload.State       `json:"state"`
	ExecutionARN string             `json:"executionArn"`
	Renditions   []upload.Rendition `json:"renditions,omitempty"`
	// Error is the Catch output ({"Error", "Cause"}) on the failure path.
	Error *upload.TaskError `json:"error,omitempty"`
}

// Handle applies the change and returns the resulting record.
func (h *Status) Handle(ctx context.Context, in StatusInput) (upload.Record, error) {
	// The task input carries the ARN ($$.Execution.Id); the record keeps
	// only the name (see upload.Record.Execution).
	name := upload.NameOfExecutionARN(in.ExecutionARN)
	u := upload.Update{UploadID: in.UploadID, State: in.State, Execution: name, Renditions: in.Renditions, TaskError: in.Error}
	rec, err := h.Publisher.Publish(ctx, u)
	if err != nil {
		return upload.Record{}, fmt.Errorf("publish %s: %w", in.State, err)
	}
	// A retried step whose first try had already recorded the outcome is
	// counted again: metrics are at least once, like the pipeline.
	if rec.State == in.State && rec.Execution == name {
		if err := writeMetrics(h.Metrics, rec); err != nil {
			return upload.Record{}, fmt.Errorf("metrics of %s: %w", in.State, err)
		}
	}
	return rec, nil
}
