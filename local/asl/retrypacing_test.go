package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

// Retry pacing, in virtual time. The expected gaps come from AWS's
// definition of a retrier (Step Functions developer guide, "Handling errors
// in Step Functions workflows"; the JitterType reference of the CDK):
//
//   - the first retry waits IntervalSeconds (default 1);
//   - each later retry waits the previous wait times BackoffRate (default 2.0);
//   - MaxDelaySeconds caps every wait;
//   - JitterStrategy FULL waits a random time between 0 and that computed
//     wait; NONE (the default) waits exactly the computed wait.
//
// The gap measured is the one an operator sees in the execution history:
// from a LambdaFunctionFailed event to the next LambdaFunctionScheduled.

// failingInvoker fails function fn the first n times it is called and then
// succeeds; every other function succeeds.
type failingInvoker struct {
	fn    string
	n     int
	errTy string
	calls int
}

func (f *failingInvoker) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	if fn != f.fn {
		return []byte(`{}`), nil
	}
	f.calls++
	if f.calls <= f.n {
		return nil, &FunctionError{Type: f.errTy, Message: fmt.Sprintf("attempt %d failed", f.calls)}
	}
	return []byte(`{"renditions":[]}`), nil
}

// retryGaps runs m in a synctest bubble on a VirtualClock and returns, for
// each failed attempt that was retried, the time from its
// LambdaFunctionFailed event to the next LambdaFunctionScheduled event of
// the same state.
func retryGaps(t *testing.T, m *Machine, inv Invoker, input string) (Result, []time.Duration) {
	t.Helper()
	var res Result
	var gaps []time.Duration
	inBubble(t, func(t *testing.T) {
		clock := clocktest.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		rec := &recorder{}
		exec := testExec(clock)
		exec.Input = json.RawMessage(input)
		res = m.Run(context.Background(), exec, Options{Clock: clock, Invoker: inv, Record: rec.record})
		var failedAt time.Time
		for _, ev := range rec.events {
			switch ev.Type {
			case "TaskStateEntered", "TaskStateExited":
				failedAt = time.Time{} // a catch moved on: no retry
			case "LambdaFunctionFailed":
				failedAt = ev.Timestamp
			case "LambdaFunctionScheduled":
				if !failedAt.IsZero() {
					gaps = append(gaps, ev.Timestamp.Sub(failedAt))
					failedAt = time.Time{}
				}
			}
		}
	})
	return res, gaps
}

func secs(s ...float64) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

func sameGaps(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const pacingFn = "arn:aws:lambda:us-east-1:111111111111:function:flaky"

func pacingMachine(t *testing.T, retrier string) *Machine {
	t.Helper()
	def := `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + pacingFn + `",
		"Retry":[` + retrier + `],"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse %s: %v", retrier, err)
	}
	return m
}

// TestRetryPacingNoJitter asserts the exact gap before each retry.
func TestRetryPacingNoJitter(t *testing.T) {
	cases := []struct {
		name    string
		retrier string
		fails   int
		want    []time.Duration
	}{
		{"defaults: 1s, doubling, 3 attempts",
			`{"ErrorEquals":["States.ALL"]}`, 3, secs(1, 2, 4)},
		{"IntervalSeconds alone, BackoffRate 1",
			`{"ErrorEquals":["States.ALL"],"IntervalSeconds":5,"BackoffRate":1,"MaxAttempts":3}`, 3, secs(5, 5, 5)},
		{"BackoffRate 3",
			`{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"BackoffRate":3,"MaxAttempts":4}`, 4, secs(1, 3, 9, 27)},
		{"fractional BackoffRate",
			`{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":1.5,"MaxAttempts":3}`, 3, secs(2, 3, 4.5)},
		{"MaxDelaySeconds caps the growth",
			`{"ErrorEquals":["States.ALL"],"IntervalSeconds":3,"BackoffRate":2,"MaxAttempts":5,"MaxDelaySeconds":10,"JitterStrategy":"NONE"}`, 5, secs(3, 6, 10, 10, 10)},
		{"MaxDelaySeconds equal to a computed wait is not a cap",
			`{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":3,"MaxDelaySeconds":8}`, 3, secs(2, 4, 8)},
		{"success before the attempts run out stops retrying",
			`{"ErrorEquals":["States.ALL"],"IntervalSeconds":4,"BackoffRate":2,"MaxAttempts":5}`, 2, secs(4, 8)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := &failingInvoker{fn: pacingFn, n: c.fails, errTy: "Flaky"}
			res, gaps := retryGaps(t, pacingMachine(t, c.retrier), inv, `{}`)
			if !sameGaps(gaps, c.want) {
				t.Fatalf("gaps before each retry %v, want %v", gaps, c.want)
			}
			if c.fails < len(c.want)+1 && res.Status != StatusSucceeded {
				t.Fatalf("result %+v, want SUCCEEDED after %d failures", res, c.fails)
			}
		})
	}
}

// TestRetryPacingFullJitter asserts FULL jitter's bounds: every wait lies
// in [0, computed wait], the waits are not all the computed one (jitter is
// applied), and the largest of many waits comes close to the computed one
// (the wait is not simply dropped, which would retry at once).
func TestRetryPacingFullJitter(t *testing.T) {
	retrier := `{"ErrorEquals":["States.ALL"],"IntervalSeconds":4,"BackoffRate":2,"MaxAttempts":4,"MaxDelaySeconds":20,"JitterStrategy":"FULL"}`
	computed := secs(4, 8, 16, 20)
	m := pacingMachine(t, retrier)
	checkFullJitter(t, computed, func() []time.Duration {
		_, gaps := retryGaps(t, m, &failingInvoker{fn: pacingFn, n: 4, errTy: "Flaky"}, `{}`)
		return gaps
	})
}

// checkFullJitter runs one execution per round and checks each retry
// position's waits against its computed (pre-jitter) wait.
func checkFullJitter(t *testing.T, computed []time.Duration, run func() []time.Duration) {
	t.Helper()
	const rounds = 40
	maxGap := make([]time.Duration, len(computed))
	minGap := make([]time.Duration, len(computed))
	for i := range minGap {
		minGap[i] = computed[i] + 1
	}
	for r := 0; r < rounds; r++ {
		gaps := run()
		if len(gaps) != len(computed) {
			t.Fatalf("round %d: %d retries (gaps %v), want %d", r, len(gaps), gaps, len(computed))
		}
		for i, g := range gaps {
			if g < 0 || g > computed[i] {
				t.Fatalf("round %d: retry %d waited %v, outside [0, %v]", r, i+1, g, computed[i])
			}
			maxGap[i] = max(maxGap[i], g)
			minGap[i] = min(minGap[i], g)
		}
	}
	for i := range computed {
		// P(all 40 waits below half the bound) = 2^-40.
		if maxGap[i] < computed[i]/2 {
			t.Errorf("retry %d: the longest of %d waits was %v; FULL jitter on %v should reach above %v", i+1, rounds, maxGap[i], computed[i], computed[i]/2)
		}
		if minGap[i] == computed[i] {
			t.Errorf("retry %d: every wait was exactly %v; FULL jitter was not applied", i+1, computed[i])
		}
	}
}

// thumbnailMachine is the thumbnail workflow with JitterStrategy FULL
// replaced by jitter; with NONE, the Retry blocks' own IntervalSeconds, BackoffRate and
// MaxDelaySeconds can be checked to the nanosecond.
func thumbnailMachine(t *testing.T, jitter string) *Machine {
	t.Helper()
	src := strings.ReplaceAll(string(readThumbnailDef(t)), `"JitterStrategy": "FULL"`, `"JitterStrategy": "`+jitter+`"`)
	m, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("the thumbnail workflow does not load: %v", err)
	}
	return m
}

const thumbInput = `{"uploadId":"u1","bucket":"b","key":"originals/u1","size":1234,"contentType":"image/png","eTag":"e1","versionId":""}`

// The thumbnail workflow's own Retry blocks (statemachine/thumbnail.asl.json):
//
//	Convert:        IntervalSeconds 2, BackoffRate 2, MaxAttempts 3, MaxDelaySeconds 20 → 2, 4, 8
//	Convert, throttled (Lambda.TooManyRequestsException only):
//	                IntervalSeconds 1, BackoffRate 2, MaxAttempts 40, MaxDelaySeconds 30 → 1, 2, 4, 8, 16, 30 × 35
//	RecordSuccess:  IntervalSeconds 1, BackoffRate 2, MaxAttempts 5, MaxDelaySeconds 10 → 1, 2, 4, 8, 10
//	MarkConverting: IntervalSeconds 1, BackoffRate 2, MaxAttempts 2                     → 1, 2
func TestThumbnailRetryPacingExact(t *testing.T) {
	t.Run("Convert", func(t *testing.T) {
		inv := &failingInvoker{fn: convertARN, n: 3, errTy: "TransientError"}
		res, gaps := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if want := secs(2, 4, 8); !sameGaps(gaps, want) {
			t.Fatalf("Convert's retries waited %v, want %v", gaps, want)
		}
		if res.Status != StatusSucceeded {
			t.Fatalf("result %+v, want SUCCEEDED on the 4th attempt", res)
		}
	})
	t.Run("Convert gives up after MaxAttempts", func(t *testing.T) {
		inv := &failingInvoker{fn: convertARN, n: 4, errTy: "TransientError"}
		res, gaps := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if want := secs(2, 4, 8); !sameGaps(gaps, want) {
			t.Fatalf("Convert's retries waited %v, want %v", gaps, want)
		}
		if res.Status != StatusFailed || res.Error != "TransientError" {
			t.Fatalf("result %+v, want FAILED with TransientError after 4 attempts", res)
		}
	})
	t.Run("Convert throttled", func(t *testing.T) {
		inv := &sequenceInvoker{fn: convertARN, errs: repeat(throttled, 40)}
		res, gaps := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if want := throttleGaps(); !sameGaps(gaps, want) {
			t.Fatalf("Convert's throttle retries waited %v, want %v", gaps, want)
		}
		if res.Status != StatusSucceeded {
			t.Fatalf("result %+v, want SUCCEEDED after 40 throttles", res)
		}
	})
	t.Run("Convert throttled past its budget", func(t *testing.T) {
		inv := &sequenceInvoker{fn: convertARN, errs: repeat(throttled, 41)}
		res, _ := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if res.Status != StatusFailed || res.Error != throttled {
			t.Fatalf("result %+v, want FAILED with %s after 41 throttles", res, throttled)
		}
	})
	t.Run("throttles leave Convert's own retries whole", func(t *testing.T) {
		// Throttles between failed conversions: the conversion still
		// gets its three retries, at its own pacing.
		errs := append(repeat(throttled, 5), "TransientError", throttled, "TransientError", throttled, throttled, "TransientError")
		inv := &sequenceInvoker{fn: convertARN, errs: errs}
		res, gaps := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if res.Status != StatusSucceeded || inv.calls != len(errs)+1 {
			t.Fatalf("result %+v after %d calls, want SUCCEEDED on call %d", res, inv.calls, len(errs)+1)
		}
		if want := secs(1, 2, 4, 8, 16, 2, 30, 4, 30, 30, 8); !sameGaps(gaps, want) {
			t.Fatalf("waits %v, want %v: each retrier paces its own errors", gaps, want)
		}
	})
	t.Run("RecordSuccess", func(t *testing.T) {
		inv := &statusFailer{failState: "succeeded", n: 5}
		res, gaps := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if want := secs(1, 2, 4, 8, 10); !sameGaps(gaps, want) {
			t.Fatalf("RecordSuccess's retries waited %v, want %v", gaps, want)
		}
		if res.Status != StatusSucceeded {
			t.Fatalf("result %+v, want SUCCEEDED on the 6th attempt", res)
		}
	})
	t.Run("MarkConverting", func(t *testing.T) {
		inv := &statusFailer{failState: "converting", n: 2}
		_, gaps := retryGaps(t, thumbnailMachine(t, "NONE"), inv, thumbInput)
		if want := secs(1, 2); !sameGaps(gaps, want) {
			t.Fatalf("MarkConverting's retries waited %v, want %v", gaps, want)
		}
	})
}

// TestThumbnailRetryPacingFullJitter checks the workflow as shipped: FULL
// jitter within the bounds of Convert's computed waits.
func TestThumbnailRetryPacingFullJitter(t *testing.T) {
	m := thumbnailMachine(t, "FULL")
	checkFullJitter(t, secs(2, 4, 8), func() []time.Duration {
		_, gaps := retryGaps(t, m, &failingInvoker{fn: convertARN, n: 3, errTy: "TransientError"}, thumbInput)
		return gaps
	})
}

const throttled = "Lambda.TooManyRequestsException"

// throttleGaps is the throttle retrier's computed waits, all 40.
func throttleGaps() []time.Duration {
	g := secs(1, 2, 4, 8, 16)
	for range 35 {
		g = append(g, 30*time.Second)
	}
	return g
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// sequenceInvoker fails fn's calls with errs, in order, and then succeeds;
// every other function succeeds.
type sequenceInvoker struct {
	fn    string
	errs  []string
	calls int
}

func (s *sequenceInvoker) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	if fn != s.fn {
		return []byte(`{}`), nil
	}
	s.calls++
	if s.calls <= len(s.errs) {
		return nil, &FunctionError{Type: s.errs[s.calls-1], Message: fmt.Sprintf("call %d failed", s.calls)}
	}
	return []byte(`{"renditions":[]}`), nil
}

// statusFailer fails the status function's calls for one state n times.
type statusFailer struct {
	failState string
	n         int
}

func (s *statusFailer) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	if fn == convertARN {
		return []byte(`{"renditions":[{"key":"thumbs/u1/256.webp","width":256}]}`), nil
	}
	var in struct {
		State string `json:"state"`
	}
	_ = json.Unmarshal(payload, &in)
	if in.State == s.failState && s.n > 0 {
		s.n--
		return nil, &FunctionError{Type: "Lambda.ServiceException", Message: "status store unavailable"}
	}
	return []byte(`{}`), nil
}

// readThumbnailDef reads the workflow with its function ARNs substituted. A
// missing or renamed file fails the test: it must never skip.
func readThumbnailDef(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "statemachine", "thumbnail.asl.json"))
	if err != nil {
		t.Fatalf("statemachine/thumbnail.asl.json: %v", err)
	}
	return []byte(strings.NewReplacer("${ConvertFunctionArn}", convertARN, "${StatusFunctionArn}", statusARN).Replace(string(b)))
}
