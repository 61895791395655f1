package sfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"thumbflow/local/asl"
)

// maxInput is the Step Functions limit on execution input.
const maxInput = 256 * 1024

// StartExecution starts a run. Starting the same name again with the same
// input while the first is running returns the first, as AWS does for
// STANDARD workflows.
func (s *Service) StartExecution(in StartExecutionInput) (StartExecutionOutput, error) {
	s.mu.Lock()
	m, target, err := s.resolveLocked(in.StateMachineARN)
	if err == nil && m.Deleting {
		err = deletingErr(m.ARN)
	}
	var sm stateMachine
	if err == nil {
		// A copy: UpdateStateMachine changes the machine under s.mu.
		sm = *target
		if sm.Updated.IsZero() { // never updated, or a version
			sm.Updated = sm.Created
		}
	}
	s.mu.Unlock()
	if err != nil {
		return StartExecutionOutput{}, err
	}
	if !s.begin() {
		return StartExecutionOutput{}, &Error{Code: "ServiceUnavailable", Message: "the local Step Functions service is shutting down", Status: http.StatusServiceUnavailable}
	}
	defer s.wg.Done()
	if in.Name == "" {
		in.Name = newUUID()
	}
	if err := validName(in.Name); err != nil {
		return StartExecutionOutput{}, err
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if len(input) > maxInput {
		return StartExecutionOutput{}, apiErr("InvalidExecutionInput", "Execution input is larger than the maximum allowed size of %d bytes", maxInput)
	}
	if !json.Valid([]byte(input)) {
		return StartExecutionOutput{}, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Invalid JSON'")
	}
	prog, err := s.program(sm.Definition)
	if err != nil {
		return StartExecutionOutput{}, invalidDefinition(err)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.opts.Region, s.opts.AccountID, sm.Name, in.Name)
	e := &execution{
		ARN: arn, Name: in.Name, StateMachineARN: m.ARN, Definition: sm.Definition,
		RoleARN: sm.RoleARN, Input: json.RawMessage(input), Start: s.opts.Clock.Now(),
		Revision: sm.RevisionID, Updated: sm.Updated,
		prog: prog, status: asl.StatusRunning,
		// With a data directory the log holds the events; memory only
		// the latest one's mark (see execution.events).
		evicted: s.store.dir != "",
	}
	if target != m {
		e.VersionARN = target.ARN
	}
	s.mu.Lock()
	if cur := s.machines[m.ARN]; cur == nil || cur.Deleting {
		// Deleted while this start was being checked.
		s.mu.Unlock()
		return StartExecutionOutput{}, deletingErr(m.ARN)
	}
	if old, ok := s.executions[arn]; ok {
		s.mu.Unlock()
		old.mu.Lock()
		same := old.status == asl.StatusRunning && bytes.Equal(old.Input, e.Input)
		old.mu.Unlock()
		if same {
			return StartExecutionOutput{ExecutionARN: old.ARN, StartDate: epoch(old.Start)}, nil
		}
		return StartExecutionOutput{}, apiErr("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	s.executions[arn] = e
	s.mu.Unlock()
	l, err := s.store.create(e)
	if err != nil {
		s.mu.Lock()
		delete(s.executions, arn)
		s.mu.Unlock()
		return StartExecutionOutput{}, serviceErr(err)
	}
	e.log = l
	s.launch(e, launchRun)
	return StartExecutionOutput{ExecutionARN: arn, StartDate: epoch(e.Start)}, nil
}

func (s *Service) execution(arn string) (*execution, error) {
	return lookup(s, s.executions, arn, "execution", 8, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'")
}

// DescribeExecution reports an execution's status, input and result.
func (s *Service) DescribeExecution(arn string) (DescribeExecutionOutput, error) {
	e, err := s.execution(arn)
	if err != nil {
		return DescribeExecutionOutput{}, err
	}
	sum := e.summary()
	e.mu.Lock()
	redriveStatus, redriveReason := e.redrivable(s.opts.Clock.Now())
	e.mu.Unlock()
	out := DescribeExecutionOutput{
		RedriveStatus:          redriveStatus,
		RedriveStatusReason:    redriveReason,
		ExecutionListItem:      listItem(sum),
		Input:                  string(sum.Input),
		InputDetails:           map[string]bool{"included": true},
		Error:                  sum.Error,
		Cause:                  sum.Cause,
		StateMachineVersionARN: e.VersionARN,
	}
	if sum.Status == asl.StatusSucceeded {
		o := string(sum.Output)
		out.Output = &o
		out.OutputDetails = map[string]bool{"included": true}
	}
	return out, nil
}

// DescribeStateMachineForExecution returns the definition an execution
// runs: the one it started with, even after the machine was updated.
func (s *Service) DescribeStateMachineForExecution(arn string) (DescribeStateMachineForExecutionOutput, error) {
	e, err := s.execution(arn)
	if err != nil {
		return DescribeStateMachineForExecutionOutput{}, err
	}
	updated := e.Updated
	if updated.IsZero() {
		updated = e.Start // executions recorded before revisions were kept
	}
	return DescribeStateMachineForExecutionOutput{
		StateMachineARN: e.StateMachineARN, Name: nameFromARN(e.StateMachineARN),
		Definition: e.Definition, RoleARN: e.RoleARN, UpdateDate: epoch(updated),
		RevisionID: e.Revision, LoggingConfiguration: loggingOff(), TracingConfiguration: tracingOff(),
	}, nil
}

// listItem is how ListExecutions lists an execution.
func listItem(sum ExecutionSummary) ExecutionListItem {
	item := ExecutionListItem{ExecutionARN: sum.ExecutionARN, StateMachineARN: sum.StateMachineARN, Name: sum.Name, Status: sum.Status, StartDate: epoch(sum.StartDate),
		RedriveCount: sum.RedriveCount}
	if !sum.RedriveDate.IsZero() {
		d := epoch(sum.RedriveDate)
		item.RedriveDate = &d
	}
	if sum.Status != asl.StatusRunning {
		stop := epoch(sum.StopDate)
		item.StopDate = &stop
	}
	return item
}

var statuses = map[string]bool{
	asl.StatusRunning: true, asl.StatusSucceeded: true, asl.StatusFailed: true,
	asl.StatusTimedOut: true, asl.StatusAborted: true, "PENDING_REDRIVE": true,
}

// ListExecutions pages through a machine's executions, newest first.
func (s *Service) ListExecutions(in ListExecutionsInput) (ListExecutionsOutput, error) {
	if in.StateMachineARN == "" {
		return ListExecutionsOutput{}, apiErr("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
	}
	s.mu.Lock()
	m, target, err := s.resolveLocked(in.StateMachineARN)
	s.mu.Unlock()
	if err != nil {
		return ListExecutionsOutput{}, err
	}
	// A version ARN lists the executions started from that version.
	version := ""
	if target != m {
		version = target.ARN
	}
	if in.StatusFilter != "" && !statuses[in.StatusFilter] {
		return ListExecutionsOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", in.StatusFilter)
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return ListExecutionsOutput{}, err
	}
	type row struct {
		e   *execution
		sum ExecutionSummary
	}
	var rows []row
	s.mu.Lock()
	for _, e := range s.executions {
		if e.StateMachineARN == m.ARN && (version == "" || e.VersionARN == version) {
			rows = append(rows, row{e: e})
		}
	}
	s.mu.Unlock()
	for i := range rows {
		rows[i].sum = rows[i].e.summary()
	}
	// Newest first; the ARN breaks ties so that tokens stay stable.
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].sum, rows[j].sum
		if !a.StartDate.Equal(b.StartDate) {
			return a.StartDate.After(b.StartDate)
		}
		return a.ExecutionARN < b.ExecutionARN
	})
	key := func(r row) string {
		return fmt.Sprintf("%020d|%s", math.MaxInt64-r.sum.StartDate.UnixNano(), r.sum.ExecutionARN)
	}
	var start int
	start, err = decodeToken(in.NextToken, "ex:"+in.StateMachineARN, func(k string) int {
		return sort.Search(len(rows), func(i int) bool { return key(rows[i]) > k })
	})
	if err != nil {
		return ListExecutionsOutput{}, err
	}
	out := ListExecutionsOutput{Executions: []ExecutionListItem{}}
	for i := start; i < len(rows); i++ {
		sum := rows[i].sum
		if in.StatusFilter != "" && sum.Status != in.StatusFilter {
			continue
		}
		if len(out.Executions) == limit {
			out.NextToken = encodeToken("ex:"+in.StateMachineARN, key(rows[i-1]))
			break
		}
		out.Executions = append(out.Executions, listItem(sum))
	}
	return out, nil
}

// StopExecution aborts a running execution and waits for the interpreter to
// record ExecutionAborted. Stopping an execution that already ended changes
// nothing and returns its stop date.
func (s *Service) StopExecution(in StopExecutionInput) (StopExecutionOutput, error) {
	e, err := s.execution(in.ExecutionARN)
	if err != nil {
		return StopExecutionOutput{}, err
	}
	if len(in.Error) > 256 {
		return StopExecutionOutput{}, apiErr("ValidationException", "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(in.Cause) > 32768 {
		return StopExecutionOutput{}, apiErr("ValidationException", "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	var running bool
	var cancel func(error)
	var done chan struct{}
	for range 1000 {
		e.mu.Lock()
		running, cancel, done = e.status == asl.StatusRunning, e.cancel, e.done
		e.mu.Unlock()
		if !running || cancel != nil {
			break
		}
		// StartExecution has registered the execution but not launched
		// it yet (or a restart is resuming it): wait a moment.
		time.Sleep(time.Millisecond)
	}
	if running && cancel != nil {
		cancel(&asl.Abort{Name: in.Error, Cause: in.Cause})
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			return StopExecutionOutput{}, &Error{Code: "ServiceException", Message: "execution did not stop within 30 seconds", Status: http.StatusInternalServerError}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return StopExecutionOutput{StopDate: epoch(e.stop)}, nil
}
