// Package sfnexec starts the workflow's executions through the Step
// Functions SDK: the adapter behind upload.Executions.
package sfnexec

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/upload"
)

// API is the part of the Step Functions client Executions calls.
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// Executions starts executions of one state machine. It implements
// upload.Executions.
type Executions struct {
	Client  API
	Machine string // the state machine's ARN
}

// StateMachineARN returns the state machine the executions belong to.
func (e *Executions) StateMachineARN() string { return e.Machine }

// Start starts an execution. Step Functions refuses a second execution of
// the same name (ExecutionAlreadyExists), which is how a duplicated event
// starts nothing: that refusal becomes upload.ErrExecutionExists.
func (e *Executions) Start(ctx context.Context, name string, input []byte) error {
	_, err := e.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(e.Machine),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	if exists := (*types.ExecutionAlreadyExists)(nil); errors.As(err, &exists) {
		return errors.Join(upload.ErrExecutionExists, err)
	}
	return err
}
