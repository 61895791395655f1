// Command start is the Lambda function the uploads bucket notifies: it
// starts one execution of the thumbnail state machine per original.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/wiring"
)

func main() {
	log := wiring.Logger("start")
	var env wiring.Env
	cfg, err := wiring.AWS(context.Background())
	h := wiring.Start(&env, cfg, log)
	wiring.Must(log, &env, err)
	lambda.Start(h.Handle)
}
