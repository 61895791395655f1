// Command sweep is a Lambda function a schedule invokes: it starts the
// conversion of originals whose storage event never started one, from the
// pending markers (upload.Sweeper; docs/reliability.md, "The sweeper").
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/wiring"
)

func main() {
	log := wiring.Logger("sweep")
	var env wiring.Env
	cfg, err := wiring.AWS(context.Background())
	h, buildErr := wiring.Sweep(&env, cfg, log, os.Stdout)
	if err == nil {
		err = buildErr
	}
	wiring.Must(log, &env, err)
	lambda.Start(h.Handle)
}
