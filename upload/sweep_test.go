package upload

import (
	"context"
	"errors"
	"slices"
	"sort"
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
// Each case is one of its decisions: lost event (start), start that never
// happened after "uploaded" (start), too young (wait), already has its
// execution (nothing, not counted), converting (nothing), terminal with a
// marker left behind (clear), grant expired without original (clear), grant
// still valid without original (wait).
func TestSweeperDecisions(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	w := &sweepWorld{now: now, markers: map[string]time.Time{}, records: map[string]Record{},
		originals: map[string]time.Time{}, started: map[string]int{}}
	ids := map[string]string{}
	for _, name := range []string{"lost", "failedStart", "young", "running", "converting", "done", "expired", "granted"} {
		ids[name] = NewID()
	}
	name := func(c string) string { return ExecutionName(ids[c], "", "e-"+ids[c]) }
	old, fresh := now.Add(-11*time.Minute), now.Add(-time.Minute)
	// lost: stored 11 minutes ago, its event lost; no record (waiting).
	w.markers[ids["lost"]], w.originals[ids["lost"]] = old, old
	// failedStart: uploaded recorded, but the execution never started.
	w.markers[ids["failedStart"]], w.originals[ids["failedStart"]] = old, old
	w.records[ids["failedStart"]] = Record{UploadID: ids["failedStart"], State: StateUploaded, Execution: name("failedStart"), Version: 1, Generation: 1}
	// young: stored a minute ago; its event may be on the way.
	w.markers[ids["young"]], w.originals[ids["young"]] = fresh, fresh
	// running: its event started its execution; the record still says uploaded.
	w.markers[ids["running"]], w.originals[ids["running"]] = old, old
	st := &Starter{Types: w, Executions: w, Publisher: w}
	if err := st.Start(context.Background(), Object{Bucket: "uploads", Key: OriginalKey(ids["running"]), Size: 10, ETag: "e-" + ids["running"]}); err != nil {
		t.Fatal(err)
	}
	// converting: an execution runs.
	w.markers[ids["converting"]], w.originals[ids["converting"]] = old, old
	w.records[ids["converting"]] = Record{UploadID: ids["converting"], State: StateConverting, Version: 2, Generation: 1}
	// done: terminal, its marker left by a crash; expired: grant an hour
	// and more ago, nothing stored; granted: granted a minute ago.
	w.markers[ids["done"]], w.records[ids["done"]] = old, Record{State: StateSucceeded}
	w.markers[ids["expired"]] = now.Add(-61 * time.Minute)
	w.markers[ids["granted"]] = fresh

	sw := &Sweeper{Markers: w, Originals: w, Statuses: w, Starter: st, Now: func() time.Time { return now }}
	rep, err := sw.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(rep.Started)
	want := []string{ids["lost"], ids["failedStart"]}
	sort.Strings(want)
	if rep.Pending != 8 || rep.Cleared != 2 || !slices.Equal(rep.Started, want) {
		t.Errorf("report %+v, want 8 pending, 2 cleared, started %v", rep, want)
	}
	for c, n := range map[string]int{"lost": 1, "failedStart": 1, "running": 2, "young": 0, "converting": 0} {
		if got := w.started[name(c)]; got != n {
			t.Errorf("%s: %d StartExecution calls by its execution name, want %d", c, got, n)
		}
	}
	if len(w.started) != 3 {
		t.Errorf("executions started: %v", w.started)
	}
	if r := w.records[ids["lost"]]; r.State != StateUploaded {
		t.Errorf("lost upload's record %+v, want uploaded", r)
	}
	for _, c := range []string{"done", "expired"} {
		if _, ok := w.markers[ids[c]]; ok {
			t.Errorf("%s: marker kept", c)
		}
	}
	for _, c := range []string{"lost", "failedStart", "young", "running", "converting", "granted"} {
		if _, ok := w.markers[ids[c]]; !ok {
			t.Errorf("%s: marker cleared before a terminal status", c)
		}
	}

	rep, err = sw.Sweep(context.Background())
	if err != nil || len(rep.Started) != 0 {
		t.Errorf("second sweep: %+v, %v; want nothing started", rep, err)
	}
	if w.started[name("lost")] != 2 {
		t.Errorf("second sweep did not retry the start by the same name: %v", w.started)
	}
}

// A terminal record clears the marker after it is written; a failed clear
// keeps the record and fails nothing; a record that is not terminal keeps
// its marker.
func TestPublisherClearsThePendingMarkerAtTheTerminalStatus(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	cl := &clearer{fail: true}
	p := &Publisher{Store: store, Pusher: noPush{}, Pending: cl}
	id := NewID()
	for _, s := range []State{StateUploaded, StateConverting} {
		if _, err := p.Publish(ctx, Update{UploadID: id, State: s}); err != nil {
			t.Fatal(err)
		}
	}
	if len(cl.calls) != 0 {
		t.Fatalf("marker cleared before the end: %v", cl.calls)
	}
	rec, err := p.Publish(ctx, Update{UploadID: id, State: StateSucceeded})
	if err != nil || rec.State != StateSucceeded {
		t.Fatalf("succeeded with a failing clear: %+v, %v", rec, err)
	}
	if got, _, _ := store.GetStatus(ctx, id); got.State != StateSucceeded {
		t.Errorf("stored %s, want succeeded", got.State)
	}
	cl.fail = false
	// The retried step clears again.
	if _, err := p.Publish(ctx, Update{UploadID: id, State: StateSucceeded}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cl.calls, []string{id, id}) {
		t.Errorf("clears %v, want two for %s", cl.calls, id)
	}
}

type clearer struct {
	fail  bool
	calls []string
}

func (c *clearer) Clear(_ context.Context, id string) error {
	c.calls = append(c.calls, id)
	if c.fail {
		return errors.New("injected: delete refused")
	}
	return nil
}

// memStore is a Store in memory, with no subscribers.
type memStore struct{ recs map[string]Record }

func newMemStore() *memStore { return &memStore{recs: map[string]Record{}} }

func (m *memStore) GetStatus(_ context.Context, id string) (Record, bool, error) {
	r, ok := m.recs[id]
	return r, ok, nil
}

func (m *memStore) UpdateStatus(_ context.Context, id string, change func(Record) (Record, bool)) (Record, bool, error) {
	next, changed := change(m.recs[id])
	if changed {
		m.recs[id] = next
	}
	return next, changed, nil
}

func (m *memStore) PutFailure(context.Context, FailureRecord) error       { return nil }
func (m *memStore) Subscribe(context.Context, string, string) error       { return nil }
func (m *memStore) Unsubscribe(context.Context, string, string) error     { return nil }
func (m *memStore) Subscribers(context.Context, string) ([]string, error) { return nil, nil }

type noPush struct{}

func (noPush) Push(context.Context, string, []byte) error { return nil }
