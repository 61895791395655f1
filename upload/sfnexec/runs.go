package sfnexec

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// RunsAPI is the part of the Step Functions client Runs calls.
type RunsAPI interface {
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// Runs tells the sweeper whether an execution exists. It implements
// upload.Runs.
type Runs struct {
	Client RunsAPI
}

// Exists describes the execution; ExecutionDoesNotExist is a false, not an
// error.
func (r *Runs) Exists(ctx context.Context, executionARN string) (bool, error) {
	_, err := r.Client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	if missing := (*types.ExecutionDoesNotExist)(nil); errors.As(err, &missing) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe execution %s: %w", executionARN, err)
	}
	return true, nil
}
