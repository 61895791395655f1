package sfn

import (
	"net/http"
	"time"

	"thumbflow/local/asl"
)

// redrivePeriod is how long after it ended AWS lets an execution be
// redriven.
const redrivePeriod = 14 * 24 * time.Hour

// RedriveExecutionInput and RedriveExecutionOutput are the API's shapes.
type (
	RedriveExecutionInput struct {
		ExecutionARN string `json:"executionArn"`
		ClientToken  string `json:"clientToken"`
	}
	RedriveExecutionOutput struct {
		RedriveDate epoch `json:"redriveDate"`
	}
)

// RedriveExecution re-runs an execution that ended FAILED, TIMED_OUT or
// ABORTED from the state that did not succeed, with the definition it
// started with. The same clientToken again returns the first redrive's
// date instead of redriving twice.
func (s *Service) RedriveExecution(in RedriveExecutionInput) (RedriveExecutionOutput, error) {
	e, err := s.execution(in.ExecutionARN)
	if err != nil {
		return RedriveExecutionOutput{}, err
	}
	if len(in.ClientToken) > 64 {
		return RedriveExecutionOutput{}, apiErr("ValidationException", "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64")
	}
	if !s.begin() {
		return RedriveExecutionOutput{}, &Error{Code: "ServiceUnavailable", Message: "the local Step Functions service is shutting down", Status: http.StatusServiceUnavailable}
	}
	defer s.wg.Done()
	s.mu.Lock()
	m := s.machines[e.StateMachineARN]
	deleting := m != nil && m.Deleting
	s.mu.Unlock()
	if deleting {
		return RedriveExecutionOutput{}, apiErr("ExecutionNotRedrivable", "State machine is in DELETING status.")
	}
	now := s.opts.Clock.Now()
	e.mu.Lock()
	if in.ClientToken != "" && in.ClientToken == e.redriveToken {
		date := e.redriveDate
		e.mu.Unlock()
		return RedriveExecutionOutput{RedriveDate: epoch(date)}, nil
	}
	if _, reason := e.redrivable(now); reason != "" {
		e.mu.Unlock()
		return RedriveExecutionOutput{}, apiErr("ExecutionNotRedrivable", "%s", reason)
	}
	rec := redriveRecord{Count: e.redriveCount + 1, Date: now, ClientToken: in.ClientToken}
	e.mu.Unlock()
	if e.prog == nil {
		// Loaded from the data directory after it ended.
		prog, err := s.parse([]byte(e.Definition))
		if err != nil {
			return RedriveExecutionOutput{}, apiErr("ExecutionNotRedrivable", "The execution's definition is no longer valid: %v", err)
		}
		e.prog = prog
	}
	if err := e.log.append(logRecord{Redrive: &rec}, true); err != nil {
		return RedriveExecutionOutput{}, serviceErr(err)
	}
	e.mu.Lock()
	e.reopen(rec)
	e.mu.Unlock()
	s.log.Info("redriving execution", "execution", e.ARN, "redriveCount", rec.Count)
	s.launch(e, launchRedrive)
	return RedriveExecutionOutput{RedriveDate: epoch(now)}, nil
}

// reopen makes an ended execution RUNNING again for a redrive; e.mu must
// be held (or e not yet shared).
func (e *execution) reopen(rec redriveRecord) {
	e.status, e.output, e.errName, e.cause, e.stop = asl.StatusRunning, nil, "", "", time.Time{}
	e.notified = false
	e.redriveCount, e.redriveDate, e.redriveToken = rec.Count, rec.Date, rec.ClientToken
	e.redrivePending = true
}

// redrivable reports DescribeExecution's redriveStatus and, when it is
// NOT_REDRIVABLE, the reason, in AWS's words; e.mu must be held.
func (e *execution) redrivable(now time.Time) (status, reason string) {
	switch e.status {
	case asl.StatusRunning:
		return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"
	case asl.StatusSucceeded:
		return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"
	}
	if now.Sub(e.stop) > redrivePeriod {
		return "NOT_REDRIVABLE", "Execution redrivable period exceeded"
	}
	if e.cp == nil {
		// It ended before recording ExecutionStarted: nothing to re-run.
		return "NOT_REDRIVABLE", "Execution has no state to redrive from"
	}
	return "REDRIVABLE", ""
}
