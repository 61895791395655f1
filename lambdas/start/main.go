// Command start is the Lambda function the uploads bucket notifies: it
// starts one execution of the thumbnail state machine per original.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/lambdas/pipeline"
	"thumbflow/lambdas/wiring"
)

func main() {
	log := wiring.Logger("start")
	var env wiring.Env
	stateMachine := env.Require("STATE_MACHINE_ARN")
	records := env.Require("RECORDS_BUCKET")
	connections := env.Require("CONNECTIONS_ENDPOINT")
	wiring.Must(log, env.Err())
	cfg, err := wiring.AWS(context.Background())
	wiring.Must(log, err)
	s3c := wiring.S3(cfg)
	h := &pipeline.Start{
		SFN:             sfn.NewFromConfig(cfg),
		S3:              s3c,
		Publisher:       wiring.Publisher(s3c, wiring.Connections(cfg, connections), records, log),
		StateMachineARN: stateMachine,
		Log:             log,
	}
	lambda.Start(h.Handle)
}
