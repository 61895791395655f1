package cloud

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
	"thumbflow/internal/logtest"
	"thumbflow/local/lambda"
	"thumbflow/upload"
)

// alertRig is a local cloud whose alerts go to a webhook the test counts,
// with its JSON log kept for the test to read.
type alertRig struct {
	c       *Cloud
	log     *logtest.Buffer
	metrics *logtest.Buffer
	mu      sync.Mutex
	events  []map[string]any
	topics  []string // each POST's X-Amz-Sns-Topic-Arn
}

func startAlertRig(t *testing.T) *alertRig {
	r := &alertRig{log: &logtest.Buffer{}, metrics: &logtest.Buffer{}}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var ev map[string]any
		json.Unmarshal(b, &ev)
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.topics = append(r.topics, req.Header.Get("X-Amz-Sns-Topic-Arn"))
		r.mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	r.c = startCloud(t, func(cfg *Config) {
		cfg.AlertWebhook, cfg.Metrics = hook.URL, r.metrics
		cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor)
		cfg.Logger = slog.New(slog.NewJSONHandler(r.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log tail:\n%s", r.log.Tail(40))
		}
	})
	return r
}

func (r *alertRig) alerts() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.events...)
}

// waitLog waits, generously, until the log has a line containing substr.
func (r *alertRig) waitLog(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for r.log.Count(substr) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q", substr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric sums the values of the named metric over the status function's
// embedded-metric-format lines.
func (r *alertRig) metric(t *testing.T, name string) float64 {
	t.Helper()
	var sum float64
	for _, l := range r.metrics.Lines() {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["_aws"] == nil {
			t.Fatalf("not a metrics line: %q (%v)", l, err)
		}
		n, _ := v[name].(float64)
		sum += n
	}
	return sum
}

// errorLines are the log's ERROR records.
func (r *alertRig) errorLines() []string {
	var out []string
	for _, l := range r.log.Lines() {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}

func TestUserRejectionRaisesNoAlert(t *testing.T) {
	r := startAlertRig(t)
	cl := dial(t, context.Background(), r.c.WebSocketURL)
	_, _, rec := uploadStates(t, cl, "photo.jpg", []byte("this is a text file, named like a photo\n"))
	if rec.State != upload.StateFailed || rec.Error == nil || rec.Error.Kind != upload.KindUser {
		t.Fatalf("record %+v: want a failed user rejection", rec)
	}
	// The workflow ended it in its Rejected state, which the template's
	// rule excludes by its error name.
	r.waitLog(t, `"errorName":"Rejected.CorruptImage"`)
	if a := r.alerts(); len(a) != 0 || r.c.Topics.Pending() != 0 {
		t.Errorf("a user rejection raised alerts: %v", a)
	}
	if r.metric(t, "UserRejections") != 1 || r.metric(t, "SystemFailures") != 0 || r.metric(t, "Uploads") != 1 {
		t.Errorf("metrics: %s", r.metrics.String())
	}
	if e := r.errorLines(); len(e) != 0 {
		t.Errorf("a user rejection logged at ERROR:\n%s", strings.Join(e, "\n"))
	}
}

func TestExhaustedRetriesRaiseOneAlert(t *testing.T) {
	r := startAlertRig(t)
	convert := functionName(r.c, "ConvertFunction")
	if err := r.c.Lambdas.InjectFaultRate(convert, lambda.FaultTransient, 1); err != nil {
		t.Fatal(err)
	}
	cl := dial(t, context.Background(), r.c.WebSocketURL)
	_, _, rec := uploadStates(t, cl, "photo.jpg", photo(64, 64))
	if rec.State != upload.StateFailed || rec.Error == nil || rec.Error.Kind != upload.KindSystem {
		t.Fatalf("record %+v: want a failed system failure", rec)
	}
	r.waitLog(t, "notification delivered")
	a := r.alerts()
	if len(a) != 1 {
		t.Fatalf("%d alerts, want exactly 1: %v", len(a), a)
	}
	if r.metric(t, "SystemFailures") != 1 || r.metric(t, "UserRejections") != 0 {
		t.Errorf("metrics: %s", r.metrics.String())
	}
	detail, _ := a[0]["detail"].(map[string]any)
	if detail["status"] != "FAILED" || detail["error"] != "TransientError" {
		t.Errorf("alert detail %v, want FAILED TransientError", detail)
	}
	// It came the stack's way: the rule's target, the alert topic, whose
	// subscription the webhook is.
	r.mu.Lock()
	topics := slices.Clone(r.topics)
	r.mu.Unlock()
	if want := r.c.Stack.Topic("AlertTopic").ARN; len(topics) != 1 || topics[0] != want {
		t.Errorf("the alert came from topic %v, want %s", topics, want)
	}

	// Sentinel: a second system failure, whose alert is queued after any
	// repeat of the first. Once it has arrived, the first must have
	// arrived exactly once.
	_, _, rec2 := uploadStates(t, cl, "second.jpg", photo(64, 64))
	if rec2.State != upload.StateFailed {
		t.Fatalf("second upload %+v: want failed", rec2)
	}
	first := detailOf(a[0])["executionArn"]
	deadline := time.Now().Add(30 * time.Second)
	for !slices.ContainsFunc(r.alerts(), func(ev map[string]any) bool { return detailOf(ev)["executionArn"] != first }) {
		if time.Now().After(deadline) {
			t.Fatalf("the second failure's alert never arrived: %v", r.alerts())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if all := r.alerts(); len(all) != 2 {
		t.Fatalf("%d alerts for two failed executions, want one each: %v", len(all), all)
	}
}

func detailOf(ev map[string]any) map[string]any {
	d, _ := ev["detail"].(map[string]any)
	return d
}
