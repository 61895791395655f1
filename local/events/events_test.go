package events

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/sfn"
	"thumbflow/local/stack"
)

// recorder is a target that records its deliveries.
type recorder struct {
	ch chan Delivery
}

func newRecorder() *recorder { return &recorder{ch: make(chan Delivery, 16)} }

func (r *recorder) deliver(_ context.Context, d Delivery) error {
	r.ch <- d
	return nil
}

func (r *recorder) next(t *testing.T) Delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(time.Minute):
		t.Fatal("no delivery")
		return Delivery{}
	}
}

func newService(t *testing.T) *Service {
	s := New(Options{Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID,
		Backoff: func(int) time.Duration { return 0 }})
	t.Cleanup(func() { s.Close() })
	return s
}

func summary(sm *stack.StateMachine, status string) sfn.ExecutionSummary {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := sfn.ExecutionSummary{
		ExecutionARN: "arn:aws:states:us-east-1:123456789012:execution:thumbnail:up-1", StateMachineARN: sm.ARN,
		Name: "up-1", Status: status, StartDate: start, StopDate: start.Add(time.Second), Input: json.RawMessage(`{"uploadId":"u1"}`),
	}
	if status == "FAILED" {
		s.Error, s.Cause = "States.TaskFailed", "AccessDenied"
	}
	return s
}

// TestTheTemplatesExecutionFailedRule: the rule template.yaml declares
// delivers a FAILED execution's event to the alert topic, with the rule's
// ARN for the topic policy, and ignores a SUCCEEDED one.
func TestTheTemplatesExecutionFailedRule(t *testing.T) {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{AccountID: awsjsontest.AccountID, Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t)
	for _, r := range st.Rules {
		if err := s.CreateFromTemplate(r); err != nil {
			t.Fatal(err)
		}
	}
	topic := st.Topic("AlertTopic")
	rec := newRecorder()
	s.HandleTargets(topic.ARN, rec.deliver)
	sm := st.StateMachine("ThumbnailStateMachine")
	rule := st.Rule("ExecutionFailedRule")

	failed := StatusChange(summary(sm, "FAILED"), "us-east-1", awsjsontest.AccountID, time.Now())
	body, _ := json.Marshal(failed)
	if ok, err := compiled(t, rule).Matches(body); err != nil || !ok {
		t.Fatalf("the rule's pattern does not match the FAILED event %s: %v", body, err)
	}
	if got := s.Put(failed); !slices.Equal(got, []string{rule.Name}) {
		t.Fatalf("FAILED event matched %v, want [%s]", got, rule.Name)
	}
	d := rec.next(t)
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     struct{ Status, Error, Cause string }
	}
	if err := json.Unmarshal(d.Input, &ev); err != nil {
		t.Fatal(err)
	}
	if d.RuleARN != rule.ARN || d.TargetARN != topic.ARN || ev.Source != "aws.states" || ev.DetailType != StatusChangeDetailType ||
		ev.Detail.Status != "FAILED" || ev.Detail.Cause != "AccessDenied" {
		t.Errorf("delivery %+v of %s", d, d.Input)
	}

	ok := StatusChange(summary(sm, "SUCCEEDED"), "us-east-1", awsjsontest.AccountID, time.Now())
	body, _ = json.Marshal(ok)
	if m, _ := compiled(t, rule).Matches(body); m {
		t.Error("the rule's pattern matches a SUCCEEDED event")
	}
	if got := s.Put(ok); len(got) != 0 {
		t.Errorf("SUCCEEDED event matched %v", got)
	}
	other := summary(sm, "TIMED_OUT")
	other.StateMachineARN += "-other"
	if got := s.Put(StatusChange(other, "us-east-1", awsjsontest.AccountID, time.Now())); len(got) != 0 {
		t.Errorf("another state machine's TIMED_OUT event matched %v", got)
	}
	s.ObserveExecution(summary(sm, "ABORTED"))
	if d := rec.next(t); d.RuleARN != rule.ARN {
		t.Errorf("ObserveExecution(ABORTED) delivered %+v", d)
	}
}

func TestRulesThroughTheSDK(t *testing.T) {
	s := newService(t)
	url := awsjsontest.Serve(t, s).URL
	c := eventbridge.NewFromConfig(awsjsontest.Config(url))
	ctx := context.Background()
	rec := newRecorder()
	s.HandleTargets("arn:aws:sns:", rec.deliver)
	put, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(`{"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.RuleArn) != "arn:aws:events:us-east-1:123456789012:rule/orders" {
		t.Errorf("rule ARN %s", aws.ToString(put.RuleArn))
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []types.Target{
		{Id: aws.String("t1"), Arn: aws.String("arn:aws:sns:us-east-1:123456789012:big"), InputPath: aws.String("$.detail")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`{"total":50}`)},
		{Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`{"total":500}`)},
		{Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`not json`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[2].ErrorCode) != "MalformedDetail" || aws.ToString(out.Entries[1].EventId) == "" {
		t.Errorf("PutEvents: %+v", out.Entries)
	}
	if d := rec.next(t); string(d.Input) != `{"total":500}` {
		t.Errorf("target got %s, want the detail of the 500 order", d.Input)
	}
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"source":"shop"}`)})
	if !errors.As(err, new(*types.InvalidEventPatternException)) {
		t.Errorf("invalid pattern: %v, want InvalidEventPatternException", err)
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("orders")}); err == nil {
		t.Error("a rule with targets was deleted")
	}
	res, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"detail":{"x":[{"prefix":"a"}]}}`), Event: aws.String(`{"detail":{"x":"abc"}}`)})
	if err != nil || !res.Result {
		t.Errorf("TestEventPattern: %+v, %v", res, err)
	}
	bad := eventbridge.NewFromConfig(awsjsontest.Config(url, "wrong"))
	if _, err := bad.ListRules(ctx, &eventbridge.ListRulesInput{}); err == nil {
		t.Error("a request signed with the wrong secret was served")
	}
}

func TestDeliveryRetriesUntilTheTargetAccepts(t *testing.T) {
	s := newService(t)
	s.mu.Lock()
	r, err := s.putRule("r", s.ruleARN("r"), `{"source":["x"]}`, "", "")
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	two := 2
	r.targets["flaky"] = newTarget(TargetSpec{Id: "flaky", Arn: "arn:flaky", RetryPolicy: &struct{ MaximumRetryAttempts, MaximumEventAgeInSeconds *int }{&two, nil}})
	r.targets["denied"] = newTarget(TargetSpec{Id: "denied", Arn: "arn:denied"})
	var mu sync.Mutex
	attempts := map[string]int{}
	done := make(chan string, 4)
	s.HandleTargets("arn:flaky", func(_ context.Context, d Delivery) error {
		mu.Lock()
		attempts["flaky"]++
		mu.Unlock()
		if d.Attempt < 3 {
			return errors.New("busy")
		}
		done <- "flaky"
		return nil
	})
	s.HandleTargets("arn:denied", func(_ context.Context, d Delivery) error {
		mu.Lock()
		attempts["denied"]++
		mu.Unlock()
		done <- "denied"
		return Permanent(errors.New("not authorized"))
	})
	s.Put(Event{ID: "1", Source: "x", Detail: json.RawMessage(`{}`)})
	for range 2 {
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("deliveries did not end")
		}
	}
	s.Close()
	if attempts["flaky"] != 3 || attempts["denied"] != 1 {
		t.Errorf("attempts %v: want 3 for the flaky target (2 retries), 1 for the refusing one", attempts)
	}
}

func TestAWSCLITestEventPattern(t *testing.T) {
	s := newService(t)
	url := awsjsontest.Serve(t, s).URL
	var out struct{ Result bool }
	ev := `{"id":"1","account":"123456789012","source":"aws.states","time":"2026-03-01T12:00:00Z","region":"us-east-1","resources":[],"detail-type":"Step Functions Execution Status Change","detail":{"status":"FAILED"}}`
	if err := json.Unmarshal(awsjsontest.CLI(t, url, "events", "test-event-pattern", "--event-pattern", `{"detail":{"status":["FAILED","TIMED_OUT"]}}`, "--event", ev), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Result {
		t.Error("aws events test-event-pattern: false, want true")
	}
}

// compiled is the template rule's pattern, compiled.
func compiled(t *testing.T, r *stack.Rule) *Pattern {
	t.Helper()
	b, err := json.Marshal(r.Props.EventPattern)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
