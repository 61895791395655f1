package sqs

import (
	"encoding/json"
	"time"
)

// InvocationRecord is what Lambda writes to an asynchronous invocation's
// destination (EventInvokeConfig's OnFailure or OnSuccess), as its
// documentation shows it ("Capturing records of Lambda asynchronous
// invocations"): the request, the function's last response, and why the
// record was sent.
type InvocationRecord struct {
	Version         string          `json:"version"`
	Timestamp       string          `json:"timestamp"`
	RequestContext  RequestContext  `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext ResponseContext `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// RequestContext identifies the invocation. Condition is RetriesExhausted,
// EventAgeExceeded or Success; ApproximateInvokeCount counts the attempts.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the last attempt's outcome. FunctionError is
// "Unhandled" or "Handled" after a failure, absent after a success.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// NewFailureRecord is the record of an event whose every attempt failed:
// functionARN is the function's unqualified ARN (Lambda appends
// ":$LATEST"), payload the event, and errorPayload the last attempt's
// error as the function returned it ({"errorMessage":..,"errorType":..}).
func NewFailureRecord(requestID, functionARN string, attempts int, payload, errorPayload json.RawMessage, at time.Time) InvocationRecord {
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	if len(errorPayload) == 0 {
		errorPayload = json.RawMessage("null")
	}
	return InvocationRecord{
		Version:   "1.0",
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: RequestContext{
			RequestID: requestID, FunctionARN: functionARN + ":$LATEST",
			Condition: "RetriesExhausted", ApproximateInvokeCount: attempts,
		},
		RequestPayload:  payload,
		ResponseContext: ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		ResponsePayload: errorPayload,
	}
}
