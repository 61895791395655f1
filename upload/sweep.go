package upload

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// The sweeper is the product's own guard against an original that no
// execution ever started: an event lost by the local S3 before it was
// durable, a start that failed past its retries, an object stored while the
// bucket's notification configuration was being replaced. It does not trust
// the event path at all; it starts what is stale by the same execution name
// the start function uses, so racing a late event starts nothing twice.
//
// Its cost must not grow with the bucket, so it never lists originals. It
// lists pending markers: one small object per upload under PendingPrefix in
// the records bucket, written when the grant is issued and deleted at the
// terminal status. The markers are the uploads not yet finished, which a
// healthy system keeps few.

// PendingPrefix holds one marker per upload that has a grant and no
// terminal status yet.
const PendingPrefix = "pending/"

// PendingKey is the marker of upload id.
func PendingKey(id string) string { return PendingPrefix + id }

// Pending is one marker: the upload and when its grant was issued.
type Pending struct {
	UploadID string
	Since    time.Time
}

// PendingMarkers lists and clears the markers.
type PendingMarkers interface {
	Pending(ctx context.Context) ([]Pending, error)
	Clear(ctx context.Context, id string) error
}

// StoredOriginals finds the stored original of an upload, if any, and when it
// was stored.
type StoredOriginals interface {
	Original(ctx context.Context, id string) (obj Object, stored time.Time, ok bool, err error)
}

// Statuses reads an upload's status record; ok is false when there is none.
type Statuses interface {
	GetStatus(ctx context.Context, id string) (rec Record, ok bool, err error)
}

// Default thresholds of the sweeper (template.yaml's SweepMinAgeSeconds
// overrides MinAge).
const (
	// DefaultSweepMinAge is how long an original may wait for its event
	// before the sweeper takes over: S3 delivers in seconds, and the
	// start function's asynchronous retries (about 1 and 2 minutes after
	// a failure) are over well before it.
	DefaultSweepMinAge = 10 * time.Minute
	// DefaultSweepAbandoned is how old a marker with no original grows
	// before it is cleared. The grant's POST is valid for 5 minutes; an
	// hour also covers the slowest POST that started inside its window
	// (25 MB at 7 KB/s). An original that lands later still has its event:
	// only the sweeper's second chance is lost for it.
	DefaultSweepAbandoned = time.Hour
)

// Sweeper starts the conversion of originals stored more than MinAge ago
// whose upload is still waiting or uploaded with no execution. "No
// execution" is decided by Step Functions itself: the sweeper starts
// through the start function's Starter, by the execution name derived
// from the object (ExecutionName), and ExecutionAlreadyExists means the
// event path got there first. So a racing late event starts nothing twice,
// and the sweeper needs no DescribeExecution before each start.
type Sweeper struct {
	Markers   PendingMarkers
	Originals StoredOriginals
	Statuses  Statuses
	// Starter is the start function's: the same claim, the same name.
	Starter *Starter
	// MinAge is how long an original may wait for its event; zero is
	// DefaultSweepMinAge.
	MinAge time.Duration
	// Abandoned is how old a marker with no original may grow before it is
	// cleared; zero is DefaultSweepAbandoned.
	Abandoned time.Duration
	Now       func() time.Time
	Log       *slog.Logger
}

// SweepReport says what one sweep did.
type SweepReport struct {
	Pending, Cleared int
	// Started lists the uploads whose execution this sweep started (not
	// those it found started already).
	Started []string
}

// Sweep looks at every pending marker once. An error for one upload is
// logged and the sweep goes on; the first such error is returned, so the
// scheduled invocation is seen to fail.
func (s *Sweeper) Sweep(ctx context.Context) (SweepReport, error) {
	log := logger(s.Log)
	markers, err := s.Markers.Pending(ctx)
	if err != nil {
		return SweepReport{}, fmt.Errorf("sweep: list pending markers: %w", err)
	}
	rep := SweepReport{Pending: len(markers)}
	var first error
	for _, m := range markers {
		started, cleared, err := s.sweepOne(ctx, m)
		if started {
			rep.Started = append(rep.Started, m.UploadID)
		}
		if cleared {
			rep.Cleared++
		}
		if err != nil {
			log.Error("sweep: upload not settled", "uploadId", m.UploadID, "error", err)
			if first == nil {
				first = err
			}
		}
	}
	log.Info("sweep done", "pending", rep.Pending, "started", len(rep.Started), "cleared", rep.Cleared)
	return rep, first
}

func (s *Sweeper) sweepOne(ctx context.Context, m Pending) (started, cleared bool, err error) {
	if !ValidID(m.UploadID) {
		// Not a marker this service wrote: left alone, and said.
		logger(s.Log).Warn("sweep: ignoring a pending marker that names no upload", "uploadId", m.UploadID)
		return false, false, nil
	}
	now := s.now()
	rec, ok, err := s.Statuses.GetStatus(ctx, m.UploadID)
	if err != nil {
		return false, false, fmt.Errorf("read status: %w", err)
	}
	if ok && rec.State.Terminal() {
		// The terminal write clears the marker; this one outlived a crash
		// or a failed delete between the two.
		return false, true, s.clear(ctx, m.UploadID)
	}
	if !ok {
		rec.State = StateWaiting // no record yet: what a subscriber is told
	}
	if rec.State != StateWaiting && rec.State != StateUploaded {
		return false, false, nil // converting or retrying: an execution runs
	}
	obj, stored, found, err := s.Originals.Original(ctx, m.UploadID)
	if err != nil {
		return false, false, fmt.Errorf("find original: %w", err)
	}
	if !found {
		if now.Sub(m.Since) > orDefault(s.Abandoned, DefaultSweepAbandoned) {
			return false, true, s.clear(ctx, m.UploadID) // the grant expired unused
		}
		return false, false, nil
	}
	if now.Sub(stored) < orDefault(s.MinAge, DefaultSweepMinAge) {
		return false, false, nil // its event may still be on the way
	}
	rec2 := &startRecorder{Executions: s.Starter.Executions}
	st := *s.Starter
	st.Executions = rec2
	if err := st.Start(ctx, obj); err != nil {
		return false, false, fmt.Errorf("start: %w", err)
	}
	if rec2.started != "" {
		logger(s.Log).Warn("sweep: started an original that no execution had started",
			"uploadId", m.UploadID, "key", obj.Key, "storedAt", stored, "state", rec.State, "executionName", rec2.started)
	}
	return rec2.started != "", false, nil
}

// startRecorder tells the sweeper whether its Starter really started an
// execution, rather than finding one (ErrExecutionExists) or ignoring a
// second object of the same grant.
type startRecorder struct {
	Executions
	started string
}

func (r *startRecorder) Start(ctx context.Context, name string, input []byte) error {
	err := r.Executions.Start(ctx, name, input)
	if err == nil {
		r.started = name
	}
	return err
}

func (s *Sweeper) clear(ctx context.Context, id string) error {
	if err := s.Markers.Clear(ctx, id); err != nil {
		return fmt.Errorf("clear pending marker: %w", err)
	}
	return nil
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
