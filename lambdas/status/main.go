// Command status is the Lambda function the state machine calls to record
// a change of state and push it to the browsers watching the upload.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/pipeline"
	"thumbflow/lambdas/wiring"
)

func main() {
	log := wiring.Logger("status")
	var env wiring.Env
	records := env.Require("RECORDS_BUCKET")
	connections := env.Require("CONNECTIONS_ENDPOINT")
	wiring.Must(log, env.Err())
	cfg, err := wiring.AWS(context.Background())
	wiring.Must(log, err)
	h := &pipeline.Status{
		Publisher: wiring.Publisher(wiring.S3(cfg), wiring.Connections(cfg, connections), records, log),
		Log:       log,
	}
	lambda.Start(h.Handle)
}
