package cloud

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	sfnapi "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/internal/clocktest"
	"thumbflow/upload"
)

// historyErrors lists the error names of an execution's failed task
// events, in order.
func historyErrors(t *testing.T, c *Cloud, executionARN string) []string {
	t.Helper()
	client := sfnapi.NewFromConfig(c.AWSConfig())
	var names []string
	p := sfnapi.NewGetExecutionHistoryPaginator(client, &sfnapi.GetExecutionHistoryInput{ExecutionArn: aws.String(executionARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			switch ev.Type {
			case types.HistoryEventTypeLambdaFunctionFailed:
				names = append(names, aws.ToString(ev.LambdaFunctionFailedEventDetails.Error))
			case types.HistoryEventTypeTaskFailed:
				names = append(names, aws.ToString(ev.TaskFailedEventDetails.Error))
			}
		}
	}
	return names
}

// TestConvertWithoutItsPutObjectGrantFails is the IAM mutation: the
// convert function's s3:PutObject on the output bucket is removed from a
// copy of the template. The upload then fails as it would on AWS: S3
// refuses the rendition, the execution history names AccessDenied, and the
// user gets a failed status (a system failure, not retried).
func TestConvertWithoutItsPutObjectGrantFails(t *testing.T) {
	grant := "            - Effect: Allow\n              Action: s3:PutObject\n              Resource: !Sub \"${OutputBucket.Arn}/renditions/*\"\n"
	c := startCloud(t, withTemplate(t, grant, ""))
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, rec := uploadStates(t, cl, "photo.jpg", photo(64, 48))
	if seen[len(seen)-1] != "failed" || rec.Error == nil || rec.Error.Code != "AccessDenied" || rec.Attempt != 1 {
		t.Fatalf("states %v, record %+v: want failed AccessDenied at attempt 1", seen, rec)
	}
	if got := historyErrors(t, c, rec.ExecutionARN); strings.Join(got, ",") != "AccessDenied" {
		t.Errorf("history errors %v, want [AccessDenied]", got)
	}

	// The same upload with the repository's template succeeds: the grant
	// was what was missing.
	c = startCloud(t)
	cl = dial(t, context.Background(), c.WebSocketURL)
	if _, seen, _ := uploadStates(t, cl, "photo.jpg", photo(64, 48)); seen[len(seen)-1] != "succeeded" {
		t.Fatalf("with the template's grant: states %v", seen)
	}
}

// TestStateMachineWithoutInvokeGrantFails: without lambda:InvokeFunction
// on the convert function, Step Functions cannot call it. The task fails
// with the Lambda.* error Step Functions reports, which the workflow
// retries, then records as a system failure.
func TestStateMachineWithoutInvokeGrantFails(t *testing.T) {
	grant := "        - LambdaInvokePolicy:\n            FunctionName: !Ref ConvertFunction\n"
	c := startCloud(t, withTemplate(t, grant, ""), func(cfg *Config) { cfg.Clock = clocktest.NewFastClock(20) })
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, rec := uploadStates(t, cl, "photo.jpg", photo(64, 48))
	if seen[len(seen)-1] != "failed" || rec.Error == nil || rec.Error.Code != "InternalError" {
		t.Fatalf("states %v, record %+v: want failed InternalError", seen, rec)
	}
	got := historyErrors(t, c, rec.ExecutionARN)
	if len(got) == 0 || got[0] != "Lambda.AWSLambdaException" {
		t.Errorf("history errors %v, want Lambda.AWSLambdaException", got)
	}
}

// TestWebSocketKeyComesFromSecretsManager: the websocket function signs
// subscription tokens with the template's secret, which it read from the
// local Secrets Manager at its cold start, through the SDK, as on AWS. A
// restart on the same data directory keeps the secret, so tokens issued
// before it still verify.
func TestWebSocketKeyComesFromSecretsManager(t *testing.T) {
	dir := t.TempDir()
	c := startCloud(t, func(cfg *Config) { cfg.DataDir = dir })
	arn := c.Stack.Secret("TokenKeySecret").ARN
	read := func(c *Cloud) string {
		t.Helper()
		out, err := secretsmanager.NewFromConfig(c.AWSConfig()).GetSecretValue(context.Background(),
			&secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.SecretString)
	}
	key := read(c)
	signer, err := upload.NewSigner([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	cl := dial(t, context.Background(), c.WebSocketURL)
	g, err := cl.Grant(context.Background(), "photo.jpg", "image/jpeg", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.Verify(g.Token, g.UploadID, time.Now()); err != nil {
		t.Fatalf("the grant's token does not verify with the secret in Secrets Manager: %v", err)
	}
	c.Close()
	c = startCloud(t, func(cfg *Config) { cfg.DataDir = dir })
	if again := read(c); again != key {
		t.Error("a restart on the same data directory generated a new secret")
	}
}
