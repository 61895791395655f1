package alert

import (
	"encoding/json"
	"testing"

	"thumbflow/internal/templatetest"
)

// ruleEventPattern reads template.yaml's ExecutionFailedRule pattern, with
// !Ref ThumbnailStateMachine replaced by stateMachineARN: on AWS, Ref of a
// state machine is its ARN.
func ruleEventPattern(t *testing.T, stateMachineARN string) map[string]any {
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
	// Round-trip through JSON so the pattern has the types an event has.
	b, err := json.Marshal(rule.Properties["EventPattern"])
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil || p == nil {
		t.Fatalf("EventPattern %s: %v", b, err)
	}
	return p
}

// matches is the production matcher, on the generic forms a test has.
func matches(pattern, event any) (bool, error) {
	p, _ := pattern.(map[string]any)
	e, _ := event.(map[string]any)
	return Pattern(p).Match(e)
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

func TestMatcherItself(t *testing.T) {
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
		{`{"e":[{"anything-but":{"prefix":"Rejected."}}]}`, `{"e":null}`, false},
		{`{"e":[{"anything-but":["a","b"]}]}`, `{"e":"c"}`, true},
		{`{"e":[{"prefix":"Re"}]}`, `{"e":"Rejected"}`, true},
		{`{"e":[{"exists":false}]}`, `{}`, true},
		{`{"d":{"$or":[{"s":["T"]},{"s":["F"],"e":["x"]}]}}`, `{"d":{"s":"T"}}`, true},
		{`{"d":{"$or":[{"s":["T"]},{"s":["F"],"e":["x"]}]}}`, `{"d":{"s":"F","e":"y"}}`, false},
		{`{"d":{"$or":[{"s":["T"]},{"s":["F"],"e":["x"]}]}}`, `{"d":{"s":"F","e":"x"}}`, true},
	} {
		var p, e any
		json.Unmarshal([]byte(c.pattern), &p)
		json.Unmarshal([]byte(c.event), &e)
		if got, err := matches(p, e); got != c.want || err != nil {
			t.Errorf("matches(%s, %s) = %v, %v", c.pattern, c.event, got, err)
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
		s := summary("x-"+c.status+c.errName, c.status)
		s.StateMachineARN = machine
		s.Error = c.errName
		ev := eventJSON(t, NewEvent(s, "us-east-1", "000000000000", t0))
		got, err := matches(pattern, ev)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("rule matches a %s %q event: %v, want %v", c.status, c.errName, got, c.want)
		}
	}
	// Another state machine's failures are not this stack's to report.
	other := summary("y", "FAILED")
	other.StateMachineARN = "arn:aws:states:us-east-1:000000000000:stateMachine:other"
	if got, _ := matches(pattern, eventJSON(t, NewEvent(other, "us-east-1", "000000000000", t0))); got {
		t.Error("rule matches another state machine's failure")
	}
	// Nor is an event that only resembles a failure of this machine: each
	// field the rule filters on, changed alone, takes the match away.
	failed := summary("z", "FAILED")
	failed.StateMachineARN = machine
	for field, mutate := range map[string]func(m map[string]any){
		"source":      func(m map[string]any) { m["source"] = "aws.lambda" },
		"detail-type": func(m map[string]any) { m["detail-type"] = "Step Functions State Machine Status Change" },
		"detail.status lower-case": func(m map[string]any) {
			m["detail"].(map[string]any)["status"] = "failed"
		},
	} {
		ev := eventJSON(t, NewEvent(failed, "us-east-1", "000000000000", t0))
		if got, err := matches(pattern, ev); !got || err != nil {
			t.Fatalf("the unchanged FAILED event does not match: %v", err)
		}
		mutate(ev)
		if got, err := matches(pattern, ev); got || err != nil {
			t.Errorf("rule matches a FAILED event with %s changed (%v)", field, err)
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
