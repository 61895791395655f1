package cloud

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	sfnapi "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"thumbflow/client"
	"thumbflow/internal/clocktest"
	"thumbflow/upload"
)

// historyErrors lists the error names of an execution's failed task
// events, in order.
func historyErrors(t *testing.T, c *Cloud, execution string) []string {
	t.Helper()
	executionARN, err := upload.ExecutionARN(c.StateMachineARN, execution)
	if err != nil {
		t.Fatal(err)
	}
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
	if got := historyErrors(t, c, rec.Execution); strings.Join(got, ",") != "AccessDenied" {
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
	c := startCloud(t, withTemplate(t, grant, ""), func(cfg *Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, rec := uploadStates(t, cl, "photo.jpg", photo(64, 48))
	if seen[len(seen)-1] != "failed" || rec.Error == nil || rec.Error.Code != "InternalError" {
		t.Fatalf("states %v, record %+v: want failed InternalError", seen, rec)
	}
	got := historyErrors(t, c, rec.Execution)
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

// steppedClock runs sleeps 600 times faster than real time, and tells
// the time the test sets: alarms read it, so the test can close a period.
type steppedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *steppedClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func (c *steppedClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d / 600)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestStartFailureLandsInTheQueueAndAlarms is the second IAM
// mutation: without states:StartExecution the start function fails; S3's
// asynchronous invocation retries it as EventInvokeConfig says (Lambda's
// one- and two-minute delays, shortened by the test clock), then sends
// Lambda's failure record to the start-failures queue, and the template's
// queue alarm goes to ALARM.
func TestStartFailureLandsInTheQueueAndAlarms(t *testing.T) {
	// The start function's grant: the sweep function's is followed by a comment.
	next := "            - Effect: Allow\n              Action: s3:GetObject\n"
	grant := "            - Effect: Allow\n              Action: states:StartExecution\n              Resource: !Ref ThumbnailStateMachine\n" + next
	clock := &steppedClock{}
	c := startCloud(t, withTemplate(t, grant, next), func(cfg *Config) { cfg.Clock = clock })
	cl := dial(t, context.Background(), c.WebSocketURL)
	data := photo(64, 48)
	g, err := cl.Grant(context.Background(), "photo.jpg", "image/jpeg", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Post(context.Background(), nil, g, "photo.jpg", data); err != nil {
		t.Fatal(err)
	}
	queue := c.Stack.Queue("StartFailuresQueue")
	// Bounded wait: three attempts, two shortened delays.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		visible, _, err := c.Queues.Depth(queue.Name)
		if err != nil {
			t.Fatal(err)
		}
		if visible > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no failure record reached the start-failures queue")
		}
	}
	// The alarm judges complete periods: sample now, then close the period.
	c.Alarms.Evaluate(context.Background())
	clock.Step(time.Minute)
	c.Alarms.Evaluate(context.Background())
	var inAlarm []string
	for _, a := range c.Alarms.Alarms(nil, "", "ALARM") {
		inAlarm = append(inAlarm, a.AlarmName)
	}
	if want := c.Stack.Resource("StartFailuresAlarm").Ref; !slices.Contains(inAlarm, want) {
		t.Errorf("alarms in ALARM: %v, want %s", inAlarm, want)
	}

	out, err := sqs.NewFromConfig(c.AWSConfig()).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue.URL)})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
	}
	var rec struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload struct {
			Records []struct {
				S3 struct{ Object struct{ Key string } }
			}
		} `json:"requestPayload"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 ||
		len(rec.RequestPayload.Records) != 1 || !strings.Contains(rec.RequestPayload.Records[0].S3.Object.Key, g.UploadID) {
		t.Fatalf("failure record %+v, want the upload's event after 3 attempts", rec)
	}
}
