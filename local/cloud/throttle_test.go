package cloud

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/lambdas/pipeline"
	"thumbflow/local/lambda"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

// TestReliabilityThrottledConvertSucceeds: with ConvertFunction's reserved
// concurrency (a template parameter, 1 here) in use, the next upload's Convert is
// throttled with Lambda.TooManyRequestsException, before the handler runs,
// and the workflow's throttle Retry waits until a slot frees: every upload
// ends succeeded, each converted exactly once.
func TestReliabilityThrottledConvertSucceeds(t *testing.T) {
	const reserved = 1 // below any machine's CPU count, which also caps it
	r := newRig(t, func(cfg *Config) {
		cfg.Parameters = map[string]string{"ConvertReservedConcurrency": "1"}
	})
	if _, opts := rebuild[func(context.Context, pipeline.ConvertInput) (pipeline.ConvertOutput, error)](t, r.c, "ConvertFunction"); opts.Concurrency != reserved {
		t.Fatalf("ConvertFunction runs with concurrency %d, want the template's %d", opts.Concurrency, reserved)
	}
	var ran atomic.Int32
	entered := make(chan string, 8)
	gate := make(chan struct{})
	wrapConvert(t, r.c, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
		ran.Add(1)
		entered <- in.UploadID
		<-gate
		return convert(ctx, in)
	})
	cl := r.dial()
	data := testimage.JPEG(testimage.Photo(320, 240, 1), 80)
	var held []upload.Grant
	for range reserved {
		held = append(held, r.upload(cl, "held.jpg", "image/jpeg", data))
		<-entered // its conversion holds a slot
	}
	third := r.upload(cl, "third.jpg", "image/jpeg", data)
	// The sentinel: the third execution's history records a throttle of
	// Convert while both slots are held, so the handler cannot have run.
	arn := ""
	for arn == "" || !slices.Contains(r.convertHistory(arn).errors, lambda.TooManyRequests) {
		if execs := r.executions(third.UploadID); len(execs) == 1 {
			arn = aws.ToString(execs[0].ExecutionArn)
		}
		select {
		case <-r.ctx.Done():
			t.Fatalf("the third upload's Convert was never throttled (ran %d)", ran.Load())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := ran.Load(); n != reserved {
		t.Fatalf("the handler ran %d times with %d slots held: a throttled invocation reached it", n, reserved)
	}
	close(gate)
	for _, g := range append(held, third) {
		m, err := cl.WaitTerminal(r.ctx, g.UploadID)
		if err != nil {
			t.Fatalf("upload %s: %v", g.UploadID, err)
		}
		if m.Status.State != upload.StateSucceeded {
			t.Errorf("upload %s ended %s %+v, want succeeded", g.UploadID, m.Status.State, m.Status.Error)
		}
		if ex := r.settled(g.UploadID); ex.Status != sfntypes.ExecutionStatusSucceeded {
			t.Errorf("upload %s: execution %s", g.UploadID, ex.Status)
		}
	}
	h := r.convertHistory(arn)
	for _, e := range h.errors {
		if e != lambda.TooManyRequests {
			t.Errorf("the third upload's Convert failed with %s; only throttles were expected", e)
		}
	}
	if n := ran.Load(); n != reserved+1 {
		t.Errorf("the handler ran %d times for %d uploads: each must be converted once", n, reserved+1)
	}
}
