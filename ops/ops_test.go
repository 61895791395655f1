package ops

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const id = "0123456789abcdef0123456789abcdef"

// TestEventErrorCoversEveryFailureEvent sets, one at a time, every details
// field of a history event that has an Error and a Cause, so an event type
// the SDK reports failures with cannot be missed (as
// LambdaFunctionScheduleFailed and TaskStartFailed once were by the page).
func TestEventErrorCoversEveryFailureEvent(t *testing.T) {
	typ := reflect.TypeFor[types.HistoryEvent]()
	var covered []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		details := f.Type.Elem()
		errField, hasErr := details.FieldByName("Error")
		causeField, hasCause := details.FieldByName("Cause")
		if !hasErr || !hasCause || errField.Type != reflect.TypeFor[*string]() || causeField.Type != reflect.TypeFor[*string]() {
			continue
		}
		var ev types.HistoryEvent
		d := reflect.New(details)
		d.Elem().FieldByIndex(errField.Index).Set(reflect.ValueOf(aws.String("E." + f.Name)))
		d.Elem().FieldByIndex(causeField.Index).Set(reflect.ValueOf(aws.String("cause of " + f.Name)))
		reflect.ValueOf(&ev).Elem().Field(i).Set(d)
		if e, c := EventError(ev); e != "E."+f.Name || c != "cause of "+f.Name {
			t.Errorf("%s: EventError = %q, %q", f.Name, e, c)
		}
		covered = append(covered, f.Name)
	}
	for _, must := range []string{"LambdaFunctionScheduleFailedEventDetails", "TaskStartFailedEventDetails",
		"LambdaFunctionFailedEventDetails", "ExecutionFailedEventDetails"} {
		if !strings.Contains(strings.Join(covered, ","), must) {
			t.Errorf("%s not among the failure details found: %v", must, covered)
		}
	}
	if e, c := EventError(types.HistoryEvent{Type: types.HistoryEventTypeTaskSucceeded}); e != "" || c != "" {
		t.Errorf("a success carries %q, %q", e, c)
	}
}

func TestEventErrorOfTheTwoTheOpsPageMissed(t *testing.T) {
	for _, ev := range []types.HistoryEvent{
		{Type: types.HistoryEventTypeLambdaFunctionScheduleFailed, LambdaFunctionScheduleFailedEventDetails: &types.LambdaFunctionScheduleFailedEventDetails{
			Error: aws.String("Lambda.ResourceNotFoundException"), Cause: aws.String("Function not found")}},
		{Type: types.HistoryEventTypeTaskStartFailed, TaskStartFailedEventDetails: &types.TaskStartFailedEventDetails{
			Error: aws.String("States.TaskFailed"), Cause: aws.String("not authorized"), Resource: aws.String("invoke"), ResourceType: aws.String("lambda")}},
	} {
		steps, _ := Timeline([]types.HistoryEvent{ev}, time.Unix(0, 0))
		if steps[0].Error == "" || steps[0].Cause == "" {
			t.Errorf("%s: timeline step %+v has no error", ev.Type, steps[0])
		}
	}
}

func TestTimeline(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	at := func(ms int) *time.Time { ts := start.Add(time.Duration(ms) * time.Millisecond); return &ts }
	var n int64
	ev := func(ms int, typ types.HistoryEventType, f func(*types.HistoryEvent)) types.HistoryEvent {
		n++
		e := types.HistoryEvent{Id: n, Timestamp: at(ms), Type: typ}
		if f != nil {
			f(&e)
		}
		return e
	}
	entered := func(name string) func(*types.HistoryEvent) {
		return func(e *types.HistoryEvent) {
			e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(name)}
		}
	}
	exited := func(name string) func(*types.HistoryEvent) {
		return func(e *types.HistoryEvent) {
			e.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String(name)}
		}
	}
	events := []types.HistoryEvent{
		ev(0, types.HistoryEventTypeExecutionStarted, nil),
		ev(1, types.HistoryEventTypeTaskStateEntered, entered("Convert")),
		ev(2, types.HistoryEventTypeLambdaFunctionScheduled, nil),
		ev(3, types.HistoryEventTypeLambdaFunctionStarted, nil),
		ev(30, types.HistoryEventTypeLambdaFunctionTimedOut, func(e *types.HistoryEvent) {
			e.LambdaFunctionTimedOutEventDetails = &types.LambdaFunctionTimedOutEventDetails{Error: aws.String("States.Timeout")}
		}),
		ev(40, types.HistoryEventTypeLambdaFunctionScheduled, nil),
		ev(41, types.HistoryEventTypeLambdaFunctionStarted, nil),
		ev(50, types.HistoryEventTypeLambdaFunctionSucceeded, nil),
		ev(51, types.HistoryEventTypeTaskStateExited, exited("Convert")),
		ev(60, types.HistoryEventTypeExecutionSucceeded, nil),
	}
	steps, attempts := Timeline(events, start)
	if attempts != 2 || len(steps) != len(events) {
		t.Fatalf("%d attempts, %d steps", attempts, len(steps))
	}
	type want struct {
		state    string
		attempt  int
		duration int64
		offset   int64
		err      string
	}
	wants := []want{
		{"", 0, -1, 0, ""},
		{"Convert", 0, -1, 1, ""},
		{"Convert", 1, -1, 2, ""},
		{"Convert", 1, -1, 3, ""},
		{"Convert", 1, 28, 30, "States.Timeout"},
		{"Convert", 2, -1, 40, ""},
		{"Convert", 2, -1, 41, ""},
		{"Convert", 2, 10, 50, ""},
		{"Convert", 2, 50, 51, ""},
		{"", 0, 60, 60, ""},
	}
	for i, w := range wants {
		s := steps[i]
		got := want{s.State, s.Attempt, s.DurationMs, s.OffsetMs, s.Error}
		if got != w || s.Event != string(events[i].Type) || s.ID != events[i].Id || s.Time.Location() != time.UTC {
			t.Errorf("step %d (%s) = %+v, want %+v", i, s.Event, s, w)
		}
	}
}

func TestListedAndDescribed(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	stop := start.Add(1500 * time.Millisecond)
	now := start.Add(time.Minute)
	arn := "arn:aws:states:us-east-1:000000000000:execution:thumbnail:" + id + "-etag"

	done := Listed(types.ExecutionListItem{ExecutionArn: aws.String(arn), Name: aws.String(id + "-etag"),
		Status: types.ExecutionStatusSucceeded, StartDate: &start, StopDate: &stop}, now)
	if done.ExecutionARN != arn || done.UploadID != id || done.Status != "SUCCEEDED" || done.DurationMs != 1500 ||
		done.StopDate == nil || !done.StopDate.Equal(stop) || done.StopDate.Location() != time.UTC || done.StartDate.Location() != time.UTC {
		t.Errorf("finished execution = %+v", done)
	}
	running := Described(&sfn.DescribeExecutionOutput{ExecutionArn: aws.String(arn), Name: aws.String("manual"),
		Status: types.ExecutionStatusRunning, StartDate: &start}, now)
	if running.StopDate != nil || running.DurationMs != time.Minute.Milliseconds() || running.UploadID != "" || running.Name != "manual" {
		t.Errorf("running execution = %+v", running)
	}
}

// machines answers ListStateMachines one machine per page.
type machines []string

func (m machines) ListStateMachines(_ context.Context, in *sfn.ListStateMachinesInput, _ ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	out := &sfn.ListStateMachinesOutput{}
	if i < len(m) {
		out.StateMachines = []types.StateMachineListItem{{Name: aws.String(m[i]), StateMachineArn: aws.String("arn:aws:states:us-east-1:1:stateMachine:" + m[i])}}
	}
	if i+1 < len(m) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestFindStateMachine(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		names []string
		want  string // the ARN's machine, or a word of the error
	}{
		{[]string{"other", "thumbnail"}, "stateMachine:thumbnail"},
		{[]string{"ThumbnailStateMachine-AbC123", "other"}, "stateMachine:ThumbnailStateMachine-AbC123"},
		{[]string{"other"}, "pass -state-machine"},
		{[]string{"thumbnail", "ThumbnailStateMachine-x"}, "several"},
	} {
		arn, err := FindStateMachine(ctx, machines(c.names))
		got := arn
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("FindStateMachine(%v) = %q, %v; want %q", c.names, arn, err, c.want)
		}
	}
}

// executions answers ListExecutions from a list, newest first, size per
// page.
type executions struct {
	StepFunctions
	list []types.ExecutionListItem
	size int
}

func (e *executions) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - 'a')
	}
	end := min(i+e.size, len(e.list))
	out := &sfn.ListExecutionsOutput{Executions: e.list[i:end]}
	if end < len(e.list) {
		out.NextToken = aws.String(string(rune('a' + end)))
	}
	return out, nil
}

func TestExecutionsFollowPagesUntilSinceOrLimit(t *testing.T) {
	now := time.Now()
	var list []types.ExecutionListItem
	for i, age := range []time.Duration{time.Minute, time.Hour, 2 * time.Hour, 30 * time.Hour, 40 * time.Hour} {
		start := now.Add(-age)
		list = append(list, types.ExecutionListItem{Name: aws.String(string(rune('a' + i))), StartDate: &start, Status: types.ExecutionStatusSucceeded})
	}
	r := &Reader{StepFunctions: &executions{list: list, size: 2}}
	ctx := context.Background()
	names := func(rows []Execution) string {
		var s []string
		for _, e := range rows {
			s = append(s, e.Name)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		q    Query
		want string
	}{
		{Query{}, "a,b,c,d,e"},
		{Query{Since: 24 * time.Hour}, "a,b,c"},
		{Query{Limit: 4}, "a,b,c,d"},
		{Query{Since: 24 * time.Hour, Limit: 2}, "a,b"},
	} {
		rows, err := r.Executions(ctx, c.q)
		if err != nil || names(rows) != c.want {
			t.Errorf("Executions(%+v) = %s, %v; want %s", c.q, names(rows), err, c.want)
		}
	}
}
