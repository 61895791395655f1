package sfn

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// realService is a service with the real interpreter and no functions.
func realService(t *testing.T) (*Service, *awssfn.Client) {
	t.Helper()
	s, err := New(Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, client(t, s)
}

func TestValidateStateMachineDefinition(t *testing.T) {
	_, c := realService(t)
	ctx := context.Background()
	thumbnail, err := os.ReadFile("../../statemachine/thumbnail.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	def, err := Substitute(string(thumbnail), map[string]string{
		"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert",
		"StatusFunctionArn":  "arn:aws:lambda:us-east-1:000000000000:function:status",
	})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: &def})
	if err != nil || ok.Result != types.ValidateStateMachineDefinitionResultCodeOk || len(ok.Diagnostics) != 0 {
		t.Fatalf("the thumbnail workflow: %v %+v", err, ok)
	}
	bad := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","Extra":1},"C":{"Type":"Succeed"}}}`
	out, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad)})
	if err != nil || out.Result != types.ValidateStateMachineDefinitionResultCodeFail {
		t.Fatalf("bad definition: %v %+v", err, out)
	}
	var got []string
	for _, d := range out.Diagnostics {
		got = append(got, string(d.Severity)+" "+aws.ToString(d.Code)+" "+aws.ToString(d.Location))
	}
	want := "ERROR SCHEMA_VALIDATION_FAILED /States/A|ERROR MISSING_TRANSITION_TARGET /States/A|ERROR UNREACHABLE_STATE /States/C"
	if strings.Join(got, "|") != want {
		t.Errorf("diagnostics\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	one, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad), MaxResults: 1})
	if err != nil || len(one.Diagnostics) != 1 || !aws.ToBool(one.Truncated) {
		t.Errorf("maxResults 1: %v %+v", err, one)
	}
	notJSON, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{"StartAt":`)})
	if err != nil || notJSON.Result != types.ValidateStateMachineDefinitionResultCodeFail || aws.ToString(notJSON.Diagnostics[0].Code) != "INVALID_JSON_DESCRIPTION" {
		t.Errorf("not JSON: %v %+v", err, notJSON)
	}

	// CreateStateMachine refuses the same definition with AWS's message.
	_, err = c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(bad), RoleArn: aws.String(role)})
	var inv *types.InvalidDefinition
	if !errors.As(err, &inv) {
		t.Fatalf("create with a bad definition: %v, want InvalidDefinition", err)
	} else {
		msg := aws.ToString(inv.Message)
		wantMsg := `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field "Extra" is not supported by Step Functions for Pass states at /States/A, ` +
			`MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A, UNREACHABLE_STATE: State "C" is not reachable. at /States/C'`
		if msg != wantMsg {
			t.Errorf("InvalidDefinition message\n got %s\nwant %s", msg, wantMsg)
		}
	}
}
