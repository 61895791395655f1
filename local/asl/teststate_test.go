package asl

import (
	"context"
	"encoding/json"
	"testing"
)

func testState(t *testing.T, def, stateName, input string, test StateTest) StateTestResult {
	t.Helper()
	m, name, err := ParseForTest([]byte(def), stateName)
	if err != nil {
		t.Fatal(err)
	}
	test.Input = json.RawMessage(input)
	res, err := m.TestState(context.Background(), name, test)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTestStateChoiceAndWait(t *testing.T) {
	choice := `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],"Default":"Small"}`
	if r := testState(t, choice, "", `{"n":2}`, StateTest{}); r.Status != TestSucceeded || r.NextState != "Big" {
		t.Errorf("choice: %+v", r)
	}
	// A Wait does not wait (the test would hang on the wall clock).
	wait := `{"Type":"Wait","Seconds":86400,"Next":"After"}`
	if r := testState(t, wait, "", `{}`, StateTest{}); r.Status != TestSucceeded || r.NextState != "After" {
		t.Errorf("wait: %+v", r)
	}
	fail := `{"Type":"Fail","Error":"E","Cause":"c"}`
	if r := testState(t, fail, "", `{}`, StateTest{}); r.Status != TestFailed || r.Error != "E" || r.Cause != "c" {
		t.Errorf("fail: %+v", r)
	}
}

func TestTestStateMockedParallelAndMap(t *testing.T) {
	par := `{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Fail","Error":"Never"}}}],
		"ResultSelector":{"first.$":"$[0]"},"Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":2,"IntervalSeconds":3,"BackoffRate":1.5}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Recover"}],"Next":"Done"}`
	r := testState(t, par, "", `{"a":1}`, StateTest{Mock: &Mock{Result: json.RawMessage(`[{"b":2}]`)}})
	if r.Status != TestSucceeded || string(r.Output) != `{"first":{"b":2}}` || r.NextState != "Done" || r.AfterResultSelector != `{"first":{"b":2}}` {
		t.Errorf("mocked Parallel: %+v", r)
	}
	r = testState(t, par, "", `{"a":1}`, StateTest{Mock: &Mock{Failed: true, Error: "Busy"}, RetrierRetryCount: 1})
	if r.Status != TestRetriable || *r.RetryIndex != 0 || *r.RetryBackoffIntervalSeconds != 5 { // 3 × 1.5, rounded
		t.Errorf("retried Parallel: %+v", r)
	}
	r = testState(t, par, "", `{"a":1}`, StateTest{Mock: &Mock{Failed: true, Error: "Busy"}, RetrierRetryCount: 2})
	if r.Status != TestCaughtError || r.NextState != "Recover" || *r.CatchIndex != 0 || string(r.Output) != `{"a":1,"err":{"Cause":"","Error":"Busy"}}` {
		t.Errorf("caught Parallel: %+v %s", r, r.Output)
	}
	mp := `{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
	if r := testState(t, mp, "", `{"items":[1,2]}`, StateTest{}); r.Status != TestSucceeded || string(r.Output) != `[1,2]` {
		t.Errorf("Map run for real: %+v", r)
	}
	if _, _, err := ParseForTest([]byte(`{"Type":"Pass","End":true}`), ""); err != nil {
		t.Fatal(err)
	}
	m, name, _ := ParseForTest([]byte(`{"Type":"Pass","End":true}`), "")
	if _, err := m.TestState(context.Background(), name, StateTest{Mock: &Mock{Result: json.RawMessage(`1`)}}); err == nil {
		t.Error("a mock on a Pass state was accepted")
	}
}

func TestTestStateOfAStateInAMachine(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":{"v.$":"$.x"},"ResultPath":"$.b","End":true}}}`
	r := testState(t, def, "B", `{"x":1}`, StateTest{Variables: json.RawMessage(`{"k":"v"}`)})
	if r.Status != TestSucceeded || string(r.Output) != `{"b":{"v.$":"$.x"},"x":1}` || r.NextState != "" || r.Variables != `{"k":"v"}` {
		t.Errorf("state B: %+v %s", r, r.Output)
	}
	if _, _, err := ParseForTest([]byte(def), "Nope"); err == nil {
		t.Error("an unknown state name was accepted")
	}
}

func TestTestStateJSONata(t *testing.T) {
	def := `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke",
		"Arguments":{"FunctionName":"f","Payload":{"n":"{% $states.input.n + $bonus %}"}},
		"Output":"{% $states.result.Payload %}","Assign":{"seen":"{% $states.result.Payload.n %}"},
		"Catch":[{"ErrorEquals":["States.ALL"],"Output":{"err":"{% $states.errorOutput.Error %}"},"Next":"Handle"}],"End":true}`
	m, name, err := ParseForTest([]byte(def), "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.TestState(context.Background(), name, StateTest{Input: json.RawMessage(`{"n":1}`), Variables: json.RawMessage(`{"bonus":2}`),
		Mock: &Mock{Result: json.RawMessage(`{"Payload":{"n":3}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != TestSucceeded || string(res.Output) != `{"n":3}` || res.AfterParameters != `{"FunctionName":"f","Payload":{"n":3}}` || res.Variables != `{"bonus":2,"seen":3}` {
		t.Errorf("succeeded: %+v", res)
	}
	res, err = m.TestState(context.Background(), name, StateTest{Input: json.RawMessage(`{"n":1}`), Variables: json.RawMessage(`{"bonus":2}`),
		Mock: &Mock{Failed: true, Error: "Boom", Cause: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != TestCaughtError || string(res.Output) != `{"err":"Boom"}` || res.NextState != "Handle" {
		t.Errorf("caught: %+v", res)
	}
}
