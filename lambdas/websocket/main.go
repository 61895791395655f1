// Command websocket is the Lambda function behind every route of the
// WebSocket API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"thumbflow/lambdas/wiring"
)

func main() {
	log := wiring.Logger("websocket")
	var env wiring.Env
	ctx := context.Background()
	secretID := env.Require("TOKEN_KEY_SECRET_ID")
	cfg, err := wiring.AWS(ctx)
	wiring.Must(log, &env, err)
	key, err := wiring.TokenKey(ctx, cfg, secretID)
	wiring.Must(log, &env, err)
	h, err := wiring.WebSocket(&env, cfg, key, log)
	wiring.Must(log, &env, err)
	lambda.Start(h.Handle)
}
