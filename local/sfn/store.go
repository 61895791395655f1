package sfn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"thumbflow/local/asl"
)

// The data directory layout:
//
//	stepfunctions/statemachines.json        all state machines, replaced atomically
//	stepfunctions/executions/<hash>.jsonl   one append-only log per execution
//
// An execution log is a sequence of logRecords, one JSON object per line,
// each written with a single write(2) so that a killed process leaves whole
// lines behind. The log is fsynced when the execution starts and when it
// ends; the records in between survive a process kill (they are in the page
// cache) but not a power cut, after which the execution resumes from an
// earlier checkpoint.
type store struct {
	dir    string // empty: in memory
	killed atomic.Bool

	mu   sync.Mutex
	logs []*execLog
}

type logRecord struct {
	Start      *execution      `json:"start,omitempty"`
	Event      *asl.Event      `json:"event,omitempty"`
	Checkpoint json.RawMessage `json:"cp,omitempty"`
	// Rewind drops the events after this id: they were recorded after the
	// last checkpoint and are re-recorded by the resumed run.
	Rewind   *int64     `json:"rewind,omitempty"`
	End      *endRecord `json:"end,omitempty"`
	Notified bool       `json:"notified,omitempty"`
	// Redrive reopens an execution that ended: RedriveExecution.
	Redrive *redriveRecord `json:"redrive,omitempty"`
}

type redriveRecord struct {
	Count       int       `json:"count"`
	Date        time.Time `json:"date"`
	ClientToken string    `json:"clientToken,omitempty"`
}

type endRecord struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
	Stop   time.Time       `json:"stop"`
}

func openStore(dataDir string) (*store, error) {
	if dataDir == "" {
		return &store{}, nil
	}
	dir := filepath.Join(dataDir, "stepfunctions")
	if err := os.MkdirAll(filepath.Join(dir, "executions"), 0o755); err != nil {
		return nil, fmt.Errorf("sfn: opening data directory: %w", err)
	}
	return &store{dir: dir}, nil
}

func (st *store) kill() { st.killed.Store(true) }

func (st *store) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	var errs []error
	for _, l := range st.logs {
		errs = append(errs, l.close())
	}
	st.logs = nil
	return errors.Join(errs...)
}

// saveMachines replaces the state machine file atomically.
func (st *store) saveMachines(ms []*stateMachine) error {
	if st.dir == "" || st.killed.Load() {
		return nil
	}
	b, err := json.MarshalIndent(ms, "", "  ")
	if err != nil {
		return fmt.Errorf("sfn: encoding state machines: %w", err)
	}
	path := filepath.Join(st.dir, "statemachines.json")
	tmp := path + ".tmp"
	if err := writeSynced(tmp, b); err != nil {
		return fmt.Errorf("sfn: saving state machines: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sfn: saving state machines: %w", err)
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// create starts the log of a new execution, durably.
func (st *store) create(e *execution) (*execLog, error) {
	if st.dir == "" {
		return nil, nil
	}
	if st.killed.Load() {
		return nil, errKilled
	}
	f, err := os.OpenFile(st.logPath(e.ARN), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sfn: creating execution log: %w", err)
	}
	l := st.track(f)
	if err := l.append(logRecord{Start: e}, true); err != nil {
		l.close()
		os.Remove(f.Name())
		return nil, err
	}
	return l, nil
}

func (st *store) track(f *os.File) *execLog {
	l := &execLog{f: f, st: st}
	st.mu.Lock()
	st.logs = append(st.logs, l)
	st.mu.Unlock()
	return l
}

func (st *store) logPath(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return filepath.Join(st.dir, "executions", hex.EncodeToString(sum[:16])+".jsonl")
}

// load reads back everything a previous process wrote.
func (st *store) load() ([]*stateMachine, []*execution, error) {
	if st.dir == "" {
		return nil, nil, nil
	}
	var machines []*stateMachine
	b, err := os.ReadFile(filepath.Join(st.dir, "statemachines.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("sfn: reading state machines: %w", err)
	default:
		if err := json.Unmarshal(b, &machines); err != nil {
			return nil, nil, fmt.Errorf("sfn: reading state machines: %w", err)
		}
	}
	paths, err := filepath.Glob(filepath.Join(st.dir, "executions", "*.jsonl"))
	if err != nil {
		return nil, nil, fmt.Errorf("sfn: listing executions: %w", err)
	}
	sort.Strings(paths)
	var execs []*execution
	for _, p := range paths {
		e, err := st.loadExecution(p)
		if err != nil {
			return nil, nil, err
		}
		if e != nil {
			execs = append(execs, e)
		}
	}
	return machines, execs, nil
}

func (st *store) loadExecution(path string) (*execution, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sfn: reading execution log: %w", err)
	}
	var e *execution
	cps := map[int64]asl.Checkpoint{}
	torn := 0 // bytes of a torn final record, cut off below
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec logRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			if i == len(lines)-1 {
				torn = len(line) // torn final write: the process died mid-line
				break
			}
			return nil, fmt.Errorf("sfn: %s line %d: %w", path, i+1, err)
		}
		switch {
		case rec.Start != nil:
			e = rec.Start
			e.status = asl.StatusRunning
		case e == nil:
			return nil, fmt.Errorf("sfn: %s: record before the start record", path)
		case rec.Event != nil:
			e.keep(*rec.Event)
			e.redrivePending = false
			if rec.Checkpoint != nil {
				cps[rec.Event.ID] = rec.Checkpoint
				e.cp, e.cpEvent = rec.Checkpoint, rec.Event.ID
			}
		case rec.Rewind != nil:
			e.truncate(*rec.Rewind)
			e.cp, e.cpEvent = nil, 0
			for id, cp := range cps {
				if id <= *rec.Rewind && id > e.cpEvent {
					e.cp, e.cpEvent = cp, id
				}
			}
		case rec.End != nil:
			e.status, e.output, e.errName, e.cause, e.stop = rec.End.Status, rec.End.Output, rec.End.Error, rec.End.Cause, rec.End.Stop
		case rec.Notified:
			e.notified = true
		case rec.Redrive != nil:
			e.reopen(*rec.Redrive)
		}
	}
	if e == nil {
		// The process died between creating the file and writing the
		// start record, before StartExecution answered: nothing started.
		os.Remove(path)
		return nil, nil
	}
	// A torn record is cut off rather than ended with a newline: ended,
	// it would be a bad line in the middle of the log once more records
	// follow, and the next start would refuse the whole data directory.
	if torn > 0 {
		if err := os.Truncate(path, int64(len(b)-torn)); err != nil {
			return nil, fmt.Errorf("sfn: cutting the torn record off %s: %w", path, err)
		}
		b = b[:len(b)-torn]
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sfn: reopening execution log: %w", err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		f.Write([]byte("\n")) // a whole final record without its newline: end it so that appends stay whole
	}
	e.log = st.track(f)
	return e, nil
}

// readEvents reads an execution's events back from its log, with its
// rewinds applied, as loadExecution reads them.
func (st *store) readEvents(arn string) ([]asl.Event, error) {
	b, err := os.ReadFile(st.logPath(arn))
	if err != nil {
		return nil, fmt.Errorf("sfn: reading execution log: %w", err)
	}
	e := &execution{}
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec logRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			if i == len(lines)-1 {
				break // torn final write
			}
			return nil, fmt.Errorf("sfn: %s line %d: %w", arn, i+1, err)
		}
		switch {
		case rec.Event != nil:
			e.events = append(e.events, *rec.Event)
		case rec.Rewind != nil:
			e.truncate(*rec.Rewind)
		}
	}
	return e.events, nil
}

// truncate drops events after id.
func (e *execution) truncate(id int64) {
	if e.last.ID > id {
		// The run that follows records events of its own before it
		// ends, so only the id matters here.
		e.last = eventMark{ID: id}
	}
	n := 0
	for _, ev := range e.events {
		if ev.ID <= id {
			e.events[n] = ev
			n++
		}
	}
	e.events = e.events[:n]
}

// rewindToCheckpoint drops the events recorded after the last checkpoint,
// which the resumed run records again.
func (e *execution) rewindToCheckpoint() error {
	e.mu.Lock()
	last := e.last.ID
	id := e.cpEvent
	if e.cp == nil {
		id = 0
	}
	e.mu.Unlock()
	if last <= id {
		return nil
	}
	if err := e.log.append(logRecord{Rewind: &id}, false); err != nil {
		return err
	}
	e.mu.Lock()
	e.truncate(id)
	e.mu.Unlock()
	return nil
}

// execLog is one execution's append-only log; a nil *execLog (in-memory
// service) accepts and forgets every record.
type execLog struct {
	st *store

	mu sync.Mutex
	f  *os.File
}

func (l *execLog) append(rec logRecord, sync bool) error {
	if l == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(rec); err != nil {
		return fmt.Errorf("sfn: encoding log record: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st.killed.Load() {
		return errKilled
	}
	if l.f == nil {
		return errors.New("sfn: execution log closed")
	}
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("sfn: writing %s: %w", strings.TrimPrefix(l.f.Name(), l.st.dir), err)
	}
	if sync {
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("sfn: syncing %s: %w", l.f.Name(), err)
		}
	}
	return nil
}

func (l *execLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
