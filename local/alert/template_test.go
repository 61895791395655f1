package alert

import (
	"encoding/json"
	"fmt"
	"reflect"
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

// matches implements the part of EventBridge's pattern language the
// template uses: an object matches field by field, and an array of values
// matches when the event's value (or any element of an event array) equals
// one of them. Anything else in a pattern is reported, so that a richer
// pattern added to the template cannot pass this test by accident.
func matches(pattern, event any) (bool, error) {
	switch p := pattern.(type) {
	case map[string]any:
		ev, ok := event.(map[string]any)
		if !ok {
			return false, nil
		}
		for k, sub := range p {
			v, present := ev[k]
			if !present {
				return false, nil
			}
			ok, err := matches(sub, v)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case []any:
		values := []any{event}
		if arr, ok := event.([]any); ok {
			values = arr
		}
		for _, want := range p {
			switch want.(type) {
			case map[string]any, []any:
				return false, fmt.Errorf("content filter %v is not supported by this matcher", want)
			}
			for _, v := range values {
				if reflect.DeepEqual(want, v) {
					return true, nil
				}
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("pattern value %v (%T) must be an object or an array", pattern, pattern)
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

func TestTemplateRuleMatchesLocalAlerts(t *testing.T) {
	const machine = "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"
	pattern := ruleEventPattern(t, machine)
	for status, want := range map[string]bool{"FAILED": true, "TIMED_OUT": true, "ABORTED": true, "SUCCEEDED": false, "RUNNING": false} {
		s := summary("x-"+status, status)
		s.StateMachineARN = machine
		ev := eventJSON(t, NewEvent(s, "us-east-1", "000000000000", t0))
		got, err := matches(pattern, ev)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("rule matches a %s event: %v, want %v", status, got, want)
		}
		// The local alerter raises an alert for exactly the statuses
		// the rule matches.
		if alerting[status] != want {
			t.Errorf("local alerter alerts on %s: %v, rule matches: %v", status, alerting[status], want)
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

// TestTemplateAlarmsCoverEveryAlertingStatus checks that the deployed stack
// raises an alarm for each status the local alerter alerts on, on this
// state machine's metric.
func TestTemplateAlarmsCoverEveryAlertingStatus(t *testing.T) {
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
				Threshold    float64  `yaml:"Threshold"`
				AlarmActions []string `yaml:"AlarmActions"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	templatetest.Decode(t, "../../template.yaml", map[string]string{"ThumbnailStateMachine": "MACHINE", "AlertTopic": "TOPIC"}, &tpl)
	metric := map[string]string{"FAILED": "ExecutionsFailed", "TIMED_OUT": "ExecutionsTimedOut", "ABORTED": "ExecutionsAborted"}
	for status := range alerting {
		found := false
		for _, r := range tpl.Resources {
			p := r.Properties
			if r.Type != "AWS::CloudWatch::Alarm" || p.Namespace != "AWS/States" || p.MetricName != metric[status] {
				continue
			}
			if len(p.Dimensions) == 1 && p.Dimensions[0].Name == "StateMachineArn" && p.Dimensions[0].Value == "MACHINE" &&
				p.Threshold == 1 && len(p.AlarmActions) == 1 && p.AlarmActions[0] == "TOPIC" {
				found = true
			}
		}
		if !found {
			t.Errorf("no alarm on AWS/States %s for the state machine, threshold 1, to the alert topic", metric[status])
		}
	}
}
