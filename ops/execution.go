// Package ops is what operators use to see what the pipeline did: the
// executions of the thumbnail workflow, each one's history as a timeline
// of states, attempts and durations, and the failure records the workflow
// writes. The thumbflow commands (executions, history, failures) print it
// and the /ops page's HTTP handler serves it, so the terminal and the page
// cannot drift apart on what an event means.
//
// It reads only what the AWS console would show, through SDK clients
// narrowed to the calls it makes, so it works unchanged against AWS and
// against `thumbflow dev`. An execution's upload is recovered with
// upload.IDFromExecutionName, the one definition of how executions are
// named.
package ops

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/upload"
)

// Execution is one execution as the operator tools list it. Times are UTC.
type Execution struct {
	ExecutionARN string     `json:"executionArn"`
	Name         string     `json:"name"`
	UploadID     string     `json:"uploadId,omitempty"`
	Status       string     `json:"status"`
	StartDate    time.Time  `json:"startDate"`
	StopDate     *time.Time `json:"stopDate,omitempty"`
	// DurationMs is how long it ran, or, while it runs, has been running
	// at now.
	DurationMs int64 `json:"durationMs"`
	// Error, Kind and Code are filled in by Reader.Classify for an
	// execution that ended without success.
	Error string      `json:"error,omitempty"`
	Kind  upload.Kind `json:"kind,omitempty"`
	Code  string      `json:"code,omitempty"`
}

// Listed is an execution of a ListExecutions page; now measures one that
// is still running.
func Listed(e types.ExecutionListItem, now time.Time) Execution {
	return newExecution(aws.ToString(e.ExecutionArn), aws.ToString(e.Name), string(e.Status), e.StartDate, e.StopDate, now)
}

// Described is the execution DescribeExecution returned; now measures one
// that is still running.
func Described(d *sfn.DescribeExecutionOutput, now time.Time) Execution {
	return newExecution(aws.ToString(d.ExecutionArn), aws.ToString(d.Name), string(d.Status), d.StartDate, d.StopDate, now)
}

func newExecution(arn, name, status string, start, stop *time.Time, now time.Time) Execution {
	e := Execution{ExecutionARN: arn, Name: name, UploadID: uploadID(name), Status: status, StartDate: aws.ToTime(start).UTC()}
	end := now
	if stop != nil {
		s := stop.UTC()
		e.StopDate, end = &s, s
	}
	e.DurationMs = end.Sub(e.StartDate).Milliseconds()
	return e
}

func uploadID(executionName string) string {
	id, _ := upload.IDFromExecutionName(executionName)
	return id
}

// EventError is the error and cause a history event carries, or two
// empty strings for an event that reports no failure.
func EventError(ev types.HistoryEvent) (errName, cause string) {
	var e, c *string
	switch {
	case ev.LambdaFunctionFailedEventDetails != nil:
		e, c = ev.LambdaFunctionFailedEventDetails.Error, ev.LambdaFunctionFailedEventDetails.Cause
	case ev.LambdaFunctionTimedOutEventDetails != nil:
		e, c = ev.LambdaFunctionTimedOutEventDetails.Error, ev.LambdaFunctionTimedOutEventDetails.Cause
	case ev.LambdaFunctionStartFailedEventDetails != nil:
		e, c = ev.LambdaFunctionStartFailedEventDetails.Error, ev.LambdaFunctionStartFailedEventDetails.Cause
	case ev.LambdaFunctionScheduleFailedEventDetails != nil:
		e, c = ev.LambdaFunctionScheduleFailedEventDetails.Error, ev.LambdaFunctionScheduleFailedEventDetails.Cause
	case ev.TaskFailedEventDetails != nil:
		e, c = ev.TaskFailedEventDetails.Error, ev.TaskFailedEventDetails.Cause
	case ev.TaskTimedOutEventDetails != nil:
		e, c = ev.TaskTimedOutEventDetails.Error, ev.TaskTimedOutEventDetails.Cause
	case ev.TaskStartFailedEventDetails != nil:
		e, c = ev.TaskStartFailedEventDetails.Error, ev.TaskStartFailedEventDetails.Cause
	case ev.TaskSubmitFailedEventDetails != nil:
		e, c = ev.TaskSubmitFailedEventDetails.Error, ev.TaskSubmitFailedEventDetails.Cause
	case ev.ActivityFailedEventDetails != nil:
		e, c = ev.ActivityFailedEventDetails.Error, ev.ActivityFailedEventDetails.Cause
	case ev.ActivityTimedOutEventDetails != nil:
		e, c = ev.ActivityTimedOutEventDetails.Error, ev.ActivityTimedOutEventDetails.Cause
	case ev.ActivityScheduleFailedEventDetails != nil:
		e, c = ev.ActivityScheduleFailedEventDetails.Error, ev.ActivityScheduleFailedEventDetails.Cause
	case ev.MapRunFailedEventDetails != nil:
		e, c = ev.MapRunFailedEventDetails.Error, ev.MapRunFailedEventDetails.Cause
	case ev.EvaluationFailedEventDetails != nil:
		e, c = ev.EvaluationFailedEventDetails.Error, ev.EvaluationFailedEventDetails.Cause
	case ev.ExecutionFailedEventDetails != nil:
		e, c = ev.ExecutionFailedEventDetails.Error, ev.ExecutionFailedEventDetails.Cause
	case ev.ExecutionTimedOutEventDetails != nil:
		e, c = ev.ExecutionTimedOutEventDetails.Error, ev.ExecutionTimedOutEventDetails.Cause
	case ev.ExecutionAbortedEventDetails != nil:
		e, c = ev.ExecutionAbortedEventDetails.Error, ev.ExecutionAbortedEventDetails.Cause
	}
	return aws.ToString(e), aws.ToString(c)
}

// Step is one history event, placed in its state and attempt.
type Step struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	OffsetMs int64     `json:"offsetMs"`
	State    string    `json:"state,omitempty"`
	Event    string    `json:"event"`
	Attempt  int       `json:"attempt,omitempty"`
	Error    string    `json:"error,omitempty"`
	Cause    string    `json:"cause,omitempty"`
	// DurationMs is, for an event that ends something, how long that
	// thing took: the state (StateExited), the attempt (Lambda or task
	// outcome) or the execution; -1 when the event ends nothing.
	DurationMs int64 `json:"durationMs"`
}

// Timeline places each event of an execution that started at start in its
// state and attempt and measures what it ends. It also returns the most
// attempts any one state made, which for this workflow is the
// conversion's.
//
// Attempts are counted per state entry from LambdaFunctionScheduled,
// TaskScheduled and ActivityScheduled events, which is what the retrier
// produces.
func Timeline(events []types.HistoryEvent, start time.Time) ([]Step, int) {
	steps := make([]Step, 0, len(events))
	var (
		state        string
		entered      time.Time
		attempt      int
		attemptStart time.Time
		most         int
	)
	for _, ev := range events {
		ts := aws.ToTime(ev.Timestamp).UTC()
		typ := string(ev.Type)
		s := Step{ID: ev.Id, Time: ts, OffsetMs: ts.Sub(start).Milliseconds(), Event: typ, DurationMs: -1}
		switch {
		case strings.HasSuffix(typ, "StateEntered"):
			if d := ev.StateEnteredEventDetails; d != nil {
				state = aws.ToString(d.Name)
			}
			entered, attempt = ts, 0
		case strings.HasSuffix(typ, "StateExited"):
			if d := ev.StateExitedEventDetails; d != nil {
				state = aws.ToString(d.Name)
			}
			s.DurationMs = ts.Sub(entered).Milliseconds()
		case typ == "LambdaFunctionScheduled" || typ == "TaskScheduled" || typ == "ActivityScheduled":
			attempt++
			attemptStart = ts
			most = max(most, attempt)
		}
		if !strings.HasPrefix(typ, "Execution") {
			s.State = state
			s.Attempt = attempt
		}
		s.Error, s.Cause = EventError(ev)
		switch typ {
		case "LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
			"TaskSucceeded", "TaskFailed", "TaskTimedOut":
			s.DurationMs = ts.Sub(attemptStart).Milliseconds()
		case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
			s.DurationMs = ts.Sub(start).Milliseconds()
		}
		steps = append(steps, s)
	}
	return steps, most
}
