package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type CorruptImage struct{ Key string }

func (e *CorruptImage) Error() string { return "corrupt image " + e.Key }

type event struct {
	Key string `json:"key"`
}

func newTestRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry("eu-west-1", "111111111111")
	err := r.Register("arn:aws:lambda:eu-west-1:111111111111:function:echo", func(ctx context.Context, e event) (event, error) {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok || lc.AwsRequestID == "" {
			return event{}, errors.New("no lambda context")
		}
		if _, ok := ctx.Deadline(); !ok {
			return event{}, errors.New("no deadline")
		}
		return event{Key: e.Key + "!" + lc.InvokedFunctionArn}, nil
	}, FunctionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestInvokeResolvesEveryReferenceForm(t *testing.T) {
	r := newTestRegistry(t)
	want := `{"key":"a!arn:aws:lambda:eu-west-1:111111111111:function:echo"}`
	for _, ref := range []string{
		"arn:aws:lambda:eu-west-1:111111111111:function:echo",
		"arn:aws:lambda:eu-west-1:111111111111:function:echo:$LATEST",
		"echo",
		"echo:$LATEST",
		"111111111111:function:echo",
		"111111111111:function:echo:1",
	} {
		out, err := r.Invoke(context.Background(), ref, []byte(`{"key":"a"}`))
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if strings.TrimSpace(string(out)) != want {
			t.Errorf("%s: got %s, want %s", ref, out, want)
		}
	}
}

func TestUnknownFunctionIsResourceNotFound(t *testing.T) {
	r := newTestRegistry(t)
	_, err := r.Invoke(context.Background(), "arn:aws:lambda:eu-west-1:111111111111:function:nope", []byte(`{}`))
	var se *ServiceError
	if !errors.As(err, &se) || se.Name != "Lambda.ResourceNotFoundException" {
		t.Fatalf("got %v, want Lambda.ResourceNotFoundException", err)
	}
	if !strings.HasPrefix(se.Cause, "Function not found: arn:aws:lambda:eu-west-1:111111111111:function:nope:$LATEST (Service: AWSLambda; Status Code: 404;") {
		t.Errorf("cause %q", se.Cause)
	}
}

func TestFunctionErrorsAreReportedAsTheGoRuntimeDoes(t *testing.T) {
	r := NewRegistry("", "")
	handlers := map[string]any{
		"typed": func(e event) error { return &CorruptImage{Key: e.Key} },
		"plain": func() error { return errors.New("plain failure") },
		"own": func() error {
			return messages.InvokeResponse_Error{Type: "Custom.Kind", Message: "mine"}
		},
		"panics":   func() error { panic("boom") },
		"badinput": func(e event) error { return nil },
	}
	for name, h := range handlers {
		if err := r.Register(name, h, FunctionOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		fn, payload, typ, msg string
	}{
		{"typed", `{"key":"k.png"}`, "CorruptImage", "corrupt image k.png"},
		{"plain", `{}`, "errorString", "plain failure"},
		{"own", `{}`, "Custom.Kind", "mine"},
		{"panics", `{}`, "string", "boom"},
		{"badinput", `{"key":5}`, "UnmarshalTypeError", ""},
	}
	for _, c := range cases {
		_, err := r.Invoke(context.Background(), c.fn, []byte(c.payload))
		var fe *FunctionError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: got %v, want *FunctionError", c.fn, err)
		}
		if fe.Type != c.typ || (c.msg != "" && fe.Message != c.msg) {
			t.Errorf("%s: got %s / %q, want %s / %q", c.fn, fe.Type, fe.Message, c.typ, c.msg)
		}
		var payload struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if err := json.Unmarshal(fe.Payload, &payload); err != nil || payload.Type != fe.Type || payload.Message != fe.Message {
			t.Errorf("%s: payload %s does not carry the error (%v)", c.fn, fe.Payload, err)
		}
	}
}

func TestFunctionTimeout(t *testing.T) {
	r := NewRegistry("", "")
	release := make(chan struct{})
	defer close(release)
	r.Register("slow", func(ctx context.Context) error {
		<-release
		return nil
	}, FunctionOptions{Timeout: 20 * time.Millisecond})
	r.Register("polite", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}, FunctionOptions{Timeout: 20 * time.Millisecond})
	for _, fn := range []string{"slow", "polite"} {
		_, err := r.Invoke(context.Background(), fn, []byte(`{}`))
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" || !strings.HasSuffix(fe.Message, "Task timed out after 0.02 seconds") {
			t.Errorf("%s: got %v, want Sandbox.Timedout", fn, err)
		}
	}
}

func TestCallerCancellationWins(t *testing.T) {
	r := NewRegistry("", "")
	r.Register("hang", func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}, FunctionOptions{Timeout: time.Minute})
	stop := errors.New("state timed out")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel(stop) }()
	_, err := r.Invoke(ctx, "hang", []byte(`{}`))
	if !errors.Is(err, stop) {
		t.Fatalf("got %v, want the caller's cause", err)
	}
}

func TestConcurrencyLimitThrottles(t *testing.T) {
	r := NewRegistry("", "")
	entered := make(chan struct{})
	release := make(chan struct{})
	r.Register("one", func() error {
		entered <- struct{}{}
		<-release
		return nil
	}, FunctionOptions{Concurrency: 1, Timeout: time.Minute})
	first := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), "one", []byte(`{}`))
		first <- err
	}()
	<-entered
	_, err := r.Invoke(context.Background(), "one", []byte(`{}`))
	var se *ServiceError
	if !errors.As(err, &se) || se.Name != "Lambda.TooManyRequestsException" {
		t.Fatalf("second concurrent invocation: got %v, want Lambda.TooManyRequestsException", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first invocation: %v", err)
	}
	go func() { <-entered }()
	if _, err := r.Invoke(context.Background(), "one", []byte(`{}`)); err != nil {
		t.Fatalf("invocation after the first finished: %v", err)
	}
}

func TestInjectedFaults(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.InjectFault("echo", FaultPanic); err != nil {
		t.Fatal(err)
	}
	r.InjectFault("echo", FaultTimeout)
	var fe *FunctionError
	if _, err := r.Invoke(context.Background(), "echo", []byte(`{}`)); !errors.As(err, &fe) || fe.Type != "string" {
		t.Errorf("first: got %v, want a panic", err)
	}
	// Only the injected timeout gets a short limit: the panic and the real
	// run must not race a 20 ms deadline on a loaded machine.
	long := r.funcs["echo"].opts.Timeout
	r.funcs["echo"].opts.Timeout = 20 * time.Millisecond
	if _, err := r.Invoke(context.Background(), "echo", []byte(`{}`)); !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Errorf("second: got %v, want a timeout", err)
	}
	r.funcs["echo"].opts.Timeout = long
	if _, err := r.Invoke(context.Background(), "echo", []byte(`{"key":"x"}`)); err != nil {
		t.Errorf("third: got %v, want success once faults are used up", err)
	}
	if err := r.InjectFault("missing", FaultPanic); err == nil {
		t.Error("fault for an unregistered function accepted")
	}
}

func TestRegisterRefusesBadHandlersAndNames(t *testing.T) {
	r := NewRegistry("", "")
	bad := []struct {
		ref string
		h   any
	}{
		{"f", nil},
		{"f", 42},
		{"f", func(a, b, c int) error { return nil }},
		{"f", func() int { return 1 }},
		{"f", func(a int, b int) error { return nil }},
		{"", func() error { return nil }},
		{"arn:aws:s3:::bucket", func() error { return nil }},
	}
	for _, b := range bad {
		if err := r.Register(b.ref, b.h, FunctionOptions{}); err == nil {
			t.Errorf("Register(%q, %T) accepted", b.ref, b.h)
		}
	}
}

func TestQueuedConcurrencyWaitsInsteadOfThrottling(t *testing.T) {
	r := NewRegistry("us-east-1", "000000000000")
	var mu sync.Mutex
	running, peak := 0, 0
	err := r.Register("pool", func(ctx context.Context) (string, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return "ok", nil
	}, FunctionOptions{Concurrency: 2, Queue: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Invoke(context.Background(), "pool", []byte(`{}`)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("queued invocation failed: %v", err)
	}
	if peak != 2 {
		t.Errorf("peak concurrency = %d, want 2", peak)
	}
}

// A handler that ignores its deadline keeps running after its timeout is
// reported; until it returns it still holds its concurrency slot, so slow
// inputs cannot stack up unbounded concurrent runs.
func TestTimedOutHandlerHoldsItsSlotUntilItReturns(t *testing.T) {
	for _, queue := range []bool{false, true} {
		r := NewRegistry("", "")
		entered := make(chan int, 2)
		unblock := make(chan struct{})
		n := 0
		r.Register("stuck", func(ctx context.Context) error {
			n++
			entered <- n
			if n == 1 {
				<-unblock // ignores ctx
			}
			return nil
		}, FunctionOptions{Concurrency: 1, Queue: queue, Timeout: 20 * time.Millisecond})

		start := time.Now()
		_, err := r.Invoke(context.Background(), "stuck", []byte(`{}`))
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
			t.Fatalf("queue=%v: first invocation: %v, want Sandbox.Timedout", queue, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("queue=%v: the timeout was reported after %v, not at once", queue, d)
		}
		<-entered

		if !queue {
			_, err = r.Invoke(context.Background(), "stuck", []byte(`{}`))
			var se *ServiceError
			if !errors.As(err, &se) || se.Name != "Lambda.TooManyRequestsException" {
				t.Errorf("invocation beside a timed-out handler that is still running: %v, want throttling", err)
			}
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_, err = r.Invoke(ctx, "stuck", []byte(`{}`))
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("queued invocation beside a timed-out handler that is still running: %v, want it to wait", err)
			}
		}
		select {
		case <-entered:
			t.Errorf("queue=%v: a second handler ran beside the timed-out one", queue)
		default:
		}

		close(unblock)
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := r.Invoke(context.Background(), "stuck", []byte(`{}`))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("queue=%v: the slot was not freed once the handler returned: %v", queue, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// At its timeout Lambda stops the function: locally, the handler's context
// is cancelled, so a handler that watches it returns and gives its
// concurrency slot back.
func TestTimedOutHandlerIsCancelledAndFreesItsSlot(t *testing.T) {
	for _, queue := range []bool{false, true} {
		r := NewRegistry("", "")
		cancelled := make(chan error, 1)
		var calls atomic.Int32
		r.Register("watcher", func(ctx context.Context) error {
			if calls.Add(1) > 1 {
				return nil
			}
			<-ctx.Done()
			cancelled <- ctx.Err()
			return ctx.Err()
		}, FunctionOptions{Concurrency: 1, Queue: queue, Timeout: 20 * time.Millisecond})

		_, err := r.Invoke(context.Background(), "watcher", []byte(`{}`))
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
			t.Fatalf("queue=%v: got %v, want Sandbox.Timedout", queue, err)
		}
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("queue=%v: the handler's context ended with %v, want its deadline", queue, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("queue=%v: the handler's context was not cancelled at the timeout", queue)
		}
		waitForSlot(t, r, "watcher")
	}
}

// waitForSlot invokes fn until an invocation succeeds, which needs a free
// concurrency slot, failing the test if none comes back within a generous
// bound that only a hang exceeds.
func waitForSlot(t *testing.T, r *Registry, fn string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := r.Invoke(context.Background(), fn, []byte(`{}`))
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slot of %s was not freed once its handler returned: %v", fn, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// With a reserved concurrency of N, N invocations held inside the handler
// leave no room: the N+1th is refused with TooManyRequestsException before
// its handler runs (the handler counts its entries), and once one returns
// the next is admitted.
func TestReservedConcurrencyThrottlesTheNPlusFirst(t *testing.T) {
	const n = 3
	r := NewRegistry("", "")
	var mu sync.Mutex
	ran := 0
	entered := make(chan struct{})
	release := make(chan struct{})
	r.Register("convert", func() error {
		mu.Lock()
		ran++
		mu.Unlock()
		entered <- struct{}{}
		<-release
		return nil
	}, FunctionOptions{Concurrency: n, Timeout: time.Minute})
	held := make(chan error, n)
	for range n {
		go func() {
			_, err := r.Invoke(context.Background(), "convert", []byte(`{}`))
			held <- err
		}()
		<-entered
	}
	_, err := r.Invoke(context.Background(), "convert", []byte(`{}`))
	if !Throttled(err) {
		t.Fatalf("invocation %d with %d running: got %v, want %s", n+1, n, err, TooManyRequests)
	}
	mu.Lock()
	if ran != n {
		t.Errorf("the handler ran %d times, want %d: a throttled invocation must not reach it", ran, n)
	}
	mu.Unlock()
	release <- struct{}{} // one of the held invocations returns
	if err := <-held; err != nil {
		t.Fatalf("held invocation: %v", err)
	}
	go func() {
		_, err := r.Invoke(context.Background(), "convert", []byte(`{}`))
		held <- err
	}()
	<-entered // admitted into the freed slot
	close(release)
	for range n {
		if err := <-held; err != nil {
			t.Fatalf("invocation: %v", err)
		}
	}
}

// The account's limit is shared by the functions without a reservation,
// less what the others reserve, as Lambda's unreserved pool: a reserved
// function keeps its own slots when the pool is full.
func TestUnreservedFunctionsShareTheAccountPool(t *testing.T) {
	r := NewRegistry("", "")
	r.SetAccountConcurrency(3) // 2 reserved below, so the pool holds 1
	entered := make(chan struct{})
	release := make(chan struct{})
	hold := func() error { entered <- struct{}{}; <-release; return nil }
	r.Register("reserved", hold, FunctionOptions{Concurrency: 2, Timeout: time.Minute})
	r.Register("a", hold, FunctionOptions{Timeout: time.Minute})
	r.Register("b", hold, FunctionOptions{Timeout: time.Minute})
	done := make(chan error, 3)
	for _, fn := range []string{"a", "reserved"} {
		go func() {
			_, err := r.Invoke(context.Background(), fn, []byte(`{}`))
			done <- err
		}()
		<-entered
	}
	if _, err := r.Invoke(context.Background(), "b", []byte(`{}`)); !Throttled(err) {
		t.Fatalf("b with the unreserved pool full: got %v, want %s", err, TooManyRequests)
	}
	go func() {
		_, err := r.Invoke(context.Background(), "reserved", []byte(`{}`))
		done <- err
	}()
	<-entered // the reserved function's second slot was free
	close(release)
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
