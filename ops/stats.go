package ops

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/upload"
)

// Totals are the figures of a window of executions, computed once here
// for `thumbflow stats` and the /ops page.
type Totals struct {
	Since          string `json:"since,omitempty"`
	Executions     int    `json:"executions"`
	Uploads        int    `json:"uploads"` // distinct uploads among them
	Running        int    `json:"running"`
	Succeeded      int    `json:"succeeded"`
	UserRejections int    `json:"userRejections"`
	SystemFailures int    `json:"systemFailures"`
	// P50Ms and P95Ms are the durations of the succeeded executions
	// (nearest rank); 0 when none succeeded.
	P50Ms int64 `json:"p50Ms"`
	P95Ms int64 `json:"p95Ms"`
	// ByCode counts the failures by error code.
	ByCode map[string]int `json:"byCode"`
}

// Classify fills in the error, kind and code of each ended, unsuccessful
// execution (the listing does not carry them), one DescribeExecution each.
func (r *Reader) Classify(ctx context.Context, rows []Execution) error {
	for i := range rows {
		e := &rows[i]
		if e.Status == "RUNNING" || e.Status == "SUCCEEDED" {
			continue
		}
		d, err := r.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(e.ExecutionARN)})
		if err != nil {
			return fmt.Errorf("describing %s: %w", e.ExecutionARN, err)
		}
		e.Error = aws.ToString(d.Error)
		kind, code, _ := upload.KindOfExecution(e.Status, e.Error)
		e.Kind, e.Code = kind, code
	}
	return nil
}

// Sum computes the totals of classified executions.
func Sum(rows []Execution) Totals {
	t := Totals{Executions: len(rows), ByCode: map[string]int{}}
	uploads := map[string]bool{}
	var took []int64
	for _, e := range rows {
		uploads[e.UploadID] = true
		switch {
		case e.Status == "RUNNING":
			t.Running++
		case e.Status == "SUCCEEDED":
			t.Succeeded++
			took = append(took, e.DurationMs)
		case e.Kind == upload.KindUser:
			t.UserRejections++
			t.ByCode[e.Code]++
		default:
			t.SystemFailures++
			t.ByCode[e.Code]++
		}
	}
	t.Uploads = len(uploads)
	slices.Sort(took)
	t.P50Ms, t.P95Ms = percentile(took, 50), percentile(took, 95)
	return t
}

// percentile is the nearest-rank percentile p of sorted values.
func percentile(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n)
	return sorted[max(rank, 1)-1]
}

// Stats lists the executions started within since of now, classifies
// them and sums them up.
func (r *Reader) Stats(ctx context.Context, machine string, since time.Duration) (Totals, []Execution, error) {
	rows, err := r.Executions(ctx, Query{StateMachineARN: machine, Since: since})
	if err != nil {
		return Totals{}, nil, err
	}
	if err := r.Classify(ctx, rows); err != nil {
		return Totals{}, nil, err
	}
	t := Sum(rows)
	if since > 0 {
		t.Since = since.String()
	}
	return t, rows, nil
}
