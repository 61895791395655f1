package upload

import (
	"reflect"
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
	// Version grows by one with every change, across generations, so a
	// client that receives two records out of order keeps the newer one.
	Version int `json:"version"`
	// Generation counts the conversions of this upload, from 1: an
	// operator's retry starts generation n+1 at converting. Within a
	// generation the state only moves forward.
	Generation int `json:"generation"`
	// ConvertingAt is when the current generation started converting,
	// for the conversion time the status function reports.
	ConvertingAt time.Time `json:"convertingAt,omitzero"`
	// Attempt is the conversion attempt under way or last made, from 1;
	// 0 before conversion starts. It counts real runs of the converter
	// (Runs), never the Convert task's throttled tries: a throttle is a
	// wait for a slot, not a failed conversion.
	Attempt int `json:"attempt"`
	// Runs counts the converter's real runs in this generation: handler
	// invocations that began converting, each reported by a run update
	// (Update.Run). It restarts at every generation.
	Runs       int         `json:"runs,omitempty"`
	Error      *Failure    `json:"error,omitempty"`
	Renditions []Rendition `json:"renditions,omitempty"`
	// Execution is the name of the current generation's execution. The
	// record is served to browsers, so it holds the name and never the ARN,
	// which carries the account id and region: operators derive the ARN
	// with ExecutionARN from the state machine they already know.
	Execution string    `json:"execution,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Update is a change reported by the pipeline.
type Update struct {
	UploadID   string      `json:"uploadId"`
	State      State       `json:"state"`
	Attempt    int         `json:"attempt,omitempty"`
	Error      *Failure    `json:"error,omitempty"`
	Renditions []Rendition `json:"renditions,omitempty"`
	// Execution names the execution reporting the update (its name, not
	// its ARN; see Record.Execution).
	Execution string `json:"execution,omitempty"`
	// Generation is the generation the update belongs to; 0 takes it from
	// Execution (GenerationOf), or else means the record's current one.
	Generation int `json:"generation,omitempty"`
	// Run marks the converter's report that a real run has begun (State
	// is StateConverting). Only the handler sees real runs: a throttled
	// try of the Convert task never reaches it, while $$.State.RetryCount
	// counts throttles too. Apply counts the run; the second and later
	// runs of a generation show as retrying with attempt = runs.
	Run bool `json:"run,omitempty"`
	// TaskError is the Step Functions error and cause of a failure, for
	// the operator's failure record; never shown to the user.
	TaskError *TaskError `json:"-"`
}

// Apply returns the record after u, and whether anything changed. It is
// the one rule of how a record moves. Updates that would move the record
// backwards (a late duplicate, a retried notify step), change a terminal
// record, or belong to an older generation are ignored rather than
// rejected: the pipeline delivers at least once, so seeing them is
// normal. The one way out of a terminal state is the next generation's
// converting, which an operator's retry starts. A run update (Update.Run)
// counts one of the converter's real runs instead (Record.run).
func (r Record) Apply(u Update, now time.Time) (Record, bool) {
	cur := max(r.Generation, 1) // records written before generations are the first
	gen := u.Generation
	if gen == 0 {
		gen = cur
		if u.Execution != "" {
			gen = GenerationOf(u.Execution)
		}
	}
	switch {
	case gen < cur:
		return r, false
	case gen > cur:
		if r.UploadID == "" || !r.State.Terminal() || u.State != StateConverting {
			return r, false
		}
		next := r.nextGeneration(u, gen, now)
		if u.Run {
			next.Runs = 1
		}
		return next, true
	}
	if r.State.Terminal() {
		return r, false
	}
	if u.Run {
		return r.run(u, cur, now), true
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
	next.Generation = cur
	next.State = u.State
	next.Version++
	next.UpdatedAt = now
	next.Attempt = max(r.Attempt, u.Attempt)
	if u.State == StateConverting && next.Attempt == 0 {
		next.Attempt = 1
	}
	if u.State.rank() >= StateConverting.rank() && next.ConvertingAt.IsZero() {
		next.ConvertingAt = now
	}
	if u.Execution != "" {
		next.Execution = u.Execution
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

// run is r after a run update of its own generation: one more real run,
// shown as retrying (attempt = runs) from the second run on. The first
// run leaves what the user sees as it was (converting, attempt 1), so
// the publisher pushes nothing for it (SameForUser). The state never
// moves backwards, whatever the runs: a record already retrying stays so.
func (r Record) run(u Update, gen int, now time.Time) Record {
	next := r
	if next.UploadID == "" {
		next.UploadID = u.UploadID
		next.CreatedAt = now
	}
	next.Generation = gen
	next.Runs = r.Runs + 1
	state := StateConverting
	if next.Runs > 1 {
		state = StateRetrying
	}
	if state.rank() > next.State.rank() {
		next.State = state
	}
	next.Attempt = max(r.Attempt, next.Runs)
	next.Version++
	next.UpdatedAt = now
	if next.ConvertingAt.IsZero() {
		next.ConvertingAt = now
	}
	if u.Execution != "" {
		next.Execution = u.Execution
	}
	return next
}

// SameForUser reports whether r and o show a user the same thing: they
// differ at most in bookkeeping (Runs) and in when and as which version
// they were written. The publisher pushes only a record that differs.
func (r Record) SameForUser(o Record) bool {
	r.Runs, o.Runs = 0, 0
	r.Version, o.Version = 0, 0
	r.UpdatedAt, o.UpdatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(r, o)
}

// nextGeneration is r restarted at converting as generation gen: the
// previous outcome is cleared, the version keeps counting.
func (r Record) nextGeneration(u Update, gen int, now time.Time) Record {
	next := r
	next.Generation = gen
	next.State = StateConverting
	next.Version++
	next.Attempt = 1
	next.Runs = 0
	next.Error = nil
	next.Renditions = nil
	next.ConvertingAt = now
	next.UpdatedAt = now
	if u.Execution != "" {
		next.Execution = u.Execution
	}
	return next
}
