package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/local/lambda"
	"thumbflow/ops"
	"thumbflow/upload"
)

// The operator commands are tested against an in-process local cloud that
// has run three real uploads over the browser's protocol: one that
// succeeds, one that fails for good (a text file sent as a JPEG), and one
// whose first conversion attempt times out and is retried.

// opsEnv points the SDK's default configuration at c, as a user of
// `thumbflow dev` would with the exports it prints.
func opsEnv(t *testing.T, c *cloud.Cloud) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": c.Endpoint, "AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey,
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_EC2_METADATA_DISABLED": "true",
		"THUMBFLOW_STATE_MACHINE_ARN": "", "THUMBFLOW_RECORDS_BUCKET": "",
	} {
		t.Setenv(k, v)
	}
}

// cli runs one thumbflow command and returns its exit status, stdout and
// stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	stdout, stderr = &out, &errOut
	defer func() { stdout, stderr = os.Stdout, os.Stderr }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args)
	return code, out.String(), errOut.String()
}

// cliJSON runs a command with -json and decodes what it prints.
func cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, errOut := cli(t, append(args[:1:1], append([]string{"-json"}, args[1:]...)...)...)
	if code != 0 {
		t.Fatalf("thumbflow %v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("thumbflow %v -json printed unparseable output: %v\n%s", args, err, out)
	}
}

// alertHook is a webhook that refuses the first refusals calls with 500.
type alertHook struct {
	mu       sync.Mutex
	refusals int
	calls    int
	accepted []map[string]any
}

func (h *alertHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev map[string]any
	json.NewDecoder(r.Body).Decode(&ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.calls <= h.refusals {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h.accepted = append(h.accepted, ev)
}

func (h *alertHook) state() (int, []map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls, append([]map[string]any(nil), h.accepted...)
}

type uploads struct {
	ok, corrupt, retried string
}

// runUploads performs the three uploads and waits for each to end.
func runUploads(t *testing.T, c *cloud.Cloud) uploads {
	t.Helper()
	var u uploads
	cl := uploadtest.Dial(t, context.Background(), c.WebSocketURL)
	u.ok = uploadtest.Upload(t, cl, "ok.jpg", uploadtest.Photo(64, 48), upload.StateSucceeded)
	u.corrupt = uploadtest.Upload(t, cl, "corrupt.jpg", []byte("plain text, not a JPEG\n"), upload.StateFailed)
	// The next conversion hangs past the task's 25 s timeout: retried.
	if err := c.Lambdas.InjectFault(c.Stack.Function("ConvertFunction").Name, lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	u.retried = uploadtest.Upload(t, cl, "slow.jpg", uploadtest.Photo(32, 32), upload.StateSucceeded)
	// The record is terminal a moment before the execution is.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var running []ops.Execution
		cliJSON(t, &running, "executions", "-status", "RUNNING")
		if len(running) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running: %+v", running)
		}
	}
	return u
}

func TestOperatorCommandsAndAlertsAgainstTheLocalCloud(t *testing.T) {
	hook := &alertHook{refusals: 2}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	data := t.TempDir()
	start := func() *cloud.Cloud {
		return cloudtest.Start(t, func(cfg *cloud.Config) {
			cfg.DataDir, cfg.Clock, cfg.AlertWebhook = data, clocktest.NewFastClock(clocktest.TestFactor), hookSrv.URL
		})
	}
	c := start()
	defer func() { c.Close() }()
	opsEnv(t, c)
	u := runUploads(t, c)

	t.Run("executions", func(t *testing.T) {
		var rows []ops.Execution
		cliJSON(t, &rows, "executions")
		got := map[string]string{}
		for _, r := range rows {
			got[r.UploadID] = r.Status
			if r.StopDate == nil || r.DurationMs != r.StopDate.Sub(r.StartDate).Milliseconds() || !strings.HasPrefix(r.ExecutionARN, "arn:aws:states:us-east-1:") {
				t.Errorf("row %+v: want a stop date and the duration from start to stop", r)
			}
		}
		want := map[string]string{u.ok: "SUCCEEDED", u.corrupt: "FAILED", u.retried: "SUCCEEDED"}
		if len(rows) != 3 || got[u.ok] != want[u.ok] || got[u.corrupt] != want[u.corrupt] || got[u.retried] != want[u.retried] {
			t.Fatalf("executions = %v, want %v", got, want)
		}
		if rows[0].UploadID != u.retried || rows[2].UploadID != u.ok {
			t.Errorf("not newest first: %v", rows)
		}

		cliJSON(t, &rows, "executions", "-status", "FAILED")
		if len(rows) != 1 || rows[0].UploadID != u.corrupt {
			t.Errorf("-status FAILED = %+v", rows)
		}
		// One execution per page: the command follows the tokens.
		cliJSON(t, &rows, "executions", "-page-size", "1")
		if len(rows) != 3 {
			t.Errorf("-page-size 1 gave %d executions, want all 3", len(rows))
		}
		cliJSON(t, &rows, "executions", "-page-size", "1", "-limit", "2")
		if len(rows) != 2 || rows[0].UploadID != u.retried {
			t.Errorf("-limit 2 = %+v", rows)
		}
		cliJSON(t, &rows, "executions", "-since", "1ns")
		if len(rows) != 0 {
			t.Errorf("-since 1ns listed %d executions", len(rows))
		}

		code, out, _ := cli(t, "executions")
		if code != 0 || !strings.Contains(out, "STATUS") || !strings.Contains(out, u.corrupt) || !strings.Contains(out, "FAILED") {
			t.Errorf("table (exit %d):\n%s", code, out)
		}
	})

	t.Run("history of a success", func(t *testing.T) {
		var v ops.History
		cliJSON(t, &v, "history", u.ok)
		if v.Status != "SUCCEEDED" || v.Attempts != 1 || v.UploadID != u.ok || v.Error != "" {
			t.Errorf("history = %+v", v)
		}
		assertPath(t, v, []string{"MarkConverting", "Convert", "RecordSuccess", "Converted"})
		conv := find(t, v, "Convert", "LambdaFunctionSucceeded")
		scheduled := find(t, v, "Convert", "LambdaFunctionScheduled")
		// The attempt lasts from its scheduling to its outcome, within
		// the execution.
		if took := conv.Time.Sub(scheduled.Time).Milliseconds(); conv.Attempt != 1 || conv.DurationMs != took || took > v.DurationMs {
			t.Errorf("conversion step %+v, scheduled %+v: want attempt 1 taking %d ms of the execution's %d", conv, scheduled, took, v.DurationMs)
		}
		last := v.Timeline[len(v.Timeline)-1]
		if last.Event != "ExecutionSucceeded" || last.DurationMs < v.DurationMs-2 || last.DurationMs > v.DurationMs+2 {
			t.Errorf("last step %+v, execution took %d ms", last, v.DurationMs)
		}
	})

	t.Run("history of a permanent failure", func(t *testing.T) {
		var v ops.History
		cliJSON(t, &v, "history", u.corrupt)
		// A user rejection ends in the workflow's Rejected state.
		if v.Status != "FAILED" || v.Error != "Rejected.CorruptImage" || v.Attempts != 1 {
			t.Errorf("history = %+v", v)
		}
		assertPath(t, v, []string{"MarkConverting", "Convert", "RecordFailure", "FailureKind", "Rejected"})
		failed := find(t, v, "Convert", "LambdaFunctionFailed")
		if failed.Error != "CorruptImage" || failed.Cause == "" || failed.Attempt != 1 {
			t.Errorf("failed step %+v", failed)
		}
		code, out, _ := cli(t, "history", u.corrupt)
		t.Logf("thumbflow history %s:\n%s", u.corrupt, out)
		for _, want := range []string{"status     FAILED", "1 conversion attempt", "LambdaFunctionFailed", "CorruptImage", "ExecutionFailed"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("history table lacks %q (exit %d):\n%s", want, code, out)
			}
		}
	})

	t.Run("history of a retried success", func(t *testing.T) {
		var rows []ops.Execution
		cliJSON(t, &rows, "executions", "-limit", "1")
		var v ops.History
		// By ARN this time, and two events per page.
		cliJSON(t, &v, "history", "-page-size", "2", rows[0].ExecutionARN)
		if v.Status != "SUCCEEDED" || v.Attempts != 2 || v.UploadID != u.retried {
			t.Errorf("history = %+v", v)
		}
		timedOut := find(t, v, "Convert", "LambdaFunctionTimedOut")
		if timedOut.Attempt != 1 || timedOut.Error != "States.Timeout" {
			t.Errorf("timed-out step %+v", timedOut)
		}
		ok := find(t, v, "Convert", "LambdaFunctionSucceeded")
		if ok.Attempt != 2 {
			t.Errorf("succeeded step %+v, want attempt 2", ok)
		}
		var whole ops.History
		cliJSON(t, &whole, "history", rows[0].ExecutionARN)
		if len(whole.Timeline) != len(v.Timeline) || len(v.Timeline) < 10 {
			t.Errorf("paged history has %d events, unpaged %d", len(v.Timeline), len(whole.Timeline))
		}
	})

	t.Run("failures", func(t *testing.T) {
		var recs []upload.FailureRecord
		cliJSON(t, &recs, "failures", "-page-size", "1")
		if len(recs) != 1 {
			t.Fatalf("failures = %+v, want the corrupt upload only", recs)
		}
		f := recs[0]
		if f.UploadID != u.corrupt || f.Error == nil || f.Error.Code != "CorruptImage" || f.Error.Message == "" || f.Attempt != 1 || f.StepFunctionsError != "CorruptImage" {
			t.Errorf("failure record %+v (error %+v)", f, f.Error)
		}
		code, out, _ := cli(t, "failures")
		if code != 0 || !strings.Contains(out, u.corrupt) || !strings.Contains(out, "CorruptImage") {
			t.Errorf("failures table (exit %d):\n%s", code, out)
		}
		cliJSON(t, &recs, "failures", "-since", "1ns")
		if len(recs) != 0 {
			t.Errorf("-since 1ns listed %d failures", len(recs))
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, args := range [][]string{
			{"executions", "-status", "BROKEN"},
			{"executions", "-since", "yesterday"},
			{"history"},
			{"history", "../../etc/passwd"},
			{"failures", "extra"},
		} {
			if code, _, errOut := cli(t, args...); code != 2 || errOut == "" {
				t.Errorf("thumbflow %v: exit %d, stderr %q; want a usage error", args, code, errOut)
			}
		}
		code, _, errOut := cli(t, "history", "arn:aws:states:us-east-1:000000000000:execution:thumbnail:nope")
		if code != 1 || !strings.Contains(errOut, "ExecutionDoesNotExist") {
			t.Errorf("unknown execution: exit %d, %q", code, errOut)
		}
		code, _, errOut = cli(t, "history", strings.Repeat("ab", 16))
		if code != 1 || !strings.Contains(errOut, "no execution found for upload") {
			t.Errorf("unknown upload: exit %d, %q", code, errOut)
		}
	})

	t.Run("alerts", func(t *testing.T) {
		// The corrupt upload, a user rejection, alerted nobody; a
		// conversion whose retries all fail does. The first two
		// deliveries get 500; the third (after SNS's backoff, halved by
		// clocktest.TestFactor) is accepted. The wait is generous: only
		// a hang reaches it.
		broken := systemFailure(t, c, "broken.jpg")
		var calls int
		var got []map[string]any
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if calls, got = hook.state(); len(got) > 0 {
				break
			}
		}
		if calls != 3 || len(got) != 1 {
			t.Fatalf("webhook: %d calls, %d accepted; want 2 refusals and one alert", calls, len(got))
		}
		d, _ := got[0]["detail"].(map[string]any)
		if got[0]["detail-type"] != "Step Functions Execution Status Change" || d["status"] != "FAILED" ||
			d["error"] != "TransientError" || !strings.HasPrefix(d["name"].(string), broken+"-") {
			t.Errorf("alert = %v", got[0])
		}

		// A restart on the same data directory sends nothing again: the
		// outbox remembers the delivery, so nothing is pending...
		c.Close()
		c = start()
		opsEnv(t, c)
		var rows []ops.Execution
		cliJSON(t, &rows, "executions")
		if len(rows) != 4 {
			t.Errorf("after restart: %d executions", len(rows))
		}
		if n := c.Topics.Pending(); n != 0 {
			t.Errorf("after restart %d alerts are pending again", n)
		}
		// ...and the next alert the webhook receives is a new failure's.
		// A repeat would have been raised at start-up, before this upload
		// began, and be delivered first; so once this one has arrived and
		// nothing is pending, every call there was to be made was made.
		again := systemFailure(t, c, "broken-again.jpg")
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
			if _, got = hook.state(); len(got) >= 2 && c.Topics.Pending() == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the failure after the restart was never alerted: %d accepted, %d pending", len(got), c.Topics.Pending())
			}
		}
		calls2, got2 := hook.state()
		d2, _ := got2[len(got2)-1]["detail"].(map[string]any)
		name, _ := d2["name"].(string)
		if calls2 != calls+1 || len(got2) != 2 || !strings.HasPrefix(name, again+"-") {
			t.Errorf("after restart the webhook got %d more calls and %d alerts, the last for %q; want one, for upload %s", calls2-calls, len(got2)-1, name, again)
		}
	})
}

// systemFailure uploads a photo whose conversion fails on every attempt
// (a transient fault the workflow retries until it gives up), and returns
// its upload id.
func systemFailure(t *testing.T, c *cloud.Cloud, name string) string {
	t.Helper()
	convert := c.Stack.Function("ConvertFunction").Name
	if err := c.Lambdas.InjectFaultRate(convert, lambda.FaultTransient, 1); err != nil {
		t.Fatal(err)
	}
	defer c.Lambdas.InjectFaultRate(convert, lambda.FaultNone, 0)
	return uploadtest.Upload(t, uploadtest.Dial(t, context.Background(), c.WebSocketURL), name, uploadtest.Photo(16, 16), upload.StateFailed)
}

// assertPath checks the states entered, in order.
func assertPath(t *testing.T, v ops.History, want []string) {
	t.Helper()
	var got []string
	for _, s := range v.Timeline {
		if strings.HasSuffix(s.Event, "StateEntered") {
			got = append(got, s.State)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("states entered %v, want %v", got, want)
	}
}

// find returns the last step of type event in state.
func find(t *testing.T, v ops.History, state, event string) ops.Step {
	t.Helper()
	for i := len(v.Timeline) - 1; i >= 0; i-- {
		if s := v.Timeline[i]; s.State == state && s.Event == event {
			return s
		}
	}
	t.Fatalf("no %s in state %s", event, state)
	return ops.Step{}
}
