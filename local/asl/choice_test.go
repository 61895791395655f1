package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

func TestChoiceOperators(t *testing.T) {
	input := `{"s":"banana","n":5,"b":true,"ts":"2024-01-02T03:04:05Z","nil":null,"other":{"s":"cherry","n":5,"b":true,"ts":"2024-01-02T03:04:05Z"}}`
	cases := []struct {
		rule string
		want bool
	}{
		{`"Variable":"$.s","StringEquals":"banana"`, true},
		{`"Variable":"$.s","StringEquals":"apple"`, false},
		{`"Variable":"$.s","StringLessThan":"cherry"`, true},
		{`"Variable":"$.s","StringGreaterThan":"apple"`, true},
		{`"Variable":"$.s","StringLessThanEquals":"banana"`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"cherry"`, false},
		{`"Variable":"$.s","StringMatches":"b*n*"`, true},
		{`"Variable":"$.s","StringMatches":"c*"`, false},
		{`"Variable":"$.n","NumericEquals":5`, true},
		{`"Variable":"$.n","NumericLessThan":5`, false},
		{`"Variable":"$.n","NumericGreaterThan":4.5`, true},
		{`"Variable":"$.n","NumericLessThanEquals":5`, true},
		{`"Variable":"$.n","NumericGreaterThanEquals":6`, false},
		{`"Variable":"$.b","BooleanEquals":true`, true},
		{`"Variable":"$.ts","TimestampEquals":"2024-01-02T03:04:05Z"`, true},
		{`"Variable":"$.ts","TimestampLessThan":"2024-01-02T03:04:06Z"`, true},
		{`"Variable":"$.ts","TimestampGreaterThan":"2024-01-02T03:04:06Z"`, false},
		{`"Variable":"$.ts","TimestampLessThanEquals":"2024-01-02T03:04:05+00:00"`, true},
		{`"Variable":"$.ts","TimestampGreaterThanEquals":"2023-12-31T00:00:00Z"`, true},
		{`"Variable":"$.s","StringEqualsPath":"$.other.s"`, false},
		{`"Variable":"$.s","StringLessThanPath":"$.other.s"`, true},
		{`"Variable":"$.n","NumericEqualsPath":"$.other.n"`, true},
		{`"Variable":"$.n","NumericGreaterThanPath":"$.other.n"`, false},
		{`"Variable":"$.b","BooleanEqualsPath":"$.other.b"`, true},
		{`"Variable":"$.ts","TimestampEqualsPath":"$.other.ts"`, true},
		{`"Variable":"$.ts","TimestampLessThanEqualsPath":"$.other.ts"`, true},
		{`"Variable":"$.nil","IsNull":true`, true},
		{`"Variable":"$.s","IsNull":true`, false},
		{`"Variable":"$.missing","IsPresent":false`, true},
		{`"Variable":"$.s","IsPresent":true`, true},
		{`"Variable":"$.n","IsNumeric":true`, true},
		{`"Variable":"$.s","IsString":true`, true},
		{`"Variable":"$.b","IsBoolean":true`, true},
		{`"Variable":"$.ts","IsTimestamp":true`, true},
		{`"Variable":"$.s","IsTimestamp":true`, false},
		{`"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.b","BooleanEquals":true}]`, true},
		{`"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.b","BooleanEquals":false}]`, false},
		{`"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.b","BooleanEquals":true}]`, true},
		{`"Not":{"Variable":"$.s","StringEquals":"banana"}`, false},
		{`"Variable":"$$.Execution.Name","StringEquals":"e1"`, true},
		{`"Variable":"$.n","StringEquals":"5"`, false},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{%s,"Next":"Yes"}],"Default":"No"},
				"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`, c.rule)
			m, err := Parse([]byte(def))
			if err != nil {
				t.Fatal(err)
			}
			clock := clocktest.NewVirtualClock(time.Now())
			exec := testExec(clock)
			exec.Input = json.RawMessage(input)
			res := m.Run(context.Background(), exec, Options{Clock: clock})
			want := `"no"`
			if c.want {
				want = `"yes"`
			}
			if res.Status != StatusSucceeded || string(res.Output) != want {
				t.Fatalf("result %+v, want output %s", res, want)
			}
		})
	}
}

func TestChoiceWithoutMatchFails(t *testing.T) {
	m, err := Parse([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"D"}]},"D":{"Type":"Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.NewVirtualClock(time.Now())
	exec := testExec(clock)
	exec.Input = json.RawMessage(`{"n":2}`)
	res := m.Run(context.Background(), exec, Options{Clock: clock})
	if res.Status != StatusFailed || res.Error != "States.NoChoiceMatched" {
		t.Fatalf("result %+v, want States.NoChoiceMatched", res)
	}
}
