package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrGone is what a Pusher returns when the connection no longer exists
// (API Gateway's 410): the subscription is dropped, nothing else happens.
var ErrGone = errors.New("connection is gone")

// Store keeps status records, failure records and subscriptions. On AWS
// and locally it is S3; the interface keeps the publisher independent of
// that choice.
type Store interface {
	GetStatus(ctx context.Context, id string) (Record, bool, error)
	// UpdateStatus applies change to the current record (the zero Record
	// when none exists) and stores the result if change reports a change,
	// atomically: a concurrent writer makes it re-read and apply again, so
	// no update is lost and versions never repeat.
	UpdateStatus(ctx context.Context, id string, change func(cur Record) (Record, bool)) (Record, bool, error)
	PutFailure(ctx context.Context, f FailureRecord) error
	Subscribe(ctx context.Context, id, connectionID string) error
	Unsubscribe(ctx context.Context, id, connectionID string) error
	Subscribers(ctx context.Context, id string) ([]string, error)
}

// Pusher sends a message to one WebSocket connection.
type Pusher interface {
	Push(ctx context.Context, connectionID string, msg []byte) error
}

// FailureRecord is what operators read about a failed upload: the user's
// view plus the raw Step Functions error and cause.
type FailureRecord struct {
	Record
	StepFunctionsError string `json:"stepFunctionsError,omitempty"`
	StepFunctionsCause string `json:"stepFunctionsCause,omitempty"`
}

// StatusMessage is the server-to-client message carrying a record.
type StatusMessage struct {
	Type   string `json:"type"` // always "status"
	Status Record `json:"status"`
}

// EncodeStatus renders r as the message subscribers receive.
func EncodeStatus(r Record) []byte {
	b, _ := json.Marshal(StatusMessage{Type: "status", Status: r})
	return b
}

// Publisher applies updates to status records and pushes the result to
// every subscriber. The record is written before anything is pushed, so a
// browser that misses a push still finds the truth when it subscribes.
type Publisher struct {
	Store  Store
	Pusher Pusher
	// Pending clears the sweeper's marker once the record is terminal;
	// nil clears none (a publisher that never writes a terminal record).
	Pending PendingClearer
	Now     func() time.Time
	Log     *slog.Logger
}

// PendingClearer deletes an upload's pending marker (PendingKey); deleting
// one that is gone already succeeds.
type PendingClearer interface {
	Clear(ctx context.Context, id string) error
}

// Publish applies u and pushes the result when it shows the user
// something new (Record.SameForUser). A failed push never fails Publish: a gone browser
// must not fail the execution, and the record remains the truth. A failed
// update that carries only its TaskError gets the user's message from it.
func (p *Publisher) Publish(ctx context.Context, u Update) (Record, error) {
	if err := checkID(u.UploadID); err != nil {
		return Record{}, err
	}
	if !u.State.Valid() {
		return Record{}, fmt.Errorf("upload %s: %q is not a status state", u.UploadID, u.State)
	}
	if u.Run && u.State != StateConverting {
		return Record{}, fmt.Errorf("upload %s: a run update is %q, want %q", u.UploadID, u.State, StateConverting)
	}
	if u.State == StateFailed && u.Error == nil && u.TaskError != nil {
		f := DescribeError(u.TaskError.Error, u.TaskError.Cause)
		u.Error = &f
	}
	log := logger(p.Log).With("uploadId", u.UploadID)
	now := p.now()
	var cur Record
	next, changed, err := p.Store.UpdateStatus(ctx, u.UploadID, func(r Record) (Record, bool) {
		cur = r
		return r.Apply(u, now)
	})
	if err != nil {
		return Record{}, fmt.Errorf("update status of upload %s: %w", u.UploadID, err)
	}
	// A retried step (its first try failed after the status was stored)
	// finds its own terminal update already applied: it still owes the
	// failure record and the push.
	retried := !changed && u.State.Terminal() && next.State == u.State && next.Execution == u.Execution
	if !changed && !retried {
		log.Info("status update ignored: record is already further along",
			"state", cur.State, "attempt", cur.Attempt, "ignoredState", u.State, "ignoredAttempt", u.Attempt)
		return next, nil
	}
	if changed && cur.SameForUser(next) {
		// Bookkeeping only (the first run's count): stored, but a push
		// would tell subscribers nothing new.
		log.Info("status recorded; nothing new to push", "state", next.State, "attempt", next.Attempt, "runs", next.Runs, "version", next.Version)
		return next, nil
	}
	if next.State == StateFailed {
		f := FailureRecord{Record: next}
		if u.TaskError != nil {
			f.StepFunctionsError, f.StepFunctionsCause = u.TaskError.Error, u.TaskError.Cause
		}
		if err := p.Store.PutFailure(ctx, f); err != nil {
			return Record{}, fmt.Errorf("write failure record of upload %s: %w", u.UploadID, err)
		}
	}
	log.Info("status recorded", "state", next.State, "attempt", next.Attempt, "runs", next.Runs, "version", next.Version)
	if next.State.Terminal() && p.Pending != nil {
		// After the record, never before: a failed delete loses nothing,
		// since the sweeper clears the marker of a terminal upload, and a
		// retried step deletes again, which S3 allows.
		if err := p.Pending.Clear(ctx, u.UploadID); err != nil {
			log.Warn("could not clear the pending marker; the sweeper will", "error", err)
		}
	}
	p.push(ctx, log, next)
	return next, nil
}

func (p *Publisher) push(ctx context.Context, log *slog.Logger, r Record) {
	conns, err := p.Store.Subscribers(ctx, r.UploadID)
	if err != nil {
		log.Warn("could not list subscribers; they will get the record when they resubscribe", "error", err)
		return
	}
	msg := EncodeStatus(r)
	for _, c := range conns {
		err := p.Pusher.Push(ctx, c, msg)
		switch {
		case err == nil:
		case errors.Is(err, ErrGone):
			log.Info("subscriber gone; dropping subscription", "connectionId", c)
			if err := p.Store.Unsubscribe(ctx, r.UploadID, c); err != nil {
				log.Warn("could not drop subscription", "connectionId", c, "error", err)
			}
		default:
			log.Warn("push failed", "connectionId", c, "error", err)
		}
	}
}

func (p *Publisher) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// logger is l, or the default logger for a service built without one.
func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
