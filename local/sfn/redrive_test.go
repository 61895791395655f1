package sfn

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/local/lambda"
)

// redriveWorkflow is made for the redrive tests: a Pass state, a Task
// whose function fails while broken is set, and a Wait to abort in.
const redriveWorkflow = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Result": {"order": 7}, "Next": "Charge"},
    "Charge": {
      "Type": "Task",
      "Resource": "arn:aws:lambda:us-east-1:000000000000:function:charge",
      "Parameters": {"order.$": "$.order", "redriveCount.$": "$$.Execution.RedriveCount"},
      "Next": "Settle"
    },
    "Settle": {"Type": "Wait", "Seconds": 100, "End": true}
  }
}`

type ChargeDeclined struct{}

func (ChargeDeclined) Error() string { return "the card was declined" }

func startRedriveService(t *testing.T, dir string, clock *manualClock, broken *atomic.Bool, seen *atomic.Int64) (*Service, *awssfn.Client) {
	t.Helper()
	reg := lambda.NewRegistry("us-east-1", "000000000000")
	if err := reg.Register("charge", func(in struct {
		Order        int `json:"order"`
		RedriveCount int `json:"redriveCount"`
	}) (map[string]any, error) {
		seen.Store(int64(in.RedriveCount))
		if broken.Load() {
			return nil, ChargeDeclined{}
		}
		return map[string]any{"charged": in.Order}, nil
	}, lambda.FunctionOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DataDir: dir, Invoker: reg, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, client(t, s)
}

func historyTypes(t *testing.T, c *awssfn.Client, arn string) []string {
	t.Helper()
	h, err := c.GetExecutionHistory(context.Background(), &awssfn.GetExecutionHistoryInput{ExecutionArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, ev := range h.Events {
		if ev.Id != int64(i+1) {
			t.Errorf("event %d has id %d", i+1, ev.Id)
		}
		kinds = append(kinds, string(ev.Type))
	}
	return kinds
}

func TestRedriveResumesTheFailedTask(t *testing.T) {
	clock := newManualClock()
	dir := t.TempDir()
	var broken atomic.Bool
	var seen atomic.Int64
	broken.Store(true)
	s, c := startRedriveService(t, dir, clock, &broken, &seen)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(redriveWorkflow), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("o7")})
	if err != nil {
		t.Fatal(err)
	}
	failed := waitDone(t, c, *ex.ExecutionArn)
	if failed.Status != types.ExecutionStatusFailed || aws.ToString(failed.Error) != "ChargeDeclined" || failed.RedriveStatus != types.ExecutionRedriveStatusRedrivable || failed.RedriveCount == nil || *failed.RedriveCount != 0 {
		t.Fatalf("before redrive: %s %s %s %v", failed.Status, aws.ToString(failed.Error), failed.RedriveStatus, failed.RedriveCount)
	}

	broken.Store(false) // the fault is removed
	clock.Advance(time.Minute)
	red, err := c.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn, ClientToken: aws.String("fix-1")})
	if err != nil {
		t.Fatal(err)
	}
	if !red.RedriveDate.Equal(clock.Now()) {
		t.Errorf("redriveDate %v, want %v", red.RedriveDate, clock.Now())
	}
	// The same client token does not redrive twice.
	again, err := c.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn, ClientToken: aws.String("fix-1")})
	if err != nil || !again.RedriveDate.Equal(*red.RedriveDate) {
		t.Errorf("repeated client token: %v %v", err, again)
	}
	waitForEvent(t, c, *ex.ExecutionArn, "WaitStateEntered")
	clock.Advance(100 * time.Second)
	done := waitDone(t, c, *ex.ExecutionArn)
	if done.Status != types.ExecutionStatusSucceeded || aws.ToString(done.Output) != `{"charged":7}` || *done.RedriveCount != 1 ||
		done.RedriveDate == nil || !done.RedriveDate.Equal(*red.RedriveDate) ||
		done.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(done.RedriveStatusReason) != "Execution is SUCCEEDED and cannot be redriven" {
		t.Fatalf("after redrive: %s %s count %v date %v %s %q", done.Status, aws.ToString(done.Output), aws.ToInt32(done.RedriveCount), done.RedriveDate, done.RedriveStatus, aws.ToString(done.RedriveStatusReason))
	}
	if seen.Load() != 1 {
		t.Errorf("$$.Execution.RedriveCount was %d in the redriven task, want 1", seen.Load())
	}
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed ExecutionFailed " +
		"ExecutionRedriven TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited WaitStateEntered WaitStateExited ExecutionSucceeded"
	if got := strings.Join(historyTypes(t, c, *ex.ExecutionArn), " "); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	h, _ := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn})
	if ev := h.Events[8]; ev.ExecutionRedrivenEventDetails == nil || aws.ToInt32(ev.ExecutionRedrivenEventDetails.RedriveCount) != 1 || ev.PreviousEventId != 8 {
		t.Errorf("ExecutionRedriven event: %+v", ev)
	}
	if h.Events[9].PreviousEventId != 9 {
		t.Errorf("re-entered Charge has previousEventId %d, want 9", h.Events[9].PreviousEventId)
	}
	_, err = c.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	wantErr[*types.ExecutionNotRedrivable](t, "redriving a succeeded execution", err)
	list, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || len(list.Executions) != 1 || aws.ToInt32(list.Executions[0].RedriveCount) != 1 || list.Executions[0].RedriveDate == nil {
		t.Errorf("listed: %v %+v", err, list)
	}

	// The redrive survives a restart of the service.
	s.Close()
	_, c2 := startRedriveService(t, dir, clock, &broken, &seen)
	d, err := c2.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusSucceeded || *d.RedriveCount != 1 {
		t.Errorf("after restart: %v %+v", err, d)
	}
	if got := strings.Join(historyTypes(t, c2, *ex.ExecutionArn), " "); got != want {
		t.Errorf("history after restart\n got %s\nwant %s", got, want)
	}
}

func TestRedriveAbortedExecution(t *testing.T) {
	clock := newManualClock()
	var broken atomic.Bool
	var seen atomic.Int64
	_, c := startRedriveService(t, "", clock, &broken, &seen)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(redriveWorkflow), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	wantErr[*types.ExecutionNotRedrivable](t, "redriving a running execution", err)
	waitForEvent(t, c, *ex.ExecutionArn, "WaitStateEntered")
	if _, err := c.StopExecution(ctx, &awssfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, *ex.ExecutionArn); d.Status != types.ExecutionStatusAborted || d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Fatalf("stopped: %s %s", d.Status, d.RedriveStatus)
	}
	if _, err := c.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	waitForEvent(t, c, *ex.ExecutionArn, "ExecutionRedriven")
	// The Wait is entered again, with a new deadline.
	for range 1000 {
		if n := strings.Count(strings.Join(historyTypes(t, c, *ex.ExecutionArn), " "), "WaitStateEntered"); n == 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	clock.Advance(100 * time.Second)
	if d := waitDone(t, c, *ex.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Errorf("after redrive: %s", d.Status)
	}
	if seen.Load() != 0 {
		t.Errorf("the task ran again although it had succeeded before the abort")
	}
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited WaitStateEntered ExecutionAborted " +
		"ExecutionRedriven WaitStateEntered WaitStateExited ExecutionSucceeded"
	if got := strings.Join(historyTypes(t, c, *ex.ExecutionArn), " "); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	_, err = c.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: aws.String(*ex.ExecutionArn + "x")})
	wantErr[*types.ExecutionDoesNotExist](t, "redriving an unknown execution", err)
}

// TestRedriveTimedOutExecution redrives an execution that timed out while
// its task waited for a task token: the task is entered again with a new
// token, and the machine's TimeoutSeconds counts from the redrive.
func TestRedriveTimedOutExecution(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		def := strings.Replace(approvalWorkflow, `"StartAt"`, `"TimeoutSeconds": 100, "StartAt"`, 1)
		def = strings.Replace(def, `"HeartbeatSeconds": 60,`, "", 1)
		s, ex, tokens := startApproval(t, def, `{"order":"o9"}`, 2)
		defer s.Close()
		first := <-tokens
		time.Sleep(101 * time.Second)
		synctest.Wait()
		d, _ := s.DescribeExecution(ex.ExecutionARN)
		if d.Status != "TIMED_OUT" || d.RedriveStatus != "REDRIVABLE" {
			t.Fatalf("after 101 s: %s %s", d.Status, d.RedriveStatus)
		}
		time.Sleep(time.Hour) // the redrive's timeout counts from the redrive
		if _, err := s.RedriveExecution(RedriveExecutionInput{ExecutionARN: ex.ExecutionARN}); err != nil {
			t.Fatal(err)
		}
		second := <-tokens
		if second == first {
			t.Error("the redriven task reused the timed-out task's token")
		}
		if err := s.SendTaskSuccess(SendTaskSuccessInput{TaskToken: first, Output: aws.String(`{}`)}); err == nil {
			t.Error("the timed-out task's token was accepted")
		}
		time.Sleep(50 * time.Second)
		if err := s.SendTaskSuccess(SendTaskSuccessInput{TaskToken: second, Output: aws.String(`{"approved":true}`)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		d, _ = s.DescribeExecution(ex.ExecutionARN)
		if d.Status != "SUCCEEDED" || aws.ToString(d.Output) != `{"approved":true}` || d.RedriveCount != 1 {
			t.Errorf("after the redrive: %s %s %d", d.Status, aws.ToString(d.Output), d.RedriveCount)
		}
	})
}

// TestRedriveInterruptedBeforeItsEventResumes kills the service after a
// redrive was recorded but before ExecutionRedriven was: the next start
// carries the redrive out, once.
func TestRedriveInterruptedBeforeItsEventResumes(t *testing.T) {
	dir := t.TempDir()
	s, c := startFake(t, Options{DataDir: dir, Invoker: echoRegistry(t)})
	def := `{"Steps":["invoke:echo","fail:X"]}`
	_, ex := createAndStart(t, c, def)
	waitDone(t, c, *ex.ExecutionArn)
	e, _ := s.execution(*ex.ExecutionArn)
	// What RedriveExecution writes first; the process dies right after.
	if err := e.log.append(logRecord{Redrive: &redriveRecord{Count: 1, Date: time.Now()}}, true); err != nil {
		t.Fatal(err)
	}
	s.kill()

	_, c2 := startFake(t, Options{DataDir: dir, Invoker: echoRegistry(t)})
	d := waitDone(t, c2, *ex.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || aws.ToInt32(d.RedriveCount) != 1 {
		t.Errorf("after the restart: %s redriveCount %d", d.Status, aws.ToInt32(d.RedriveCount))
	}
	got := strings.Join(historyTypes(t, c2, *ex.ExecutionArn), " ")
	if want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled TaskStateExited ExecutionFailed ExecutionRedriven ExecutionFailed"; got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
}

// TestEndedExecutionKeepsItsHistoryOnlyOnDisk: with a data directory, an
// ended execution's events leave memory (so the service's memory does not
// grow with every execution ever run) and its history is read back from
// its log, whole and in order.
func TestEndedExecutionKeepsItsHistoryOnlyOnDisk(t *testing.T) {
	var broken atomic.Bool
	var seen atomic.Int64
	s, c := startRedriveService(t, t.TempDir(), newManualClock(), &broken, &seen)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(redriveWorkflow), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	broken.Store(true)
	ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("o1")})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, c, *ex.ExecutionArn)
	e, err := s.execution(*ex.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	inMemory, evicted := len(e.events), e.evicted
	e.mu.Unlock()
	if inMemory != 0 || !evicted {
		t.Errorf("ended execution holds %d events in memory (evicted %v)", inMemory, evicted)
	}
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed ExecutionFailed"
	if got := strings.Join(historyTypes(t, c, *ex.ExecutionArn), " "); got != want {
		t.Errorf("history read back from the log\n got %s\nwant %s", got, want)
	}
}

// TestRunningExecutionKeepsItsHistoryOnlyOnDisk: with a data directory, a
// running execution's events are not held in memory either (a backlog of
// running executions, each adding events while it is throttled, would
// grow memory with the backlog), yet its history reads whole while it
// runs, and it ends with its terminal event's time as StopDate.
func TestRunningExecutionKeepsItsHistoryOnlyOnDisk(t *testing.T) {
	var broken atomic.Bool
	var seen atomic.Int64
	clock := newManualClock()
	s, c := startRedriveService(t, t.TempDir(), clock, &broken, &seen)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(redriveWorkflow), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("o1")})
	if err != nil {
		t.Fatal(err)
	}
	waitForEvent(t, c, *ex.ExecutionArn, "WaitStateEntered")
	e, err := s.execution(*ex.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	inMemory, status := len(e.events), e.status
	e.mu.Unlock()
	if status != "RUNNING" || inMemory != 0 {
		t.Errorf("running execution (%s) holds %d events in memory", status, inMemory)
	}
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited WaitStateEntered"
	if got := strings.Join(historyTypes(t, c, *ex.ExecutionArn), " "); got != want {
		t.Errorf("history of the running execution\n got %s\nwant %s", got, want)
	}
	clock.Advance(100 * time.Second)
	d := waitDone(t, c, *ex.ExecutionArn)
	if d.Status != "SUCCEEDED" {
		t.Fatalf("status %s, want SUCCEEDED", d.Status)
	}
	h, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	if err != nil {
		t.Fatal(err)
	}
	if last := h.Events[0]; last.Type != "ExecutionSucceeded" || !last.Timestamp.Equal(*d.StopDate) {
		t.Errorf("last event %s at %v, StopDate %v: want ExecutionSucceeded at StopDate", last.Type, last.Timestamp, d.StopDate)
	}
}
