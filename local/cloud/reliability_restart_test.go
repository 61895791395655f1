package cloud

import (
	"context"
	"strings"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/lambdas/pipeline"
	"thumbflow/local/sfn"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

// TestReliabilityKillAndRestart kills the local cloud while 20 executions
// are in flight and starts it again on the same data directory and port.
// Executions resume from their checkpoints, the browsers reconnect and
// resubscribe with their tokens, and every upload ends in exactly one
// terminal status with no execution left running.
func TestReliabilityKillAndRestart(t *testing.T) {
	dir := t.TempDir()
	// Real time: on a loaded machine the rig's fast clock (a 25 s task
	// timeout in 1.25 s) would time some conversions out. Conversions run
	// at most NumCPU at once, as in thumbflow dev, so most executions are
	// throttled, before the kill and after the restart; the throttles are
	// not this test's concern (outcome.throttled).
	r := newRig(t, func(cfg *Config) { cfg.DataDir, cfg.Clock, cfg.CPUSlots = dir, nil, 0 })
	// Conversions before the kill take until the kill: every execution
	// is in flight, in Convert, when the process dies.
	wrapConvert(t, r.c, func(ctx context.Context, in pipeline.ConvertInput, _ convertFunc) (pipeline.ConvertOutput, error) {
		<-ctx.Done()
		return pipeline.ConvertOutput{}, ctx.Err()
	})
	const n = 20
	clients := []*client.Client{r.dial(), r.dial()}
	var grants []upload.Grant
	var sizes []int
	for i := range n {
		data := testimage.JPEG(testimage.Photo(480, 360, uint64(100+i)), 85)
		grants = append(grants, r.upload(clients[i%2], "restart.jpg", "image/jpeg", data))
		sizes = append(sizes, len(data))
	}
	// Wait until every execution has scheduled Convert (its second Lambda
	// call, after MarkConverting's): each is then mid-conversion or
	// waiting for a slot.
	converting := func() int {
		c := 0
		for _, name := range r.running() {
			arn, err := upload.ExecutionARN(r.c.StateMachineARN, name)
			if err != nil {
				t.Fatal(err)
			}
			h, err := r.c.SFN.GetExecutionHistory(sfn.GetExecutionHistoryInput{ExecutionARN: arn, MaxResults: 1000})
			if err != nil {
				t.Fatal(err)
			}
			scheduled := 0
			for _, ev := range h.Events {
				if ev.Type == "LambdaFunctionScheduled" {
					scheduled++
				}
			}
			if scheduled >= 2 {
				c++
			}
		}
		return c
	}
	for converting() < n {
		select {
		case <-r.ctx.Done():
			t.Fatalf("only %d of %d executions reached Convert", converting(), n)
		case <-time.After(10 * time.Millisecond):
		}
	}

	// Kill, and start again where the last process listened.
	r.c.Close()
	for _, cl := range clients {
		if _, err := cl.WaitState(r.ctx, "no such upload", upload.StateSucceeded); err == nil || cl.Closed() == nil {
			t.Fatalf("socket survived the kill: %v", err)
		}
	}
	r.cfg.Addr = strings.TrimPrefix(r.c.Endpoint, "http://")
	r.start()

	cl := r.dial()
	for _, g := range grants {
		rec, err := cl.Subscribe(r.ctx, g.UploadID, g.Token)
		if err != nil {
			t.Fatalf("resubscribe after restart: %v", err)
		}
		if rec.State == upload.StateWaiting {
			t.Errorf("upload %s: lost across the restart (state waiting)", g.UploadID)
		}
	}
	for i, g := range grants {
		r.expect(cl, g, sizes[i], outcome{state: upload.StateSucceeded, attempt: 1, runs: 2, throttled: true})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(r.running()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := r.running(); len(left) > 0 {
		t.Errorf("%d executions still RUNNING after every upload ended: %v", len(left), left)
	}
}
