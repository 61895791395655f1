package sfn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// jsonataDir puts the JSONata version of the thumbnail workflow where
// LoadDir finds it as the state machine "thumbnail". The definition
// (local/asl/testdata/thumbnail-jsonata.asl.json) is
// statemachine/thumbnail.asl.json rewritten as Workflow Studio would
// write it: Arguments for Parameters, Output (with $merge) for
// ResultPath, a workflow variable for the renditions, Fail's Error and
// Cause as expressions; Retry and Catch unchanged.
func jsonataDir(t *testing.T) string {
	t.Helper()
	def, err := os.ReadFile(filepath.Join("..", "asl", "testdata", "thumbnail-jsonata.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thumbnail.asl.json"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestThumbnailJSONataHappyPath(t *testing.T) {
	sum, evs := runThumbnailFrom(t, jsonataDir(t))
	wantSucceeded(t, sum)
	wantHistory(t, evs, happyHistory)
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
	wantSucceeded(t, sum)
	wantHistory(t, evs, retryHistory)
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
	wantCorruptImage(t, sum)
	wantHistory(t, evs, failureHistory)
}

// The API takes JSONata definitions: ValidateStateMachineDefinition
// accepts the JSONata workflow and reports a JSONPath field in a JSONata
// state where AWS does.
func TestValidateJSONataDefinition(t *testing.T) {
	_, c := realService(t)
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("..", "asl", "testdata", "thumbnail-jsonata.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := Substitute(string(raw), map[string]string{
		"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert",
		"StatusFunctionArn":  "arn:aws:lambda:us-east-1:000000000000:function:status",
	})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: &def})
	if err != nil || ok.Result != types.ValidateStateMachineDefinitionResultCodeOk {
		t.Fatalf("the JSONata thumbnail workflow: %v %+v", err, ok)
	}
	bad := `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.x","End":true}}}`
	out, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad)})
	if err != nil || out.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(out.Diagnostics) != 1 ||
		aws.ToString(out.Diagnostics[0].Location) != "/States/A" || !strings.Contains(aws.ToString(out.Diagnostics[0].Message), `"InputPath"`) {
		t.Fatalf("InputPath in a JSONata state: %v %+v", err, out)
	}
}
