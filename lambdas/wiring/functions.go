package wiring

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/lambdas/pipeline"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
	"thumbflow/upload/sfnexec"
	"thumbflow/websocket"
)

// The constructors below are the whole of each function's wiring: the
// main reads nothing else, and the template test builds the same values to
// check that the template sets every variable they require and grants
// every call they can make.

// Start builds the start function's handler.
func Start(env *Env, cfg aws.Config, log *slog.Logger) *pipeline.Start {
	s3c := S3(cfg)
	return &pipeline.Start{
		Starter: &upload.Starter{
			Types:      &s3store.Originals{Client: s3c},
			Executions: &sfnexec.Executions{Client: sfn.NewFromConfig(cfg), Machine: env.Require("STATE_MACHINE_ARN")},
			Publisher:  Publisher(s3c, Connections(cfg, env.Require("CONNECTIONS_ENDPOINT")), env.Require("RECORDS_BUCKET"), log),
			Log:        log,
		},
		Log: log,
	}
}

// Convert builds the convert function's handler.
func Convert(env *Env, cfg aws.Config, log *slog.Logger) *pipeline.Convert {
	s3c := S3(cfg)
	// The decode budget follows the memory the template gives the
	// function, which Lambda reports in its environment.
	spec := thumbnail.DefaultSpec()
	spec.Limits = thumbnail.LimitsForMemory(LambdaMemory(env.Lookup))
	return &pipeline.Convert{Converter: &upload.Converter{
		Originals:  &s3store.Originals{Client: s3c},
		Renditions: &s3store.Renditions{Client: s3c, Bucket: env.Require("OUTPUT_BUCKET")},
		Spec:       spec,
		Publisher:  Publisher(s3c, Connections(cfg, env.Require("CONNECTIONS_ENDPOINT")), env.Require("RECORDS_BUCKET"), log),
		Log:        log,
	}}
}

// Status builds the status function's handler.
// Its metrics go to metrics: os.Stdout on Lambda.
func Status(env *Env, cfg aws.Config, log *slog.Logger, metrics io.Writer) *pipeline.Status {
	s3c := S3(cfg)
	records := env.Require("RECORDS_BUCKET")
	pub := Publisher(s3c, Connections(cfg, env.Require("CONNECTIONS_ENDPOINT")), records, log)
	// The status function writes the terminal records, so it clears the
	// sweeper's markers.
	pub.Pending = &s3store.Markers{Client: s3c, Bucket: records}
	return &pipeline.Status{Publisher: pub, Metrics: metrics}
}

// Sweep builds the scheduled sweeper's handler: the start function's
// Starter (the same claim, the same execution names) behind the pending
// markers. Its metrics go to metrics: os.Stdout on Lambda.
func Sweep(env *Env, cfg aws.Config, log *slog.Logger, metrics io.Writer) (*pipeline.Sweep, error) {
	s3c := S3(cfg)
	records := env.Require("RECORDS_BUCKET")
	minAge, err := seconds(env, "SWEEP_MIN_AGE_SECONDS")
	if err != nil {
		return nil, err
	}
	return &pipeline.Sweep{
		Sweeper: &upload.Sweeper{
			Markers:   &s3store.Markers{Client: s3c, Bucket: records},
			Originals: &s3store.StoredOriginals{Client: s3c, Bucket: env.Require("UPLOADS_BUCKET")},
			Statuses:  &s3store.Store{Client: s3c, Bucket: records},
			Starter: &upload.Starter{
				Types:      &s3store.Originals{Client: s3c},
				Executions: &sfnexec.Executions{Client: sfn.NewFromConfig(cfg), Machine: env.Require("STATE_MACHINE_ARN")},
				Publisher:  Publisher(s3c, Connections(cfg, env.Require("CONNECTIONS_ENDPOINT")), records, log),
				Log:        log,
			},
			MinAge: minAge,
			Log:    log,
		},
		Metrics: metrics,
	}, nil
}

// seconds reads a required variable holding a positive number of seconds.
func seconds(env *Env, name string) (time.Duration, error) {
	v := env.Require(name)
	if v == "" {
		return 0, nil // reported by env.Err with the other missing ones
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s is %q: want a positive whole number of seconds", name, v)
	}
	return time.Duration(n) * time.Second, nil
}

// WebSocket builds the WebSocket routes' handler. The token key is passed
// in because where it comes from differs: Secrets Manager on AWS (see
// TokenKey), a generated file under the data directory locally.
func WebSocket(env *Env, cfg aws.Config, tokenKey []byte, log *slog.Logger) (*websocket.Handler, error) {
	signer, err := upload.NewSigner(tokenKey)
	if err != nil {
		return nil, err
	}
	s3c := S3(cfg)
	spec := thumbnail.DefaultSpec()
	records := env.Require("RECORDS_BUCKET")
	perMinute, err := env.RequireInt("GRANTS_PER_MINUTE")
	if err != nil {
		return nil, err
	}
	open, err := env.RequireInt("OPEN_GRANTS")
	if err != nil {
		return nil, err
	}
	var limits *websocket.GrantLimiter
	if perMinute > 0 || open > 0 { // both 0: no limits, no counters
		limits = &websocket.GrantLimiter{
			Counters: s3c, Bucket: records, Key: websocket.GrantLimiterKey(tokenKey),
			PerMinute: perMinute, Open: open,
		}
	}
	return &websocket.Handler{
		Presigner:     s3.NewPresignClient(s3c),
		Store:         &s3store.Store{Client: s3c, Bucket: records},
		Objects:       s3c,
		Signer:        signer,
		Limits:        upload.Limits{MaxBytes: spec.Limits.MaxBytes, Types: thumbnail.AcceptedContentTypes()},
		Renditions:    websocket.RenditionNames(spec),
		Pending:       &s3store.Markers{Client: s3c, Bucket: records},
		UploadsBucket: env.Require("UPLOADS_BUCKET"),
		OutputBucket:  env.Require("OUTPUT_BUCKET"),
		RecordsBucket: records,
		GrantLimits:   limits,
		Log:           log,
	}, nil
}
