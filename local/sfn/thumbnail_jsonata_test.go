package sfn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"thumbflow/local/asl"
)

// thumbnailJSONata is statemachine/thumbnail.asl.json rewritten in the
// JSONata query language, as Workflow Studio would write it: Arguments
// for Parameters, Output (with $merge) for ResultPath, a workflow
// variable for the renditions, and Fail's Error and Cause as
// expressions. Retry and Catch are unchanged.
const thumbnailJSONata = `{
  "Comment": "thumbflow's thumbnail workflow in JSONata (test copy)",
  "QueryLanguage": "JSONata",
  "StartAt": "MarkConverting",
  "TimeoutSeconds": 600,
  "States": {
    "MarkConverting": {
      "Type": "Task",
      "Resource": "${StatusFunctionArn}",
      "Arguments": {
        "uploadId": "{% $states.input.uploadId %}",
        "state": "converting",
        "executionArn": "{% $states.context.Execution.Id %}"
      },
      "Output": "{% $states.input %}",
      "TimeoutSeconds": 20,
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2, "JitterStrategy": "FULL"}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $merge([$states.input, {'notifyError': $states.errorOutput}]) %}", "Next": "Convert"}],
      "Next": "Convert"
    },
    "Convert": {
      "Type": "Task",
      "Resource": "${ConvertFunctionArn}",
      "Arguments": {
        "uploadId": "{% $states.input.uploadId %}",
        "bucket": "{% $states.input.bucket %}",
        "key": "{% $states.input.key %}",
        "versionId": "{% $states.input.versionId %}",
        "size": "{% $states.input.size %}",
        "contentType": "{% $states.input.contentType %}",
        "retryCount": "{% $states.context.State.RetryCount %}",
        "executionArn": "{% $states.context.Execution.Id %}"
      },
      "Assign": {"renditions": "{% $states.result.renditions %}"},
      "Output": "{% $merge([$states.input, {'conversion': $states.result}]) %}",
      "TimeoutSeconds": "{% 25 %}",
      "Retry": [{
        "ErrorEquals": ["TransientError", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "States.Timeout"],
        "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2, "MaxDelaySeconds": 20, "JitterStrategy": "FULL"
      }],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $merge([$states.input, {'error': $states.errorOutput}]) %}", "Next": "RecordFailure"}],
      "Next": "RecordSuccess"
    },
    "RecordSuccess": {
      "Type": "Task",
      "Resource": "${StatusFunctionArn}",
      "Arguments": {
        "uploadId": "{% $states.input.uploadId %}",
        "state": "succeeded",
        "executionArn": "{% $states.context.Execution.Id %}",
        "renditions": "{% $renditions %}"
      },
      "Output": "{% $states.input %}",
      "TimeoutSeconds": 20,
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 5, "MaxDelaySeconds": 10, "BackoffRate": 2, "JitterStrategy": "FULL"}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $merge([$states.input, {'notifyError': $states.errorOutput}]) %}", "Next": "Converted"}],
      "Next": "Converted"
    },
    "Converted": {"Type": "Succeed"},
    "RecordFailure": {
      "Type": "Task",
      "Resource": "${StatusFunctionArn}",
      "Arguments": {
        "uploadId": "{% $states.input.uploadId %}",
        "state": "failed",
        "executionArn": "{% $states.context.Execution.Id %}",
        "error": "{% $states.input.error %}"
      },
      "Output": "{% $states.input %}",
      "TimeoutSeconds": 20,
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 5, "MaxDelaySeconds": 10, "BackoffRate": 2, "JitterStrategy": "FULL"}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $merge([$states.input, {'notifyError': $states.errorOutput}]) %}", "Next": "ConversionFailed"}],
      "Next": "ConversionFailed"
    },
    "ConversionFailed": {
      "Type": "Fail",
      "Error": "{% $states.input.error.Error %}",
      "Cause": "{% $states.input.error.Cause %}"
    }
  }
}`

// jsonataDir writes the JSONata thumbnail workflow where LoadDir finds it
// as the state machine "thumbnail".
func jsonataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thumbnail.asl.json"), []byte(thumbnailJSONata), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestThumbnailJSONataHappyPath(t *testing.T) {
	sum, evs := runThumbnailFrom(t, jsonataDir(t))
	if sum.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s %s", sum.Status, sum.Error, sum.Cause)
	}
	want := expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionSucceeded TaskStateExited",
		markConverting, "SucceedStateEntered SucceedStateExited ExecutionSucceeded")
	if got := eventTypes(evs); got != want {
		t.Errorf("history\n got:\n%s\nwant:\n%s", got, want)
	}
	var recordSuccessInput, convertExit string
	for _, ev := range evs {
		switch {
		case ev.Type == "LambdaFunctionScheduled" && strings.Contains(ev.Details["input"].(string), `"succeeded"`):
			recordSuccessInput = ev.Details["input"].(string)
		case ev.Type == "TaskStateExited" && ev.Details["name"] == "Convert":
			convertExit = ev.Details["output"].(string)
			if av, _ := ev.Details["assignedVariables"].(map[string]any); av["renditions"] != `["thumb.webp"]` {
				t.Errorf("Convert assigned %v", ev.Details["assignedVariables"])
			}
		}
	}
	// The variable assigned by Convert reaches RecordSuccess's Arguments.
	if !strings.Contains(recordSuccessInput, `"renditions":["thumb.webp"]`) || !strings.Contains(recordSuccessInput, `"executionArn":"arn:aws:states:`) {
		t.Errorf("RecordSuccess payload %s", recordSuccessInput)
	}
	if !strings.Contains(convertExit, `"conversion":{"renditions":["thumb.webp"]}`) || !strings.Contains(convertExit, `"uploadId":"u1"`) {
		t.Errorf("Convert output %s", convertExit)
	}
}

func TestThumbnailJSONataRetryPath(t *testing.T) {
	sum, evs := runThumbnailFrom(t, jsonataDir(t), &TransientError{"s3 hiccup"}, &TransientError{"s3 hiccup"})
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
	// $states.context.State.RetryCount counts the Convert attempts.
	var counts []string
	for _, ev := range evs {
		if in, _ := ev.Details["input"].(string); ev.Type == "LambdaFunctionScheduled" && strings.Contains(in, `"retryCount"`) {
			_, rest, _ := strings.Cut(in, `"retryCount":`)
			counts = append(counts, rest[:1])
		}
	}
	if strings.Join(counts, ",") != "0,1,2" {
		t.Errorf("retry counts %v, want 0,1,2", counts)
	}
}

func TestThumbnailJSONataFailurePath(t *testing.T) {
	sum, evs := runThumbnailFrom(t, jsonataDir(t), &CorruptImage{})
	if sum.Status != asl.StatusFailed || sum.Error != "CorruptImage" || sum.Cause != `{"errorMessage":"the file is not an image we can read","errorType":"CorruptImage"}` {
		t.Fatalf("end %s %q %q", sum.Status, sum.Error, sum.Cause)
	}
	want := expect("ExecutionStarted", markConverting,
		"TaskStateEntered", convertTry, "LambdaFunctionFailed TaskStateExited",
		markConverting, "FailStateEntered ExecutionFailed")
	if got := eventTypes(evs); got != want {
		t.Errorf("history\n got:\n%s\nwant:\n%s", got, want)
	}
}
