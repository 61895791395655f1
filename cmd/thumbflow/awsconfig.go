package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// exportHint is where every credential or endpoint problem points: the line
// `thumbflow dev` prints sets everything the SDK and the aws CLI need.
const exportHint = "for thumbflow dev, paste the export line it prints (export AWS_ENDPOINT_URL=… AWS_ACCESS_KEY_ID=…); for AWS, configure credentials (aws configure, or AWS_PROFILE)"

// errNoCredentials marks a command that found no credentials at all.
var errNoCredentials = errors.New("no AWS credentials found")

// loadAWSConfig is the SDK's default configuration (credential chain,
// AWS_REGION, AWS_ENDPOINT_URL), checked before the first request: without
// it, a missing credential surfaces as the SDK's "no EC2 IMDS role found"
// after seconds of retrying a metadata service that a laptop does not have.
func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w; %s", err, exportHint)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region configured: set AWS_REGION (us-east-1 for thumbflow dev); " + exportHint)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(rctx); err != nil {
		return aws.Config{}, fmt.Errorf("%w: %s", errNoCredentials, exportHint)
	}
	return cfg, nil
}

// explain adds what to do to errors whose cause a user cannot guess from
// the SDK's words: a refused connection to the endpoint, a signature the
// local cloud does not accept.
func explain(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, errNoCredentials):
		return err
	case errors.As(err, new(advised)):
		return err
	case errors.Is(err, syscall.ECONNREFUSED):
		where := "the AWS endpoint"
		if e := os.Getenv("AWS_ENDPOINT_URL"); e != "" {
			where = e + " (AWS_ENDPOINT_URL)"
		}
		return fmt.Errorf("%w\nnothing answers at %s: is thumbflow dev running? %s", err, where, exportHint)
	case strings.Contains(msg, "InvalidClientTokenId"), strings.Contains(msg, "UnrecognizedClientException"),
		strings.Contains(msg, "SignatureDoesNotMatch"), strings.Contains(msg, "InvalidAccessKeyId"):
		return fmt.Errorf("%w\nthe credentials were refused: %s", err, exportHint)
	}
	return err
}

// advised is an error that already says what to do, which explain leaves
// alone.
type advised struct{ error }

func (a advised) Unwrap() error { return a.error }
