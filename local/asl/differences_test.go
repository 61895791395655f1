package asl

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

// These tests pin behaviours in which the interpreter used to differ from
// AWS, each as AWS's documentation (or, where it is silent, a recorded
// AWS message) describes it.

// run runs def on input with inv and returns the result and its events.
func run(t *testing.T, def, input string, inv Invoker) (Result, []Event) {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	clock := clocktest.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	exec := testExec(clock)
	exec.Input = json.RawMessage(input)
	res := m.Run(context.Background(), exec, Options{Clock: clock, Invoker: inv, Record: func(ev Event, _ Checkpoint) error {
		evs = append(evs, ev)
		return nil
	}})
	return res, evs
}

// "MaxConcurrencyPath … ToleratedFailureCountPath … ToleratedFailurePercentagePath":
// the reference path may select a number or a string that holds one.
func TestMapPathsAcceptNumericStrings(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
		"MaxConcurrencyPath":"$.conc","ToleratedFailureCountPath":"$.count","ToleratedFailurePercentagePath":"$.pct",
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	res, _ := run(t, def, `{"items":[1,2],"conc":"1","count":"0","pct":"12.5"}`, nil)
	if res.Status != StatusSucceeded || string(res.Output) != "[1,2]" {
		t.Errorf("numeric strings: %s %s %s", res.Status, res.Output, res.Cause)
	}
	res, _ = run(t, def, `{"items":[1],"conc":"two","count":0,"pct":0}`, nil)
	if res.Status != StatusFailed || !strings.Contains(res.Cause, `The MaxConcurrencyPath field refers to value "two" which is not a valid integer`) {
		t.Errorf("a non-numeric string: %s %s", res.Status, res.Cause)
	}
}

// AWS's cause for a negative integer SecondsPath (an integer that is not
// negative waits; a fraction "cannot be parsed as a long value", as the
// recorded base/test_base_wait_seconds_path[-1.5] case shows).
func TestNegativeSecondsPathCause(t *testing.T) {
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`
	res, _ := run(t, def, `{"s":-1}`, nil)
	want := "An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1"
	if res.Status != StatusFailed || res.Error != "States.Runtime" || res.Cause != want {
		t.Errorf("got %s %s %q\nwant cause %q", res.Status, res.Error, res.Cause, want)
	}
}

// Bracket notation keys may contain quotes and backslashes, escaped with a
// backslash, also inside an intrinsic function's arguments and before a
// dot-child that needs brackets itself.
func TestBracketKeysWithEscapes(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
		"quote.$":"$['it\\'s']",
		"dquote.$":"$[\"say \\\"hi\\\"\"]",
		"backslash.$":"$['a\\\\b']",
		"dashed.$":"$['it\\'s'].d-e",
		"format.$":"States.Format('{} {}', $['a\\\\b'], $['it\\'s'].d-e)"
	},"End":true}}}`
	res, _ := run(t, def, `{"it's":{"d-e":1},"say \"hi\"":2,"a\\b":3}`, nil)
	want := `{"backslash":3,"dashed":1,"dquote":2,"format":"3 1","quote":{"d-e":1}}`
	if res.Status != StatusSucceeded || string(res.Output) != want {
		t.Errorf("got %s %s %s\nwant %s", res.Status, res.Output, res.Cause, want)
	}
}

// A distributed Map's Label is the map run ARN's label:
// arn:aws:states:<region>:<account>:mapRun:<stateMachine>/<label>:<id>.
func TestMapLabelInMapRunARN(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Resize","ItemsPath":"$.items",
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	res, evs := run(t, def, `{"items":[1]}`, nil)
	if res.Status != StatusSucceeded {
		t.Fatalf("%s %s", res.Status, res.Cause)
	}
	var arn string
	for _, ev := range evs {
		if ev.Type == "MapRunStarted" {
			arn, _ = ev.Details["mapRunArn"].(string)
		}
	}
	if !strings.HasPrefix(arn, "arn:aws:states:us-east-1:111111111111:mapRun:sm/Resize:") {
		t.Errorf("map run ARN %q, want the label Resize", arn)
	}
	if _, err := Parse([]byte(strings.Replace(def, `"Resize"`, `"has space"`, 1))); err == nil {
		t.Error("a Label with a space was accepted")
	}
}

// States.DataLimitExceeded names the resource: the function ARN for a
// Lambda function resource (the lambda:invoke integration names "lambda",
// as the recorded error_handling cases show).
func TestDataLimitExceededNamesTheResource(t *testing.T) {
	big := invokerFunc(func(context.Context, string, []byte) ([]byte, error) {
		return []byte(`"` + strings.Repeat("x", maxPayload) + `"`), nil
	})
	fn := "arn:aws:lambda:us-east-1:111111111111:function:big"
	res, _ := run(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fn+`","End":true}}}`, `{}`, big)
	want := "The state/task '" + fn + "' returned a result with a size exceeding the maximum number of bytes service limit."
	if res.Error != "States.DataLimitExceeded" || res.Cause != want {
		t.Errorf("got %s %q, want %q", res.Error, res.Cause, want)
	}
}

type tailInvoker struct{}

func (tailInvoker) Invoke(ctx context.Context, fn string, p []byte) ([]byte, error) {
	return []byte(`{"ok":true}`), nil
}

func (tailInvoker) InvokeWithLog(ctx context.Context, fn string, p []byte) ([]byte, string, error) {
	return []byte(`{"ok":true}`), strings.Repeat("a", 5000) + "converted 3 renditions\n", nil
}

// lambda:invoke with "LogType": "Tail" returns the last 4 KB of the
// function's log, base64-encoded, as LogResult.
func TestLogTypeTailReturnsLogResult(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"f","Payload":{},"LogType":"Tail"},"End":true}}}`
	for name, inv := range map[string]Invoker{"with the function's log": tailInvoker{}, "platform lines only": invokerFunc(func(context.Context, string, []byte) ([]byte, error) { return []byte(`{}`), nil })} {
		res, _ := run(t, def, `{}`, inv)
		var out struct{ LogResult string }
		json.Unmarshal(res.Output, &out)
		log, err := base64.StdEncoding.DecodeString(out.LogResult)
		if res.Status != StatusSucceeded || err != nil || len(log) == 0 || len(log) > 4096 {
			t.Errorf("%s: %s %s %v (%d bytes)", name, res.Status, res.Output, err, len(log))
			continue
		}
		if _, ok := inv.(tailInvoker); ok && !strings.HasSuffix(string(log), "converted 3 renditions\n") {
			t.Errorf("%s: the log does not end with the function's last line: %q", name, log[len(log)-40:])
		}
		if _, ok := inv.(tailInvoker); !ok && !strings.HasPrefix(string(log), "START RequestId: ") {
			t.Errorf("%s: %q", name, log)
		}
	}
	res, _ := run(t, strings.Replace(def, `,"LogType":"Tail"`, "", 1), `{}`, tailInvoker{})
	if strings.Contains(string(res.Output), "LogResult") {
		t.Errorf("LogResult without LogType Tail: %s", res.Output)
	}
}
