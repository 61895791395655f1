package asl

import (
	"errors"
	"testing"
)

// TestProblemsInAWSForm checks the codes and JSON-pointer locations that
// ValidateStateMachineDefinition and InvalidDefinition report, in the form
// AWS's documentation gives: "SCHEMA_VALIDATION_FAILED: … at /States/…".
// parseInvalid parses def, which must fail validation, and gives the
// *ValidationError.
func parseInvalid(t *testing.T, def string) *ValidationError {
	t.Helper()
	_, err := Parse([]byte(def))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse error = %v, want *ValidationError", err)
	}
	return ve
}

func TestProblemsInAWSForm(t *testing.T) {
	cases := []struct{ name, def, want string }{
		{"unknown field", `{"StartAt":"A","States":{"A":{"Type":"Pass","Nxt":"B","End":true}}}`,
			`SCHEMA_VALIDATION_FAILED: The field "Nxt" is not supported by Step Functions for Pass states at /States/A`},
		{"missing target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`,
			`MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A`},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`,
			`UNREACHABLE_STATE: State "B" is not reachable. at /States/B`},
		{"in a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},{"StartAt":"Y","States":{"Y":{"Type":"Pass"}}}]}}}`,
			`MISSING_TRANSITION_TARGET: the state has neither Next nor End: true at /States/P/Branches/1/States/Y`},
		{"in a map", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Wait","End":true}}}}}}`,
			`SCHEMA_VALIDATION_FAILED: exactly one of Seconds, Timestamp, SecondsPath or TimestampPath is required at /States/M/ItemProcessor/States/I`},
		{"resource", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`,
			`INVALID_RESOURCE: the resource "arn:aws:states:::sqs:sendMessage" is not supported by the local engine (only Lambda functions, arn:aws:states:::lambda:invoke and arn:aws:states:::lambda:invoke.waitForTaskToken) at /States/T/Resource`},
		{"top level", `{"StartAt":"A","States":{"A":{"Type":"Succeed"}},"Foo":1}`,
			`SCHEMA_VALIDATION_FAILED: The field "Foo" is not supported by Step Functions at /`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ve := parseInvalid(t, c.def)
			if got := ve.AWS(); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	_, err := Parse([]byte(`{"StartAt":`))
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Code != CodeInvalidJSON {
		t.Errorf("bad JSON: %v", err)
	}
}
