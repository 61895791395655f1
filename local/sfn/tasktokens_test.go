package sfn

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/local/clock"
	"thumbflow/local/lambda"
)

// approvalWorkflow hands its Approve function a task token and waits for
// the callback, with a heartbeat.
const approvalWorkflow = `{
  "StartAt": "Approve",
  "States": {
    "Approve": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {
        "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:approve",
        "Payload": {"order.$": "$.order", "token.$": "$$.Task.Token"}
      },
      "HeartbeatSeconds": 60,
      "TimeoutSeconds": 600,
      "End": true
    }
  }
}`

// startApprovals runs the approval workflow once per name and returns the
// tokens the function received, by order.
func startApprovals(t *testing.T) (*manualClock, *awssfn.Client, func(order string) (arn, token string)) {
	t.Helper()
	clock := newManualClock()
	reg := lambda.NewRegistry("us-east-1", "000000000000")
	var mu sync.Mutex
	tokens := map[string]string{}
	if err := reg.Register("approve", func(in struct{ Order, Token string }) (map[string]string, error) {
		mu.Lock()
		tokens[in.Order] = in.Token
		mu.Unlock()
		return map[string]string{"queued": in.Order}, nil
	}, lambda.FunctionOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Invoker: reg, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := client(t, s)
	sm, err := c.CreateStateMachine(context.Background(), &awssfn.CreateStateMachineInput{Name: aws.String("approvals"), Definition: aws.String(approvalWorkflow), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	start := func(order string) (string, string) {
		ex, err := c.StartExecution(context.Background(), &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: &order, Input: aws.String(`{"order":"` + order + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		waitForEvent(t, c, *ex.ExecutionArn, "TaskSubmitted")
		mu.Lock()
		defer mu.Unlock()
		if tokens[order] == "" {
			t.Fatalf("the function received no task token for %s", order)
		}
		return *ex.ExecutionArn, tokens[order]
	}
	return clock, c, start
}

func TestTaskTokenRoundTrip(t *testing.T) {
	clock, c, start := startApprovals(t)
	ctx := context.Background()
	arn, token := start("o1")
	// Heartbeats are accepted while the task waits (their timing is
	// TestHeartbeatTimeout's).
	for range 3 {
		clock.Advance(45 * time.Second)
		if _, err := c.SendTaskHeartbeat(ctx, &awssfn.SendTaskHeartbeatInput{TaskToken: &token}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: &token, Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, c, arn)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"approved":true}` {
		t.Fatalf("ended %s with %s", d.Status, aws.ToString(d.Output))
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(historyTypes(t, c, arn), " "); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	h, _ := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: &arn})
	if sched := h.Events[2].TaskScheduledEventDetails; sched == nil || *sched.Resource != "invoke.waitForTaskToken" || *sched.ResourceType != "lambda" ||
		aws.ToInt64(sched.HeartbeatInSeconds) != 60 || !strings.Contains(*sched.Parameters, token) {
		t.Errorf("TaskScheduled: %+v", sched)
	}
	if sub := h.Events[4].TaskSubmittedEventDetails; sub == nil || !strings.Contains(aws.ToString(sub.Output), `"Payload":{"queued":"o1"}`) {
		t.Errorf("TaskSubmitted: %+v", sub)
	}

	// A token answers once.
	_, err := c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: &token, Output: aws.String(`{}`)})
	wantErr[*types.TaskTimedOut](t, "a second SendTaskSuccess", err)
	_, err = c.SendTaskHeartbeat(ctx, &awssfn.SendTaskHeartbeatInput{TaskToken: aws.String("not a token")})
	wantErr[*types.InvalidToken](t, "a malformed token", err)
	_, err = c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: &token, Output: aws.String(`{`)})
	wantErr[*types.InvalidOutput](t, "output that is not JSON", err)
}

func TestTaskTokenFailure(t *testing.T) {
	_, c, start := startApprovals(t)
	ctx := context.Background()
	arn, token := start("o2")
	if _, err := c.SendTaskFailure(ctx, &awssfn.SendTaskFailureInput{TaskToken: &token, Error: aws.String("Rejected"), Cause: aws.String("over budget")}); err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, arn); d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "Rejected" || aws.ToString(d.Cause) != "over budget" {
		t.Errorf("after SendTaskFailure: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}

}

// startApproval starts the workflow def, an approval workflow, with input
// on a new Service of clock.System; the "approve" function sends each
// task token to tokens, which buffers buf. The caller closes the Service.
func startApproval(t *testing.T, def, input string, buf int) (*Service, StartExecutionOutput, chan string) {
	t.Helper()
	reg := lambda.NewRegistry("us-east-1", "000000000000")
	tokens := make(chan string, buf)
	reg.Register("approve", func(in struct{ Token string }) (struct{}, error) {
		tokens <- in.Token
		return struct{}{}, nil
	}, lambda.FunctionOptions{})
	s, err := New(Options{Invoker: reg, Clock: clock.System{}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := s.CreateStateMachine(CreateStateMachineInput{Name: "approvals", Definition: def, RoleARN: role})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	ex, err := s.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN, Input: aws.String(input)})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, ex, tokens
}

// TestHeartbeatTimeout runs in a synctest bubble with clock.System, whose
// time moves only when every goroutine waits, so the heartbeat's timing
// is exact.
func TestHeartbeatTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, ex, tokens := startApproval(t, approvalWorkflow, `{"order":"o3"}`, 1)
		defer s.Close()
		token := <-tokens
		status := func() string {
			synctest.Wait()
			d, err := s.DescribeExecution(ex.ExecutionARN)
			if err != nil {
				t.Fatal(err)
			}
			return d.Status
		}
		time.Sleep(59 * time.Second)
		if err := s.SendTaskHeartbeat(SendTaskHeartbeatInput{TaskToken: token}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(59 * time.Second) // 118 s after the start, 59 after the heartbeat
		if got := status(); got != "RUNNING" {
			t.Fatalf("59 s after a heartbeat: %s, want RUNNING", got)
		}
		time.Sleep(2 * time.Second)
		if got := status(); got != "FAILED" {
			t.Fatalf("61 s after a heartbeat: %s, want FAILED", got)
		}
		d, _ := s.DescribeExecution(ex.ExecutionARN)
		if d.Error != "States.HeartbeatTimeout" {
			t.Errorf("error %s, want States.HeartbeatTimeout", d.Error)
		}
		h, _ := s.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: ex.ExecutionARN})
		var kinds []string
		for _, ev := range h.Events {
			kinds = append(kinds, ev.Type)
		}
		want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskTimedOut ExecutionFailed"
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("history\n got %s\nwant %s", got, want)
		}
		err := s.SendTaskSuccess(SendTaskSuccessInput{TaskToken: token, Output: aws.String(`{}`)})
		wantErr[*Error](t, "SendTaskSuccess after the heartbeat timeout", err)
		if e, ok := err.(*Error); !ok || e.Code != "TaskTimedOut" {
			t.Errorf("SendTaskSuccess after the heartbeat timeout: %v, want TaskTimedOut", err)
		}
	})
}
