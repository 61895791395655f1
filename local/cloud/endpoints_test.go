package cloud

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestFunctionsReachTheStackEndpointsLocally: a function's client built on
// the template's CONNECTIONS_ENDPOINT, in its AWS form, reaches the local
// @connections API; a client aimed at any other AWS host fails instead of
// leaving the machine.
func TestFunctionsReachTheStackEndpointsLocally(t *testing.T) {
	c := startCloud(t)
	ctx := context.Background()
	endpoint := c.Stack.Function("StatusFunction").Environment["CONNECTIONS_ENDPOINT"]
	if !strings.HasPrefix(endpoint, "https://websocket.execute-api.us-east-1.amazonaws.com/") {
		t.Fatalf("CONNECTIONS_ENDPOINT = %q, want the template's AWS form", endpoint)
	}
	mgmt := apigatewaymanagementapi.NewFromConfig(c.functionAWSConfig(), func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
	_, err := mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String("nobody"), Data: []byte("{}")})
	var gone *agtypes.GoneException
	if !errors.As(err, &gone) {
		t.Errorf("PostToConnection through the template's endpoint: %v, want the local API's GoneException", err)
	}

	other := s3.NewFromConfig(c.functionAWSConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String("https://s3.us-east-1.amazonaws.com")
		o.RetryMaxAttempts = 1
	})
	_, err = other.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err == nil || !strings.Contains(err.Error(), "the local cloud has no endpoint for s3.us-east-1.amazonaws.com") {
		t.Errorf("a request to another AWS host: %v, want it refused locally", err)
	}
}
