// Command convert is a Lambda function the state machine calls:
// it turns an original into its renditions.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/wiring"
)

func main() {
	// Before anything allocates: the collector must know the function's
	// memory, or a conversion within its budget can still exceed it.
	limit := wiring.SetMemoryLimitFromLambda()
	log := wiring.Logger("convert")
	log.Info("memory limit", "goMemLimitBytes", limit)
	var env wiring.Env
	cfg, err := wiring.AWS(context.Background())
	h := wiring.Convert(&env, cfg, log)
	wiring.Must(log, &env, err)
	lambda.Start(h.Handle)
}
