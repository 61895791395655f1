package asl

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// waitForTaskToken is the Lambda integration that hands the function a
// task token and waits for SendTaskSuccess or SendTaskFailure with it.
const waitForTaskToken = "arn:aws:states:::lambda:invoke.waitForTaskToken"

// Errors of TaskTokens' methods, which the API reports as InvalidToken,
// TaskDoesNotExist and TaskTimedOut.
var (
	ErrInvalidToken     = errors.New("invalid task token")
	ErrTaskDoesNotExist = errors.New("task does not exist")
	ErrTaskTimedOut     = errors.New("task no longer waits for its token")
)

// TaskTokens connects the tasks that wait for a task token
// (.waitForTaskToken) with the callbacks SendTaskSuccess, SendTaskFailure
// and SendTaskHeartbeat. One value serves every execution of a service;
// the zero value is not usable, use NewTaskTokens.
//
// A token names its execution, the event that entered its state and the
// attempt, so a task that re-runs after a restart (from its checkpoint,
// with the same entered event) waits for the token it handed out before.
type TaskTokens struct {
	mu      sync.Mutex
	waiting map[string]*tokenWait
	closed  map[string]bool // answered or timed out: TaskTimedOut
}

// NewTaskTokens returns an empty set of waiting tasks.
func NewTaskTokens() *TaskTokens {
	return &TaskTokens{waiting: map[string]*tokenWait{}, closed: map[string]bool{}}
}

type tokenWait struct {
	clock    Clock
	done     chan tokenResult // buffered: the first callback wins
	beat     chan struct{}    // buffered: a heartbeat arrived
	lastBeat time.Time        // guarded by TaskTokens.mu
}

type tokenResult struct {
	output      json.RawMessage
	failed      bool
	name, cause string
}

type tokenClaims struct {
	Execution string `json:"e"`
	Entered   int64  `json:"s"`
	Attempt   int64  `json:"a"`
}

func newTaskToken(execution string, entered, attempt int64) string {
	b, _ := json.Marshal(tokenClaims{execution, entered, attempt})
	return base64.RawURLEncoding.EncodeToString(b)
}

func (tt *TaskTokens) register(token string, clk Clock) *tokenWait {
	w := &tokenWait{clock: clk, done: make(chan tokenResult, 1), beat: make(chan struct{}, 1), lastBeat: clk.Now()}
	tt.mu.Lock()
	tt.waiting[token] = w
	delete(tt.closed, token)
	tt.mu.Unlock()
	return w
}

// release ends the wait for token; later callbacks with it are
// TaskTimedOut.
func (tt *TaskTokens) release(token string, w *tokenWait) {
	tt.mu.Lock()
	if tt.waiting[token] == w {
		delete(tt.waiting, token)
		tt.closed[token] = true
	}
	tt.mu.Unlock()
}

// lookupLocked finds the task waiting for token; tt.mu must be held.
func (tt *TaskTokens) lookupLocked(token string) (*tokenWait, error) {
	if w, ok := tt.waiting[token]; ok {
		return w, nil
	}
	if tt.closed[token] {
		return nil, ErrTaskTimedOut
	}
	var c tokenClaims
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Execution == "" {
		return nil, ErrInvalidToken
	}
	return nil, ErrTaskDoesNotExist
}

func (tt *TaskTokens) answer(token string, res tokenResult) error {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	w, err := tt.lookupLocked(token)
	if err != nil {
		return err
	}
	delete(tt.waiting, token)
	tt.closed[token] = true
	w.done <- res
	return nil
}

// Succeed completes the task waiting for token with output (JSON).
func (tt *TaskTokens) Succeed(token string, output json.RawMessage) error {
	return tt.answer(token, tokenResult{output: output})
}

// Fail fails the task waiting for token with the error and cause, which
// its Retry and Catch see.
func (tt *TaskTokens) Fail(token, name, cause string) error {
	return tt.answer(token, tokenResult{failed: true, name: name, cause: cause})
}

// Heartbeat restarts the HeartbeatSeconds count of the task waiting for
// token.
func (tt *TaskTokens) Heartbeat(token string) error {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	w, err := tt.lookupLocked(token)
	if err != nil {
		return err
	}
	w.lastBeat = w.clock.Now()
	select {
	case w.beat <- struct{}{}:
	default:
	}
	return nil
}

func (tt *TaskTokens) lastBeat(w *tokenWait) time.Time {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return w.lastBeat
}

// awaitToken waits for the callback of the task waiting in w, under the
// task's TimeoutSeconds (counted from started) and HeartbeatSeconds
// (counted from the latest heartbeat). It returns the callback, or the
// name of the limit that ran out.
func (sr *stateRun) awaitToken(ctx context.Context, tt *TaskTokens, w *tokenWait, started time.Time, timeout, heartbeat int64) (tokenResult, string, error) {
	clk := sr.t.r.clock
	for {
		var deadline time.Time
		limit := ""
		if timeout > 0 {
			deadline, limit = started.Add(time.Duration(timeout)*time.Second), "States.Timeout"
		}
		if heartbeat > 0 {
			hb := tt.lastBeat(w).Add(time.Duration(heartbeat) * time.Second)
			if limit == "" || hb.Before(deadline) {
				deadline, limit = hb, "States.HeartbeatTimeout"
			}
		}
		if limit != "" && !clk.Now().Before(deadline) {
			return tokenResult{}, limit, nil
		}
		sleepCtx, cancel := context.WithCancel(ctx)
		var timer chan error
		if limit != "" {
			timer = make(chan error, 1)
			go func() { timer <- clk.Sleep(sleepCtx, deadline.Sub(clk.Now())) }()
		}
		select {
		case res := <-w.done:
			cancel()
			return res, "", nil
		case <-w.beat:
		case <-timer:
		case <-ctx.Done():
			cancel()
			return tokenResult{}, "", ctx.Err()
		}
		cancel()
		// A heartbeat or a timer: compute the limits again.
	}
}
