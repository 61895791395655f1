package ops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

// StepFunctions is the part of the Step Functions client that reading
// executions needs.
type StepFunctions interface {
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, opts ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, opts ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// StateMachines is the part of the Step Functions client that finding the
// thumbnail workflow needs.
type StateMachines interface {
	ListStateMachines(ctx context.Context, in *sfn.ListStateMachinesInput, opts ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
}

// maxHistoryEvents is Step Functions' limit on an execution's history: a
// history that goes on past it comes from a broken endpoint, and reading
// stops there rather than following its tokens forever.
const maxHistoryEvents = 25000

// Reader reads executions and records through the clients it is given.
// PageSize is the number of results to ask for per request (0 lets the
// service choose); every page is read either way.
type Reader struct {
	StepFunctions StepFunctions
	// Records reads the records bucket, RecordsBucket.
	Records       s3store.API
	RecordsBucket string
	PageSize      int32
	// StateMachine returns the thumbnail state machine's ARN. Status
	// records name executions, not ARNs (they are served to browsers, and
	// an ARN carries the account id), so the operator tools turn a name
	// into an ARN with upload.ExecutionARN and this machine. It is called
	// only when a record is read for its execution.
	StateMachine func(context.Context) (string, error)
}

// executionOfRecord is the ARN of the execution rec names, or "" when it
// names none.
func (r *Reader) executionOfRecord(ctx context.Context, rec upload.Record) (string, error) {
	if rec.Execution == "" {
		return "", nil
	}
	if r.StateMachine == nil {
		return "", errors.New("no state machine to find the execution in")
	}
	machine, err := r.StateMachine(ctx)
	if err != nil {
		return "", err
	}
	return upload.ExecutionARN(machine, rec.Execution)
}

// FindStateMachine returns the one state machine that the local cloud
// (thumbnail) or SAM (ThumbnailStateMachine-…) named for the thumbnail
// workflow. None or several is an error that says to name it.
func FindStateMachine(ctx context.Context, c StateMachines) (string, error) {
	var found []string
	p := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing state machines: %w", err)
		}
		for _, m := range page.StateMachines {
			name := aws.ToString(m.Name)
			if name == "thumbnail" || strings.HasPrefix(name, "ThumbnailStateMachine") {
				found = append(found, aws.ToString(m.StateMachineArn))
			}
		}
	}
	switch len(found) {
	case 0:
		return "", errors.New("no state machine named thumbnail or ThumbnailStateMachine-*: pass -state-machine ARN (the stack output StateMachineArn)")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("several thumbnail state machines (%s): pass -state-machine ARN", strings.Join(found, ", "))
}

// Query selects executions of one state machine.
type Query struct {
	StateMachineARN string
	// Status keeps only executions in it; "" keeps all.
	Status types.ExecutionStatus
	// Since keeps only executions started within it of now; 0 keeps all.
	Since time.Duration
	// Limit is the most executions returned; 0 is no limit.
	Limit int
}

// Statuses are the execution statuses a Query may select.
var Statuses = []types.ExecutionStatus{
	types.ExecutionStatusRunning, types.ExecutionStatusSucceeded, types.ExecutionStatusFailed,
	types.ExecutionStatusTimedOut, types.ExecutionStatusAborted,
}

// Executions pages through the state machine's executions, newest first,
// until q.Limit rows or one that started before q.Since.
func (r *Reader) Executions(ctx context.Context, q Query) ([]Execution, error) {
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(q.StateMachineARN), StatusFilter: q.Status}
	if r.PageSize > 0 {
		in.MaxResults = r.PageSize
	}
	var cutoff time.Time
	if q.Since > 0 {
		cutoff = time.Now().Add(-q.Since)
	}
	rows := []Execution{}
	p := sfn.NewListExecutionsPaginator(r.StepFunctions, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing executions of %s: %w", q.StateMachineARN, err)
		}
		for _, e := range page.Executions {
			start := aws.ToTime(e.StartDate)
			if !cutoff.IsZero() && start.Before(cutoff) {
				// Newest first: every later one is older still.
				return rows, nil
			}
			rows = append(rows, Listed(e, time.Now()))
			if q.Limit > 0 && len(rows) == q.Limit {
				return rows, nil
			}
		}
	}
	return rows, nil
}

// History is one execution with its error, how many conversion attempts
// it made and its timeline.
type History struct {
	Execution
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// Attempts is the number of conversion attempts made.
	Attempts int    `json:"attempts"`
	Timeline []Step `json:"timeline"`
}

// History describes the execution and reads every page of its events,
// without their inputs and outputs: the timeline needs none, and leaving
// them out keeps user data off the operator's screen.
func (r *Reader) History(ctx context.Context, arn string) (History, error) {
	h, err := r.describe(ctx, arn)
	if err != nil {
		return History{}, err
	}
	events, err := r.events(ctx, arn)
	if err != nil {
		return History{}, err
	}
	h.Timeline, h.Attempts = Timeline(events, h.StartDate)
	return h, nil
}

// describe is the execution and its error, without the timeline.
func (r *Reader) describe(ctx context.Context, arn string) (History, error) {
	d, err := r.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return History{}, fmt.Errorf("describing %s: %w", arn, err)
	}
	return History{Execution: Described(d, time.Now()), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}, nil
}

// events reads the execution's history, page by page.
func (r *Reader) events(ctx context.Context, arn string) ([]types.HistoryEvent, error) {
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(false)}
	if r.PageSize > 0 {
		in.MaxResults = r.PageSize
	}
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(r.StepFunctions, in)
	for p.HasMorePages() && len(events) < maxHistoryEvents {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the history of %s: %w", arn, err)
		}
		events = append(events, page.Events...)
	}
	return events, nil
}

// ExecutionOfUpload finds the execution that converted an upload: the one
// its status record names (the name, made an ARN of r.StateMachine), or
// else the newest execution of that state machine whose name is the
// upload's (the record may be missing if the execution failed before
// writing it).
func (r *Reader) ExecutionOfUpload(ctx context.Context, id string) (string, error) {
	rec, ok, err := r.records().GetStatus(ctx, id)
	if err == nil && ok && rec.Execution != "" {
		return r.executionOfRecord(ctx, rec)
	}
	if r.StateMachine == nil {
		return "", errors.Join(errors.New("no state machine to list the executions of"), err)
	}
	arn, merr := r.StateMachine(ctx)
	if merr != nil {
		return "", errors.Join(merr, err)
	}
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)}
	if r.PageSize > 0 {
		in.MaxResults = r.PageSize
	}
	p := sfn.NewListExecutionsPaginator(r.StepFunctions, in)
	for p.HasMorePages() {
		page, lerr := p.NextPage(ctx)
		if lerr != nil {
			return "", fmt.Errorf("listing executions of %s: %w", arn, lerr)
		}
		for _, e := range page.Executions {
			if got, ok := upload.IDFromExecutionName(aws.ToString(e.Name)); ok && got == id {
				return aws.ToString(e.ExecutionArn), nil
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("no execution found for upload %s (reading its status record: %w)", id, err)
	}
	return "", fmt.Errorf("no execution found for upload %s", id)
}

// Failures reads every failure record in the records bucket, newest
// first, keeping those written within since of now (0 keeps all). The
// keys say nothing about time, so every page is listed; an object whose
// LastModified is already older is skipped without reading it, and the
// rest are judged by the record's own time.
func (r *Reader) Failures(ctx context.Context, since time.Duration) ([]upload.FailureRecord, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.RecordsBucket), Prefix: aws.String(upload.FailurePrefix)}
	if r.PageSize > 0 {
		in.MaxKeys = aws.Int32(r.PageSize)
	}
	var cutoff time.Time
	if since > 0 {
		cutoff = time.Now().Add(-since)
	}
	store := r.records()
	recs := []upload.FailureRecord{}
	p := s3.NewListObjectsV2Paginator(r.Records, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing failure records in s3://%s/%s: %w", r.RecordsBucket, upload.FailurePrefix, err)
		}
		for _, obj := range page.Contents {
			if !cutoff.IsZero() && obj.LastModified != nil && obj.LastModified.Before(cutoff) {
				continue
			}
			id, ok := strings.CutSuffix(strings.TrimPrefix(aws.ToString(obj.Key), upload.FailurePrefix), ".json")
			if !ok || !upload.ValidID(id) {
				continue
			}
			f, found, err := store.GetFailure(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("reading the failure record of upload %s: %w", id, err)
			}
			if !found {
				continue // deleted since the listing
			}
			if !cutoff.IsZero() && f.UpdatedAt.Before(cutoff) {
				continue
			}
			recs = append(recs, f)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].UpdatedAt.After(recs[j].UpdatedAt) })
	return recs, nil
}

func (r *Reader) records() *s3store.Store {
	return &s3store.Store{Client: r.Records, Bucket: r.RecordsBucket}
}
