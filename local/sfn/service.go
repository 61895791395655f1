// Package sfn is the local Step Functions service: the AWS JSON 1.0 API that
// the sfn SDK client and `aws stepfunctions` talk to, and the engine that
// runs executions with the ASL interpreter and keeps their histories in the
// data directory, so that a killed `thumbflow dev` picks its executions up
// where they stopped. Its time is the wall clock (local/clock) unless
// Options.Clock says otherwise.
//
// service.go is the engine (executions, resumption, observers) and store.go
// its data directory; the API is in http.go (routing), machines.go,
// executions.go and history.go (the operations), shapes.go (request and
// response members), names.go (names, ARNs, page tokens) and apierror.go.
package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"thumbflow/local/asl"
	"thumbflow/local/clock"
)

// Verifier checks a request's SigV4 signature. It is satisfied by the local
// cloud's sigv4 verifier; errors it returns are rendered as AWS renders
// authentication failures (an ErrorCode method, if present, names the code).
type Verifier interface {
	Verify(r *http.Request, service string) error
}

// Options configure a Service.
type Options struct {
	// DataDir holds state machines, executions and histories; empty keeps
	// everything in memory.
	DataDir string
	// Invoker runs the Lambda functions that Task states call.
	Invoker asl.Invoker
	// Clock drives Wait states, retries, timeouts and timestamps; nil is the
	// wall clock, clock.System.
	Clock asl.Clock
	// Verifier checks request signatures; nil accepts unsigned requests,
	// which only in-process tests should rely on.
	Verifier Verifier
	// Authorizer evaluates the signer's IAM permissions once the signature
	// is verified; nil allows every signed request.
	Authorizer Authorizer
	// Region and AccountID go into the ARNs the service mints.
	Region    string
	AccountID string
	// Logger receives engine events; nil uses slog.Default().
	Logger *slog.Logger
}

// ExecutionSummary describes an execution that ended, for observers such as
// alerting.
type ExecutionSummary struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          string
	StartDate       time.Time
	StopDate        time.Time
	Input           json.RawMessage
	Output          json.RawMessage
	Error           string
	Cause           string
	RedriveCount    int
	RedriveDate     time.Time
}

// program is what the engine needs from a parsed definition. It is the
// surface of *asl.Machine, kept behind an interface so that the engine can
// be tested without the interpreter.
type program interface {
	Run(ctx context.Context, exec asl.Execution, opts asl.Options) asl.Result
	Resume(ctx context.Context, exec asl.Execution, from asl.Checkpoint, opts asl.Options) asl.Result
	Redrive(ctx context.Context, exec asl.Execution, from asl.Checkpoint, opts asl.Options) asl.Result
}

// parseDefinition is set by the file that links the real interpreter.
var parseDefinition func(definition []byte) (program, error)

// Service is the local Step Functions service. It is an http.Handler for
// AWS JSON 1.0 requests and also offers the operations as Go methods.
type Service struct {
	opts  Options
	parse func([]byte) (program, error)
	// compiled shares one program per definition between the executions
	// started from it: a program is read-only once parsed, and a backlog
	// of running executions then costs one copy, not one each.
	compiledMu sync.Mutex
	compiled   map[string]program
	log        *slog.Logger
	store      *store
	// tokens connects .waitForTaskToken tasks with SendTask*.
	tokens *asl.TaskTokens

	ctx    context.Context // cancelled by Close and kill
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool // set under runMu
	killed atomic.Bool
	// runMu orders registering work on wg against Close: once closed is
	// set nothing more is registered, so wg.Wait never races an Add from
	// zero. See begin.
	runMu sync.Mutex

	// mu guards the maps and the machines in them. It may be held while
	// taking an execution's mu, never the other way round.
	mu         sync.Mutex
	machines   map[string]*stateMachine // by unqualified ARN
	executions map[string]*execution    // by ARN
	observers  []func(ExecutionSummary)
	unnotified []*execution // ended before any observer was registered
}

// stateMachine is a state machine's current revision, or (in Versions) one
// of its published versions, whose ARN ends in ":<number>".
type stateMachine struct {
	ARN        string    `json:"arn"`
	Name       string    `json:"name"`
	Definition string    `json:"definition"`
	RoleARN    string    `json:"roleArn"`
	Type       string    `json:"type"`
	Created    time.Time `json:"created"`
	// Updated is the last UpdateStateMachine that changed the machine.
	Updated time.Time `json:"updated,omitzero"`
	// RevisionID names the current revision; AWS assigns none until
	// the first update.
	RevisionID  string            `json:"revisionId,omitempty"`
	Description string            `json:"description,omitempty"` // versions only
	Deleting    bool              `json:"deleting,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Versions    []*stateMachine   `json:"versions,omitempty"` // oldest first
	LastVersion int               `json:"lastVersion,omitempty"`
}

// execution is one run. Fields after mu are guarded by it.
type execution struct {
	ARN             string `json:"arn"`
	Name            string `json:"name"`
	StateMachineARN string `json:"stateMachineArn"`
	// VersionARN is the version the execution was started with, if any.
	VersionARN string `json:"versionArn,omitempty"`
	// Revision and Updated describe the machine as it was at the start,
	// for DescribeStateMachineForExecution.
	Revision   string          `json:"revisionId,omitempty"`
	Updated    time.Time       `json:"updated,omitzero"`
	Definition string          `json:"definition"`
	RoleARN    string          `json:"roleArn"`
	Input      json.RawMessage `json:"input"`
	Start      time.Time       `json:"start"`

	prog   program
	cancel context.CancelCauseFunc
	done   chan struct{}
	log    *execLog

	mu sync.Mutex
	// events is the history, in memory only without a data directory.
	// With one (evicted), the events are only in the log, running or
	// ended, and eventsOf reads them back: the interpreter needs only
	// its checkpoint, so memory does not grow with every execution ever
	// run, nor with the events (one pair per throttle) that a backlog of
	// running executions piles up. last is the latest event's id, type
	// and time either way.
	events   []asl.Event
	evicted  bool
	last     eventMark
	cp       asl.Checkpoint // last checkpoint
	cpEvent  int64          // the event id cp was recorded with
	status   string
	output   json.RawMessage
	errName  string
	cause    string
	stop     time.Time
	notified bool
	// Redrives: how many, the latest's date and client token, and
	// whether the latest has yet to record ExecutionRedriven.
	redriveCount   int
	redriveDate    time.Time
	redriveToken   string
	redrivePending bool
}

func (e *execution) summary() ExecutionSummary {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ExecutionSummary{
		ExecutionARN: e.ARN, StateMachineARN: e.StateMachineARN, Name: e.Name,
		Status: e.status, StartDate: e.Start, StopDate: e.stop,
		Input: e.Input, Output: e.output, Error: e.errName, Cause: e.cause,
		RedriveCount: e.redriveCount, RedriveDate: e.redriveDate,
	}
}

// New opens the service. Executions that were running when the data
// directory was last used resume from their last checkpoint.
func New(opts Options) (*Service, error) {
	if parseDefinition == nil {
		return nil, errors.New("sfn: no ASL interpreter linked")
	}
	return newService(opts, parseDefinition)
}

func newService(opts Options, parse func([]byte) (program, error)) (*Service, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if !validAccount(opts.AccountID) {
		return nil, fmt.Errorf("sfn: account id %q is not 12 digits", opts.AccountID)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Invoker == nil {
		opts.Invoker = noFunctions{}
	}
	s := &Service{
		opts:       opts,
		parse:      parse,
		log:        opts.Logger.With("component", "stepfunctions"),
		machines:   map[string]*stateMachine{},
		executions: map[string]*execution{},
		tokens:     asl.NewTaskTokens(),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	st, err := openStore(opts.DataDir)
	if err != nil {
		return nil, err
	}
	s.store = st
	machines, execs, err := st.load()
	if err != nil {
		return nil, err
	}
	for _, m := range machines {
		s.machines[m.ARN] = m
	}
	var resume []*execution
	for _, e := range execs {
		s.executions[e.ARN] = e
		if e.status != asl.StatusRunning {
			e.evict()
		}
		switch {
		case e.status == asl.StatusRunning:
			resume = append(resume, e)
		case !e.notified:
			s.unnotified = append(s.unnotified, e)
		}
	}
	sort.Slice(resume, func(i, j int) bool { return resume[i].Start.Before(resume[j].Start) })
	for _, e := range resume {
		prog, err := s.parse([]byte(e.Definition))
		if err != nil {
			s.log.Error("cannot resume execution: definition no longer parses", "execution", e.ARN, "error", err)
			s.finish(e, asl.Result{Status: asl.StatusFailed, Error: "States.Runtime", Cause: "definition no longer valid: " + err.Error()})
			continue
		}
		e.prog = prog
		mode := launchResume
		if e.redrivePending {
			// Redriven, but ExecutionRedriven is not recorded yet: the
			// history ends with the previous run's terminal event, which
			// stays.
			mode = launchRedrive
		} else if err := e.rewindToCheckpoint(); err != nil {
			return nil, fmt.Errorf("sfn: resuming %s: %w", e.ARN, err)
		}
		e.evict()
		s.log.Info("resuming execution", "execution", e.ARN, "fromEvent", e.cpEvent)
		s.launch(e, mode)
	}
	for _, m := range machines {
		if m.Deleting {
			s.purgeIfIdle(m.ARN)
		}
	}
	return s, nil
}

// Close stops the engine: running executions are interrupted without a
// terminal event, so that the next New on the same data directory resumes
// them. It waits for them to let go of the data directory.
func (s *Service) Close() error {
	s.runMu.Lock()
	already := s.closed.Swap(true)
	s.runMu.Unlock()
	if already {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	return s.store.close()
}

// kill simulates the process dying: nothing more is written, nothing is
// waited for.
func (s *Service) kill() {
	s.killed.Store(true)
	s.runMu.Lock()
	s.closed.Store(true)
	s.runMu.Unlock()
	s.store.kill()
	s.cancel()
}

// OnExecutionEnd registers fn to be called once for every execution that
// ends. Executions that ended while no observer was registered (including
// before a restart) are delivered to the first observer, so register it right
// after New.
func (s *Service) OnExecutionEnd(fn func(ExecutionSummary)) {
	s.mu.Lock()
	s.observers = append(s.observers, fn)
	pending := s.unnotified
	s.unnotified = nil
	s.mu.Unlock()
	for _, e := range pending {
		s.notify(e, []func(ExecutionSummary){fn})
	}
}

func (s *Service) notify(e *execution, observers []func(ExecutionSummary)) {
	sum := e.summary()
	for _, fn := range observers {
		func() {
			defer func() {
				if v := recover(); v != nil {
					s.log.Error("execution observer panicked", "execution", e.ARN, "panic", fmt.Sprint(v))
				}
			}()
			fn(sum)
		}()
	}
	e.mu.Lock()
	e.notified = true
	e.mu.Unlock()
	if err := e.log.append(logRecord{Notified: true}, false); err != nil {
		s.log.Error("recording notification", "execution", e.ARN, "error", err)
	}
}

// begin registers a piece of work (such as StartExecution) that Close must
// wait for, unless the service is closing. The caller calls s.wg.Done when
// the work is over.
func (s *Service) begin() bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.closed.Load() {
		return false
	}
	s.wg.Add(1)
	return true
}

// How launch starts the interpreter.
type launchMode int

const (
	launchRun     launchMode = iota // from the start
	launchResume                    // from the last checkpoint, after a restart
	launchRedrive                   // from the last checkpoint, after RedriveExecution
)

// launch runs e on its own goroutine. The caller holds a begin
// registration, or the service is not yet published (New), so the
// WaitGroup is never Added from zero while Close waits on it.
func (s *Service) launch(e *execution, mode launchMode) {
	ctx, cancel := context.WithCancelCause(s.ctx)
	e.mu.Lock()
	e.cancel = cancel
	e.done = make(chan struct{})
	e.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel(nil)
		e.mu.Lock()
		exec := asl.Execution{
			ARN: e.ARN, Name: e.Name, StateMachineARN: e.StateMachineARN,
			StateMachineName: nameFromARN(e.StateMachineARN), RoleARN: e.RoleARN,
			StartTime: e.Start, Input: e.Input,
			RedriveCount: e.redriveCount, RedriveTime: e.redriveDate,
		}
		lastID := e.last.ID
		e.mu.Unlock()
		opts := asl.Options{Clock: s.opts.Clock, Invoker: s.opts.Invoker, Tokens: s.tokens, Record: func(ev asl.Event, cp asl.Checkpoint) error {
			return s.record(e, ev, cp)
		}}
		var res asl.Result
		func() {
			defer func() {
				if v := recover(); v != nil {
					s.log.Error("interpreter panicked", "execution", e.ARN, "panic", fmt.Sprint(v))
					res = asl.Result{Status: asl.StatusFailed, Error: "States.Runtime", Cause: fmt.Sprintf("internal error: %v", v)}
				}
			}()
			e.mu.Lock()
			cp := e.cp
			e.mu.Unlock()
			switch {
			case mode == launchRedrive && cp != nil:
				opts.LastEventID = lastID
				res = e.prog.Redrive(ctx, exec, cp, opts)
			case mode == launchResume && cp != nil:
				res = e.prog.Resume(ctx, exec, cp, opts)
			default:
				res = e.prog.Run(ctx, exec, opts)
			}
		}()
		if res.Status == "" {
			// Interrupted: shutdown, a kill, or a failed write. The
			// execution stays RUNNING and resumes on the next start.
			s.log.Info("execution interrupted", "execution", e.ARN)
			return
		}
		s.finish(e, res)
	}()
}

// record persists one history event before the interpreter moves past it.
func (s *Service) record(e *execution, ev asl.Event, cp asl.Checkpoint) error {
	if s.killed.Load() {
		return errKilled
	}
	if err := e.log.append(logRecord{Event: &ev, Checkpoint: cp}, false); err != nil {
		s.log.Error("recording history event", "execution", e.ARN, "event", ev.ID, "error", err)
		return err
	}
	e.mu.Lock()
	e.keep(ev)
	e.redrivePending = false
	if cp != nil {
		e.cp, e.cpEvent = cp, ev.ID
	}
	e.mu.Unlock()
	return nil
}

var errKilled = errors.New("sfn: service killed")

// program returns the compiled definition, parsing it the first time.
func (s *Service) program(definition string) (program, error) {
	s.compiledMu.Lock()
	defer s.compiledMu.Unlock()
	if p, ok := s.compiled[definition]; ok {
		return p, nil
	}
	p, err := s.parse([]byte(definition))
	if err != nil {
		return nil, err
	}
	if s.compiled == nil || len(s.compiled) >= 16 { // edits are rare: keep the last few
		s.compiled = map[string]program{}
	}
	s.compiled[definition] = p
	return p, nil
}

// eventMark is what the service needs of an execution's latest event:
// its id (a redrive or a resumed run numbers on from it) and its type and
// time (StopDate).
type eventMark struct {
	ID   int64
	Type string
	Time time.Time
}

// keep notes ev as e's latest event, and keeps it in memory unless e's
// events are only in its log; e.mu must be held (or e not yet shared).
func (e *execution) keep(ev asl.Event) {
	e.last = eventMark{ID: ev.ID, Type: ev.Type, Time: ev.Timestamp}
	if !e.evicted {
		e.events = append(e.events, ev)
	}
}

// evict drops e's events from memory: from now on they are only in its
// log. e.mu must be held (or e not yet shared).
func (e *execution) evict() {
	e.events, e.evicted = nil, true
}

// eventsOf returns a copy of e's events, read back from its log when they
// are only there.
func (s *Service) eventsOf(e *execution) ([]asl.Event, error) {
	e.mu.Lock()
	if !e.evicted {
		events := append([]asl.Event(nil), e.events...)
		e.mu.Unlock()
		return events, nil
	}
	e.mu.Unlock()
	return s.store.readEvents(e.ARN)
}

// isExecutionEnd reports whether a history event type ends the execution.
func isExecutionEnd(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
		return true
	}
	return false
}

// finish records how e ended and tells the observers, once.
func (s *Service) finish(e *execution, res asl.Result) {
	if s.killed.Load() {
		return
	}
	// The execution stopped when its terminal history event was recorded:
	// StopDate is that event's timestamp, as in Step Functions, not the
	// (later, on a loaded machine or a fast clock noticeably later) moment
	// finish runs. An interpreter that records no terminal event falls
	// back to now.
	stop := s.opts.Clock.Now()
	e.mu.Lock()
	if isExecutionEnd(e.last.Type) {
		stop = e.last.Time
	}
	e.mu.Unlock()
	end := &endRecord{Status: res.Status, Output: res.Output, Error: res.Error, Cause: res.Cause, Stop: stop}
	if err := e.log.append(logRecord{End: end}, true); err != nil {
		s.log.Error("recording execution end", "execution", e.ARN, "error", err)
	}
	e.mu.Lock()
	e.status, e.output, e.errName, e.cause, e.stop = res.Status, res.Output, res.Error, res.Cause, stop
	if s.store.dir != "" {
		e.evict() // already, unless loaded in memory by a test
	}
	// A redrive compiles the definition again, as after a restart.
	e.prog = nil
	done := e.done
	e.mu.Unlock()
	if done != nil {
		close(done)
	}
	s.log.Info("execution ended", "execution", e.ARN, "status", res.Status, "error", res.Error)
	s.mu.Lock()
	observers := slices.Clone(s.observers)
	if len(observers) == 0 {
		s.unnotified = append(s.unnotified, e)
	}
	s.mu.Unlock()
	if len(observers) > 0 {
		s.notify(e, observers)
	}
	s.purgeIfIdle(e.StateMachineARN)
}

// noFunctions is the Invoker of a service configured without one: every
// function is missing, as it would be in an empty account.
type noFunctions struct{}

func (noFunctions) Invoke(_ context.Context, function string, _ []byte) ([]byte, error) {
	return nil, &asl.ServiceError{Name: "Lambda.ResourceNotFoundException", Cause: "Function not found: " + function + " (no functions are registered with the local cloud)"}
}
