package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/stack"
)

type env struct {
	svc    *Service
	url    string
	now    time.Time
	client *awssqs.Client
}

func newEnv(t *testing.T, dir string) *env {
	e := &env{now: awsjsontest.Epoch}
	opts := Options{Dir: dir, Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID, Now: e.clock}
	e.svc, e.url, e.client = awsjsontest.Start(t, New, opts, awssqs.NewFromConfig)
	return e
}

func (e *env) clock() time.Time { return e.now }

func (e *env) depth(t *testing.T, url string) (visible, inFlight string) {
	t.Helper()
	out, err := e.client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
}

func TestSendReceiveDeleteThroughTheSDK(t *testing.T) {
	e := newEnv(t, t.TempDir())
	ctx := context.Background()
	created, err := e.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"VisibilityTimeout": "10"}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(created.QueueUrl)
	if url != "https://sqs.us-east-1.amazonaws.com/123456789012/jobs" {
		t.Errorf("queue URL %s, want AWS's form", url)
	}
	if got, err := e.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("jobs")}); err != nil || aws.ToString(got.QueueUrl) != url {
		t.Errorf("GetQueueUrl: %v, %v", got, err)
	}
	// The SDK checks MD5OfMessageBody and MD5OfMessageAttributes itself.
	if _, err := e.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"n":1}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("test")}}}); err != nil {
		t.Fatal(err)
	}
	if v, f := e.depth(t, url); v != "1" || f != "0" {
		t.Errorf("after a send: %s visible, %s in flight", v, f)
	}
	got, err := e.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %+v, %v", got, err)
	}
	m := got.Messages[0]
	if aws.ToString(m.Body) != `{"n":1}` || aws.ToString(m.MessageAttributes["kind"].StringValue) != "test" || m.Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("received %+v", m)
	}
	if v, f := e.depth(t, url); v != "0" || f != "1" {
		t.Errorf("while received: %s visible, %s in flight", v, f)
	}
	if again, _ := e.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); len(again.Messages) != 0 {
		t.Errorf("a hidden message was received again: %+v", again.Messages)
	}
	e.now = e.now.Add(10 * time.Second)
	again, err := e.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil || len(again.Messages) != 1 || again.Messages[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after the visibility timeout: %+v, %v", again, err)
	}
	if _, err := e.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: again.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if v, f := e.depth(t, url); v != "0" || f != "0" {
		t.Errorf("after delete: %s visible, %s in flight", v, f)
	}
	_, err = e.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/123456789012/none"), MessageBody: aws.String("x")})
	if !errors.As(err, new(*types.QueueDoesNotExist)) {
		t.Errorf("send to a missing queue: %v, want QueueDoesNotExist", err)
	}
}

func TestRetentionAndPurge(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	url, err := e.svc.CreateFromTemplate("q", map[string]string{"MessageRetentionPeriod": "60"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Enqueue(url, "old")
	e.now = e.now.Add(30 * time.Second)
	e.svc.Enqueue(url, "new")
	e.now = e.now.Add(30 * time.Second)
	got, err := e.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "new" {
		t.Fatalf("after 60 s of a 60 s retention: %+v, %v; want only the newer message", got, err)
	}
	if _, err := e.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: aws.String(url)}); !errors.As(err, new(*types.PurgeQueueInProgress)) {
		t.Errorf("second purge within 60 s: %v, want PurgeQueueInProgress", err)
	}
	if v, f := e.depth(t, url); v != "0" || f != "0" {
		t.Errorf("after purge: %s visible, %s in flight", v, f)
	}
	if _, err := e.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21}); err == nil {
		t.Error("WaitTimeSeconds 21 was accepted")
	}
}

// TestLongPollReturnsAMessageSentDuringTheWait: a receive waiting up to
// 20 s returns the message Enqueue adds.
func TestLongPollReturnsAMessageSentDuringTheWait(t *testing.T) {
	e := newEnv(t, "")
	url, _ := e.svc.CreateFromTemplate("wait", nil)
	done := make(chan *awssqs.ReceiveMessageOutput, 1)
	go func() {
		out, err := e.client.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	if _, err := e.svc.Enqueue(url, "late"); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-done:
		if out == nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "late" {
			t.Errorf("long poll returned %+v", out)
		}
	case <-time.After(time.Minute):
		t.Fatal("the long poll never returned")
	}
}

// TestTheStartFailuresQueue: the template's queue keeps its declared
// retention and AWS's URL, survives a restart with its messages, and
// holds Lambda's failure record as Lambda writes it.
func TestTheStartFailuresQueue(t *testing.T) {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{AccountID: awsjsontest.AccountID, Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := newEnv(t, dir)
	tq := st.Queue("StartFailuresQueue")
	url, err := e.svc.CreateFromTemplate(FromStack(tq))
	if err != nil {
		t.Fatal(err)
	}
	rec := NewFailureRecord("req-1", st.Function("StartFunction").ARN, 3, json.RawMessage(`{"Records":[]}`),
		json.RawMessage(`{"errorMessage":"AccessDeniedException","errorType":"OperationError"}`), e.now)
	b, _ := json.Marshal(rec)
	if _, err := e.svc.Enqueue(tq.ARN, string(b)); err != nil {
		t.Fatal(err)
	}

	again := newEnv(t, dir)
	out, err := again.client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["MessageRetentionPeriod"] != "1209600" || out.Attributes["QueueArn"] != tq.ARN || out.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Errorf("after a restart: %v", out.Attributes)
	}
	got, err := again.client.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %+v, %v", got, err)
	}
	var read struct {
		RequestContext struct {
			FunctionArn, Condition string
			ApproximateInvokeCount int
		}
		RequestPayload  map[string]any
		ResponseContext struct{ FunctionError string }
		ResponsePayload struct{ ErrorMessage string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(got.Messages[0].Body)), &read); err != nil {
		t.Fatal(err)
	}
	if read.RequestContext.Condition != "RetriesExhausted" || read.RequestContext.ApproximateInvokeCount != 3 ||
		read.RequestContext.FunctionArn != st.Function("StartFunction").ARN+":$LATEST" || read.RequestPayload == nil ||
		read.ResponseContext.FunctionError != "Unhandled" || read.ResponsePayload.ErrorMessage != "AccessDeniedException" {
		t.Errorf("failure record read back as %+v", read)
	}
}

func TestAWSCLIReceiveMessage(t *testing.T) {
	e := newEnv(t, "")
	url, _ := e.svc.CreateFromTemplate("cli", nil)
	e.svc.Enqueue(url, "hello from Lambda")
	var out struct {
		Messages []struct{ Body, ReceiptHandle string }
	}
	if err := json.Unmarshal(awsjsontest.CLI(t, e.url, "sqs", "receive-message", "--queue-url", url), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || out.Messages[0].Body != "hello from Lambda" {
		t.Errorf("aws sqs receive-message: %+v", out)
	}
}

func TestRefusedCallIsAccessDenied(t *testing.T) {
	svc, err := New(Options{Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID,
		Authorize: func(_ *http.Request, action, resource string) error {
			if action == "sqs:SendMessage" {
				return errors.New("no identity-based policy allows the " + action + " action on " + resource)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	c := awssqs.NewFromConfig(awsjsontest.Config(awsjsontest.Serve(t, svc).URL))
	url, _ := svc.CreateFromTemplate("q", nil)
	_, err = c.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.Contains(err.Error(), "sqs:SendMessage") {
		t.Errorf("refused SendMessage: %v, want AccessDenied", err)
	}
}

func TestBatchesThroughTheSDK(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	url, _ := e.svc.CreateFromTemplate("batch", nil)
	sent, err := e.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")}, {Id: aws.String("b"), MessageBody: aws.String("two")},
		{Id: aws.String("c"), MessageBody: aws.String("")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Successful) != 2 || len(sent.Failed) != 1 || aws.ToString(sent.Failed[0].Id) != "c" || aws.ToString(sent.Failed[0].Code) != "MissingParameter" {
		t.Errorf("SendMessageBatch: %+v", sent)
	}
	got, err := e.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 2 {
		t.Fatalf("ReceiveMessage: %+v, %v", got, err)
	}
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range got.Messages {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: m.ReceiptHandle})
	}
	if del, err := e.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil || len(del.Successful) != 2 {
		t.Fatalf("DeleteMessageBatch: %+v, %v", del, err)
	}
	if v, f := e.depth(t, url); v != "0" || f != "0" {
		t.Errorf("after the batch delete: %s visible, %s in flight", v, f)
	}
	_, err = e.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}})
	if !errors.As(err, new(*types.EmptyBatchRequest)) {
		t.Errorf("an empty batch: %v, want EmptyBatchRequest", err)
	}
}
