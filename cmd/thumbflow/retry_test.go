package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/internal/clocktest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/local/lambda"
	"thumbflow/ops"
	"thumbflow/upload"
)

// failOnce uploads a photo on cl whose conversion fails on every attempt
// (a transient fault, retried until the workflow gives up), then removes
// the fault, as an operator's fix would.
func failOnce(t *testing.T, c *cloud.Cloud, cl *client.Client, name string) string {
	t.Helper()
	convert := c.Stack.Function("ConvertFunction").Name
	if err := c.Lambdas.InjectFaultRate(convert, lambda.FaultTransient, 1); err != nil {
		t.Fatal(err)
	}
	id := uploadtest.Upload(t, cl, name, uploadtest.Photo(16, 16), upload.StateFailed)
	if err := c.Lambdas.InjectFaultRate(convert, lambda.FaultNone, 0); err != nil {
		t.Fatal(err)
	}
	return id
}

// waitGeneration waits, generously, for the upload's record of generation
// gen in state s to reach cl, and returns the states cl saw in version
// order, with the generation of each ("failed/1").
func waitGeneration(t *testing.T, cl *client.Client, id string, gen int, s upload.State) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		msgs := client.Distinct(cl.Statuses(id))
		for _, m := range msgs {
			if m.Status.Generation == gen && m.Status.State == s {
				var seen []string
				for _, m := range msgs {
					seen = append(seen, fmt.Sprintf("%s/%d", m.Status.State, m.Status.Generation))
				}
				return seen
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload %s: no %s record of generation %d; saw %v", id, s, gen, client.States(msgs))
		}
	}
}

func retryResults(t *testing.T, args ...string) []ops.RetryResult {
	t.Helper()
	var res []ops.RetryResult
	cliJSON(t, &res, append([]string{"retry"}, args...)...)
	return res
}

func started(res []ops.RetryResult) []string {
	var ids []string
	for _, r := range res {
		if r.Outcome == ops.RetryStarted {
			ids = append(ids, r.UploadID)
		}
	}
	return ids
}

func TestRetryStartsTheNextGeneration(t *testing.T) {
	c := cloudtest.Start(t, func(cfg *cloud.Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	opsEnv(t, c)
	cl := uploadtest.Dial(t, context.Background(), c.WebSocketURL)
	broken := failOnce(t, c, cl, "broken.jpg")
	rejected := uploadtest.Upload(t, cl, "notes.jpg", []byte("a text file named like a photo\n"), upload.StateFailed)

	t.Run("one upload", func(t *testing.T) {
		if res := retryResults(t, "-dry-run", broken); len(res) != 1 || res[0].Outcome != ops.RetryWouldStart || res[0].Generation != 2 {
			t.Fatalf("dry run: %+v", res)
		}
		res := retryResults(t, broken)
		if len(res) != 1 || res[0].Outcome != ops.RetryStarted || res[0].Generation != 2 || !strings.HasSuffix(res[0].ExecutionARN, ".g2") {
			t.Fatalf("retry: %+v", res)
		}
		// The subscribed client sees the upload fail, then generation 2
		// convert and succeed, with versions still increasing.
		seen := waitGeneration(t, cl, broken, 2, upload.StateSucceeded)
		if got := strings.Join(seen, ","); !strings.HasSuffix(got, "failed/1,converting/2,succeeded/2") {
			t.Errorf("client saw %s, want it to end failed/1,converting/2,succeeded/2", got)
		}
		// Again, by the original execution's ARN: it is no longer failed.
		if res := retryResults(t, res[0].From); len(res) != 1 || res[0].Outcome != ops.RetryNotFailed {
			t.Errorf("second retry: %+v", res)
		}
	})

	t.Run("a user rejection needs -force", func(t *testing.T) {
		if res := retryResults(t, "-dry-run", rejected); len(res) != 1 || res[0].Outcome != ops.RetryUserRejection || res[0].Kind != upload.KindUser {
			t.Errorf("retry of a rejection: %+v", res)
		}
		if res := retryResults(t, "-dry-run", "-force", rejected); len(res) != 1 || res[0].Outcome != ops.RetryWouldStart {
			t.Errorf("forced dry run: %+v", res)
		}
	})

	t.Run("bulk", func(t *testing.T) {
		second := failOnce(t, c, cl, "broken-too.jpg")
		res := retryResults(t, "-kind", "system", "-since", "1h")
		if got := started(res); len(got) != 1 || got[0] != second {
			t.Fatalf("bulk retry started %v, want only %s: %+v", got, second, res)
		}
		for _, r := range res {
			if r.UploadID == rejected {
				t.Errorf("bulk system retry looked at the user rejection: %+v", r)
			}
		}
		waitGeneration(t, cl, second, 2, upload.StateSucceeded)
		if again := retryResults(t, "-kind", "system", "-since", "1h"); len(started(again)) != 0 {
			t.Errorf("a second bulk run started %v", started(again))
		}
		code, out, _ := cli(t, "retry", "-kind", "system")
		if code != 0 || !strings.Contains(out, ops.RetryNotFailed) {
			t.Errorf("retry table (exit %d):\n%s", code, out)
		}
	})

	t.Run("stats", func(t *testing.T) {
		var rows []ops.Execution
		cliJSON(t, &rows, "executions")
		byStatus := map[string]int{}
		for _, r := range rows {
			byStatus[r.Status]++
		}
		var got ops.Totals
		cliJSON(t, &got, "stats", "-since", "1h")
		// Two uploads failed for a reason of ours and were retried,
		// one was the user's fault.
		if got.Executions != len(rows) || got.Succeeded != byStatus["SUCCEEDED"] ||
			got.UserRejections+got.SystemFailures != byStatus["FAILED"] ||
			got.Executions != 5 || got.Uploads != 3 || got.UserRejections != 1 || got.SystemFailures != 2 || got.Succeeded != 2 {
			t.Errorf("stats %+v, listed %v", got, byStatus)
		}
		if got.ByCode["CorruptImage"] != 1 || got.ByCode["TransientError"] != 2 || got.P95Ms < got.P50Ms {
			t.Errorf("stats %+v", got)
		}
		if code, out, _ := cli(t, "stats"); code != 0 || !strings.Contains(out, "system failures") {
			t.Errorf("stats table (exit %d):\n%s", code, out)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"retry"}, {"retry", "-kind", "system", broken}, {"retry", "-kind", "nobody"}} {
			if code, _, errOut := cli(t, args...); code != 2 || errOut == "" {
				t.Errorf("thumbflow %v: exit %d, %q; want a usage error", args, code, errOut)
			}
		}
	})
}
