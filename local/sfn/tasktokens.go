package sfn

import (
	"encoding/json"
	"errors"

	"thumbflow/local/asl"
)

// The callbacks of tasks that wait for a task token (.waitForTaskToken).
type (
	SendTaskSuccessInput struct {
		TaskToken string  `json:"taskToken"`
		Output    *string `json:"output"`
	}
	SendTaskFailureInput struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	SendTaskHeartbeatInput struct {
		TaskToken string `json:"taskToken"`
	}
)

// maxTaskToken is the API's limit on a task token's length.
const maxTaskToken = 2048

func checkToken(token string) error {
	if token == "" {
		return apiErr("ValidationException", "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null")
	}
	if len(token) > maxTaskToken {
		return apiErr("ValidationException", "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length less than or equal to %d", maxTaskToken)
	}
	return nil
}

// tokenErr renders the interpreter's token errors as the API's.
func tokenErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, asl.ErrInvalidToken):
		return apiErr("InvalidToken", "Invalid Token: 'Invalid token'")
	case errors.Is(err, asl.ErrTaskDoesNotExist):
		return apiErr("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'")
	case errors.Is(err, asl.ErrTaskTimedOut):
		return apiErr("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return serviceErr(err)
}

// SendTaskSuccess completes the task waiting for the token with output.
func (s *Service) SendTaskSuccess(in SendTaskSuccessInput) error {
	if err := checkToken(in.TaskToken); err != nil {
		return err
	}
	if in.Output == nil {
		return apiErr("ValidationException", "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null")
	}
	if len(*in.Output) > maxInput {
		return apiErr("InvalidOutput", "Invalid Output: 'Output is larger than the maximum allowed size of %d bytes'", maxInput)
	}
	if !json.Valid([]byte(*in.Output)) {
		return apiErr("InvalidOutput", "Invalid Output: 'Invalid JSON'")
	}
	return tokenErr(s.tokens.Succeed(in.TaskToken, json.RawMessage(*in.Output)))
}

// SendTaskFailure fails the task waiting for the token; its Retry and
// Catch see the error.
func (s *Service) SendTaskFailure(in SendTaskFailureInput) error {
	if err := checkToken(in.TaskToken); err != nil {
		return err
	}
	if len(in.Error) > 256 {
		return apiErr("ValidationException", "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(in.Cause) > 32768 {
		return apiErr("ValidationException", "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	return tokenErr(s.tokens.Fail(in.TaskToken, in.Error, in.Cause))
}

// SendTaskHeartbeat restarts the task's HeartbeatSeconds count.
func (s *Service) SendTaskHeartbeat(in SendTaskHeartbeatInput) error {
	if err := checkToken(in.TaskToken); err != nil {
		return err
	}
	return tokenErr(s.tokens.Heartbeat(in.TaskToken))
}
