package wiring

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Deps is what a function's handler is built from: its environment, the
// AWS configuration its role and region give it, and its logger. The
// local cloud passes the same, pointed at its endpoint.
type Deps struct {
	Env *Env
	AWS aws.Config
	Log *slog.Logger
	// Metrics is where a function writes its embedded-metric-format
	// lines: stdout on Lambda; nil drops them.
	Metrics io.Writer
}

// Handler describes the code behind one function of template.yaml.
type Handler struct {
	// Build returns the value a Lambda main passes to lambda.Start.
	Build func(ctx context.Context, d Deps) (any, error)
	// CPUBound says the handler spends its invocations computing, not
	// waiting: the local cloud, which has only this machine's cores where
	// Lambda scales out, queues its invocations behind a pool the size of
	// the CPU count unless the template reserves a concurrency.
	CPUBound bool
}

// Handlers maps the logical id of each function in template.yaml to its
// handler. The local cloud builds every function of the template from this
// table and refuses one it does not list; the template test checks that
// the table and the template name the same functions.
var Handlers = map[string]Handler{
	"StartFunction": {Build: func(_ context.Context, d Deps) (any, error) {
		return Start(d.Env, d.AWS, d.Log).Handle, nil
	}},
	"ConvertFunction": {CPUBound: true, Build: func(_ context.Context, d Deps) (any, error) {
		return Convert(d.Env, d.AWS, d.Log).Handle, nil
	}},
	"StatusFunction": {Build: func(_ context.Context, d Deps) (any, error) {
		return Status(d.Env, d.AWS, d.Log, d.Metrics).Handle, nil
	}},
	"WebSocketFunction": {Build: buildWebSocket},
	"SweepFunction": {Build: func(_ context.Context, d Deps) (any, error) {
		h, err := Sweep(d.Env, d.AWS, d.Log, d.Metrics)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}},
}

// buildWebSocket reads the token key the way the websocket main does, by
// the secret id in TOKEN_KEY_SECRET_ID, before building the handler.
func buildWebSocket(ctx context.Context, d Deps) (any, error) {
	secretID := d.Env.Require("TOKEN_KEY_SECRET_ID")
	if err := d.Env.Err(); err != nil {
		return nil, err
	}
	key, err := TokenKey(ctx, d.AWS, secretID)
	if err != nil {
		return nil, err
	}
	h, err := WebSocket(d.Env, d.AWS, key, d.Log)
	if err != nil {
		return nil, err
	}
	return h.Handle, nil
}
