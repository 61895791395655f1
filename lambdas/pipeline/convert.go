package pipeline

import (
	"context"

	"thumbflow/upload"
)

// Convert is the Convert task: it translates the task's payload into an
// attempt and leaves the work to the domain's converter.
type Convert struct {
	Converter *upload.Converter
}

// ConvertInput is the Convert task's payload.
type ConvertInput struct {
	upload.Job
	// RetryCount is $$.State.RetryCount: 0 on the first try. It counts
	// throttled tries too, so it is logged and never shown (the attempt a
	// user sees is the status record's count of real runs).
	RetryCount   int    `json:"retryCount"`
	ExecutionARN string `json:"executionArn"`
}

// ConvertOutput lists the renditions written.
type ConvertOutput struct {
	Renditions []upload.Rendition `json:"renditions"`
}

// Handle converts one original. Its errors are typed for the state
// machine (see upload.Converter).
func (h *Convert) Handle(ctx context.Context, in ConvertInput) (ConvertOutput, error) {
	rs, err := h.Converter.Convert(ctx, upload.Attempt{Job: in.Job, Execution: upload.NameOfExecutionARN(in.ExecutionARN), StepRetries: in.RetryCount})
	if err != nil {
		return ConvertOutput{}, err
	}
	return ConvertOutput{Renditions: rs}, nil
}
