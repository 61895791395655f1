package alert

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"thumbflow/internal/logtest"
	"thumbflow/local/sfn"
)

// webhook records the alerts it accepts and answers with the statuses
// queued in codes (then 200).
type webhook struct {
	mu        sync.Mutex
	codes     []int
	calls     int
	accepted  []Event
	got       chan struct{}
	sentinels chan string
	srv       *httptest.Server
}

func newWebhook(t *testing.T, codes ...int) *webhook {
	w := &webhook{codes: codes, got: make(chan struct{}, 100), sentinels: make(chan string, 100)}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var probe Event
		if json.Unmarshal(b, &probe) == nil && strings.HasPrefix(probe.Detail.Name, sentinelPrefix) {
			// A sentinel (see settle) is always accepted and is not
			// counted with the alerts under test.
			rw.WriteHeader(http.StatusOK)
			w.sentinels <- probe.Detail.Name
			return
		}
		w.mu.Lock()
		w.calls++
		code := http.StatusOK
		if len(w.codes) > 0 {
			code, w.codes = w.codes[0], w.codes[1:]
		}
		if code == http.StatusOK {
			var ev Event
			if err := json.Unmarshal(b, &ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("webhook got %q (%s): %v", b, r.Header.Get("Content-Type"), err)
			}
			w.accepted = append(w.accepted, ev)
		}
		w.mu.Unlock()
		rw.WriteHeader(code)
		w.got <- struct{}{}
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) state() (calls int, accepted []Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls, append([]Event(nil), w.accepted...)
}

// waitCalls waits until the webhook has been called n times in all.
func (w *webhook) waitCalls(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if c, _ := w.state(); c >= n {
			return
		}
		select {
		case <-w.got:
		case <-deadline:
			c, _ := w.state()
			t.Fatalf("webhook called %d times, want %d", c, n)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func start(t *testing.T, opts Options) *Alerter {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	if opts.Backoff == nil {
		opts.Backoff = func(n int) time.Duration { return time.Duration(n) * 10 * time.Millisecond }
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

var t0 = time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)

func summary(name, status string) sfn.ExecutionSummary {
	s := sfn.ExecutionSummary{
		ExecutionARN:    "arn:aws:states:us-east-1:000000000000:execution:thumbnail:" + name,
		StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail",
		Name:            name, Status: status,
		StartDate: t0, StopDate: t0.Add(1500 * time.Millisecond),
		Input: json.RawMessage(`{"uploadId":"` + name + `"}`),
	}
	switch status {
	case "SUCCEEDED":
		s.Output = json.RawMessage(`{"ok":true}`)
	case "FAILED":
		s.Error, s.Cause = "CorruptImage", `{"errorMessage":"not an image"}`
	}
	return s
}

const sentinelPrefix = "sentinel-"

var sentinelSeq atomic.Int64

// settle waits until nothing is pending, then proves that no wrong extra
// delivery is still on its way: it raises a sentinel alert, which the one
// delivery loop sends after everything already due, and waits for the
// webhook to receive it. No sleep: a late extra delivery cannot slip past.
func settle(t *testing.T, a *Alerter, wh *webhook) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); a.Pending() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d alerts still pending", a.Pending())
		}
	}
	name := fmt.Sprintf("%s%d", sentinelPrefix, sentinelSeq.Add(1))
	a.Observe(summary(name, "FAILED"))
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-wh.sentinels:
			if got == name {
				return
			}
		case <-deadline:
			t.Fatalf("sentinel alert %s never reached the webhook", name)
		}
	}
}

func TestOneAlertPerBadEndingNoneForSuccess(t *testing.T) {
	wh := newWebhook(t)
	a := start(t, Options{Webhook: wh.srv.URL})
	a.Observe(summary("ok-1", "SUCCEEDED"))
	a.Observe(summary("bad-1", "FAILED"))
	a.Observe(summary("slow-1", "TIMED_OUT"))
	a.Observe(summary("stop-1", "ABORTED"))
	a.Observe(summary("run-1", "RUNNING"))
	settle(t, a, wh)
	// Told again about an execution whose alert is already delivered (a
	// caller that reports twice): still one alert. The repeat comes after
	// the first delivery, so a missing duplicate check sends it again.
	a.Observe(summary("bad-1", "FAILED"))
	settle(t, a, wh)
	calls, got := wh.state()
	if calls != 3 || len(got) != 3 {
		t.Fatalf("webhook calls %d, accepted %v; want 3 alerts", calls, got)
	}
	statuses := map[string]string{}
	for _, ev := range got {
		statuses[ev.Detail.Name] = ev.Detail.Status
	}
	want := map[string]string{"bad-1": "FAILED", "slow-1": "TIMED_OUT", "stop-1": "ABORTED"}
	for k, v := range want {
		if statuses[k] != v {
			t.Errorf("alerts %v, want %v", statuses, want)
		}
	}
}

func TestEventHasEventBridgeShape(t *testing.T) {
	ev := NewEvent(summary("bad-2", "FAILED"), "eu-west-1", "123456789012", t0.Add(2*time.Second))
	b, _ := json.Marshal(ev)
	var m map[string]any
	json.Unmarshal(b, &m)
	for k, want := range map[string]any{
		"version": "0", "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
		"account": "123456789012", "region": "eu-west-1", "time": "2026-03-01T03:00:02Z",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if r, _ := m["resources"].([]any); len(r) != 1 || r[0] != ev.Detail.ExecutionARN {
		t.Errorf("resources = %v", m["resources"])
	}
	d := m["detail"].(map[string]any)
	// Dates are epoch milliseconds, input is JSON text, output null.
	if d["startDate"] != float64(t0.UnixMilli()) || d["stopDate"] != float64(t0.UnixMilli()+1500) {
		t.Errorf("dates %v %v", d["startDate"], d["stopDate"])
	}
	if d["input"] != `{"uploadId":"bad-2"}` || d["output"] != nil || d["error"] != "CorruptImage" || d["cause"] != `{"errorMessage":"not an image"}` {
		t.Errorf("detail = %v", d)
	}
	for _, k := range []string{"executionArn", "stateMachineArn", "name", "status", "inputDetails", "outputDetails", "redriveCount", "redriveStatus"} {
		if _, ok := d[k]; !ok {
			t.Errorf("detail lacks %s", k)
		}
	}
	if again := NewEvent(summary("bad-2", "FAILED"), "eu-west-1", "123456789012", t0.Add(time.Hour)); again.ID != ev.ID {
		t.Errorf("ids differ for the same execution: %s, %s", ev.ID, again.ID)
	}
	if other := NewEvent(summary("bad-3", "FAILED"), "eu-west-1", "123456789012", t0); other.ID == ev.ID {
		t.Errorf("two executions share id %s", ev.ID)
	}
}

func TestRetriedWhenWebhookFailsThenDeliveredOnce(t *testing.T) {
	wh := newWebhook(t, 500, 503, 429)
	a := start(t, Options{Webhook: wh.srv.URL})
	a.Observe(summary("bad-3", "FAILED"))
	wh.waitCalls(t, 4)
	settle(t, a, wh)
	calls, got := wh.state()
	if calls != 4 || len(got) != 1 || got[0].Detail.Name != "bad-3" {
		t.Fatalf("calls %d, accepted %v: want 3 refusals then one acceptance", calls, got)
	}
}

func TestRefusedAlertIsNotRetriedForever(t *testing.T) {
	wh := newWebhook(t, 400, 500, 500, 500, 500)
	a := start(t, Options{Webhook: wh.srv.URL, MaxAttempts: 2})
	a.Observe(summary("bad-4", "FAILED"))    // 400: permanent, one call
	a.Observe(summary("bad-5", "TIMED_OUT")) // 500 twice: gives up at MaxAttempts
	settle(t, a, wh)
	if calls, got := wh.state(); calls != 3 || len(got) != 0 {
		t.Fatalf("calls %d, accepted %d; want 1 + 2 calls and none accepted", calls, len(got))
	}
}

func TestObserveNeverWaitsForTheWebhook(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	a := start(t, Options{Webhook: srv.URL})
	done := make(chan struct{})
	go func() {
		for i := range 20 {
			a.Observe(summary("hang-"+string(rune('a'+i)), "FAILED"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Observe blocked on a webhook that does not answer")
	}
}

func TestRestartResumesPendingAndNeverRepeats(t *testing.T) {
	dir := t.TempDir()
	down := newWebhook(t, 500, 500, 500, 500, 500, 500, 500, 500)
	a := start(t, Options{Webhook: down.srv.URL, Dir: dir, Backoff: func(int) time.Duration { return time.Hour }})
	a.Observe(summary("bad-6", "FAILED"))
	down.waitCalls(t, 1)
	a.Close()

	// The webhook is back (at a new address); the alert is delivered
	// from the outbox, once.
	up := newWebhook(t)
	b := start(t, Options{Webhook: up.srv.URL, Dir: dir})
	up.waitCalls(t, 1)
	settle(t, b, up)
	// The engine telling the restarted alerter again (it crashed before
	// recording the notification) must not alert twice.
	b.Observe(summary("bad-6", "FAILED"))
	settle(t, b, up)
	b.Close()

	c := start(t, Options{Webhook: up.srv.URL, Dir: dir})
	c.Observe(summary("bad-6", "FAILED"))
	settle(t, c, up)
	if calls, got := up.state(); calls != 1 || len(got) != 1 || got[0].Detail.Name != "bad-6" {
		t.Fatalf("after restarts: calls %d, accepted %v; want exactly one", calls, got)
	}
}

func TestWithoutWebhookOnlyLogs(t *testing.T) {
	var logs logtest.Buffer
	a := start(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	a.Observe(summary("bad-7", "FAILED"))
	a.Observe(summary("ok-7", "SUCCEEDED"))
	a.Observe(summary("bad-7", "FAILED"))
	var alerts []map[string]any
	for _, line := range logs.Lines() {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["msg"] == "execution alert" {
			alerts = append(alerts, m)
		}
	}
	if len(alerts) != 1 {
		t.Fatalf("alert log lines = %v, want one", alerts)
	}
	m := alerts[0]
	if m["level"] != "ERROR" || m["status"] != "FAILED" || m["uploadId"] != "bad-7" || m["error"] != "CorruptImage" || m["detail-type"] != DetailType {
		t.Errorf("alert log line = %v", m)
	}
}

func TestBadWebhookURLIsRefusedAtStart(t *testing.T) {
	for _, u := range []string{"localhost:9000/hook", "ftp://example.com/x", "http://", "::"} {
		if _, err := New(Options{Webhook: u, Logger: quiet()}); err == nil {
			t.Errorf("New accepted webhook %q", u)
		}
	}
}
