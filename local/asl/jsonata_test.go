package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

func TestParseAcceptsBothQueryLanguages(t *testing.T) {
	for name, def := range map[string]string{
		"top level":             `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input %}","End":true}}}`,
		"one JSONata state":     `{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"x":"{% 1 + 1 %}"},"End":true}}}`,
		"JSONPath then JSONata": `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v.$":"$.x"},"Next":"B"},"B":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $v %}","End":true}}}`,
		"expressions in number fields": `{"QueryLanguage":"JSONata","StartAt":"W","States":{
			"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"T"},
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"{% 5 %}","Arguments":{"FunctionName":"f"},"Next":"M"},
			"M":{"Type":"Map","Items":"{% [1,2] %}","MaxConcurrency":"{% 1 %}","ToleratedFailureCount":"{% 0 %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Next":"F"},
			"F":{"Type":"Fail","Error":"{% 'E' %}","Cause":"{% 'C' %}"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(def)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The definition checks AWS makes for JSONata states.
func TestParseJSONataDefinitionChecks(t *testing.T) {
	for name, c := range map[string]struct{ def, want string }{
		"InputPath":           {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}`, `"InputPath" is not supported by Step Functions for JSONata states`},
		"Parameters":          {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{},"End":true}}}`, `"Parameters" is not supported by Step Functions for JSONata states`},
		"ResultSelector":      {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultSelector":{},"End":true}}}`, `"ResultSelector" is not supported`},
		"ResultPath":          {`{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","ResultPath":"$.r","End":true}}}`, `"ResultPath" is not supported`},
		"OutputPath":          {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed","OutputPath":"$"}}}`, `"OutputPath" is not supported`},
		"ItemsPath":           {`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.a","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `"ItemsPath" is not supported`},
		"SecondsPath":         {`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, `"SecondsPath" is not supported`},
		"Output in JSONPath":  {`{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`, `"Output" is only supported by Step Functions for JSONata states`},
		"back to JSONPath":    {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`, "QueryLanguage JSONPath is not allowed"},
		"Variable rule":       {`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`, "use Condition"},
		"catcher ResultPath":  {`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`, "use Output"},
		"bad expression":      {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"x":"{% 1 + %}"},"End":true}}}`, "does not compile"},
		"Items not array":     {`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"abc","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, "Items must be an array"},
		"inherited in branch": {`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$","End":true}}}],"End":true}}}`, `"InputPath" is not supported`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.def))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error = %v, want %q", err, c.want)
			}
		})
	}
}

// runJSON runs def on input with a virtual clock and no functions.
func runJSON(t *testing.T, def, input string) Result {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return m.Run(ctx, Execution{ARN: "arn:aws:states:us-east-1:1:execution:m:e", Name: "e", Input: json.RawMessage(input)}, Options{Clock: clk})
}

func TestAWSJSONataFunctions(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{
		"partition":"{% $partition([1,2,3,4,5], 2) %}",
		"range":"{% $range(0, 10, 5) %}",
		"down":"{% $range(3, 1, -1) %}",
		"hash":"{% $hash('input data', 'SHA-1') %}",
		"md5":"{% $hash('', 'MD5') %}",
		"seeded":"{% $random(7) = $random(7) %}",
		"unit":"{% $random() >= 0 and $random() < 1 %}",
		"uuid":"{% $length($uuid()) %}",
		"parse":"{% $parse($states.input.text) %}"},"End":true}}}`
	res := runJSON(t, def, `{"text":"{\"a\":[1,true]}"}`)
	if res.Status != StatusSucceeded {
		t.Fatalf("%s: %s %s", res.Status, res.Error, res.Cause)
	}
	var got, want any
	_ = json.Unmarshal(res.Output, &got)
	_ = json.Unmarshal([]byte(`{"partition":[[1,2],[3,4],[5]],"range":[0,5,10],"down":[3,2,1],
		"hash":"aaff4a450a104cd177d28d18d74485e8cae074b7","md5":"d41d8cd98f00b204e9800998ecf8427e",
		"seeded":true,"unit":true,"uuid":36,"parse":{"a":[1,true]}}`), &want)
	if jsonText(got) != jsonText(want) {
		t.Errorf("got %s\nwant %s", jsonText(got), jsonText(want))
	}
}

func TestJSONataQueryEvaluationErrorIsCatchable(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"M","States":{
		"M":{"Type":"Map","Items":"{% $states.input.notThere %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
			"Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Output":"{% $states.errorOutput.Error %}","Next":"S"}],"End":true},
		"S":{"Type":"Succeed"}}}`
	res := runJSON(t, def, `{}`)
	if res.Status != StatusSucceeded || string(res.Output) != `"States.QueryEvaluationError"` {
		t.Fatalf("%s %s: %s %s", res.Status, res.Output, res.Error, res.Cause)
	}
}

// Variables assigned in a Map iteration are its own; the outer ones are
// visible inside.
func TestJSONataVariableScopes(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"outer":10},"Next":"M"},
		"M":{"Type":"Map","Items":"{% [1,2] %}","ItemProcessor":{"StartAt":"P","States":{
			"P":{"Type":"Pass","Assign":{"inner":"{% $states.input * $outer %}"},"Next":"Q"},
			"Q":{"Type":"Pass","Output":"{% $inner %}","End":true}}},
			"Output":{"items":"{% $states.result %}","inner":"{% $exists($inner) %}"},"End":true}}}`
	res := runJSON(t, def, `{}`)
	if res.Status != StatusSucceeded || string(res.Output) != `{"inner":false,"items":[10,20]}` {
		t.Fatalf("%s %s: %s %s", res.Status, res.Output, res.Error, res.Cause)
	}
}

// A branch's assignment is its own: the outer variable keeps its value.
// A distributed Map's iterations do not see the outer variables at all.
func TestVariableScopesOfBranchesAndDistributedMaps(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"outer":10},"Next":"P"},
		"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{
			"B":{"Type":"Pass","Assign":{"outer":99},"Next":"C"},
			"C":{"Type":"Pass","Output":"{% $outer %}","End":true}}}],
			"Output":{"branch":"{% $states.result[0] %}","outer":"{% $outer %}"},"End":true}}}`
	res := runJSON(t, def, `{}`)
	if res.Status != StatusSucceeded || string(res.Output) != `{"branch":99,"outer":10}` {
		t.Fatalf("%s %s: %s %s", res.Status, res.Output, res.Error, res.Cause)
	}
	def = `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"outer":10},"Next":"M"},
		"M":{"Type":"Map","Items":"{% [1] %}","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"Q","States":{"Q":{"Type":"Pass","Output":"{% $outer %}","End":true}}},"End":true}}}`
	res = runJSON(t, def, `{}`)
	if res.Status != StatusFailed || res.Error != "States.QueryEvaluationError" || !strings.Contains(res.Cause, "returned nothing (undefined)") {
		t.Fatalf("%s %s: %s %s", res.Status, res.Output, res.Error, res.Cause)
	}
}

// Runaway recursion is a States.QueryEvaluationError (U1001), not a
// crashed engine.
func TestJSONataRunawayRecursionFailsTheState(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",
		"Output":"{% ($f := function($n){ $n + $f($n + 1) }; $f(0)) %}","End":true}}}`
	res := runJSON(t, def, `{}`)
	if res.Status != StatusFailed || res.Error != "States.QueryEvaluationError" || !strings.Contains(res.Cause, "U1001") {
		t.Fatalf("%s: %s %s", res.Status, res.Error, res.Cause)
	}
}

// Interrupting a run stops an endless evaluation, and the interruption
// (not an evaluation error) is what the run reports.
func TestJSONataEvaluationStopsWithTheRun(t *testing.T) {
	m, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",
		"Output":"{% ($loop := function($n){ $loop($n + 1) }; $loop(0)) %}","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{Clock: clocktest.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), Record: func(ev Event, _ Checkpoint) error {
		types = append(types, ev.Type)
		if ev.Type == "PassStateEntered" {
			go cancel()
		}
		return nil
	}}
	done := make(chan Result, 1)
	go func() {
		done <- m.Run(ctx, Execution{ARN: "arn:aws:states:us-east-1:1:execution:m:e", Input: json.RawMessage(`{}`)}, opts)
	}()
	select {
	case res := <-done:
		if res.Status != "" || strings.Join(types, " ") != "ExecutionStarted PassStateEntered" {
			t.Fatalf("result %+v, events %v", res, types)
		}
	case <-time.After(time.Minute):
		t.Fatal("the evaluation did not stop with the run")
	}
}

// A Choice state's Assign applies whichever rule matches; the matching
// rule's Assign and Output come on top.
func TestJSONataChoiceAssignAndOutput(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"C","States":{
		"C":{"Type":"Choice","Assign":{"a":"state","b":"state"},"Output":"state output",
			"Choices":[{"Condition":"{% $states.input.go %}","Assign":{"b":"rule"},"Output":"rule output","Next":"S"}],"Default":"S"},
		"S":{"Type":"Pass","Output":{"a":"{% $a %}","b":"{% $b %}","in":"{% $states.input %}"},"End":true}}}`
	for input, want := range map[string]string{
		`{"go":true}`:  `{"a":"state","b":"rule","in":"rule output"}`,
		`{"go":false}`: `{"a":"state","b":"state","in":"state output"}`,
	} {
		if res := runJSON(t, def, input); string(res.Output) != want {
			t.Errorf("%s: %s %s (%s), want %s", input, res.Status, res.Output, res.Cause, want)
		}
	}
}

func TestParseChecksVariableNames(t *testing.T) {
	for name, def := range map[string]string{
		"reserved":         `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"states":1},"End":true}}}`,
		"JSONPath digit":   `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"1x.$":"$"},"End":true}}}`,
		"JSONata catcher":  `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"a-b":1},"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`,
		"JSONPath in rule": `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Assign":{"a b":1},"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(def)); err == nil || !strings.Contains(err.Error(), "variable name") {
				t.Fatalf("Parse error = %v, want a variable name problem", err)
			}
		})
	}
	if _, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"_ok1":1,"ünï":2,"x.$":"$"},"End":true}}}`)); err != nil {
		t.Fatal(err)
	}
}
