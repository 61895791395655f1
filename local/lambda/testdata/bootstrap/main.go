// Command bootstrap is a function built like the stack's: aws-lambda-go on
// the Runtime API. TestProcess runs it through Process. BOOTSTRAP_MODE
// "exit-init" makes it exit before it polls for an invocation.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// CorruptImage is a typed error: the runtime reports its type name as the
// errorType, which Step Functions matches.
type CorruptImage struct{ msg string }

func (e *CorruptImage) Error() string { return e.msg }

type request struct {
	Fail string `json:"fail"`
	Exit bool   `json:"exit"`
}

type response struct {
	Greeting  string `json:"greeting"`
	RequestID string `json:"requestId"`
	Deadline  bool   `json:"deadline"`
}

func handle(ctx context.Context, req request) (response, error) {
	if req.Exit {
		os.Exit(3)
	}
	switch req.Fail {
	case "CorruptImage":
		return response{}, &CorruptImage{msg: "not an image"}
	case "plain":
		return response{}, errors.New("plain failure")
	}
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	return response{Greeting: os.Getenv("GREETING"), RequestID: lc.AwsRequestID, Deadline: hasDeadline}, nil
}

func main() {
	if os.Getenv("BOOTSTRAP_MODE") == "exit-init" {
		os.Exit(1)
	}
	lambda.Start(handle)
}
