package events

// These tests came from the stand-in that evaluated the template's rule
// before the local cloud ran EventBridge: the deployed rule's
// pattern, the alarms beside it, and the shape of the event the
// -alert-webhook receives.

import (
	"encoding/json"
	"testing"
	"time"

	"thumbflow/internal/templatetest"
	"thumbflow/local/sfn"
)

var t0 = time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)

// execution is a thumbnail execution that ended with status.
func execution(name, status string) sfn.ExecutionSummary {
	s := sfn.ExecutionSummary{
		ExecutionARN:    "arn:aws:states:us-east-1:000000000000:execution:thumbnail:" + name,
		StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail",
		Name:            name, Status: status,
		StartDate: t0, StopDate: t0.Add(1500 * time.Millisecond),
		Input: json.RawMessage(`{"uploadId":"` + name + `"}`),
	}
	if status == "FAILED" {
		s.Error, s.Cause = "CorruptImage", `{"errorMessage":"not an image"}`
	}
	return s
}

// ruleEventPattern reads template.yaml's ExecutionFailedRule pattern, with
// !Ref ThumbnailStateMachine replaced by stateMachineARN: on AWS, Ref of a
// state machine is its ARN.
func ruleEventPattern(t *testing.T, stateMachineARN string) *Pattern {
	t.Helper()
	var tpl struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	templatetest.Decode(t, "../../template.yaml", map[string]string{"ThumbnailStateMachine": stateMachineARN}, &tpl)
	rule, ok := tpl.Resources["ExecutionFailedRule"]
	if !ok || rule.Type != "AWS::Events::Rule" {
		t.Fatalf("template.yaml has no AWS::Events::Rule ExecutionFailedRule")
	}
	b, err := json.Marshal(rule.Properties["EventPattern"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(string(b))
	if err != nil {
		t.Fatalf("EventPattern %s: %v", b, err)
	}
	return p
}

func eventJSON(t *testing.T, ev Event) map[string]any {
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func matchesMap(t *testing.T, p *Pattern, ev map[string]any) bool {
	t.Helper()
	b, _ := json.Marshal(ev)
	ok, err := p.Matches(b)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMatcherCasesOfTheAlertRule(t *testing.T) {
	for _, c := range []struct {
		pattern, event string
		want           bool
	}{
		{`{"a":["x"]}`, `{"a":"x"}`, true},
		{`{"a":["x","y"]}`, `{"a":"z"}`, false},
		{`{"a":["x"]}`, `{"b":"x"}`, false},
		{`{"d":{"s":["F"]}}`, `{"d":{"s":"F","t":1}}`, true},
		{`{"d":{"s":["F"]}}`, `{"d":{"s":"G"}}`, false},
		{`{"r":["arn"]}`, `{"r":["other","arn"]}`, true},
		{`{"e":[{"anything-but":{"prefix":"Rejected."}}]}`, `{"e":"Rejected.CorruptImage"}`, false},
		{`{"e":[{"anything-but":{"prefix":"Rejected."}}]}`, `{"e":"InternalError"}`, true},
		{`{"e":[{"anything-but":["a","b"]}]}`, `{"e":"c"}`, true},
		{`{"e":[{"prefix":"Re"}]}`, `{"e":"Rejected"}`, true},
		{`{"e":[{"prefix":"Re"}]}`, `{"e":"PreRejected"}`, false}, // a prefix, not a substring
		{`{"e":[{"anything-but":{"prefix":"Rejected."}}]}`, `{"e":"NotRejected.CorruptImage"}`, true},
		{`{"e":[{"exists":false}]}`, `{}`, true},
		{`{"d":{"$or":[{"s":["T"]},{"s":["F"],"e":["x"]}]}}`, `{"d":{"s":"T"}}`, true},
		{`{"d":{"$or":[{"s":["T"]},{"s":["F"],"e":["x"]}]}}`, `{"d":{"s":"F","e":"y"}}`, false},
		{`{"d":{"$or":[{"s":["T"]},{"s":["F"],"e":["x"]}]}}`, `{"d":{"s":"F","e":"x"}}`, true},
	} {
		p, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("Compile(%s): %v", c.pattern, err)
		}
		if got, err := p.Matches([]byte(c.event)); got != c.want || err != nil {
			t.Errorf("Matches(%s, %s) = %v, %v", c.pattern, c.event, got, err)
		}
	}
}

// TestTemplateRuleMatchesSystemFailuresOnly checks the deployed rule on
// the event JSON: a system failure (retries exhausted, a timeout, an abort)
// matches, a user rejection (the workflow's Rejected.<code> error) does not.
func TestTemplateRuleMatchesSystemFailuresOnly(t *testing.T) {
	const machine = "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"
	pattern := ruleEventPattern(t, machine)
	for _, c := range []struct {
		status, errName string
		want            bool
	}{
		{"FAILED", "InternalError", true},
		{"FAILED", "TransientError", true},
		{"FAILED", "States.Timeout", true},
		{"TIMED_OUT", "", true},
		{"ABORTED", "", true},
		{"FAILED", "Rejected.CorruptImage", false},
		{"FAILED", "Rejected.ContentTypeMismatch", false},
		{"SUCCEEDED", "", false},
		{"RUNNING", "", false},
	} {
		s := execution("x-"+c.status+c.errName, c.status)
		s.StateMachineARN = machine
		s.Error = c.errName
		if got := matchesMap(t, pattern, eventJSON(t, StatusChange(s, "us-east-1", "000000000000", t0))); got != c.want {
			t.Errorf("rule matches a %s %q event: %v, want %v", c.status, c.errName, got, c.want)
		}
	}
	// Another state machine's failures are not this stack's to report.
	other := execution("y", "FAILED")
	other.StateMachineARN = "arn:aws:states:us-east-1:000000000000:stateMachine:other"
	if matchesMap(t, pattern, eventJSON(t, StatusChange(other, "us-east-1", "000000000000", t0))) {
		t.Error("rule matches another state machine's failure")
	}
	// Nor is an event that only resembles a failure of this machine: each
	// field the rule filters on, changed alone, takes the match away.
	failed := execution("z", "FAILED")
	failed.StateMachineARN = machine
	for field, mutate := range map[string]func(m map[string]any){
		"source":      func(m map[string]any) { m["source"] = "aws.lambda" },
		"detail-type": func(m map[string]any) { m["detail-type"] = "Step Functions State Machine Status Change" },
		"detail.status lower-case": func(m map[string]any) {
			m["detail"].(map[string]any)["status"] = "failed"
		},
	} {
		ev := eventJSON(t, StatusChange(failed, "us-east-1", "000000000000", t0))
		if !matchesMap(t, pattern, ev) {
			t.Fatal("the unchanged FAILED event does not match")
		}
		mutate(ev)
		if matchesMap(t, pattern, ev) {
			t.Errorf("rule matches a FAILED event with %s changed", field)
		}
	}
}

// TestTemplateAlarmsCoverEverySystemFailure checks that the deployed stack
// raises an alarm for each kind of system failure the rule alerts on: the
// state machine's timed-out and aborted executions, and the status
// function's SystemFailures metric (a FAILED execution may be a user
// rejection, so AWS/States ExecutionsFailed is not used), to the topic.
func TestTemplateAlarmsCoverEverySystemFailure(t *testing.T) {
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Namespace  string `yaml:"Namespace"`
				MetricName string `yaml:"MetricName"`
				Dimensions []struct {
					Name  string `yaml:"Name"`
					Value string `yaml:"Value"`
				} `yaml:"Dimensions"`
				Threshold    string   `yaml:"Threshold"`
				AlarmActions []string `yaml:"AlarmActions"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	templatetest.Decode(t, "../../template.yaml", map[string]string{
		"ThumbnailStateMachine": "MACHINE", "AlertTopic": "TOPIC", "SystemFailureAlarmThreshold": "1"}, &tpl)
	for _, want := range []struct{ namespace, metric, dimension string }{
		{"AWS/States", "ExecutionsTimedOut", "MACHINE"},
		{"AWS/States", "ExecutionsAborted", "MACHINE"},
		{"thumbflow", "SystemFailures", ""},
	} {
		found := false
		for _, r := range tpl.Resources {
			p := r.Properties
			if r.Type != "AWS::CloudWatch::Alarm" || p.Namespace != want.namespace || p.MetricName != want.metric {
				continue
			}
			dimOK := want.dimension == "" && len(p.Dimensions) == 0 ||
				len(p.Dimensions) == 1 && p.Dimensions[0].Name == "StateMachineArn" && p.Dimensions[0].Value == want.dimension
			if dimOK && p.Threshold == "1" && len(p.AlarmActions) == 1 && p.AlarmActions[0] == "TOPIC" {
				found = true
			}
		}
		if !found {
			t.Errorf("no alarm on %s %s, threshold 1, to the alert topic", want.namespace, want.metric)
		}
	}
}

// TestStatusChangeHasEventBridgeShape: the event the webhook receives is
// EventBridge's, with a stable id per execution so a receiver can drop a
// repeat.
func TestStatusChangeHasEventBridgeShape(t *testing.T) {
	ev := StatusChange(execution("bad-2", "FAILED"), "eu-west-1", "123456789012", t0.Add(2*time.Second))
	m := eventJSON(t, ev)
	for k, want := range map[string]any{
		"version": "0", "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
		"account": "123456789012", "region": "eu-west-1", "time": "2026-03-01T03:00:02Z",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if r, _ := m["resources"].([]any); len(r) != 1 || r[0] != "arn:aws:states:us-east-1:000000000000:execution:thumbnail:bad-2" {
		t.Errorf("resources = %v", m["resources"])
	}
	d := m["detail"].(map[string]any)
	// Dates are epoch milliseconds, input is JSON text, output null.
	if d["startDate"] != float64(t0.UnixMilli()) || d["stopDate"] != float64(t0.UnixMilli()+1500) {
		t.Errorf("dates %v %v", d["startDate"], d["stopDate"])
	}
	if d["input"] != `{"uploadId":"bad-2"}` || d["output"] != nil || d["error"] != "CorruptImage" || d["cause"] != `{"errorMessage":"not an image"}` {
		t.Errorf("detail = %v", d)
	}
	for _, k := range []string{"executionArn", "stateMachineArn", "name", "status", "inputDetails", "outputDetails", "redriveCount", "redriveStatus"} {
		if _, ok := d[k]; !ok {
			t.Errorf("detail lacks %s", k)
		}
	}
	if again := StatusChange(execution("bad-2", "FAILED"), "eu-west-1", "123456789012", t0.Add(time.Hour)); again.ID != ev.ID {
		t.Errorf("ids differ for the same execution: %s, %s", ev.ID, again.ID)
	}
	if other := StatusChange(execution("bad-3", "FAILED"), "eu-west-1", "123456789012", t0); other.ID == ev.ID {
		t.Errorf("two executions share id %s", ev.ID)
	}
}
