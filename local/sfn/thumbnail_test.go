package sfn

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"thumbflow/internal/clocktest"
	"thumbflow/local/asl"
	"thumbflow/local/lambda"
)

type TransientError struct{ msg string }

func (e *TransientError) Error() string { return e.msg }

type CorruptImage struct{}

func (e *CorruptImage) Error() string { return "the file is not an image we can read" }

// runThumbnail runs statemachine/thumbnail.asl.json with the real
// interpreter and a convert function that fails as failures says, and
// returns the execution's end and event types.
func runThumbnail(t *testing.T, failures ...error) (sum ExecutionSummary, evs []asl.Event) {
	t.Helper()
	return runThumbnailFrom(t, "../../statemachine", failures...)
}

// runThumbnailFrom is runThumbnail with the workflow definitions of dir.
func runThumbnailFrom(t *testing.T, dir string, failures ...error) (sum ExecutionSummary, evs []asl.Event) {
	t.Helper()
	// In a synctest bubble the VirtualClock's quiet windows pass only while
	// every goroutine is blocked, so a run stalled by a loaded machine cannot
	// see time jump to the workflow's execution or task timeouts.
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Hour) }) // lets the clock's advancer see it has no sleepers and exit
		reg := lambda.NewRegistry("us-east-1", "000000000000")
		var statuses []string
		var mu sync.Mutex
		reg.Register("status", func(in struct {
			State string `json:"state"`
		}) (struct{}, error) {
			mu.Lock()
			statuses = append(statuses, in.State)
			mu.Unlock()
			return struct{}{}, nil
		}, lambda.FunctionOptions{Timeout: 10 * time.Second})
		calls := 0
		reg.Register("convert", func(in map[string]any) (map[string]any, error) {
			calls++
			if calls <= len(failures) {
				return nil, failures[calls-1]
			}
			return map[string]any{"renditions": []string{"thumb.webp"}}, nil
		}, lambda.FunctionOptions{Timeout: 30 * time.Second})

		clock := clocktest.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		s, err := New(Options{Invoker: reg, Clock: clock, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ended := make(chan ExecutionSummary, 1)
		s.OnExecutionEnd(func(sum ExecutionSummary) { ended <- sum })
		arns, err := s.LoadDir(dir, role, map[string]string{
			"StatusFunctionArn":  "arn:aws:lambda:us-east-1:000000000000:function:status",
			"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert",
		})
		if err != nil {
			t.Fatal(err)
		}
		input := `{"uploadId":"u1","bucket":"b","key":"originals/u1","size":10,"contentType":"image/png","eTag":"e1","versionId":""}`
		ex, err := s.StartExecution(StartExecutionInput{StateMachineARN: arns["thumbnail"], Name: "u1", Input: &input})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case sum = <-ended:
		case <-time.After(20 * time.Second):
			t.Fatal("execution did not end")
		}
		h, err := s.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: ex.ExecutionARN, MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range h.Events {
			if ev.ID != int64(i+1) {
				t.Errorf("event %d (%s) has id %d", i, ev.Type, ev.ID)
			}
		}
		wantStatus := []string{"converting", "succeeded"}
		if sum.Status != asl.StatusSucceeded {
			wantStatus[1] = "failed"
		}
		if strings.Join(statuses, ",") != strings.Join(wantStatus, ",") {
			t.Errorf("status updates %v, want %v", statuses, wantStatus)
		}
		evs = h.Events
	})
	return sum, evs
}

func eventTypes(evs []asl.Event) string {
	var s []string
	for _, ev := range evs {
		s = append(s, ev.Type)
	}
	return strings.Join(s, "\n")
}

const (
	markConverting = "TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited"
	convertTry     = "LambdaFunctionScheduled LambdaFunctionStarted "
)

func expect(parts ...string) string {
	return strings.Join(strings.Fields(strings.Join(parts, " ")), "\n")
}

// The histories of the thumbnail workflow, JSONPath or JSONata: a first
// convert that succeeds, two that fail and a third that succeeds, and one
// that fails with CorruptImage.
var (
	happyHistory = expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionSucceeded TaskStateExited",
		markConverting, "SucceedStateEntered SucceedStateExited ExecutionSucceeded")
	retryHistory = expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionFailed", convertTry, "LambdaFunctionFailed",
		convertTry, "LambdaFunctionSucceeded TaskStateExited",
		markConverting, "SucceedStateEntered SucceedStateExited ExecutionSucceeded")
	// failureHistory is the failure path of a workflow without the
	// repository's kind Choice (the JSONata test workflow's).
	failureHistory = expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionFailed TaskStateExited",
		markConverting, "FailStateEntered ExecutionFailed")
)

// wantHistory checks the event types of evs against want.
func wantHistory(t *testing.T, evs []asl.Event, want string) {
	t.Helper()
	if got := eventTypes(evs); got != want {
		t.Errorf("history\n got:\n%s\nwant:\n%s", got, want)
	}
}

// wantSucceeded stops the test unless the execution succeeded.
func wantSucceeded(t *testing.T, sum ExecutionSummary) {
	t.Helper()
	if sum.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s %s", sum.Status, sum.Error, sum.Cause)
	}
}

// wantCorruptImage stops the test unless the execution failed with
// CorruptImage from the convert function.
func wantCorruptImage(t *testing.T, sum ExecutionSummary) {
	t.Helper()
	if sum.Status != asl.StatusFailed || sum.Error != "CorruptImage" || sum.Cause != `{"errorMessage":"the file is not an image we can read","errorType":"CorruptImage"}` {
		t.Fatalf("end %s %q %q", sum.Status, sum.Error, sum.Cause)
	}
}

func TestThumbnailHappyPath(t *testing.T) {
	sum, evs := runThumbnail(t)
	wantSucceeded(t, sum)
	wantHistory(t, evs, happyHistory)
}

func TestThumbnailRetryPath(t *testing.T) {
	sum, evs := runThumbnail(t, &TransientError{"s3 hiccup"}, &TransientError{"s3 hiccup"})
	wantSucceeded(t, sum)
	wantHistory(t, evs, retryHistory)
	for _, ev := range evs {
		if ev.Type == "LambdaFunctionFailed" && (ev.Details["error"] != "TransientError" || ev.Details["cause"] != `{"errorMessage":"s3 hiccup","errorType":"TransientError"}`) {
			t.Errorf("failed event details %v", ev.Details)
		}
	}
}

func TestThumbnailFailurePath(t *testing.T) {
	sum, evs := runThumbnail(t, &CorruptImage{})
	wantCorruptImage(t, sum)
	// The repository's workflow routes the recorded failure by its kind
	// (a Choice) before it fails.
	wantHistory(t, evs, expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionFailed TaskStateExited",
		markConverting, "ChoiceStateEntered ChoiceStateExited FailStateEntered ExecutionFailed"))
	if evs[len(evs)-1].Details["error"] != "CorruptImage" {
		t.Errorf("ExecutionFailed details %v", evs[len(evs)-1].Details)
	}
}

// TestKillWithRealInterpreter kills the service while thumbnail executions
// are converting and while others sit in a Wait state, restarts it on the
// same data directory, and expects every execution to finish exactly once:
// the in-flight conversion re-run, the wait keeping its deadline.
func TestKillWithRealInterpreter(t *testing.T) {
	dir := t.TempDir()
	clock := newManualClock()
	subs := map[string]string{
		"StatusFunctionArn":  "arn:aws:lambda:us-east-1:000000000000:function:status",
		"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert",
	}
	status := func(map[string]any) (struct{}, error) { return struct{}{}, nil }
	const n = 4

	reg1 := lambda.NewRegistry("", "")
	reg1.Register("status", status, lambda.FunctionOptions{})
	converting := make(chan struct{}, n)
	reg1.Register("convert", func(ctx context.Context, in map[string]any) (map[string]any, error) {
		converting <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}, lambda.FunctionOptions{Timeout: time.Hour})
	s1, err := New(Options{DataDir: dir, Invoker: reg1, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s1.OnExecutionEnd(func(sum ExecutionSummary) { t.Errorf("%s ended before the kill", sum.Name) })
	arns, err := s1.LoadDir("../../statemachine", role, subs)
	if err != nil {
		t.Fatal(err)
	}
	wait, err := s1.CreateStateMachine(CreateStateMachineInput{Name: "pause", RoleARN: role,
		Definition: `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":3600,"End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	var execs []string
	for i := range n {
		input := fmt.Sprintf(`{"uploadId":"u%d","bucket":"b","key":"k","size":1,"contentType":"image/png","eTag":"e1","versionId":""}`, i)
		ex, err := s1.StartExecution(StartExecutionInput{StateMachineARN: arns["thumbnail"], Name: fmt.Sprint("convert-", i), Input: &input})
		if err != nil {
			t.Fatal(err)
		}
		execs = append(execs, ex.ExecutionARN)
		ex, err = s1.StartExecution(StartExecutionInput{StateMachineARN: wait.StateMachineARN, Name: fmt.Sprint("pause-", i)})
		if err != nil {
			t.Fatal(err)
		}
		execs = append(execs, ex.ExecutionARN)
	}
	for range n {
		select {
		case <-converting:
		case <-time.After(30 * time.Second):
			t.Fatal("the conversions never started")
		}
	}
	waitFor(t, func() bool {
		for _, arn := range execs {
			h, _ := s1.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: arn, ReverseOrder: true, MaxResults: 1})
			if len(h.Events) == 0 || (h.Events[0].Type != "WaitStateEntered" && h.Events[0].Type != "LambdaFunctionStarted") {
				return false
			}
		}
		return true
	})
	// Within the thumbnail machine's 1500 s execution timeout: time
	// passed while the process was down counts, as it does on AWS.
	clock.Advance(300 * time.Second)
	s1.kill()

	reg2 := lambda.NewRegistry("", "")
	reg2.Register("status", status, lambda.FunctionOptions{})
	var mu sync.Mutex
	converted := map[string]int{}
	reg2.Register("convert", func(in struct {
		UploadID string `json:"uploadId"`
	}) (map[string]any, error) {
		mu.Lock()
		converted[in.UploadID]++
		mu.Unlock()
		return map[string]any{"renditions": []string{"t.webp"}}, nil
	}, lambda.FunctionOptions{})
	s2, err := New(Options{DataDir: dir, Invoker: reg2, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ended := countEnds(s2, &mu, func(sum ExecutionSummary) string { return sum.ExecutionARN }, func(sum ExecutionSummary) {
		if sum.Status != asl.StatusSucceeded {
			t.Errorf("%s ended %s %s %s", sum.Name, sum.Status, sum.Error, sum.Cause)
		}
	})
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(ended) == n })
	if d, _ := s2.DescribeExecution(execs[1]); d.Status != asl.StatusRunning {
		t.Fatalf("the wait ended %s before its deadline", d.Status)
	}
	clock.Advance(3300 * time.Second)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(ended) == 2*n })
	for i, arn := range execs {
		if ended[arn] != 1 {
			t.Errorf("%s ended %d times", arn, ended[arn])
		}
		h, _ := s2.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: arn, MaxResults: 1000})
		terminal := 0
		for j, ev := range h.Events {
			if strings.HasPrefix(ev.Type, "Execution") && ev.Type != "ExecutionStarted" {
				terminal++
			}
			if ev.ID != int64(j+1) {
				t.Errorf("%s: event %d has id %d", arn, j, ev.ID)
			}
		}
		if terminal != 1 || h.Events[len(h.Events)-1].Type != "ExecutionSucceeded" {
			t.Errorf("%s: %d terminal events, history:\n%s", arn, terminal, eventTypes(h.Events))
		}
		if i%2 == 0 {
			if c := converted[fmt.Sprint("u", i/2)]; c != 1 {
				t.Errorf("u%d converted %d times after the restart, want 1", i/2, c)
			}
		}
	}
}
