// Command convert is the Lambda function that turns an original into its
// renditions.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/pipeline"
	"thumbflow/lambdas/wiring"
	"thumbflow/thumbnail"
)

func main() {
	log := wiring.Logger("convert")
	var env wiring.Env
	output := env.Require("OUTPUT_BUCKET")
	records := env.Require("RECORDS_BUCKET")
	connections := env.Require("CONNECTIONS_ENDPOINT")
	wiring.Must(log, env.Err())
	cfg, err := wiring.AWS(context.Background())
	wiring.Must(log, err)
	s3c := wiring.S3(cfg)
	h := &pipeline.Convert{
		S3:           s3c,
		OutputBucket: output,
		Spec:         thumbnail.DefaultSpec(),
		Publisher:    wiring.Publisher(s3c, wiring.Connections(cfg, connections), records, log),
		Log:          log,
	}
	lambda.Start(h.Handle)
}
