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

// Runs tells whether an execution exists.
type Runs interface {
	Exists(ctx context.Context, executionARN string) (bool, error)
}

// Sweeper starts the conversion of originals stored more than MinAge ago
// whose upload is still waiting or uploaded with no execution.
type Sweeper struct {
	Markers   PendingMarkers
	Originals StoredOriginals
	Statuses  Statuses
	Runs      Runs
	Starter   *Starter
	// MinAge is how long an original may wait for its event before the
	// sweeper takes over (10 minutes in the template).
	MinAge time.Duration
	// Abandoned is how old a marker with no original may grow before it is
	// cleared: past the grant's expiry nothing can be stored for it.
	Abandoned time.Duration
	Now       func() time.Time
	Log       *slog.Logger
}

// SweepReport counts what one sweep did.
type SweepReport struct {
	Pending, Started, Cleared int
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
			rep.Started++
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
	log.Info("sweep done", "pending", rep.Pending, "started", rep.Started, "cleared", rep.Cleared)
	return rep, first
}

func (s *Sweeper) sweepOne(ctx context.Context, m Pending) (started, cleared bool, err error) {
	now := s.now()
	rec, ok, err := s.Statuses.GetStatus(ctx, m.UploadID)
	if err != nil {
		return false, false, fmt.Errorf("read status: %w", err)
	}
	if ok && rec.State.Terminal() {
		// The terminal write clears the marker; this one outlived a crash
		// between the two.
		return false, true, s.clear(ctx, m.UploadID)
	}
	if ok && rec.State != StateWaiting && rec.State != StateUploaded {
		return false, false, nil // converting or retrying: an execution runs
	}
	obj, stored, found, err := s.Originals.Original(ctx, m.UploadID)
	if err != nil {
		return false, false, fmt.Errorf("find original: %w", err)
	}
	if !found {
		if now.Sub(m.Since) > s.Abandoned {
			return false, true, s.clear(ctx, m.UploadID) // the grant expired unused
		}
		return false, false, nil
	}
	if now.Sub(stored) < s.MinAge {
		return false, false, nil // its event may still be on the way
	}
	if ok && rec.Execution != "" {
		arn, err := ExecutionARN(s.Starter.Executions.StateMachineARN(), rec.Execution)
		if err != nil {
			return false, false, err
		}
		exists, err := s.Runs.Exists(ctx, arn)
		if err != nil {
			return false, false, fmt.Errorf("look up execution: %w", err)
		}
		if exists {
			return false, false, nil
		}
	}
	logger(s.Log).Warn("sweep: starting an original that no execution started",
		"uploadId", m.UploadID, "key", obj.Key, "storedAt", stored, "state", rec.State)
	if err := s.Starter.Start(ctx, obj); err != nil {
		return false, false, fmt.Errorf("start: %w", err)
	}
	return true, false, nil
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
