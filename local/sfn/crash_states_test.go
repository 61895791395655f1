package sfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"thumbflow/local/asl"
)

// crashWorkflow is made for the crash tests: a Pass, then two Tasks, one
// through each Lambda integration, so that a crash can fall before, inside
// and after each invocation.
const crashWorkflow = `{"StartAt":"P","States":{
  "P":{"Type":"Pass","Result":{"n":1},"Next":"A"},
  "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:a","ResultPath":"$.a","Next":"B"},
  "B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"b","Payload.$":"$"},"ResultSelector":{"b.$":"$.Payload"},"End":true}}}`

// crashLog is the reference execution log's records, in order: what each
// line of a complete log must be, so that the table below names real
// crash points.
var crashLog = []string{
	"start",
	"ExecutionStarted", "PassStateEntered", "PassStateExited",
	"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
	"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
	"ExecutionSucceeded",
	"end", "notified",
}

// countingInvoker answers every function with {"ok":true} and counts the
// invocations of each; while hold is set it blocks until ctx ends instead,
// as a function that is running when the process dies.
type countingInvoker struct {
	mu    sync.Mutex
	calls map[string]int
	hold  bool
	held  chan struct{} // receives when a held invocation has begun
}

func newCountingInvoker() *countingInvoker {
	return &countingInvoker{calls: map[string]int{}, held: make(chan struct{}, 8)}
}

func (c *countingInvoker) Invoke(ctx context.Context, fn string, _ []byte) ([]byte, error) {
	fn = fn[strings.LastIndexByte(fn, ':')+1:]
	c.mu.Lock()
	c.calls[fn]++
	hold := c.hold
	c.mu.Unlock()
	if hold {
		c.held <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return []byte(`{"ok":true}`), nil
}

func (c *countingInvoker) count(fn string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[fn]
}

// crashRef runs crashWorkflow to the end on a data directory and returns
// the state machine file and the execution log's lines, each with its
// newline, after checking that they are the records crashLog names.
func crashRef(t *testing.T) (machines []byte, lines [][]byte, arn string, output string) {
	t.Helper()
	dir := t.TempDir()
	inv := newCountingInvoker()
	s, err := New(Options{DataDir: dir, Invoker: inv, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan ExecutionSummary, 1)
	s.OnExecutionEnd(func(sum ExecutionSummary) { ended <- sum })
	sm, err := s.CreateStateMachine(CreateStateMachineInput{Name: "m", RoleARN: role, Definition: crashWorkflow})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN, Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	sum := waitEnded(t, ended)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if sum.Status != asl.StatusSucceeded {
		t.Fatalf("reference run ended %+v", sum)
	}
	machines, err = os.ReadFile(filepath.Join(dir, "stepfunctions", "statemachines.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.store.logPath(ex.ExecutionARN))
	if err != nil {
		t.Fatal(err)
	}
	lines = bytes.SplitAfter(b, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	var kinds []string
	for _, l := range lines {
		var rec logRecord
		if err := json.Unmarshal(l, &rec); err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Start != nil:
			kinds = append(kinds, "start")
		case rec.Event != nil:
			kinds = append(kinds, rec.Event.Type)
		case rec.End != nil:
			kinds = append(kinds, "end")
		case rec.Notified:
			kinds = append(kinds, "notified")
		default:
			kinds = append(kinds, string(l))
		}
	}
	if !slices.Equal(kinds, crashLog) {
		t.Fatalf("reference log records\n %v\nwant\n %v", kinds, crashLog)
	}
	return machines, lines, ex.ExecutionARN, string(sum.Output)
}

func waitEnded(t *testing.T, ended <-chan ExecutionSummary) ExecutionSummary {
	t.Helper()
	select {
	case sum := <-ended:
		return sum
	case <-time.After(30 * time.Second): // only a hang reaches this
		t.Fatal("the execution did not end within 30 s")
		return ExecutionSummary{}
	}
}

// seedDir writes the state machine file and an execution log holding log
// into a fresh data directory, as a process killed at that point leaves it.
func seedDir(t *testing.T, machines []byte, logPath string, log []byte) string {
	t.Helper()
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(st.dir, "statemachines.json"), machines, 0o644); err != nil {
		t.Fatal(err)
	}
	// A state machine write interrupted after its temporary file.
	if err := os.WriteFile(filepath.Join(st.dir, "statemachines.json.tmp"), machines[:len(machines)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(st.dir, "executions", filepath.Base(logPath)), log, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCrashStatesExecutions starts the service on every on-disk state that
// a kill can leave an execution log in: each prefix of the reference log's
// records (appends are single writes, so a kill leaves whole lines), each
// with the next record torn halfway (a power cut), and an empty file (a
// kill between creating the log and writing its start record). For each,
// the table says what the restarted service must do: how often each
// function runs again (a task whose exit is recorded never runs again;
// one in flight, or whose result is recorded but not its exit, runs once
// more: the checkpoint is the state's entry until it exits), and whether
// the end is announced.
// Every resumed execution must then end SUCCEEDED with the reference
// output and a whole history, and a second restart must change nothing.
func TestCrashStatesExecutions(t *testing.T) {
	machines, lines, arn, output := crashRef(t)
	logPath := (&store{dir: "x"}).logPath(arn)
	// keep: the whole records kept; a, b: invocations after the restart;
	// announced: whether OnExecutionEnd hears of it after the restart.
	table := []struct {
		keep      int
		a, b      int
		announced bool
	}{
		{0, 0, 0, false}, // nothing started: the start record never landed
		{1, 1, 1, true},
		{2, 1, 1, true},
		{3, 1, 1, true},
		{4, 1, 1, true},
		{5, 1, 1, true},
		{6, 1, 1, true},  // A scheduled: in flight, runs again
		{7, 1, 1, true},  // A started: in flight, runs again
		{8, 1, 1, true},  // A's result recorded, its exit not: at least once, A runs again
		{9, 0, 1, true},  // A exited
		{10, 0, 1, true}, // B entered
		{11, 0, 1, true}, // B scheduled
		{12, 0, 1, true}, // B started
		{13, 0, 1, true}, // B's result recorded, its exit not: B runs again
		{14, 0, 0, true}, // B exited
		{15, 0, 0, true}, // ExecutionSucceeded recorded, the end record not
		{16, 0, 0, true}, // ended, never announced
		{17, 0, 0, false},
	}
	if len(table) != len(crashLog)+1 {
		t.Fatalf("the table has %d rows for %d records", len(table), len(crashLog))
	}
	for _, row := range table {
		whole := bytes.Join(lines[:row.keep], nil)
		states := map[string][]byte{"whole": whole}
		if row.keep < len(lines) {
			next := lines[row.keep]
			states["torn"] = append(slices.Clip(whole), next[:len(next)/2]...)
		}
		for kind, log := range states {
			t.Run(crashLog[max(row.keep-1, 0)]+"/"+kind+"/"+itoa(row.keep), func(t *testing.T) {
				dir := seedDir(t, machines, logPath, log)
				inv := newCountingInvoker()
				s, err := New(Options{DataDir: dir, Invoker: inv, Logger: quiet})
				if err != nil {
					t.Fatalf("restart on this state: %v", err)
				}
				defer s.Close()
				ended := make(chan ExecutionSummary, 4)
				s.OnExecutionEnd(func(sum ExecutionSummary) { ended <- sum })
				if row.keep == 0 {
					if _, err := s.DescribeExecution(arn); !isCode(err, "ExecutionDoesNotExist") {
						t.Errorf("an execution whose start was never recorded: %v, want ExecutionDoesNotExist", err)
					}
					if _, err := os.Stat(filepath.Join(dir, "stepfunctions", "executions", filepath.Base(logPath))); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("its empty log is still there: %v", err)
					}
					return
				}
				if row.announced {
					if sum := waitEnded(t, ended); sum.ExecutionARN != arn || sum.Status != asl.StatusSucceeded || string(sum.Output) != output {
						t.Fatalf("announced %+v", sum)
					}
				}
				d, err := s.DescribeExecution(arn)
				if err != nil || d.Status != asl.StatusSucceeded || d.Output == nil || *d.Output != output {
					t.Fatalf("after restart: %+v %v", d, err)
				}
				if a, b := inv.count("a"), inv.count("b"); a != row.a || b != row.b {
					t.Errorf("functions ran again a=%d b=%d, want a=%d b=%d", a, b, row.a, row.b)
				}
				hist := wholeHistory(t, s, arn)
				// Whatever was recorded before the crash stays as it was.
				for i := 1; i < min(row.keep, 15); i++ {
					if hist[i-1].Type != crashLog[i] {
						t.Errorf("event %d is %s, was %s before the crash", i, hist[i-1].Type, crashLog[i])
					}
				}
				s.Close()

				// A second restart (a crash after the first recovery would
				// leave at least this) resumes nothing and announces nothing.
				inv2 := newCountingInvoker()
				s2, err := New(Options{DataDir: dir, Invoker: inv2, Logger: quiet})
				if err != nil {
					t.Fatalf("second restart: %v", err)
				}
				defer s2.Close()
				again := 0
				s2.OnExecutionEnd(func(ExecutionSummary) { again++ })
				if again != 0 || inv2.count("a")+inv2.count("b") != 0 {
					t.Errorf("second restart: %d announcements, a=%d b=%d", again, inv2.count("a"), inv2.count("b"))
				}
				if h2 := wholeHistory(t, s2, arn); !slices.EqualFunc(h2, hist, func(x, y asl.Event) bool { return x.ID == y.ID && x.Type == y.Type }) {
					t.Errorf("history changed across a clean restart:\n%v\n%v", histTypes(h2), histTypes(hist))
				}
			})
		}
	}
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func histTypes(evs []asl.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// wholeHistory is the execution's history after checking that it is whole:
// ids 1..n in order, each event's previous event earlier, one
// ExecutionStarted first and one terminal event last, and each state's
// entry matched by one exit.
func wholeHistory(t *testing.T, s *Service, arn string) []asl.Event {
	t.Helper()
	h, err := s.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: arn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	evs := h.Events
	if len(evs) == 0 || evs[0].Type != "ExecutionStarted" || evs[len(evs)-1].Type != "ExecutionSucceeded" {
		t.Fatalf("history %v", histTypes(evs))
	}
	entered, exited := 0, 0
	for i, ev := range evs {
		if ev.ID != int64(i+1) || ev.PreviousEventID >= ev.ID {
			t.Errorf("event %d: id %d previous %d", i+1, ev.ID, ev.PreviousEventID)
		}
		if i > 0 && (ev.Type == "ExecutionStarted" || isExecutionEnd(ev.Type)) && i != len(evs)-1 {
			t.Errorf("event %d is a second %s", ev.ID, ev.Type)
		}
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			entered++
		case strings.HasSuffix(ev.Type, "StateExited"):
			exited++
		}
	}
	if entered != 3 || exited != 3 {
		t.Errorf("%d states entered, %d exited, want 3 and 3: %v", entered, exited, histTypes(evs))
	}
	return evs
}

// TestCrashDuringRecovery: a process killed while it resumes an execution
// (the resumed task is running) leaves the log of the first crash plus
// what the recovery appended; the next start must still resume it, from
// any first crash point, torn record or not, and end it once.
func TestCrashDuringRecovery(t *testing.T) {
	machines, lines, arn, output := crashRef(t)
	logPath := (&store{dir: "x"}).logPath(arn)
	for keep := 1; keep <= 12; keep++ { // a task is still to run
		for _, tornHalf := range []bool{false, true} {
			log := bytes.Join(lines[:keep], nil)
			name := crashLog[keep-1] + "/whole"
			if tornHalf {
				log = append(slices.Clip(log), lines[keep][:len(lines[keep])/2]...)
				name = crashLog[keep-1] + "/torn"
			}
			t.Run(name+"/"+itoa(keep), func(t *testing.T) {
				dir := seedDir(t, machines, logPath, log)
				held := newCountingInvoker()
				held.hold = true
				s1, err := New(Options{DataDir: dir, Invoker: held, Logger: quiet})
				if err != nil {
					t.Fatal(err)
				}
				select {
				case <-held.held:
				case <-time.After(30 * time.Second): // only a hang reaches this
					t.Fatal("the resumed execution never invoked its task")
				}
				s1.kill()

				inv := newCountingInvoker()
				s2, err := New(Options{DataDir: dir, Invoker: inv, Logger: quiet})
				if err != nil {
					t.Fatalf("restart after a crash during recovery: %v", err)
				}
				defer s2.Close()
				ended := make(chan ExecutionSummary, 4)
				s2.OnExecutionEnd(func(sum ExecutionSummary) { ended <- sum })
				if sum := waitEnded(t, ended); sum.ExecutionARN != arn || sum.Status != asl.StatusSucceeded || string(sum.Output) != output {
					t.Fatalf("announced %+v", sum)
				}
				// The held task runs once more; B always runs (the crash
				// point is before B's result), A only if it was held.
				wantA := 0
				if held.count("a") > 0 {
					wantA = 1
				}
				if a, b := inv.count("a"), inv.count("b"); a != wantA || b != 1 {
					t.Errorf("after the second restart a=%d b=%d, want a=%d b=1", a, b, wantA)
				}
				wholeHistory(t, s2, arn)
				select {
				case sum := <-ended:
					t.Errorf("announced twice: %+v", sum)
				default:
				}
			})
		}
	}
}
