package asl

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

const (
	convertARN = "arn:aws:lambda:us-east-1:111111111111:function:thumbflow-convert"
	statusARN  = "arn:aws:lambda:us-east-1:111111111111:function:thumbflow-status"
)

// scriptedInvoker plays the pipeline's functions: status always succeeds,
// convert follows a script of errors before it succeeds.
type scriptedInvoker struct {
	mu          sync.Mutex
	convertErrs []error
	convertIn   []map[string]any
}

func (s *scriptedInvoker) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	if fn == statusARN {
		return []byte(`{}`), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var in map[string]any
	_ = json.Unmarshal(payload, &in)
	s.convertIn = append(s.convertIn, in)
	if len(s.convertErrs) > 0 {
		err := s.convertErrs[0]
		s.convertErrs = s.convertErrs[1:]
		return nil, err
	}
	return []byte(`{"renditions":[{"key":"thumbs/u1/256.webp","width":256}]}`), nil
}

func loadThumbnail(t *testing.T) *Machine {
	t.Helper()
	m, err := Parse(readThumbnailDef(t))
	if err != nil {
		t.Fatalf("the thumbnail workflow does not load: %v", err)
	}
	return m
}

// runThumbnail runs the workflow on a VirtualClock inside a synctest bubble
// (see inBubble): the workflow's 1500 s execution timeout is pending
// throughout, and outside a bubble a run stalled for a few milliseconds by a
// loaded machine let the clock jump to it (TIMED_OUT) or to a task's timeout.
func runThumbnail(t *testing.T, inv *scriptedInvoker) (res Result, evs []Event) {
	m := loadThumbnail(t)
	inBubble(t, func(t *testing.T) {
		clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		rec := &recorder{}
		exec := testExec(clock)
		exec.Input = json.RawMessage(`{"uploadId":"u1","bucket":"b","key":"originals/u1","size":1234,"contentType":"image/png","eTag":"e1","versionId":""}`)
		res = m.Run(context.Background(), exec, Options{Clock: clock, Invoker: inv, Record: rec.record})
		evs = rec.events
	})
	return res, evs
}

// history renders events as "Type(id<-prev)" so a failing test shows the
// whole sequence an operator would see.
func history(evs []Event) string {
	var b strings.Builder
	for i, ev := range evs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(ev.Type)
	}
	return b.String()
}

func checkChain(t *testing.T, evs []Event) {
	t.Helper()
	for i, ev := range evs {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.ID)
		}
		if i >= 2 && ev.PreviousEventID != ev.ID-1 {
			t.Fatalf("event %d (%s) has previousEventId %d, want %d", ev.ID, ev.Type, ev.PreviousEventID, ev.ID-1)
		}
	}
}

func TestThumbnailHappyPath(t *testing.T) {
	res, evs := runThumbnail(t, &scriptedInvoker{})
	if res.Status != StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	want := "ExecutionStarted " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if got := history(evs); got != want {
		t.Fatalf("history\n got  %s\n want %s", got, want)
	}
	checkChain(t, evs)
	var out map[string]any
	_ = json.Unmarshal(res.Output, &out)
	if conv, _ := out["conversion"].(map[string]any); conv == nil || conv["renditions"] == nil {
		t.Fatalf("output %s lacks the conversion result", res.Output)
	}
	if evs[7].Details["resource"] != convertARN {
		t.Fatalf("second task scheduled %v, want the convert function", evs[7].Details["resource"])
	}
}

func TestThumbnailRetryPath(t *testing.T) {
	inv := &scriptedInvoker{convertErrs: []error{&FunctionError{Type: "TransientError", Message: "S3 slow down"}}}
	res, evs := runThumbnail(t, inv)
	if res.Status != StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	want := "ExecutionStarted " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed " +
		"LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if got := history(evs); got != want {
		t.Fatalf("history\n got  %s\n want %s", got, want)
	}
	checkChain(t, evs)
	failed := evs[9]
	if failed.Details["error"] != "TransientError" || !strings.Contains(failed.Details["cause"].(string), "S3 slow down") {
		t.Fatalf("LambdaFunctionFailed details %v", failed.Details)
	}
	if len(inv.convertIn) != 2 || inv.convertIn[0]["retryCount"] != float64(0) || inv.convertIn[1]["retryCount"] != float64(1) {
		t.Fatalf("convert saw retryCount %v, want 0 then 1 from $$.State.RetryCount", inv.convertIn)
	}
}

func TestThumbnailFailurePath(t *testing.T) {
	inv := &scriptedInvoker{convertErrs: []error{&FunctionError{Type: "UnsupportedImage", Message: "not an image"}}}
	res, evs := runThumbnail(t, inv)
	if res.Status != StatusFailed || res.Error != "UnsupportedImage" || !strings.Contains(res.Cause, "not an image") {
		t.Fatalf("result %+v, want FAILED with the converter's error", res)
	}
	want := "ExecutionStarted " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed TaskStateExited " +
		"TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited " +
		"ChoiceStateEntered ChoiceStateExited FailStateEntered ExecutionFailed"
	if got := history(evs); got != want {
		t.Fatalf("history\n got  %s\n want %s", got, want)
	}
	checkChain(t, evs)
	if len(inv.convertIn) != 1 {
		t.Fatalf("convert ran %d times, want 1: UnsupportedImage is not retried", len(inv.convertIn))
	}
	if evs[11].Details["name"] != "RecordFailure" {
		t.Fatalf("after the catch the workflow entered %v, want RecordFailure", evs[11].Details["name"])
	}
}

func TestThumbnailConvertTimeoutIsRetried(t *testing.T) {
	// A convert attempt that outlives TimeoutSeconds ends as States.Timeout,
	// which the workflow retries.
	m := loadThumbnail(t)
	inBubble(t, func(t *testing.T) { // see runThumbnail
		clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		var mu sync.Mutex
		calls := 0
		inv := invokerFunc(func(ctx context.Context, fn string, payload []byte) ([]byte, error) {
			if fn == statusARN {
				return []byte(`{}`), nil
			}
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 1 {
				if err := clock.Sleep(ctx, time.Minute); err != nil {
					return nil, err
				}
			}
			return []byte(`{"renditions":[]}`), nil
		})
		rec := &recorder{}
		exec := testExec(clock)
		exec.Input = json.RawMessage(`{"uploadId":"u1","bucket":"b","key":"k","size":1,"contentType":"image/png","eTag":"e1","versionId":""}`)
		res := m.Run(context.Background(), exec, Options{Clock: clock, Invoker: inv, Record: rec.record})
		if res.Status != StatusSucceeded {
			t.Fatalf("result %+v", res)
		}
		if !strings.Contains(history(rec.events), "LambdaFunctionTimedOut LambdaFunctionScheduled") {
			t.Fatalf("history %s: want a timed-out attempt followed by a retry", history(rec.events))
		}
	})
}

type invokerFunc func(ctx context.Context, fn string, payload []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	return f(ctx, fn, payload)
}
