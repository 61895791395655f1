// Package wiring builds what every Lambda main needs from its environment:
// configuration, AWS clients and the JSON logger. It keeps main.go files
// down to naming their variables and calling lambda.Start, and it is the
// one place the template test reads to know which variables a function
// needs.
package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
	"thumbflow/upload/s3store"
	"thumbflow/upload/wspush"
)

// Env reads required environment variables and reports every missing one
// at once, so a misconfigured function says all that is wrong in one log
// line instead of one per deploy.
type Env struct {
	// Lookup reads a variable; nil means os.Getenv. The local cloud passes
	// its own, so handlers it runs in-process are configured exactly as
	// their mains are, without touching the process environment.
	Lookup func(string) string

	required []string
	missing  []string
}

// Require returns the variable's value, noting it as missing when empty.
func (e *Env) Require(name string) string {
	e.required = append(e.required, name)
	lookup := e.Lookup
	if lookup == nil {
		lookup = os.Getenv
	}
	v := lookup(name)
	if v == "" {
		e.missing = append(e.missing, name)
	}
	return v
}

// RequireInt is Require for a count the template sets: a missing variable
// is noted like any other, one that is not a whole number (0 or more) is
// an error.
func (e *Env) RequireInt(name string) (int, error) {
	v := e.Require(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a whole number, 0 or more", name, v)
	}
	return n, nil
}

// Required lists every variable asked for, in order.
func (e *Env) Required() []string { return e.required }

// Err reports the missing variables, if any.
func (e *Env) Err() error {
	if len(e.missing) == 0 {
		return nil
	}
	return fmt.Errorf("missing environment variables: %s", strings.Join(e.missing, ", "))
}

// Logger returns the JSON logger every function logs with, and makes it
// the default so library code that uses slog writes JSON too.
func Logger(function string) *slog.Logger {
	l := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", function)
	slog.SetDefault(l)
	return l
}

// Must ends a cold start that cannot work, with the reason in the log.
// Missing variables are reported first, all at once.
func Must(log *slog.Logger, env *Env, err error) {
	if envErr := env.Err(); envErr != nil {
		err = envErr
	}
	if err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
}

// AWS loads the default configuration: on Lambda the role's credentials
// and region; elsewhere whatever AWS_* variables say, AWS_ENDPOINT_URL
// included.
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// S3 returns an S3 client with path-style addressing, which both AWS and
// the local S3 accept, so presigned URLs look the same in both.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// Connections returns a management API client for the WebSocket API at
// endpoint (https://{api-id}.execute-api.{region}.amazonaws.com/{stage} on
// AWS; the local cloud's endpoint and stage locally).
func Connections(cfg aws.Config, endpoint string) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// Publisher builds the status publisher on the records bucket and the
// WebSocket API.
func Publisher(s3c *s3.Client, conns *apigatewaymanagementapi.Client, recordsBucket string, log *slog.Logger) *upload.Publisher {
	return &upload.Publisher{
		Store:  &s3store.Store{Client: s3c, Bucket: recordsBucket},
		Pusher: &wspush.Pusher{Client: conns},
		Log:    log,
	}
}
