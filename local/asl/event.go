package asl

import (
	"encoding/json"
	"fmt"
	"time"
)

// MarshalJSON renders the event as the Step Functions API's HistoryEvent, so
// that local/sfn can return stored events without reshaping them.
func (e Event) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"id":              e.ID,
		"previousEventId": e.PreviousEventID,
		"type":            e.Type,
		"timestamp":       float64(e.Timestamp.UnixNano()) / 1e9,
	}
	if e.DetailsField != "" && e.Details != nil {
		m[e.DetailsField] = e.Details
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads back what MarshalJSON wrote, so persisted histories
// round-trip.
func (e *Event) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("history event: %w", err)
	}
	var out Event
	for k, v := range m {
		var err error
		switch k {
		case "id":
			err = json.Unmarshal(v, &out.ID)
		case "previousEventId":
			err = json.Unmarshal(v, &out.PreviousEventID)
		case "type":
			err = json.Unmarshal(v, &out.Type)
		case "timestamp":
			var f float64
			err = json.Unmarshal(v, &f)
			sec := int64(f)
			out.Timestamp = time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
		default:
			out.DetailsField = k
			err = json.Unmarshal(v, &out.Details)
		}
		if err != nil {
			return fmt.Errorf("history event field %q: %w", k, err)
		}
	}
	*e = out
	return nil
}

// detailsField names the HistoryEvent member that carries an event type's
// details, as the Step Functions API spells it.
func detailsField(typ string) string {
	switch typ {
	case "ExecutionStarted":
		return "executionStartedEventDetails"
	case "ExecutionSucceeded":
		return "executionSucceededEventDetails"
	case "ExecutionFailed":
		return "executionFailedEventDetails"
	case "ExecutionAborted":
		return "executionAbortedEventDetails"
	case "ExecutionTimedOut":
		return "executionTimedOutEventDetails"
	case "ExecutionRedriven":
		return "executionRedrivenEventDetails"
	case "LambdaFunctionScheduled":
		return "lambdaFunctionScheduledEventDetails"
	case "LambdaFunctionStartFailed":
		return "lambdaFunctionStartFailedEventDetails"
	case "LambdaFunctionSucceeded":
		return "lambdaFunctionSucceededEventDetails"
	case "LambdaFunctionFailed":
		return "lambdaFunctionFailedEventDetails"
	case "LambdaFunctionTimedOut":
		return "lambdaFunctionTimedOutEventDetails"
	case "LambdaFunctionScheduleFailed":
		return "lambdaFunctionScheduleFailedEventDetails"
	case "TaskScheduled":
		return "taskScheduledEventDetails"
	case "TaskStarted":
		return "taskStartedEventDetails"
	case "TaskStartFailed":
		return "taskStartFailedEventDetails"
	case "TaskSubmitted":
		return "taskSubmittedEventDetails"
	case "TaskSucceeded":
		return "taskSucceededEventDetails"
	case "TaskFailed":
		return "taskFailedEventDetails"
	case "TaskTimedOut":
		return "taskTimedOutEventDetails"
	case "MapStateStarted":
		return "mapStateStartedEventDetails"
	case "MapIterationStarted":
		return "mapIterationStartedEventDetails"
	case "MapIterationSucceeded":
		return "mapIterationSucceededEventDetails"
	case "MapIterationFailed":
		return "mapIterationFailedEventDetails"
	case "MapIterationAborted":
		return "mapIterationAbortedEventDetails"
	case "MapRunStarted":
		return "mapRunStartedEventDetails"
	case "MapRunFailed":
		return "mapRunFailedEventDetails"
	}
	if len(typ) > len("StateEntered") && typ[len(typ)-len("StateEntered"):] == "StateEntered" {
		return "stateEnteredEventDetails"
	}
	if len(typ) > len("StateExited") && typ[len(typ)-len("StateExited"):] == "StateExited" {
		return "stateExitedEventDetails"
	}
	return ""
}
