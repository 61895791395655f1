package upload

import (
	"time"
)

// State is where an upload stands. The order of the constants is the order
// an upload moves through them; a record never moves backwards.
type State string

const (
	// StateWaiting is never stored: it is what a subscriber is told
	// before the original has arrived.
	StateWaiting    State = "waiting"
	StateUploaded   State = "uploaded"
	StateConverting State = "converting"
	StateRetrying   State = "retrying"
	StateSucceeded  State = "succeeded"
	StateFailed     State = "failed"
)

func (s State) rank() int {
	switch s {
	case StateUploaded:
		return 1
	case StateConverting:
		return 2
	case StateRetrying:
		return 3
	case StateSucceeded, StateFailed:
		return 4
	}
	return 0
}

// Valid reports whether s is a state a record may hold.
func (s State) Valid() bool { return s.rank() > 0 }

// Terminal reports whether s is final: a terminal record is never changed
// again, which is what makes "exactly one terminal status" hold even when
// Step Functions or S3 deliver something twice.
func (s State) Terminal() bool { return s == StateSucceeded || s == StateFailed }

// Rendition describes one converted image in the output bucket.
type Rendition struct {
	Name        string `json:"name"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"contentType"`
	Bytes       int64  `json:"bytes"`
	Key         string `json:"key"`
}

// Failure is what a user is told when an upload fails: a stable code to
// program against and a message to read.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Kind is KindOf(Code), carried in the record so that the state
	// machine, the alerts and the operator tools read the verdict instead
	// of deciding it again.
	Kind Kind `json:"kind,omitempty"`
}

// Record is the status record: the single truth about an upload, stored
// as JSON and pushed as is to every subscriber.
type Record struct {
	UploadID string `json:"uploadId"`
	State    State  `json:"state"`
	// Version grows by one with every change, so a client that receives
	// two records out of order keeps the newer one.
	Version int `json:"version"`
	// Attempt is the conversion attempt under way or last made, from 1;
	// 0 before conversion starts.
	Attempt      int         `json:"attempt"`
	Error        *Failure    `json:"error,omitempty"`
	Renditions   []Rendition `json:"renditions,omitempty"`
	ExecutionARN string      `json:"executionArn,omitempty"`
	CreatedAt    time.Time   `json:"createdAt"`
	UpdatedAt    time.Time   `json:"updatedAt"`
}

// Update is a change reported by the pipeline.
type Update struct {
	UploadID     string      `json:"uploadId"`
	State        State       `json:"state"`
	Attempt      int         `json:"attempt,omitempty"`
	Error        *Failure    `json:"error,omitempty"`
	Renditions   []Rendition `json:"renditions,omitempty"`
	ExecutionARN string      `json:"executionArn,omitempty"`
	// TaskError is the Step Functions error and cause of a failure, for
	// the operator's failure record; never shown to the user.
	TaskError *TaskError `json:"-"`
}

// Apply returns the record after u, and whether anything changed. Updates
// that would move the record backwards (a late duplicate, a retried notify
// step) or change a terminal record are ignored rather than rejected: the
// pipeline delivers at least once, so seeing them is normal.
func (r Record) Apply(u Update, now time.Time) (Record, bool) {
	if r.State.Terminal() {
		return r, false
	}
	switch {
	case u.State.rank() > r.State.rank():
	case u.State == r.State && u.Attempt > r.Attempt:
	default:
		return r, false
	}
	next := r
	if next.UploadID == "" {
		next.UploadID = u.UploadID
		next.CreatedAt = now
	}
	next.State = u.State
	next.Version++
	next.UpdatedAt = now
	next.Attempt = max(r.Attempt, u.Attempt)
	if u.State == StateConverting && next.Attempt == 0 {
		next.Attempt = 1
	}
	if u.ExecutionARN != "" {
		next.ExecutionARN = u.ExecutionARN
	}
	if u.State == StateFailed {
		next.Error = u.Error
		if next.Error == nil {
			next.Error = &Failure{Code: CodeInternal, Message: internalMessage}
		}
		// The kind is always derived here, never taken from the caller,
		// so no record can disagree with KindOf.
		f := *next.Error
		f.Kind = KindOf(f.Code)
		next.Error = &f
	}
	if u.State == StateSucceeded {
		next.Renditions = u.Renditions
	}
	return next, true
}
