package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// uploadTarget is the WebSocket API an upload goes to, and how it was
// chosen, which the error for an unreachable one repeats.
type uploadTarget struct {
	url, source string
	// fallback is tried when url does not answer: the default address,
	// after a record that a killed thumbflow dev left behind.
	fallback string
}

// findTarget chooses the WebSocket API: -ws, then -stack's output, then the
// record of the thumbflow dev that uses dataDir, then dev's default
// address. The record comes first because dev may run with -addr; the
// default keeps `thumbflow upload` working from another directory.
func findTarget(ctx context.Context, ws, stack, dataDir string) (uploadTarget, error) {
	switch {
	case ws != "":
		return uploadTarget{url: ws, source: "-ws"}, nil
	case stack != "":
		url, err := stackWebSocketURL(ctx, stack)
		if err != nil {
			return uploadTarget{}, err
		}
		return uploadTarget{url: url, source: "stack " + stack}, nil
	}
	rec, ok, err := readDevRecord(dataDir)
	if err != nil {
		return uploadTarget{}, err
	}
	if ok {
		t := uploadTarget{url: rec.WebSocketURL, source: "thumbflow dev's record in " + dataDir}
		if rec.WebSocketURL != defaultWebSocketURL {
			t.fallback = defaultWebSocketURL
		}
		return t, nil
	}
	return uploadTarget{url: defaultWebSocketURL, source: "thumbflow dev's default address"}, nil
}

// stackWebSocketURL reads the WebSocketURL output of a deployed stack.
func stackWebSocketURL(ctx context.Context, stack string) (string, error) {
	cfg, err := loadAWSConfig(ctx)
	if err != nil {
		return "", err
	}
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return "", fmt.Errorf("reading stack %s: %w", stack, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == "WebSocketURL" && aws.ToString(o.OutputValue) != "" {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no WebSocketURL output: is it a thumbflow stack (sam deploy of template.yaml)?", stack)
}
