package ops_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"thumbflow/internal/uploadtest"
	"thumbflow/local/lambda"
	"thumbflow/ops"
	"thumbflow/upload"
)

func TestOpsRetryAndStatsAPI(t *testing.T) {
	c, _, bad := startOpsCloud(t)
	convert := c.Stack.Function("ConvertFunction").Name
	if err := c.Lambdas.InjectFaultRate(convert, lambda.FaultTransient, 1); err != nil {
		t.Fatal(err)
	}
	cl := uploadtest.Dial(t, context.Background(), c.WebSocketURL)
	broken := uploadtest.Upload(t, cl, "broken.jpg", uploadtest.Photo(16, 16), upload.StateFailed)
	c.Lambdas.InjectFaultRate(convert, lambda.FaultNone, 0)

	post := func(body, contentType, origin string) (int, ops.RetryResult) {
		t.Helper()
		req, _ := http.NewRequest("POST", c.WebURL+"/ops/api/retry", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res ops.RetryResult
		json.NewDecoder(resp.Body).Decode(&res)
		return resp.StatusCode, res
	}
	target := `{"target":"` + broken + `"}`
	// Another site's form or script cannot trigger a retry.
	if code, _ := post(target, "application/x-www-form-urlencoded", ""); code != http.StatusForbidden {
		t.Errorf("form post: %d, want 403", code)
	}
	if code, _ := post(target, "application/json", "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("foreign origin: %d, want 403", code)
	}
	if code, _ := post(`{"target":"arn:aws:states:us-east-1:000000000000:execution:other:x"}`, "application/json", ""); code != http.StatusBadRequest {
		t.Errorf("another machine's execution: %d, want 400", code)
	}
	if code, res := post(`{"target":"`+bad+`"}`, "application/json", c.WebURL); code != 200 || res.Outcome != ops.RetryUserRejection {
		t.Errorf("retry of a user rejection: %d %+v", code, res)
	}
	code, res := post(target, "application/json", c.WebURL)
	if code != 200 || res.Outcome != ops.RetryStarted || res.Generation != 2 {
		t.Fatalf("retry: %d %+v", code, res)
	}
	if code, again := post(target, "application/json", c.WebURL); code != 200 || again.Outcome != ops.RetryAlreadyStarted && again.Outcome != ops.RetryNotFailed {
		t.Errorf("a second click: %d %+v, want nothing started", code, again)
	}
	// The uploader's client, still subscribed, sees generation 2 succeed.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		done := false
		for _, m := range cl.Statuses(broken) {
			done = done || m.Status.Generation == 2 && m.Status.State == upload.StateSucceeded
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("generation 2 never succeeded")
		}
	}

	resp, err := http.Get(c.WebURL + "/ops/api/stats?since=1h")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Totals     ops.Totals
		Executions []ops.Execution
	}
	json.NewDecoder(resp.Body).Decode(&st)
	tot := st.Totals
	if len(st.Executions) != tot.Executions || tot.UserRejections != 1 || tot.SystemFailures != 1 || tot.Succeeded+tot.Running != 2 {
		t.Errorf("stats %+v over %d rows", tot, len(st.Executions))
	}
}
