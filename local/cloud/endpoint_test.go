package cloud

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestStandardConfigurationReachesEveryService configures the SDK the way
// a developer's shell does, with AWS_ENDPOINT_URL and nothing else, and
// reaches every local service through that one endpoint.
func TestStandardConfigurationReachesEveryService(t *testing.T) {
	c := startCloud(t)
	t.Setenv("AWS_ENDPOINT_URL", c.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}

	buckets, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("S3 ListBuckets: %v", err)
	}
	names := map[string]bool{}
	for _, b := range buckets.Buckets {
		names[aws.ToString(b.Name)] = true
	}
	for _, b := range []string{bucketName(c, "UploadsBucket"), bucketName(c, "OutputBucket"), bucketName(c, "RecordsBucket")} {
		if !names[b] {
			t.Errorf("bucket %s missing from %v", b, names)
		}
	}

	sf := sfn.NewFromConfig(cfg)
	machines, err := sf.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(machines.StateMachines) != 1 || aws.ToString(machines.StateMachines[0].StateMachineArn) != c.StateMachineARN {
		t.Fatalf("ListStateMachines = %+v, %v", machines, err)
	}
	_, err = sf.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(c.StateMachineARN[:len(c.StateMachineARN)-len("stateMachine:thumbnail")] + "execution:thumbnail:nope")})
	var dne *sfntypes.ExecutionDoesNotExist
	if !errors.As(err, &dne) {
		t.Errorf("DescribeExecution of a missing execution: %v, want ExecutionDoesNotExist", err)
	}

	// The management API answers at {endpoint}/{stage}, like
	// https://{api}.execute-api.{region}.amazonaws.com/{stage} on AWS.
	mgmt := apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(c.Endpoint + "/prod")
	})
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl := dial(t, wctx, c.WebSocketURL)
	if err := cl.SendRaw(wctx, []byte(`{"action":"nothing"}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := cl.WaitUnsolicited(wctx, 1); err != nil || got[0].Type != "error" {
		t.Fatalf("answer to an unknown action: %+v, %v; want an error", got, err)
	}
	conns := c.Gateway.Connections()
	if len(conns) != 1 {
		t.Fatalf("connections = %v", conns)
	}
	if _, err := mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(conns[0]), Data: []byte(`{"type":"hello"}`)}); err != nil {
		t.Fatalf("PostToConnection: %v", err)
	}
	if got, err := cl.WaitUnsolicited(wctx, 2); err != nil || len(got) != 2 || got[1].Type != "hello" {
		t.Fatalf("after PostToConnection the socket got %+v, %v; want the hello next", got, err)
	}
	_, err = mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String("gone-connection"), Data: []byte(`{}`)})
	var gone *agtypes.GoneException
	if !errors.As(err, &gone) {
		t.Errorf("post to unknown connection: %v, want GoneException", err)
	}

	// A wrong secret is refused by every service.
	bad := cfg.Copy()
	bad.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: "wrong"}, nil
	})
	if _, err := s3.NewFromConfig(bad, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Error("S3 accepted a wrong secret")
	}
	if _, err := sfn.NewFromConfig(bad).ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err == nil {
		t.Error("Step Functions accepted a wrong secret")
	}
}
