// Command status is a Lambda function the state machine calls:
// it records a change of state and pushes it to the browsers watching.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/wiring"
)

func main() {
	log := wiring.Logger("status")
	var env wiring.Env
	cfg, err := wiring.AWS(context.Background())
	h := wiring.Status(&env, cfg, log, os.Stdout)
	wiring.Must(log, &env, err)
	lambda.Start(h.Handle)
}
