package sns_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/cloudwatch"
	"thumbflow/local/events"
	"thumbflow/local/sfn"
	"thumbflow/local/sns"
	"thumbflow/local/sqs"
	"thumbflow/local/stack"
)

// TestTheStacksAlertingPaths wires the services from template.yaml the way
// the local cloud does, and follows the two paths to the alert topic's
// https subscription (the -alert-webhook, raw, so it receives the event
// itself as it always has): a failed execution through the EventBridge
// rule, and a start failure through the queue and its alarm.
func TestTheStacksAlertingPaths(t *testing.T) {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{AccountID: awsjsontest.AccountID,
		Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080", "AlarmEmail": "oncall@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer hook.Close()
	next := func() []byte {
		select {
		case b := <-got:
			return b
		case <-time.After(time.Minute):
			t.Fatal("nothing reached the webhook")
			return nil
		}
	}

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	topics, err := sns.New(sns.Options{Dir: t.TempDir(), Region: st.Region, AccountID: st.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	defer topics.Close()
	queues, err := sqs.New(sqs.Options{Region: st.Region, AccountID: st.AccountID, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.New(events.Options{Region: st.Region, AccountID: st.AccountID})
	defer bus.Close()
	metrics := cloudwatch.New(cloudwatch.Options{Region: st.Region, AccountID: st.AccountID, Now: clock, Action: topics.AlarmAction()})

	for _, tp := range st.Topics {
		if err := topics.CreateFromTemplate(tp); err != nil {
			t.Fatal(err)
		}
	}
	alert := st.Topic("AlertTopic")
	if _, err := topics.Subscribe(alert.ARN, "http", hook.URL, "", true); err != nil {
		t.Fatal(err)
	}
	for _, q := range st.Queues {
		if _, err := queues.CreateFromTemplate(sqs.FromStack(q)); err != nil {
			t.Fatal(err)
		}
		name := q.Name
		metrics.AddGauge("AWS/SQS", "ApproximateNumberOfMessagesVisible", []cloudwatch.Dimension{{Name: "QueueName", Value: name}}, func() (float64, error) {
			v, _, err := queues.Depth(name)
			return float64(v), err
		})
	}
	for _, r := range st.Rules {
		if err := bus.CreateFromTemplate(r); err != nil {
			t.Fatal(err)
		}
	}
	bus.HandleTargets("arn:aws:sns:", topics.EventBridgeTarget())
	for _, a := range st.Alarms {
		if err := metrics.CreateFromTemplate(a); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(s sfn.ExecutionSummary) { bus.ObserveExecution(s); metrics.ObserveExecution(s) }

	sm := st.StateMachine("ThumbnailStateMachine")
	ended(sfn.ExecutionSummary{ExecutionARN: "arn:aws:states:us-east-1:123456789012:execution:thumbnail:e1", StateMachineARN: sm.ARN,
		Name: "e1", Status: "FAILED", StartDate: now, StopDate: now.Add(time.Second), Error: "States.TaskFailed", Cause: "AccessDenied"})
	var ev struct {
		DetailType string `json:"detail-type"`
		Detail     struct{ Status, Cause string }
	}
	if b := next(); json.Unmarshal(b, &ev) != nil || ev.DetailType != events.StatusChangeDetailType || ev.Detail.Cause != "AccessDenied" {
		t.Fatalf("the webhook got %s, want the execution's status-change event", b)
	}

	rec, _ := json.Marshal(sqs.NewFailureRecord("r1", st.Function("StartFunction").ARN, 3, json.RawMessage(`{}`), json.RawMessage(`{"errorMessage":"denied"}`), now))
	if _, err := queues.Enqueue(st.Function("StartFunction").Props.EventInvokeConfig.DestinationConfig.OnFailure.Destination, string(rec)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	metrics.Evaluate(context.Background()) // 12:01: samples the queue; the failed execution's minute ends
	now = now.Add(time.Minute)
	metrics.Evaluate(context.Background()) // 12:02: the queue's minute ends
	// The queue's alarm; the system-failure alarm counts the status
	// function's metrics (EMF), which this test does not emit.
	alarms := map[string]bool{}
	for range 1 {
		var m struct{ AlarmName, NewStateValue string }
		if b := next(); json.Unmarshal(b, &m) != nil || m.NewStateValue != "ALARM" {
			t.Fatalf("the webhook got %s, want an alarm", b)
		} else {
			alarms[m.AlarmName] = true
		}
	}
	for _, id := range []string{"StartFailuresAlarm"} {
		if name := st.Resource(id).Typed.(*stack.Alarm).Name; !alarms[name] {
			t.Errorf("%s (%s) did not alert; got %v", id, name, alarms)
		}
	}
}
