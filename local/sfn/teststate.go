package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"thumbflow/local/asl"
)

// The shapes of TestState.
type (
	TestStateInput struct {
		Definition         string              `json:"definition"`
		RoleARN            string              `json:"roleArn"`
		Input              *string             `json:"input"`
		InspectionLevel    string              `json:"inspectionLevel"`
		RevealSecrets      bool                `json:"revealSecrets"`
		Variables          *string             `json:"variables"`
		StateName          string              `json:"stateName"`
		Context            *string             `json:"context"`
		Mock               *TestStateMock      `json:"mock"`
		StateConfiguration *TestStateConfigure `json:"stateConfiguration"`
	}
	TestStateMock struct {
		Result      *string `json:"result"`
		ErrorOutput *struct {
			Error string `json:"error"`
			Cause string `json:"cause"`
		} `json:"errorOutput"`
		FieldValidationMode string `json:"fieldValidationMode"`
	}
	TestStateConfigure struct {
		RetrierRetryCount        int    `json:"retrierRetryCount"`
		ErrorCausedByState       string `json:"errorCausedByState"`
		MapIterationFailureCount int    `json:"mapIterationFailureCount"`
		MapItemReaderData        string `json:"mapItemReaderData"`
	}
	TestStateOutput struct {
		Status         string          `json:"status"`
		Output         *string         `json:"output,omitempty"`
		Error          string          `json:"error,omitempty"`
		Cause          string          `json:"cause,omitempty"`
		NextState      string          `json:"nextState,omitempty"`
		InspectionData *InspectionData `json:"inspectionData,omitempty"`
	}
	InspectionData struct {
		Input               string        `json:"input,omitempty"`
		AfterInputPath      string        `json:"afterInputPath,omitempty"`
		AfterParameters     string        `json:"afterParameters,omitempty"`
		Result              string        `json:"result,omitempty"`
		AfterResultSelector string        `json:"afterResultSelector,omitempty"`
		AfterResultPath     string        `json:"afterResultPath,omitempty"`
		Variables           string        `json:"variables,omitempty"`
		ErrorDetails        *ErrorDetails `json:"errorDetails,omitempty"`
	}
	ErrorDetails struct {
		CatchIndex                  *int `json:"catchIndex,omitempty"`
		RetryIndex                  *int `json:"retryIndex,omitempty"`
		RetryBackoffIntervalSeconds *int `json:"retryBackoffIntervalSeconds,omitempty"`
	}
)

// TestState runs one state once, as the TestState API does, with the
// service's Lambda functions unless a mock answers for them. Retry and
// Catch are reported, not applied: RETRIABLE names the retrier and its
// back-off (without jitter), CAUGHT_ERROR the catcher. INFO returns the
// error details only; DEBUG and TRACE return every step of the data flow
// (TRACE adds HTTP requests for HTTP Tasks on AWS, which the local engine
// does not run).
func (s *Service) TestState(in TestStateInput) (TestStateOutput, error) {
	level := in.InspectionLevel
	switch level {
	case "":
		level = "INFO"
	case "INFO", "DEBUG", "TRACE":
	default:
		return TestStateOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]", level)
	}
	if in.RoleARN != "" && (!strings.HasPrefix(in.RoleARN, "arn:") || !strings.Contains(in.RoleARN, ":iam::")) {
		return TestStateOutput{}, apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", in.RoleARN)
	}
	mock, err := testMock(in)
	if err != nil {
		return TestStateOutput{}, err
	}
	m, name, err := asl.ParseForTest([]byte(in.Definition), in.StateName)
	if err != nil {
		return TestStateOutput{}, invalidDefinition(err)
	}
	test := asl.StateTest{
		Mock: mock,
		Execution: asl.Execution{
			ARN:  fmt.Sprintf("arn:aws:states:%s:%s:execution:TestStateMachine:%s", s.opts.Region, s.opts.AccountID, newUUID()),
			Name: "TestExecution", StateMachineARN: fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:TestStateMachine", s.opts.Region, s.opts.AccountID),
			StateMachineName: "TestStateMachine", RoleARN: in.RoleARN, StartTime: s.opts.Clock.Now(),
		},
		Options: asl.Options{Clock: s.opts.Clock, Invoker: s.opts.Invoker, Tokens: s.tokens},
	}
	if in.Input != nil {
		if !json.Valid([]byte(*in.Input)) {
			return TestStateOutput{}, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Invalid JSON'")
		}
		test.Input = json.RawMessage(*in.Input)
		test.Execution.Input = test.Input
	}
	if in.Variables != nil {
		test.Variables = json.RawMessage(*in.Variables)
	}
	if in.Context != nil {
		test.Context = json.RawMessage(*in.Context)
	}
	if c := in.StateConfiguration; c != nil {
		if c.RetrierRetryCount < 0 {
			return TestStateOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'stateConfiguration.retrierRetryCount' failed to satisfy constraint: Member must have value greater than or equal to 0", c.RetrierRetryCount)
		}
		test.RetrierRetryCount = c.RetrierRetryCount
	}
	res, err := m.TestState(context.Background(), name, test)
	if err != nil {
		return TestStateOutput{}, apiErr("ValidationException", "%v", err)
	}
	return testStateOutput(res, level), nil
}

// testMock checks a TestState mock and its companions as AWS does.
func testMock(in TestStateInput) (*asl.Mock, error) {
	if in.Mock == nil {
		if in.Context != nil {
			return nil, apiErr("ValidationException", "A context can only be specified together with a mock")
		}
		return nil, nil
	}
	mk := in.Mock
	if (mk.Result == nil) == (mk.ErrorOutput == nil) {
		return nil, apiErr("ValidationException", "A mock must have exactly one of result and errorOutput")
	}
	switch mk.FieldValidationMode {
	case "", "STRICT", "PRESENT", "NONE":
	default:
		return nil, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]", mk.FieldValidationMode)
	}
	if mk.ErrorOutput != nil {
		return &asl.Mock{Failed: true, Error: mk.ErrorOutput.Error, Cause: mk.ErrorOutput.Cause}, nil
	}
	if !json.Valid([]byte(*mk.Result)) {
		return nil, apiErr("ValidationException", "The mocked result is not valid JSON")
	}
	if err := checkMockedInvoke(in.Definition, in.StateName, *mk.Result, mk.FieldValidationMode); err != nil {
		return nil, err
	}
	return &asl.Mock{Result: json.RawMessage(*mk.Result)}, nil
}

// lambdaInvokeFields are the members of Lambda's Invoke response, which a
// mocked arn:aws:states:::lambda:invoke result is validated against.
var lambdaInvokeFields = map[string]string{
	"StatusCode": "number", "FunctionError": "string", "LogResult": "string",
	"Payload": "", "ExecutedVersion": "string",
}

// checkMockedInvoke validates a mocked result of the lambda:invoke
// integration against Lambda's Invoke response: STRICT (the default)
// refuses members Invoke does not have, STRICT and PRESENT refuse members
// of the wrong type, NONE checks nothing. Function ARN resources return
// the function's own output, which has no model to check.
func checkMockedInvoke(definition, stateName, result, mode string) error {
	if mode == "NONE" || !strings.Contains(definition, "arn:aws:states:::lambda:invoke") {
		return nil
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(definition), &st); err != nil {
		return nil // the definition's own problem, reported by the parser
	}
	if stateName != "" {
		states, _ := st["States"].(map[string]any)
		st, _ = states[stateName].(map[string]any)
	}
	if res, _ := st["Resource"].(string); !strings.HasPrefix(res, "arn:aws:states:::lambda:invoke") {
		return nil
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(result), &fields); err != nil {
		return apiErr("ValidationException", "The mocked result must be a JSON object for arn:aws:states:::lambda:invoke")
	}
	for k, v := range fields {
		want, known := lambdaInvokeFields[k]
		if !known {
			if mode == "" || mode == "STRICT" {
				return apiErr("ValidationException", "The mocked result has the field %q, which Lambda's Invoke response does not have", k)
			}
			continue
		}
		ok := true
		switch want {
		case "number":
			_, ok = v.(float64)
		case "string":
			_, ok = v.(string)
		}
		if !ok {
			return apiErr("ValidationException", "The mocked result's field %q must be a %s", k, want)
		}
	}
	return nil
}

func testStateOutput(res asl.StateTestResult, level string) TestStateOutput {
	out := TestStateOutput{Status: res.Status, Error: res.Error, Cause: res.Cause, NextState: res.NextState}
	if res.Output != nil {
		o := string(res.Output)
		out.Output = &o
	}
	var details *ErrorDetails
	if res.RetryIndex != nil || res.CatchIndex != nil {
		details = &ErrorDetails{CatchIndex: res.CatchIndex, RetryIndex: res.RetryIndex, RetryBackoffIntervalSeconds: res.RetryBackoffIntervalSeconds}
	}
	if level == "INFO" {
		if details != nil {
			out.InspectionData = &InspectionData{ErrorDetails: details}
		}
		return out
	}
	ins := res.Inspection
	out.InspectionData = &InspectionData{
		Input: ins.Input, AfterInputPath: ins.AfterInputPath, AfterParameters: ins.AfterParameters,
		Result: ins.Result, AfterResultSelector: ins.AfterResultSelector, AfterResultPath: ins.AfterResultPath,
		Variables: ins.Variables, ErrorDetails: details,
	}
	return out
}
