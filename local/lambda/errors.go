package lambda

import (
	"encoding/json"
	"errors"
)

// FunctionError is a function's own failure, as the Lambda runtime reports
// it: {"errorType": Type, "errorMessage": Message}. Payload is that error
// payload as the runtime wrote it.
type FunctionError struct {
	Type    string
	Message string
	Payload []byte
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// StatesError names the failure as Step Functions reports a failed Lambda
// task: the errorType is the error, and the error payload the cause. It
// satisfies asl.NamedError, so the interpreter needs no translation.
func (e *FunctionError) StatesError() (name, cause string) {
	if len(e.Payload) == 0 {
		return e.Type, string(errorPayload(e.Type, e.Message))
	}
	return e.Type, string(e.Payload)
}

// ServiceError is a failure of the Lambda service rather than of the
// function (an unknown function, throttling, a malformed request), named as
// Step Functions names it in ErrorEquals, for example
// "Lambda.ResourceNotFoundException".
type ServiceError struct {
	Name  string
	Cause string
}

func (e *ServiceError) Error() string { return e.Name + ": " + e.Cause }

// StatesError returns the error's name and cause; see FunctionError.
func (e *ServiceError) StatesError() (name, cause string) { return e.Name, e.Cause }

func newFunctionError(typ, msg string) *FunctionError {
	return &FunctionError{Type: typ, Message: msg, Payload: errorPayload(typ, msg)}
}

// errorPayload is the error payload the Lambda runtime for Go writes.
func errorPayload(typ, msg string) []byte {
	payload, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{msg, typ})
	return payload
}

// TooManyRequests is the error of an invocation throttled because the
// function (or the account's unreserved pool) is at its concurrency: the
// Lambda service refuses it before the function runs.
const TooManyRequests = "Lambda.TooManyRequestsException"

// Throttled reports whether err is a throttled invocation, which
// asynchronous callers keep and retry rather than count as a failure.
func Throttled(err error) bool {
	var se *ServiceError
	return errors.As(err, &se) && se.Name == TooManyRequests
}
