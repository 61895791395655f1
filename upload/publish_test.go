package upload_test

import (
	"context"
	"encoding/json"
	"errors"
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
