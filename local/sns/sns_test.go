package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/events"
	"thumbflow/local/stack"
)

// endpoint is an http subscriber that answers with the statuses given,
// then 200.
type endpoint struct {
	mu       sync.Mutex
	statuses []int
	got      chan *http.Request
	bodies   chan []byte
}

func newEndpoint(t *testing.T, statuses ...int) (*endpoint, string) {
	e := &endpoint{statuses: statuses, got: make(chan *http.Request, 16), bodies: make(chan []byte, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		status := 200
		if len(e.statuses) > 0 {
			status, e.statuses = e.statuses[0], e.statuses[1:]
		}
		e.mu.Unlock()
		w.WriteHeader(status)
		if status == 200 {
			e.got <- r
			e.bodies <- b
		}
	}))
	t.Cleanup(srv.Close)
	return e, srv.URL
}

func (e *endpoint) next(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	select {
	case r := <-e.got:
		return r, <-e.bodies
	case <-time.After(time.Minute):
		t.Fatal("no notification reached the endpoint")
		return nil, nil
	}
}

func newService(t *testing.T, dir string, log io.Writer) *Service {
	t.Helper()
	opts := Options{Dir: dir, Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID, RetryDelay: time.Millisecond}
	if log != nil {
		opts.Logger = slog.New(slog.NewJSONHandler(log, nil))
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTopicsAndSubscriptionsThroughTheSDK(t *testing.T) {
	s := newService(t, t.TempDir(), nil)
	c := awssns.NewFromConfig(awsjsontest.Config(awsjsontest.Serve(t, s).URL))
	ctx := context.Background()
	ep, url := newEndpoint(t)
	topic, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(topic.TopicArn)
	if arn != "arn:aws:sns:us-east-1:123456789012:alerts" {
		t.Errorf("topic ARN %s", arn)
	}
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(url)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("ops@example.com")}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil || len(list.Subscriptions) != 2 || aws.ToString(list.Subscriptions[0].Endpoint) != url {
		t.Fatalf("ListSubscriptionsByTopic: %+v, %v", list, err)
	}
	pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String("hello"), Message: aws.String(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	r, body := ep.next(t)
	var n struct{ Type, MessageId, TopicArn, Subject, Message string }
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	if n.Type != "Notification" || n.MessageId != aws.ToString(pub.MessageId) || n.TopicArn != arn || n.Subject != "hello" || n.Message != `{"x":1}` {
		t.Errorf("notification %s", body)
	}
	if r.Header.Get("X-Amz-Sns-Message-Type") != "Notification" || r.Header.Get("X-Amz-Sns-Subscription-Arn") != aws.ToString(sub.SubscriptionArn) {
		t.Errorf("notification headers %v", r.Header)
	}
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn + "-none"), Message: aws.String("x")})
	if !errors.As(err, new(*types.NotFoundException)) {
		t.Errorf("publish to a missing topic: %v, want NotFoundException", err)
	}
	bad := awssns.NewFromConfig(awsjsontest.Config(awsjsontest.Serve(t, s).URL, "wrong"))
	if _, err := bad.ListTopics(ctx, &awssns.ListTopicsInput{}); err == nil {
		t.Error("a request signed with the wrong secret was served")
	}
}

func loadStack(t *testing.T) *stack.Stack {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{AccountID: awsjsontest.AccountID,
		Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080", "AlarmEmail": "oncall@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTheTemplatesAlertTopic: EventBridge's rule publishes to the alert
// topic as the topic policy allows, the email subscription is logged, and
// a service the policy does not name is refused.
func TestTheTemplatesAlertTopic(t *testing.T) {
	st := loadStack(t)
	var log bytes.Buffer
	s := newService(t, t.TempDir(), &log)
	for _, tp := range st.Topics {
		if err := s.CreateFromTemplate(tp); err != nil {
			t.Fatal(err)
		}
	}
	topic := st.Topic("AlertTopic")
	deliver := s.EventBridgeTarget()
	err := deliver(context.Background(), events.Delivery{RuleARN: st.Rule("ExecutionFailedRule").ARN, TargetARN: topic.ARN, Input: []byte(`{"detail":{"status":"FAILED"}}`), Attempt: 1})
	if err != nil {
		t.Fatalf("EventBridge's delivery to the alert topic: %v", err)
	}
	if !strings.Contains(log.String(), `"msg":"email notification"`) || !strings.Contains(log.String(), `"to":"oncall@example.com"`) || !strings.Contains(log.String(), `FAILED`) {
		t.Errorf("the email subscription was not logged:\n%s", log.String())
	}
	_, err = s.PublishAs(Publisher{Service: "s3.amazonaws.com", SourceAccount: awsjsontest.AccountID}, topic.ARN, "", "x")
	var e *Error
	if !errors.As(err, &e) || e.Code != "AuthorizationError" {
		t.Errorf("S3 publishing to the alert topic: %v, want AuthorizationError", err)
	}
	alarm := Publisher{Service: "cloudwatch.amazonaws.com", SourceARN: st.Alarms[0].ARN, SourceAccount: awsjsontest.AccountID}
	if _, err := s.PublishAs(alarm, topic.ARN, "ALARM", "x"); err != nil {
		t.Errorf("CloudWatch publishing to the alert topic for the stack's alarm: %v", err)
	}
	// The policy names its publishers by aws:SourceArn and aws:SourceAccount.
	for _, p := range []Publisher{
		{Service: "cloudwatch.amazonaws.com"},
		{Service: "cloudwatch.amazonaws.com", SourceARN: "arn:aws:cloudwatch:us-east-1:" + awsjsontest.AccountID + ":alarm:another-stack-alarm", SourceAccount: awsjsontest.AccountID},
		{Service: "events.amazonaws.com", SourceARN: st.Rules[0].ARN, SourceAccount: "111122223333"},
	} {
		if _, err := s.PublishAs(p, topic.ARN, "ALARM", "x"); !errors.As(err, &e) || e.Code != "AuthorizationError" {
			t.Errorf("%+v publishing to the alert topic: %v, want AuthorizationError", p, err)
		}
	}
}

// TestHTTPDeliveryRetriesAndSurvivesARestart: a failing endpoint is
// retried; a notification pending at shutdown is delivered by the next
// service on the same data directory; a 4xx is final.
func TestHTTPDeliveryRetriesAndSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	ep, url := newEndpoint(t, 500, 503)
	s := newService(t, dir, nil)
	arn, _ := s.CreateTopic("t", nil)
	if _, err := s.Subscribe(arn, "http", url, "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(arn, "", "raw body"); err != nil {
		t.Fatal(err)
	}
	if r, body := ep.next(t); string(body) != "raw body" || r.Header.Get("X-Amz-Sns-Rawdelivery") != "true" {
		t.Errorf("raw delivery after two failures: %q", body)
	}

	waitIdle(t, s)
	s.Close()
	down, downURL := newEndpoint(t)
	blocked := make(chan struct{}, 1)
	refused := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		select {
		case blocked <- struct{}{}:
		default:
		}
		return nil, errors.New("connection refused")
	})}
	s2 := New2(t, dir, Options{RetryDelay: time.Hour, Client: refused})
	arn2, _ := s2.CreateTopic("later", nil)
	s2.Subscribe(arn2, "http", downURL+"/x", "", false)
	s2.Publish(arn2, "", "kept")
	<-blocked
	s2.Close()

	s3 := newService(t, dir, nil)
	if s3.Pending() != 1 {
		t.Fatalf("after a restart %d notifications pending, want 1", s3.Pending())
	}
	s3.mu.Lock()
	for _, p := range s3.pending {
		p.Due = time.Now()
	}
	s3.mu.Unlock()
	s3.wake <- struct{}{}
	if _, body := down.next(t); !strings.Contains(string(body), `"Message":"kept"`) {
		t.Errorf("after a restart the endpoint got %s", body)
	}

	refusing, refURL := newEndpoint(t, 403)
	arn3, _ := s3.CreateTopic("refused", nil)
	s3.Subscribe(arn3, "http", refURL, "", false)
	s3.Publish(arn3, "", "no")
	waitIdle(t, s3)
	if len(refusing.got) != 0 {
		t.Errorf("a 403 was counted as delivered")
	}
	if entries, _ := os.ReadDir(dir + "/outbox/undeliverable"); len(entries) != 1 {
		for _, e := range entries {
			b, _ := os.ReadFile(dir + "/outbox/undeliverable/" + e.Name())
			t.Log(string(b))
		}
		t.Errorf("undeliverable holds %d entries, want the refused one", len(entries))
	}
}

// waitIdle waits, boundedly, until s has nothing pending.
func waitIdle(t *testing.T, s *Service) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for s.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications still pending", s.Pending())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// New2 opens a service that the test closes itself.
func New2(t *testing.T, dir string, opts Options) *Service {
	opts.Dir, opts.Region, opts.AccountID = dir, awsjsontest.Region, awsjsontest.AccountID
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAWSCLIPublish(t *testing.T) {
	s := newService(t, "", nil)
	url := awsjsontest.Serve(t, s).URL
	arn, _ := s.CreateTopic("cli", nil)
	var out struct{ MessageId string }
	if err := json.Unmarshal(awsjsontest.CLI(t, url, "sns", "publish", "--topic-arn", arn, "--message", "from the CLI"), &out); err != nil {
		t.Fatal(err)
	}
	if out.MessageId == "" {
		t.Error("aws sns publish returned no MessageId")
	}
}
