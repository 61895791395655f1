package upload_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"thumbflow/internal/awsfake"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

// faultyStore fails the next failPutFailure calls of PutFailure, the way a
// throttled or unreachable records bucket fails a write; everything else
// goes to the real store.
type faultyStore struct {
	upload.Store
	mu             sync.Mutex
	failPutFailure int
}

var errInjected = errors.New("injected: records bucket unavailable")

func (s *faultyStore) PutFailure(ctx context.Context, f upload.FailureRecord) error {
	s.mu.Lock()
	fail := s.failPutFailure > 0
	if fail {
		s.failPutFailure--
	}
	s.mu.Unlock()
	if fail {
		return errInjected
	}
	return s.Store.PutFailure(ctx, f)
}

// pushes records what each connection was sent.
type pushes struct {
	mu   sync.Mutex
	msgs map[string][]upload.Record
}

func (p *pushes) Push(_ context.Context, conn string, msg []byte) error {
	var m upload.StatusMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.msgs == nil {
		p.msgs = map[string][]upload.Record{}
	}
	p.msgs[conn] = append(p.msgs[conn], m.Status)
	return nil
}

func (p *pushes) to(conn string) []upload.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]upload.Record(nil), p.msgs[conn]...)
}

// TestRetriedTerminalStepWritesFailureRecordAndPushes: the status step that
// records a failure stores the status first, then the operator's failure
// record, then pushes. When the failure record's write fails, the step
// fails and Step Functions retries it; the retry finds the status already
// failed, and must still write the failure record and push it to the
// subscriber, who has not yet been told.
func TestRetriedTerminalStepWritesFailureRecordAndPushes(t *testing.T) {
	ctx := context.Background()
	real := &s3store.Store{Client: awsfake.S3(t, "records"), Bucket: "records"}
	store := &faultyStore{Store: real}
	p := &pushes{}
	pub := &upload.Publisher{Store: store, Pusher: p}
	id := upload.NewID()
	if err := store.Subscribe(ctx, id, "browser"); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, upload.Update{UploadID: id, State: upload.StateConverting}); err != nil {
		t.Fatal(err)
	}
	failed := upload.Update{UploadID: id, State: upload.StateFailed,
		TaskError: &upload.TaskError{Error: "CorruptImage", Cause: `{"errorMessage":"The file is not a valid image.","errorType":"CorruptImage"}`}}

	store.failPutFailure = 1
	if _, err := pub.Publish(ctx, failed); !errors.Is(err, errInjected) {
		t.Fatalf("first try with the failure record's write failing: %v, want the injected error so that the step is retried", err)
	}
	if rec, ok, err := real.GetStatus(ctx, id); err != nil || !ok || rec.State != upload.StateFailed {
		t.Fatalf("status after the first try = %+v %v %v, want failed (stored before the failure record)", rec, ok, err)
	}
	if _, ok, _ := real.GetFailure(ctx, id); ok {
		t.Fatal("a failure record exists although its write failed")
	}

	// Step Functions retries the step with the same input.
	rec, err := pub.Publish(ctx, failed)
	if err != nil {
		t.Fatalf("retried step: %v", err)
	}
	f, ok, err := real.GetFailure(ctx, id)
	if err != nil || !ok {
		t.Fatalf("retried step wrote no failure record: %v %v", ok, err)
	}
	if f.State != upload.StateFailed || f.Error == nil || f.Error.Code != "CorruptImage" || f.StepFunctionsError != "CorruptImage" || f.StepFunctionsCause != failed.TaskError.Cause || f.Version != rec.Version {
		t.Errorf("failure record = %+v", f)
	}
	got := p.to("browser")
	if len(got) != 2 || got[0].State != upload.StateConverting || got[1].State != upload.StateFailed || got[1].Version != rec.Version || got[1].Error == nil || got[1].Error.Code != "CorruptImage" {
		t.Fatalf("subscriber was sent %+v; want converting, then failed (version %d)", got, rec.Version)
	}

	// A late, different terminal update (a retried success step of the
	// same generation) changes nothing and tells nobody anything.
	if rec, err := pub.Publish(ctx, upload.Update{UploadID: id, State: upload.StateSucceeded}); err != nil || rec.State != upload.StateFailed {
		t.Errorf("late success: %+v %v", rec, err)
	}
	if got := p.to("browser"); len(got) != 2 {
		t.Errorf("late success pushed %+v", got[2:])
	}
}

// TestRetriedSuccessStepPushes: a succeeded step retried after its status
// was stored (its first try timed out before answering) pushes again, so a
// subscriber whose push was lost with the first try still hears the end.
func TestRetriedSuccessStepPushes(t *testing.T) {
	ctx := context.Background()
	store := &s3store.Store{Client: awsfake.S3(t, "records"), Bucket: "records"}
	p := &pushes{}
	pub := &upload.Publisher{Store: store, Pusher: p}
	id := upload.NewID()
	done := upload.Update{UploadID: id, State: upload.StateSucceeded, Renditions: []upload.Rendition{{Name: "small", Width: 1, Height: 1, ContentType: "image/jpeg", Bytes: 1, Key: "k"}}}
	first, err := pub.Publish(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Subscribe(ctx, id, "late"); err != nil {
		t.Fatal(err)
	}
	again, err := pub.Publish(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != first.Version {
		t.Errorf("retried step moved the version %d → %d", first.Version, again.Version)
	}
	if _, ok, _ := store.GetFailure(ctx, id); ok {
		t.Error("a success has a failure record")
	}
	if got := p.to("late"); len(got) != 1 || got[0].State != upload.StateSucceeded || got[0].Version != first.Version {
		t.Errorf("retried success step pushed %+v", got)
	}
}

// TestRunUpdatesPushOnlyWhatTheUserSees: the converter reports every real
// run. The first run of a generation is bookkeeping (the record counts it,
// its version moves) and pushes nothing; each later run pushes retrying
// with attempt = runs; a run after the terminal state changes nothing;
// the next generation counts its runs from 1 again.
func TestRunUpdatesPushOnlyWhatTheUserSees(t *testing.T) {
	ctx := context.Background()
	store := &s3store.Store{Client: awsfake.S3(t, "records"), Bucket: "records"}
	p := &pushes{}
	pub := &upload.Publisher{Store: store, Pusher: p}
	id := upload.NewID()
	if err := store.Subscribe(ctx, id, "browser"); err != nil {
		t.Fatal(err)
	}
	g1 := id
	g2, err := upload.RetryExecutionName(id, 2)
	if err != nil {
		t.Fatal(err)
	}
	run := func(exec string) upload.Record {
		t.Helper()
		rec, err := pub.Publish(ctx, upload.Update{UploadID: id, State: upload.StateConverting, Run: true, Execution: exec})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	publish := func(u upload.Update) {
		t.Helper()
		u.UploadID = id
		if _, err := pub.Publish(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	seen := func() string {
		var s []string
		for _, r := range p.to("browser") {
			s = append(s, fmt.Sprintf("g%d %s(%d) v%d", r.Generation, r.State, r.Attempt, r.Version))
		}
		return strings.Join(s, ", ")
	}

	publish(upload.Update{State: upload.StateConverting, Execution: g1})
	if rec := run(g1); rec.State != upload.StateConverting || rec.Attempt != 1 || rec.Runs != 1 || rec.Version != 2 {
		t.Fatalf("after the first run the record is %+v, want converting attempt 1, runs 1, version 2", rec)
	}
	if stored, _, _ := store.GetStatus(ctx, id); stored.Runs != 1 {
		t.Fatalf("stored record counts %d runs, want 1", stored.Runs)
	}
	if got, want := seen(), "g1 converting(1) v1"; got != want {
		t.Fatalf("after the first run the browser saw %s, want %s (no duplicate converting)", got, want)
	}
	run(g1) // the first run failed; the second begins
	run(g1) // and the third
	publish(upload.Update{State: upload.StateFailed, Execution: g1, Error: &upload.Failure{Code: upload.CodeTimeout, Message: "took too long"}})
	if rec := run(g1); rec.State != upload.StateFailed || rec.Runs != 3 {
		t.Errorf("a run after the failure moved the record to %+v", rec)
	}
	if got, want := seen(), "g1 converting(1) v1, g1 retrying(2) v3, g1 retrying(3) v4, g1 failed(3) v5"; got != want {
		t.Fatalf("generation 1: browser saw %s, want %s", got, want)
	}

	// An operator's retry: generation 2 counts from its first run again.
	publish(upload.Update{State: upload.StateConverting, Execution: g2})
	if rec := run(g2); rec.Generation != 2 || rec.State != upload.StateConverting || rec.Attempt != 1 || rec.Runs != 1 {
		t.Fatalf("generation 2's first run: %+v, want converting attempt 1, runs 1", rec)
	}
	run(g2)
	publish(upload.Update{State: upload.StateSucceeded, Execution: g2})
	if got, want := seen(), "g1 converting(1) v1, g1 retrying(2) v3, g1 retrying(3) v4, g1 failed(3) v5, g2 converting(1) v6, g2 retrying(2) v8, g2 succeeded(2) v9"; got != want {
		t.Fatalf("browser saw %s, want %s", got, want)
	}

	if _, err := pub.Publish(ctx, upload.Update{UploadID: id, State: upload.StateRetrying, Run: true}); err == nil {
		t.Error("a run update that is not converting was accepted")
	}
}
