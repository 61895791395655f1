package ops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

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
