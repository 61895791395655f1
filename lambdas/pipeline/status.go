package pipeline

import (
	"context"
	"fmt"
	"log/slog"

	"thumbflow/upload"
)

// Status records a change of state and pushes it to subscribers. The state
// machine calls it for converting, succeeded and failed.
type Status struct {
	Publisher Publisher
	Log       *slog.Logger
}

// StatusInput is the Status task's payload.
type StatusInput struct {
	UploadID     string             `json:"uploadId"`
	State        upload.State       `json:"state"`
	ExecutionARN string             `json:"executionArn"`
	Renditions   []upload.Rendition `json:"renditions,omitempty"`
	// Error is the Catch output ({"Error", "Cause"}) on the failure path.
	Error *StepFunctionsError `json:"error,omitempty"`
}

// StepFunctionsError is what a Catch puts at its ResultPath.
type StepFunctionsError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Handle applies the change and returns the resulting record.
func (h *Status) Handle(ctx context.Context, in StatusInput) (upload.Record, error) {
	u := upload.Update{UploadID: in.UploadID, State: in.State, ExecutionARN: in.ExecutionARN, Renditions: in.Renditions}
	var sfnErr, sfnCause string
	if in.Error != nil {
		f := upload.DescribeError(in.Error.Error, in.Error.Cause)
		u.Error = &f
		sfnErr, sfnCause = in.Error.Error, in.Error.Cause
	}
	rec, err := h.Publisher.Publish(ctx, u, sfnErr, sfnCause)
	if err != nil {
		return upload.Record{}, fmt.Errorf("publish %s: %w", in.State, err)
	}
	return rec, nil
}
