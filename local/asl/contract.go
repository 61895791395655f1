// Package asl interprets Amazon States Language definitions (JSONPath query
// language) the way AWS Step Functions runs them, so that the workflow a team
// deploys behaves the same on a laptop: same retries, catches, errors and
// execution history.
//
// The interpreter's entry points:
//
//	func Parse(definition []byte) (*Machine, error)   // *ValidationError lists problems by state name
//	func (m *Machine) Run(ctx context.Context, exec Execution, opts Options) Result
//	func (m *Machine) Resume(ctx context.Context, exec Execution, from Checkpoint, opts Options) Result
//
// Run and Resume block until the execution ends or ctx is cancelled. Time
// comes from Options.Clock, by default the wall clock (local/clock); tests
// inject internal/clocktest's clocks. Tasks call Options.Invoker, whose
// errors name the Step Functions error they stand for: *FunctionError,
// *ServiceError, or any NamedError (local/lambda's errors are).
//
// This file is the contract between the interpreter and its callers (the
// local Step Functions API in local/sfn). Its exported names are relied on;
// extend them, but do not change their meaning without updating local/sfn.
// The rest is laid out by what it does: parse.go, check.go, compile.go and
// definition.go validate and compile a definition; run.go is an
// execution's lifecycle and history.go its events; dataflow.go applies
// paths and templates; states.go runs Pass, Succeed, Fail, Choice and Wait;
// retry.go applies Retry and Catch to task.go, parallel.go and map.go.
package asl

import (
	"context"
	"encoding/json"
	"time"
)

// Clock is injected so that tests and the conformance harness never wait
// real seconds for Wait states, retry back-off or timeouts.
type Clock interface {
	Now() time.Time
	// Sleep returns after d has passed on this clock, or with ctx's error
	// once ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// Invoker runs a Lambda function by ARN (possibly qualified or partial) with
// a JSON payload and returns the function's JSON result.
//
// A function's own failure is returned as *FunctionError, exactly as the
// Lambda runtime reports it. Any other error is a service-level failure; a
// *ServiceError names the Step Functions error for it (for example
// "Lambda.ResourceNotFoundException"). An Invoker that does not import this
// package (local/lambda) returns errors that implement NamedError instead.
// Any other error fails the task with Lambda.Unknown.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// LogTailer is an Invoker that can also return the tail of a function's
// log for one invocation: what Lambda returns, base64-encoded, as
// LogResult when lambda:invoke's LogType parameter is "Tail" (at most the
// last 4 KB). Without it the interpreter reports Lambda's platform lines
// (START, END, REPORT) only.
type LogTailer interface {
	InvokeWithLog(ctx context.Context, function string, payload []byte) (out []byte, log string, err error)
}

// NamedError is an Invoker's error that names itself as Step Functions
// reports a failed task: the error that Retry and Catch match, and the
// cause. The interface is defined here, where it is consumed, so that a
// Lambda runtime can report failures without depending on the interpreter.
type NamedError interface {
	error
	StatesError() (name, cause string)
}

// FunctionError is a function's error as the runtime reports it:
// {"errorType": Type, "errorMessage": Message}. Payload, when set, is the
// raw error payload text that Step Functions puts in the Cause.
type FunctionError struct {
	Type    string
	Message string
	Payload []byte
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// ServiceError is a failure outside the function, named as Step Functions
// names it in ErrorEquals.
type ServiceError struct {
	Name  string
	Cause string
}

func (e *ServiceError) Error() string { return e.Name + ": " + e.Cause }

// Abort is the cause to give context.WithCancelCause to stop an execution
// (StopExecution): the interpreter records ExecutionAborted with this error
// and cause and returns StatusAborted. Cancelling the context with any other
// cause (process shutdown) records nothing, so the execution can be resumed
// from its last checkpoint.
type Abort struct {
	Name  string
	Cause string
}

func (a *Abort) Error() string { return "aborted: " + a.Name + ": " + a.Cause }

// Execution identifies one run, with the values the Context object ($$)
// exposes.
type Execution struct {
	ARN              string
	Name             string
	StateMachineARN  string
	StateMachineName string
	RoleARN          string
	StartTime        time.Time
	Input            json.RawMessage
	// RedriveCount and RedriveTime describe the latest RedriveExecution:
	// $$.Execution.RedriveCount shows the count, and the state machine's
	// TimeoutSeconds counts from RedriveTime when it is set.
	RedriveCount int
	RedriveTime  time.Time
}

// Execution statuses, as the Step Functions API spells them.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Result is how an execution ended. Status is empty when the run was
// interrupted (context cancelled without an *Abort cause) and can be resumed.
type Result struct {
	Status string
	Output json.RawMessage // SUCCEEDED only
	Error  string          // FAILED, TIMED_OUT, ABORTED
	Cause  string
}

// Event is one history event. It marshals to the Step Functions API's
// HistoryEvent JSON shape: {"id","previousEventId","type","timestamp",
// "<DetailsField>": Details}, with timestamp in epoch seconds.
type Event struct {
	ID              int64
	PreviousEventID int64
	Type            string // for example "TaskStateEntered"
	Timestamp       time.Time
	// DetailsField is the HistoryEvent member that holds Details, for
	// example "stateEnteredEventDetails"; empty when the event has none.
	DetailsField string
	// Details is exactly what the API returns: fields that AWS returns as
	// JSON text (input, output, parameters) stay JSON text strings here.
	Details map[string]any
}

// Checkpoint is an opaque, JSON-serialisable snapshot from which Resume
// continues an interrupted execution after the event it was recorded with.
type Checkpoint = json.RawMessage

// Options wires an execution to the outside world.
type Options struct {
	Clock   Clock
	Invoker Invoker
	// Record is called with every history event, in order, before the
	// execution moves past it, together with the checkpoint to resume from
	// after that event (nil when the event is not a safe resume point). A
	// non-nil error from Record interrupts the execution as a shutdown does.
	Record func(ev Event, cp Checkpoint) error
	// Tokens receives the callbacks of .waitForTaskToken tasks. Nil
	// gives each execution its own, which nothing can call back.
	Tokens *TaskTokens
	// LastEventID is for Resume: the id of the last event that was
	// recorded before the interruption, which may be later than the
	// checkpoint's. New events continue after it so ids never repeat. Zero
	// means the checkpoint's own event.
	LastEventID int64
}
