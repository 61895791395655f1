package cloudwatch

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/sfn"
	"thumbflow/local/stack"
)

type action struct{ alarm, arn, subject, message string }

type env struct {
	svc     *Service
	url     string
	client  *cw.Client
	now     time.Time
	mu      sync.Mutex
	actions []action
}

func newEnv(t *testing.T) *env {
	e := &env{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e.svc = New(Options{Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID,
		Now: func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now },
		Action: func(_ context.Context, alarm, arn, subject, message string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.actions = append(e.actions, action{alarm, arn, subject, message})
			return nil
		}})
	e.url = awsjsontest.Serve(t, e.svc).URL
	e.client = cw.NewFromConfig(awsjsontest.Config(e.url))
	return e
}

func (e *env) step(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
	e.svc.Evaluate(context.Background())
}

func (e *env) state(t *testing.T, name string) string {
	t.Helper()
	out, err := e.client.DescribeAlarms(context.Background(), &cw.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms(%s): %+v, %v", name, out, err)
	}
	return string(out.MetricAlarms[0].StateValue)
}

func loadStack(t *testing.T) *stack.Stack {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{AccountID: awsjsontest.AccountID, Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTheTemplatesStartFailuresAlarm: a message in the start-failures
// queue moves the alarm to ALARM at the end of its minute and publishes
// to the alert topic; an empty queue brings it back to OK.
func TestTheTemplatesStartFailuresAlarm(t *testing.T) {
	st := loadStack(t)
	e := newEnv(t)
	for _, a := range st.Alarms {
		if err := e.svc.CreateFromTemplate(a); err != nil {
			t.Fatal(err)
		}
	}
	alarm := st.Resource("StartFailuresAlarm").Typed.(*stack.Alarm)
	q := st.Queue("StartFailuresQueue")
	depth := 0.0
	e.svc.AddGauge("AWS/SQS", "ApproximateNumberOfMessagesVisible", []Dimension{{Name: "QueueName", Value: q.Name}}, func() (float64, error) { return depth, nil })
	if got := e.state(t, alarm.Name); got != "INSUFFICIENT_DATA" {
		t.Errorf("a new alarm is %s", got)
	}
	e.step(30 * time.Second)
	e.step(time.Minute)
	if got := e.state(t, alarm.Name); got != "OK" {
		t.Errorf("with an empty queue the alarm is %s, want OK", got)
	}
	depth = 1
	e.step(30 * time.Second) // sampled at 12:02:00, in the minute that starts
	if got := e.state(t, alarm.Name); got != "OK" {
		t.Errorf("before the minute ends the alarm is %s", got)
	}
	e.step(time.Minute) // 12:03:00: the minute [12:02, 12:03) had a message
	if got := e.state(t, alarm.Name); got != "ALARM" {
		t.Fatalf("with a message in the queue the alarm is %s, want ALARM", got)
	}
	if len(e.actions) != 1 || e.actions[0].arn != st.Topic("AlertTopic").ARN || e.actions[0].alarm != alarm.ARN ||
		e.actions[0].subject != `ALARM: "`+alarm.Name+`" in US East (N. Virginia)` {
		t.Fatalf("actions %+v", e.actions)
	}
	var msg struct {
		AlarmName, NewStateValue, OldStateValue string
		Trigger                                 struct{ MetricName, Namespace string }
	}
	if err := json.Unmarshal([]byte(e.actions[0].message), &msg); err != nil || msg.NewStateValue != "ALARM" || msg.OldStateValue != "OK" ||
		msg.Trigger.MetricName != "ApproximateNumberOfMessagesVisible" {
		t.Errorf("alarm message %s", e.actions[0].message)
	}
	depth = 0
	e.step(time.Minute)
	e.step(time.Minute)
	if got := e.state(t, alarm.Name); got != "OK" {
		t.Errorf("after the queue is emptied the alarm is %s, want OK", got)
	}
}

func TestExecutionsTimedOutAlarmCountsTheLocalExecutions(t *testing.T) {
	st := loadStack(t)
	e := newEnv(t)
	for _, a := range st.Alarms {
		e.svc.CreateFromTemplate(a)
	}
	sm := st.StateMachine("ThumbnailStateMachine")
	e.svc.ObserveExecution(sfn.ExecutionSummary{StateMachineARN: sm.ARN, Status: "SUCCEEDED", StartDate: e.now, StopDate: e.now.Add(time.Second)})
	e.step(time.Minute)
	name := st.Resource("ExecutionsTimedOutAlarm").Typed.(*stack.Alarm).Name
	if got := e.state(t, name); got != "OK" {
		t.Errorf("after a success the timed-out alarm is %s, want OK (missing data is not breaching)", got)
	}
	e.svc.ObserveExecution(sfn.ExecutionSummary{StateMachineARN: sm.ARN, Status: "TIMED_OUT", StartDate: e.now, StopDate: e.now.Add(time.Second)})
	e.step(time.Minute)
	if got := e.state(t, name); got != "ALARM" {
		t.Errorf("after a timeout the timed-out alarm is %s, want ALARM", got)
	}
	if got := e.state(t, st.Resource("ExecutionsAbortedAlarm").Typed.(*stack.Alarm).Name); got != "OK" {
		t.Errorf("the aborted alarm is %s after a timeout, want OK", got)
	}
}

func TestMetricsAndAlarmsThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.client.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("thumbflow"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Latency"), Value: aws.Float64(100), Timestamp: aws.Time(e.now.Add(5 * time.Second))},
		{MetricName: aws.String("Latency"), Value: aws.Float64(300), Timestamp: aws.Time(e.now.Add(10 * time.Second))},
	}}); err != nil {
		t.Fatal(err)
	}
	// The embedded metric format, as a function logs it.
	line := `{"_aws":{"Timestamp":` + itoa(e.now.Add(20*time.Second).UnixMilli()) + `,"CloudWatchMetrics":[{"Namespace":"thumbflow","Dimensions":[[]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]},"Latency":[200,400],"uploadId":"u1"}`
	if ok, err := e.svc.IngestLogLine([]byte(line)); !ok || err != nil {
		t.Fatalf("IngestLogLine: %v, %v", ok, err)
	}
	if ok, _ := e.svc.IngestLogLine([]byte(`{"msg":"plain log"}`)); ok {
		t.Error("a plain log line was taken for EMF")
	}
	stats, err := e.client.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("thumbflow"), MetricName: aws.String("Latency"),
		StartTime: aws.Time(e.now), EndTime: aws.Time(e.now.Add(time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{"Sum", "Maximum", "SampleCount", "Average"}})
	if err != nil || len(stats.Datapoints) != 1 {
		t.Fatalf("GetMetricStatistics: %+v, %v", stats, err)
	}
	if d := stats.Datapoints[0]; aws.ToFloat64(d.Sum) != 1000 || aws.ToFloat64(d.Maximum) != 400 || aws.ToFloat64(d.SampleCount) != 4 || !d.Timestamp.Equal(e.now) {
		t.Errorf("datapoint %+v", d)
	}
	if _, err := e.client.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{AlarmName: aws.String("slow"), Namespace: aws.String("thumbflow"), MetricName: aws.String("Latency"),
		Statistic: "Average", Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2), Threshold: aws.Float64(200),
		ComparisonOperator: "GreaterThanThreshold", AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:t"}}); err != nil {
		t.Fatal(err)
	}
	e.step(time.Minute)
	if got := e.state(t, "slow"); got != "OK" {
		t.Errorf("1 of 3 periods (average 250 > 200) with DatapointsToAlarm 2: %s, want OK", got)
	}
	e.svc.Put("thumbflow", "Latency", nil, 500, e.now.Add(time.Second))
	e.step(time.Minute)
	if got := e.state(t, "slow"); got != "ALARM" {
		t.Errorf("2 of 3 breaching periods: %s, want ALARM", got)
	}
	e.step(3 * time.Minute)
	if got := e.state(t, "slow"); got != "INSUFFICIENT_DATA" {
		t.Errorf("three periods without data (missing): %s, want INSUFFICIENT_DATA", got)
	}
	if _, err := e.client.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("slow"), StateValue: "ALARM", StateReason: aws.String("testing")}); err != nil {
		t.Fatal(err)
	}
	if got := e.state(t, "slow"); got != "ALARM" || len(e.actions) != 2 {
		t.Errorf("SetAlarmState: %s with %d actions", got, len(e.actions))
	}
	_, err = e.client.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("none"), StateValue: "OK", StateReason: aws.String("x")})
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Errorf("SetAlarmState on a missing alarm: %v", err)
	}
	bad := cw.NewFromConfig(awsjsontest.Config(e.url, "wrong"))
	if _, err := bad.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{}); err == nil {
		t.Error("a request signed with the wrong secret was served")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAWSCLIDescribeAlarms(t *testing.T) {
	st := loadStack(t)
	e := newEnv(t)
	for _, a := range st.Alarms {
		e.svc.CreateFromTemplate(a)
	}
	var out struct {
		MetricAlarms []struct{ AlarmName, StateValue, MetricName string }
	}
	if err := json.Unmarshal(awsjsontest.CLI(t, e.url, "cloudwatch", "describe-alarms"), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != len(st.Alarms) || out.MetricAlarms[0].StateValue != "INSUFFICIENT_DATA" {
		t.Errorf("aws cloudwatch describe-alarms: %+v", out)
	}
}
