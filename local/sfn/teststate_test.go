package sfn

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/local/lambda"
)

const uploadInput = `{"uploadId":"u1","bucket":"b","key":"originals/u1","size":10,"contentType":"image/png","eTag":"e1","versionId":""}`

func thumbnailDefinition(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../statemachine/thumbnail.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	def, err := Substitute(string(b), map[string]string{
		"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert",
		"StatusFunctionArn":  "arn:aws:lambda:us-east-1:000000000000:function:status",
	})
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// TestTestStateConvertRetrier tests the thumbnail workflow's Convert
// state with mocked errors, as AWS's TestState documentation describes:
// a retriable error is RETRIABLE with the retrier's index and back-off
// until its MaxAttempts are used, then the catcher takes it.
func TestTestStateConvertRetrier(t *testing.T) {
	_, c := realService(t)
	ctx := context.Background()
	def := thumbnailDefinition(t)
	test := func(level types.InspectionLevel, retried int32, mock *types.MockInput) *awssfn.TestStateOutput {
		t.Helper()
		out, err := c.TestState(ctx, &awssfn.TestStateInput{
			Definition: &def, StateName: aws.String("Convert"), RoleArn: aws.String(role), Input: aws.String(uploadInput),
			InspectionLevel: level, Mock: mock, StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(retried)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	transient := &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("TransientError"), Cause: aws.String("the store was busy")}}
	for retried, backoff := range []int32{2, 4, 8} {
		out := test(types.InspectionLevelInfo, int32(retried), transient)
		d := out.InspectionData
		if out.Status != types.TestExecutionStatusRetriable || aws.ToString(out.NextState) != "Convert" || aws.ToString(out.Error) != "TransientError" ||
			d == nil || d.ErrorDetails == nil || aws.ToInt32(d.ErrorDetails.RetryIndex) != 1 || aws.ToInt32(d.ErrorDetails.RetryBackoffIntervalSeconds) != backoff {
			t.Errorf("retry %d: %s next %s %+v", retried, out.Status, aws.ToString(out.NextState), d)
		}
	}
	// A throttle has the first retrier, its own budget: 1, 2, 4, 8, 16,
	// then 30 s, 40 times.
	throttle := &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Lambda.TooManyRequestsException"), Cause: aws.String("Rate Exceeded.")}}
	for retried, backoff := range map[int32]int32{0: 1, 4: 16, 5: 30, 39: 30} {
		out := test(types.InspectionLevelInfo, retried, throttle)
		d := out.InspectionData
		if out.Status != types.TestExecutionStatusRetriable || d == nil || d.ErrorDetails == nil ||
			aws.ToInt32(d.ErrorDetails.RetryIndex) != 0 || aws.ToInt32(d.ErrorDetails.RetryBackoffIntervalSeconds) != backoff {
			t.Errorf("throttle %d: %s next %s %+v", retried, out.Status, aws.ToString(out.NextState), d)
		}
	}
	if out := test(types.InspectionLevelInfo, 40, throttle); out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "RecordFailure" {
		t.Errorf("throttled past its budget: %s next %s", out.Status, aws.ToString(out.NextState))
	}
	// MaxAttempts (3) used up: the catcher records the failure.
	out := test(types.InspectionLevelDebug, 3, transient)
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "RecordFailure" ||
		out.InspectionData.ErrorDetails == nil || aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex) != 0 || out.InspectionData.ErrorDetails.RetryIndex != nil {
		t.Fatalf("exhausted: %s next %s %+v", out.Status, aws.ToString(out.NextState), out.InspectionData.ErrorDetails)
	}
	var caught map[string]any
	json.Unmarshal([]byte(aws.ToString(out.Output)), &caught)
	if e, _ := caught["error"].(map[string]any); e["Error"] != "TransientError" || e["Cause"] != "the store was busy" || caught["uploadId"] != "u1" {
		t.Errorf("caught output %s", aws.ToString(out.Output))
	}
	// A user error is not retried at all.
	out = test(types.InspectionLevelInfo, 0, &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("CorruptImage"), Cause: aws.String("not an image")}})
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "RecordFailure" {
		t.Errorf("CorruptImage: %s next %s", out.Status, aws.ToString(out.NextState))
	}
	// A mocked success, inspected step by step.
	out = test(types.InspectionLevelDebug, 1, &types.MockInput{Result: aws.String(`{"renditions":["thumb.webp"]}`)})
	d := out.InspectionData
	if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "RecordSuccess" || d == nil {
		t.Fatalf("success: %s %s %+v", out.Status, aws.ToString(out.NextState), d)
	}
	if !strings.Contains(aws.ToString(d.AfterParameters), `"retryCount":1`) || aws.ToString(d.Result) != `{"renditions":["thumb.webp"]}` ||
		!strings.Contains(aws.ToString(d.AfterResultPath), `"conversion":{"renditions":["thumb.webp"]}`) || !sameJSON(aws.ToString(d.Input), uploadInput) || !sameJSON(aws.ToString(d.AfterInputPath), uploadInput) {
		t.Errorf("inspection data: params %s result %s afterResultPath %s", aws.ToString(d.AfterParameters), aws.ToString(d.Result), aws.ToString(d.AfterResultPath))
	}
	if out := test(types.InspectionLevelInfo, 0, &types.MockInput{Result: aws.String(`{}`)}); out.InspectionData != nil {
		t.Errorf("INFO returned inspection data for a success: %+v", out.InspectionData)
	}
}

func TestTestStateInvokesTheFunction(t *testing.T) {
	reg := lambda.NewRegistry("us-east-1", "000000000000")
	reg.Register("convert", func(map[string]any) (map[string]any, error) { return nil, &TransientError{msg: "busy"} }, lambda.FunctionOptions{})
	s, err := New(Options{Invoker: reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := client(t, s)
	ctx := context.Background()
	state := `{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:convert","Retry":[{"ErrorEquals":["TransientError"],"MaxAttempts":1}],"Next":"Done"}`
	out, err := c.TestState(ctx, &awssfn.TestStateInput{Definition: &state, RoleArn: aws.String(role), InspectionLevel: types.InspectionLevelTrace})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.TestExecutionStatusRetriable || aws.ToString(out.Error) != "TransientError" || aws.ToInt32(out.InspectionData.ErrorDetails.RetryBackoffIntervalSeconds) != 1 {
		t.Errorf("real call: %s %s %+v", out.Status, aws.ToString(out.Error), out.InspectionData)
	}
	pass := `{"Type":"Pass","Parameters":{"n.$":"$.n"},"ResultPath":"$.p","End":true}`
	out, err = c.TestState(ctx, &awssfn.TestStateInput{Definition: &pass, Input: aws.String(`{"n":1}`), InspectionLevel: types.InspectionLevelDebug})
	if err != nil || out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `{"n":1,"p":{"n":1}}` || out.NextState != nil ||
		aws.ToString(out.InspectionData.AfterParameters) != `{"n":1}` {
		t.Errorf("Pass: %v %+v", err, out)
	}
	_, err = c.TestState(ctx, &awssfn.TestStateInput{Definition: &pass, Mock: &types.MockInput{Result: aws.String(`{}`)}})
	wantErr[*types.ValidationException](t, "a mock on a Pass state", err)
	_, err = c.TestState(ctx, &awssfn.TestStateInput{Definition: &state, Context: aws.String(`{}`)})
	wantErr[*types.ValidationException](t, "a context without a mock", err)
	_, err = c.TestState(ctx, &awssfn.TestStateInput{Definition: aws.String(`{"Type":"Task"}`)})
	wantErr[*types.InvalidDefinition](t, "a Task without Resource", err)
	invoke := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"convert"},"End":true}`
	_, err = c.TestState(ctx, &awssfn.TestStateInput{Definition: &invoke, Mock: &types.MockInput{Result: aws.String(`{"Payload":{},"Bogus":1}`)}})
	wantErr[*types.ValidationException](t, "a STRICT mock with a field Invoke lacks", err)
	out, err = c.TestState(ctx, &awssfn.TestStateInput{Definition: &invoke, Mock: &types.MockInput{Result: aws.String(`{"Payload":{"ok":true},"StatusCode":200}`)}})
	if err != nil || out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `{"Payload":{"ok":true},"StatusCode":200}` {
		t.Errorf("mocked lambda:invoke: %v %+v", err, out)
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}
