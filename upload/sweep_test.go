package upload

import (
	"context"
	"testing"
	"time"
)

// sweepWorld is an in-memory records bucket, uploads bucket and workflow.
type sweepWorld struct {
	now       time.Time
	markers   map[string]time.Time
	records   map[string]Record
	originals map[string]time.Time // id → stored at
	started   map[string]int       // execution name → starts
}

func (w *sweepWorld) Pending(context.Context) ([]Pending, error) {
	var out []Pending
	for id, since := range w.markers {
		out = append(out, Pending{UploadID: id, Since: since})
	}
	return out, nil
}

func (w *sweepWorld) Clear(_ context.Context, id string) error { delete(w.markers, id); return nil }

func (w *sweepWorld) Original(_ context.Context, id string) (Object, time.Time, bool, error) {
	at, ok := w.originals[id]
	return Object{Bucket: "uploads", Key: OriginalKey(id), Size: 10, ETag: "e-" + id}, at, ok, nil
}

func (w *sweepWorld) GetStatus(_ context.Context, id string) (Record, bool, error) {
	r, ok := w.records[id]
	return r, ok, nil
}

func (w *sweepWorld) Exists(_ context.Context, arn string) (bool, error) {
	name, err := ExecutionOf(w.StateMachineARN(), arn)
	return err == nil && w.started[name] > 0, nil
}

func (w *sweepWorld) ContentType(context.Context, Object) (string, error) { return "image/jpeg", nil }

func (w *sweepWorld) StateMachineARN() string {
	return "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"
}

func (w *sweepWorld) Start(_ context.Context, name string, _ []byte) error {
	w.started[name]++
	if w.started[name] > 1 {
		return ErrExecutionExists
	}
	return nil
}

func (w *sweepWorld) Publish(_ context.Context, u Update) (Record, error) {
	r, _ := w.records[u.UploadID].Apply(u, w.now)
	w.records[u.UploadID] = r
	return r, nil
}

// The sweeper starts exactly the stale originals with no execution, once,
// by the start function's execution name; a second sweep starts nothing.
func TestSweeperStartsOnlyStaleOriginalsWithoutExecution(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	w := &sweepWorld{now: now, markers: map[string]time.Time{}, records: map[string]Record{},
		originals: map[string]time.Time{}, started: map[string]int{}}
	ids := map[string]string{}
	for _, name := range []string{"lost", "failedStart", "young", "running", "done", "unused"} {
		ids[name] = NewID()
	}
	old, fresh := now.Add(-11*time.Minute), now.Add(-time.Minute)
	// lost: stored 11 minutes ago, its event lost; the record says waiting.
	w.markers[ids["lost"]], w.originals[ids["lost"]] = old, old
	w.records[ids["lost"]] = Record{State: StateWaiting}
	// failedStart: uploaded recorded, but the execution never started.
	w.markers[ids["failedStart"]], w.originals[ids["failedStart"]] = old, old
	w.records[ids["failedStart"]] = Record{State: StateUploaded, Execution: ExecutionName(ids["failedStart"], "", "e-"+ids["failedStart"])}
	// young: stored a minute ago; its event may be on the way.
	w.markers[ids["young"]], w.originals[ids["young"]] = fresh, fresh
	// running: has its execution.
	w.markers[ids["running"]], w.originals[ids["running"]] = old, old
	st := &Starter{Types: w, Executions: w, Publisher: w}
	if err := st.Start(context.Background(), Object{Bucket: "uploads", Key: OriginalKey(ids["running"]), Size: 10, ETag: "e-" + ids["running"]}); err != nil {
		t.Fatal(err)
	}
	// done: terminal, its marker left by a crash; unused: grant expired.
	w.markers[ids["done"]], w.records[ids["done"]] = old, Record{State: StateSucceeded}
	w.markers[ids["unused"]] = now.Add(-time.Hour)

	sw := &Sweeper{Markers: w, Originals: w, Statuses: w, Runs: w, Starter: st,
		MinAge: 10 * time.Minute, Abandoned: 30 * time.Minute, Now: func() time.Time { return now }}
	rep, err := sw.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep != (SweepReport{Pending: 6, Started: 2, Cleared: 2}) {
		t.Errorf("report %+v, want 6 pending, 2 started, 2 cleared", rep)
	}
	for _, name := range []string{"lost", "failedStart", "running"} {
		id := ids[name]
		if n := w.started[ExecutionName(id, "", "e-"+id)]; n != 1 {
			t.Errorf("%s: %d starts by its execution name, want 1", name, n)
		}
	}
	if len(w.started) != 3 {
		t.Errorf("executions started: %v", w.started)
	}
	if _, ok := w.markers[ids["done"]]; ok {
		t.Error("the terminal upload's marker was kept")
	}
	if _, ok := w.markers[ids["unused"]]; ok {
		t.Error("the expired grant's marker was kept")
	}

	rep, err = sw.Sweep(context.Background())
	if err != nil || rep.Started != 0 {
		t.Errorf("second sweep: %+v, %v; want nothing started", rep, err)
	}
}
