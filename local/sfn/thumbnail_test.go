package sfn

import (
	"strings"
	"sync"
	"testing"
	"time"

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
func runThumbnail(t *testing.T, failures ...error) (ExecutionSummary, []asl.Event) {
	t.Helper()
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

	clock := asl.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.Quiesce = 20 * time.Millisecond // generous: other packages compile alongside
	s, err := New(Options{Invoker: reg, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ended := make(chan ExecutionSummary, 1)
	s.OnExecutionEnd(func(sum ExecutionSummary) { ended <- sum })
	arns, err := s.LoadDir("../../statemachine", role, map[string]string{
		"StatusFunctionArn":  "arn:aws:lambda:us-east-1:000000000000:function:status",
		"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert",
	})
	if err != nil {
		t.Fatal(err)
	}
	input := `{"uploadId":"u1","bucket":"b","key":"originals/u1","size":10,"contentType":"image/png"}`
	ex, err := s.StartExecution(StartExecutionInput{StateMachineARN: arns["thumbnail"], Name: "u1", Input: &input})
	if err != nil {
		t.Fatal(err)
	}
	var sum ExecutionSummary
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
	return sum, h.Events
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

func TestThumbnailHappyPath(t *testing.T) {
	sum, evs := runThumbnail(t)
	if sum.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s %s", sum.Status, sum.Error, sum.Cause)
	}
	want := expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionSucceeded TaskStateExited",
		markConverting, "SucceedStateEntered SucceedStateExited ExecutionSucceeded")
	if got := eventTypes(evs); got != want {
		t.Errorf("history\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestThumbnailRetryPath(t *testing.T) {
	sum, evs := runThumbnail(t, &TransientError{"s3 hiccup"}, &TransientError{"s3 hiccup"})
	if sum.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s %s", sum.Status, sum.Error, sum.Cause)
	}
	want := expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionFailed", convertTry, "LambdaFunctionFailed",
		convertTry, "LambdaFunctionSucceeded TaskStateExited",
		markConverting, "SucceedStateEntered SucceedStateExited ExecutionSucceeded")
	if got := eventTypes(evs); got != want {
		t.Errorf("history\n got:\n%s\nwant:\n%s", got, want)
	}
	for _, ev := range evs {
		if ev.Type == "LambdaFunctionFailed" && (ev.Details["error"] != "TransientError" || ev.Details["cause"] != `{"errorMessage":"s3 hiccup","errorType":"TransientError"}`) {
			t.Errorf("failed event details %v", ev.Details)
		}
	}
}

func TestThumbnailFailurePath(t *testing.T) {
	sum, evs := runThumbnail(t, &CorruptImage{})
	if sum.Status != asl.StatusFailed || sum.Error != "CorruptImage" || sum.Cause != `{"errorMessage":"the file is not an image we can read","errorType":"CorruptImage"}` {
		t.Fatalf("end %s %q %q", sum.Status, sum.Error, sum.Cause)
	}
	want := expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionFailed TaskStateExited",
		markConverting, "FailStateEntered ExecutionFailed")
	if got := eventTypes(evs); got != want {
		t.Errorf("history\n got:\n%s\nwant:\n%s", got, want)
	}
	if evs[len(evs)-1].Details["error"] != "CorruptImage" {
		t.Errorf("ExecutionFailed details %v", evs[len(evs)-1].Details)
	}
}
