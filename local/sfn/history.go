package sfn

import (
	"fmt"

	"thumbflow/local/asl"
)

// GetExecutionHistory pages through an execution's events.
func (s *Service) GetExecutionHistory(in GetExecutionHistoryInput) (GetExecutionHistoryOutput, error) {
	e, err := s.execution(in.ExecutionARN)
	if err != nil {
		return GetExecutionHistoryOutput{}, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return GetExecutionHistoryOutput{}, err
	}
	events, err := s.eventsOf(e)
	if err != nil {
		return GetExecutionHistoryOutput{}, serviceErr(err)
	}
	if in.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	// The token is the id of the last event returned: ids are stable while
	// new events are appended.
	start, err := decodeToken(in.NextToken, fmt.Sprintf("h:%t:%s", in.ReverseOrder, in.ExecutionARN), func(k string) int {
		var id int64
		fmt.Sscan(k, &id)
		for i, ev := range events {
			if ev.ID == id {
				return i + 1
			}
		}
		return len(events)
	})
	if err != nil {
		return GetExecutionHistoryOutput{}, err
	}
	include := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	out := GetExecutionHistoryOutput{Events: []asl.Event{}}
	for i := start; i < len(events) && len(out.Events) < limit; i++ {
		ev := events[i]
		if !include {
			ev = withoutData(ev)
		}
		out.Events = append(out.Events, ev)
		if len(out.Events) == limit && i+1 < len(events) {
			out.NextToken = encodeToken(fmt.Sprintf("h:%t:%s", in.ReverseOrder, in.ExecutionARN), fmt.Sprint(ev.ID))
		}
	}
	return out, nil
}

// withoutData drops the execution data (inputs, outputs, parameters) from an
// event, as includeExecutionData=false asks.
func withoutData(ev asl.Event) asl.Event {
	if ev.Details == nil {
		return ev
	}
	d := make(map[string]any, len(ev.Details))
	for k, v := range ev.Details {
		switch k {
		case "input", "output", "parameters":
			continue
		}
		d[k] = v
	}
	ev.Details = d
	return ev
}
