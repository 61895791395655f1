// Command websocket is the Lambda function behind every route of the
// WebSocket API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"thumbflow/lambdas/wiring"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
	"thumbflow/websocket"
)

func main() {
	log := wiring.Logger("websocket")
	var env wiring.Env
	uploads := env.Require("UPLOADS_BUCKET")
	output := env.Require("OUTPUT_BUCKET")
	records := env.Require("RECORDS_BUCKET")
	secretID := env.Require("TOKEN_KEY_SECRET_ID")
	wiring.Must(log, env.Err())
	ctx := context.Background()
	cfg, err := wiring.AWS(ctx)
	wiring.Must(log, err)

	// The token key lives in Secrets Manager, generated there by the stack;
	// it is read once per cold start and never logged.
	secret, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	wiring.Must(log, err)
	signer, err := upload.NewSigner([]byte(aws.ToString(secret.SecretString)))
	wiring.Must(log, err)

	s3c := wiring.S3(cfg)
	spec := thumbnail.DefaultSpec()
	h := &websocket.Handler{
		Presigner:     s3.NewPresignClient(s3c),
		Store:         &s3store.Store{Client: s3c, Bucket: records},
		Signer:        signer,
		Limits:        upload.Limits{MaxBytes: spec.Limits.MaxBytes, Types: thumbnail.AcceptedContentTypes()},
		Renditions:    websocket.RenditionNames(spec),
		UploadsBucket: uploads,
		OutputBucket:  output,
		RecordsBucket: records,
		Log:           log,
	}
	lambda.Start(h.Handle)
}
