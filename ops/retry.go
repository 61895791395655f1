package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/upload"
)

// Starter is the part of the Step Functions client that a retry needs
// beyond reading.
type Starter interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// Retry outcomes. A retry is a new execution of the same object version,
// generation n+1, named by upload.RetryExecutionName: Step Functions
// refuses a second execution of that name, so retrying twice (a double
// click, a repeated bulk run) starts nothing twice.
const (
	RetryStarted        = "started"
	RetryWouldStart     = "would start"           // -dry-run
	RetryAlreadyStarted = "already started"       // this generation's execution exists
	RetryNotFailed      = "not failed"            // nothing to retry: running, succeeded or retried already
	RetryUserRejection  = "user rejection"        // the file's fault: not retried without Force
	RetryNoExecution    = "no execution to retry" // no record naming an execution
)

// RetryResult says what a retry did for one upload.
type RetryResult struct {
	UploadID string `json:"uploadId"`
	// From is the execution retried; ExecutionARN the new one (also when
	// it already existed, or would be started).
	From         string       `json:"from,omitempty"`
	ExecutionARN string       `json:"executionArn,omitempty"`
	Generation   int          `json:"generation,omitempty"`
	State        upload.State `json:"state,omitempty"`
	Code         string       `json:"code,omitempty"`
	Kind         upload.Kind  `json:"kind,omitempty"`
	Outcome      string       `json:"outcome"`
}

// Started reports whether the retry's execution runs (now or before).
func (r RetryResult) Started() bool {
	return r.Outcome == RetryStarted || r.Outcome == RetryAlreadyStarted
}

// RetryOptions change what Retry does.
type RetryOptions struct {
	// Force retries user rejections too (after a fix of the converter).
	Force bool
	// DryRun decides and reports, but starts nothing.
	DryRun bool
}

// Retry starts the next generation of the upload named by target (an
// upload id or an execution ARN), when its record says it failed. The
// record, not the execution, is the truth: an upload already retried is
// converting or done, and is left alone.
func (r *Reader) Retry(ctx context.Context, start Starter, target string, o RetryOptions) (RetryResult, error) {
	id := target
	if got, ok := upload.IDFromExecutionARN(target); ok {
		id = got
	}
	if !upload.ValidID(id) {
		return RetryResult{}, fmt.Errorf("%q is neither an upload id nor an upload's execution ARN", target)
	}
	res := RetryResult{UploadID: id}
	rec, ok, err := r.records().GetStatus(ctx, id)
	if err != nil {
		return res, fmt.Errorf("reading the status record of upload %s: %w", id, err)
	}
	if !ok || rec.Execution == "" {
		res.Outcome = RetryNoExecution
		return res, nil
	}
	if res.From, err = r.executionOfRecord(ctx, rec); err != nil {
		return res, fmt.Errorf("the execution of upload %s: %w", id, err)
	}
	res.State, res.Generation = rec.State, max(rec.Generation, 1)
	if rec.Error != nil {
		res.Code, res.Kind = rec.Error.Code, upload.KindOf(rec.Error.Code)
	}
	switch {
	case rec.State != upload.StateFailed:
		res.Outcome = RetryNotFailed
		return res, nil
	case res.Kind == upload.KindUser && !o.Force:
		res.Outcome = RetryUserRejection
		return res, nil
	}
	return r.startGeneration(ctx, start, res, o.DryRun)
}

// startGeneration starts generation res.Generation+1 of res.From with the
// original execution's input, so it converts the same object version.
func (r *Reader) startGeneration(ctx context.Context, start Starter, res RetryResult, dryRun bool) (RetryResult, error) {
	orig, err := r.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(res.From)})
	if err != nil {
		return res, fmt.Errorf("reading execution %s: %w", res.From, err)
	}
	machine := aws.ToString(orig.StateMachineArn)
	name, err := upload.ExecutionOf(machine, res.From)
	if err != nil {
		return res, err
	}
	res.Generation++
	next, err := upload.RetryExecutionName(name, res.Generation)
	if err != nil {
		return res, err
	}
	if res.ExecutionARN, err = upload.ExecutionARN(machine, next); err != nil {
		return res, err
	}
	// A retry already running (a double click before its first step
	// recorded converting) is reported, not started again: Step
	// Functions would answer a second start of a running execution with
	// the same one, which would read as "started".
	_, err = r.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(res.ExecutionARN)})
	var missing *types.ExecutionDoesNotExist
	switch {
	case err == nil:
		res.Outcome = RetryAlreadyStarted
		return res, nil
	case !errors.As(err, &missing):
		return res, fmt.Errorf("looking for %s: %w", next, err)
	}
	if dryRun {
		res.Outcome = RetryWouldStart
		return res, nil
	}
	_, err = start.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(next), Input: orig.Input})
	var exists *types.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		res.Outcome = RetryAlreadyStarted
	case err != nil:
		return res, fmt.Errorf("starting %s: %w", next, err)
	default:
		res.Outcome = RetryStarted
	}
	return res, nil
}

// RetryFailures retries every upload that failed within since of now and
// whose kind is kind ("" for both), as Retry does.
func (r *Reader) RetryFailures(ctx context.Context, start Starter, kind upload.Kind, since time.Duration, o RetryOptions) ([]RetryResult, error) {
	recs, err := r.Failures(ctx, since)
	if err != nil {
		return nil, err
	}
	out := []RetryResult{}
	for _, f := range recs {
		if f.Error == nil || kind != "" && upload.KindOf(f.Error.Code) != kind {
			continue
		}
		res, err := r.Retry(ctx, start, f.UploadID, o)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}
