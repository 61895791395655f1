package asl

import (
	"strings"
	"testing"
)

// The conformance harness's own rules, checked against the suite's README.

func TestHarnessDatesAreValidCalendarDates(t *testing.T) {
	cases := map[string]string{
		"at 2024-02-29T10:00:00.123+01:00":                   "at date",
		"2024-03-01T00:00:00Z and 2024-03-02T00:00:00-05:30": "date and date",
		"2024-13-01T00:00:00Z":                               "2024-13-01T00:00:00Z", // month 13
		"2023-02-29T00:00:00Z":                               "2023-02-29T00:00:00Z", // not a leap year
		"2024-04-31T00:00:00Z":                               "2024-04-31T00:00:00Z",
		"2024-01-01T00:00:00":                                "2024-01-01T00:00:00", // no zone
		"2024-01-01 T00:00:00Z":                              "2024-01-01 T00:00:00Z",
	}
	for in, want := range cases {
		if got := replaceDates(in); got != want {
			t.Errorf("replaceDates(%q) = %q, want %q", in, got, want)
		}
	}
	v := normValue(map[string]any{"timestamp": "2024-13-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:00:00Z"}).(map[string]any)
	if v["timestamp"] != "timestamp" || v["lastTimestamp"] != "date" {
		t.Errorf("timestamp keys: %v", v)
	}
}

func TestHarnessParallelNormaliser(t *testing.T) {
	ev := func(id int64, prev int64, typ string) normEvent {
		return normEvent{Type: typ, ID: float64(id), Prev: prev}
	}
	flat := []normEvent{
		ev(1, 0, "ExecutionStarted"), ev(2, 0, "ParallelStateEntered"), ev(3, 2, "ParallelStateStarted"),
		ev(4, 3, "PassStateEntered"), ev(5, 3, "PassStateEntered"), ev(6, 4, "PassStateExited"), ev(7, 5, "PassStateExited"),
		ev(8, 7, "ParallelStateSucceeded"), ev(9, 7, "ParallelStateExited"), ev(10, 9, "ExecutionSucceeded"),
	}
	nested := []normEvent{
		ev(1, 0, "ExecutionStarted"), ev(2, 0, "ParallelStateEntered"), ev(3, 2, "ParallelStateStarted"),
		ev(4, 3, "ParallelStateEntered"), ev(5, 4, "ParallelStateStarted"), ev(6, 5, "PassStateEntered"), ev(7, 6, "PassStateExited"),
		ev(8, 7, "ParallelStateSucceeded"), ev(9, 7, "ParallelStateExited"), ev(10, 9, "ParallelStateSucceeded"),
		ev(11, 9, "ParallelStateExited"), ev(12, 11, "ExecutionSucceeded"),
	}
	caught := []normEvent{
		ev(1, 0, "ExecutionStarted"), ev(2, 0, "ParallelStateEntered"), ev(3, 2, "ParallelStateStarted"),
		ev(4, 3, "TaskStateEntered"), ev(5, 4, "TaskStateAborted"), ev(6, 5, "ParallelStateFailed"),
		ev(7, 6, "ParallelStateExited"), ev(8, 7, "ExecutionSucceeded"),
	}
	for name, c := range map[string]struct {
		in   []normEvent
		want string
	}{
		"flat":   {flat, "1 2 3 [0] [0] [0] [0] 9 10"},
		"caught": {caught, "1 2 3 [0] [0] 7 8"},         // states_variables/test_parallel_catch_error
		"nested": {nested, "1 2 3 [0] 5 [0] [0] 11 12"}, // the shape of scenarios/test_parallel_state_nested
	} {
		var ids []string
		for _, e := range normaliseParallel(c.in) {
			if id, ok := e.ID.(float64); ok {
				ids = append(ids, strings.TrimSuffix(jsonText(id), ".0"))
			} else {
				ids = append(ids, "[0]")
			}
		}
		if got := strings.Join(ids, " "); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}
