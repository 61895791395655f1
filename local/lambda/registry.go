// Package lambda runs Lambda functions in-process for the local cloud, so
// that a Step Functions execution on a laptop calls the same Go handlers that
// are deployed to AWS and sees their results and errors exactly as the Lambda
// service would report them: a Registry of handlers with their timeout and
// reserved concurrency, whose failures are a *FunctionError or a
// *ServiceError. Both name themselves as Step Functions names them
// (asl.NamedError), so this package does not depend on the interpreter. At
// its timeout an invocation is reported as Sandbox.Timedout and its
// handler's context is cancelled; its concurrency slot is free once the
// handler returns.
package lambda

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// MaxPayload is the Lambda service's limit on a synchronous invocation's
// response. Step Functions' own, smaller limit (256 KiB,
// States.DataLimitExceeded) is the interpreter's to apply.
const MaxPayload = 6 * 1024 * 1024

// FunctionOptions are the function configuration settings that change how an
// invocation behaves.
type FunctionOptions struct {
	// Timeout is the function's configured timeout; zero means the Lambda
	// default of 3 seconds.
	Timeout time.Duration
	// Concurrency is the reserved concurrency; zero means unlimited. An
	// invocation above it is throttled, as Lambda throttles it.
	Concurrency int
	// Queue makes invocations above Concurrency wait for a free slot
	// instead of being throttled. Lambda scales out where one machine
	// cannot: locally, a CPU-bound function is better queued behind a pool
	// the size of the CPU count than failed with TooManyRequests.
	Queue bool
}

// Fault is an injected failure for reliability tests.
type Fault int

const (
	// FaultNone clears an injected fault.
	FaultNone Fault = iota
	// FaultPanic makes the next invocation panic in place of the handler.
	FaultPanic
	// FaultTimeout makes the next invocation run the handler, then past
	// its timeout.
	FaultTimeout
	// FaultTransient makes the next invocation run the handler, then fail
	// with the errorType TransientError, which the workflow retries (see
	// faults.go).
	FaultTransient
)

// Registry resolves function references to registered handlers and invokes
// them. It implements asl.Invoker. The zero value is not usable; call
// NewRegistry.
type Registry struct {
	region  string
	account string

	mu    sync.Mutex
	funcs map[string]*function // by bare function name
	// account is the account's concurrency limit (0: unlimited), which
	// the functions without a reserved concurrency share, less what the
	// others reserve, as Lambda's UnreservedConcurrentExecutions.
	accountLimit int
	unreserved   int // running invocations of unreserved functions
}

type function struct {
	name    string
	arn     string
	handler any // as registered; wrapped afresh per invocation, see invoke
	opts    FunctionOptions

	running int           // guarded by Registry.mu
	slots   chan struct{} // with Queue: one token per running invocation
	faults  []Fault       // guarded by Registry.mu; consumed in order
	rate    faultRate     // guarded by Registry.mu
}

// NewRegistry returns an empty registry. Region and account complete bare
// function names into ARNs, as the Lambda service does for the caller's
// account.
func NewRegistry(region, account string) *Registry {
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "000000000000"
	}
	return &Registry{region: region, account: account, funcs: map[string]*function{}}
}

// Register makes handler callable under ref, which is a function ARN, a
// partial ARN or a bare name. The handler follows aws-lambda-go's rules for
// lambda.Start, so the same value that a Lambda main passes to lambda.Start
// can be registered here.
func (r *Registry) Register(ref string, handler any, opts FunctionOptions) error {
	name, _, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("register %q: %w", ref, err)
	}
	if err := validateHandler(handler); err != nil {
		return fmt.Errorf("register %q: %w", ref, err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.Concurrency < 0 {
		return fmt.Errorf("register %q: negative concurrency %d", ref, opts.Concurrency)
	}
	f := &function{
		name:    name,
		arn:     fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.region, r.account, name),
		handler: handler,
		opts:    opts,
	}
	if opts.Queue && opts.Concurrency > 0 {
		f.slots = make(chan struct{}, opts.Concurrency)
	}
	if strings.HasPrefix(ref, "arn:") {
		f.arn = strings.Join(strings.SplitN(ref, ":", 8)[:7], ":")
	}
	r.mu.Lock()
	r.funcs[name] = f
	r.mu.Unlock()
	return nil
}

// SetAccountConcurrency sets the account's concurrency limit: Lambda's
// default is 1000 per region. Functions without a reserved concurrency share
// what the others do not reserve, and an invocation above that is throttled
// as Lambda throttles it. Zero, the default, means no limit.
func (r *Registry) SetAccountConcurrency(n int) {
	r.mu.Lock()
	r.accountLimit = max(n, 0)
	r.mu.Unlock()
}

// unreservedFull reports whether the unreserved pool is in use to its
// limit. Callers hold mu.
func (r *Registry) unreservedFull() bool {
	if r.accountLimit == 0 {
		return false
	}
	pool := r.accountLimit
	for _, f := range r.funcs {
		pool -= f.opts.Concurrency
	}
	return r.unreserved >= pool
}

// InjectFault arranges for the next invocation of the function to fail as f
// describes. Faults queue up: each invocation consumes one.
func (r *Registry) InjectFault(ref string, f Fault) error {
	name, _, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("inject fault into %q: %w", ref, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fn, ok := r.funcs[name]
	if !ok {
		return fmt.Errorf("inject fault into %q: function not registered", ref)
	}
	if f == FaultNone {
		fn.faults = nil
		return nil
	}
	fn.faults = append(fn.faults, f)
	return nil
}

// Invoke runs the function synchronously (RequestResponse), as the Step
// Functions Lambda integrations do. A function's own failure is a
// *FunctionError carrying the runtime's error payload; a failure of the
// service (unknown function, throttling, oversized result) is a
// *ServiceError named as Step Functions names it.
func (r *Registry) Invoke(ctx context.Context, ref string, payload []byte) ([]byte, error) {
	reqID := requestID()
	name, _, err := parseRef(ref)
	if err != nil {
		return nil, &ServiceError{
			Name:  "Lambda.AWSLambdaException",
			Cause: fmt.Sprintf("%s (Service: AWSLambda; Status Code: 400; Error Code: ValidationException; Request ID: %s; Proxy: null)", err, reqID),
		}
	}
	r.mu.Lock()
	fn, ok := r.funcs[name]
	if !ok {
		r.mu.Unlock()
		return nil, &ServiceError{
			Name: "Lambda.ResourceNotFoundException",
			Cause: fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)",
				r.qualifiedARN(ref), reqID),
		}
	}
	if fn.slots != nil {
		r.mu.Unlock()
		select {
		case fn.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		r.mu.Lock()
	} else if fn.opts.Concurrency > 0 && fn.running >= fn.opts.Concurrency || fn.opts.Concurrency == 0 && r.unreservedFull() {
		// Admission comes first: a throttled invocation never reaches
		// its handler, so it reads nothing and holds nothing.
		r.mu.Unlock()
		return nil, &ServiceError{
			Name:  TooManyRequests,
			Cause: fmt.Sprintf("Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: %s; Proxy: null)", reqID),
		}
	}
	fn.running++
	if fn.opts.Concurrency == 0 {
		r.unreserved++
	}
	fault := fn.takeFault()
	r.mu.Unlock()
	// The invocation holds its concurrency slot until its handler has
	// returned, not merely until Invoke has: a handler that ignores its
	// deadline keeps running after the timeout is reported, and must not
	// let the next invocation start beside it.
	release := sync.OnceFunc(func() {
		r.mu.Lock()
		fn.running--
		if fn.opts.Concurrency == 0 {
			r.unreserved--
		}
		r.mu.Unlock()
		if fn.slots != nil {
			<-fn.slots
		}
	})

	if !json.Valid(payload) {
		release()
		return nil, &ServiceError{
			Name:  "Lambda.InvalidRequestContentException",
			Cause: fmt.Sprintf("Could not parse request body into json (Service: AWSLambda; Status Code: 400; Error Code: InvalidRequestContentException; Request ID: %s; Proxy: null)", reqID),
		}
	}
	return fn.invoke(ctx, reqID, payload, fault, release)
}

type outcome struct {
	out []byte
	err error
}

// invoke runs the handler and calls release once the handler goroutine has
// returned, which may be after invoke has reported a timeout or the
// caller's cancellation. The handler's context ends at the function's
// timeout, as Lambda stops a function there, so a handler that watches it
// returns and frees its slot; one that ignores it keeps the slot until it
// returns.
func (f *function) invoke(ctx context.Context, reqID string, payload []byte, fault Fault, release func()) ([]byte, error) {
	timeout := f.opts.Timeout
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fctx = lambdacontext.NewContext(fctx, &lambdacontext.LambdaContext{
		AwsRequestID:       reqID,
		InvokedFunctionArn: f.arn,
	})

	// An injected transient error or timeout is the failure of a run: the
	// handler runs first, as a function whose work then fails or overruns
	// does, so what it does at the start of a run (the converter counts
	// its runs in the status record) happens; the fault then takes the
	// outcome. A panic replaces the handler.
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if v := recover(); v != nil {
				o = outcome{err: panicError(v)}
			}
			release()
			done <- o
		}()
		if fault == FaultPanic {
			panic(fmt.Sprintf("injected fault: %s panicked", f.name))
		}
		// aws-lambda-go's Handler returns a slice of a pooled buffer
		// that it recycles for its next invocation, which is fine in
		// a one-invocation-at-a-time Lambda process but not here: a
		// handler per invocation owns its pool.
		out, err := awslambda.NewHandler(f.handler).Invoke(fctx, payload)
		o = outcome{out: out, err: err}
		if fault == FaultTimeout {
			<-fctx.Done()
			o = outcome{err: fctx.Err()}
		} else if err := fault.err(f.name); err != nil {
			o = outcome{err: err}
		}
	}()

	timedOut := func() error {
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", reqID, timeout.Seconds())
		return newFunctionError("Sandbox.Timedout", msg)
	}
	select {
	case o := <-done:
		if fault == FaultTimeout && ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if o.err != nil {
			if ctx.Err() == nil && errors.Is(fctx.Err(), context.DeadlineExceeded) {
				// The handler noticed its deadline; Lambda reports the
				// timeout, not whatever the handler returned.
				return nil, timedOut()
			}
			return nil, functionError(o.err)
		}
		if len(o.out) > MaxPayload {
			msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayload)
			return nil, newFunctionError("Function.ResponseSizeTooLarge", msg)
		}
		return o.out, nil
	case <-fctx.Done():
		if ctx.Err() != nil {
			// The caller (a state's TimeoutSeconds, StopExecution or
			// shutdown) gave up; its cause says why.
			return nil, context.Cause(ctx)
		}
		return nil, timedOut()
	}
}

// panicError is what aws-lambda-go reports for a handler panic: the panic
// value's type name and its formatted value.
func panicError(v any) error {
	resp := &messages.InvokeResponse_Error{Message: fmt.Sprintf("%v", v)}
	if ive, ok := v.(messages.InvokeResponse_Error); ok {
		resp = &ive
	} else {
		resp.Type = errorType(v)
	}
	return panicErr{resp}
}

// panicErr carries a recovered panic to the invoking goroutine.
type panicErr struct {
	resp *messages.InvokeResponse_Error
}

func (p panicErr) Error() string { return p.resp.Message }

// functionError turns a handler's error into the error payload the Lambda
// runtime for Go reports: the error's type name (pointers dereferenced),
// unless the handler returned a messages.InvokeResponse_Error of its own.
func functionError(err error) error {
	if p, ok := err.(panicErr); ok {
		return newFunctionError(p.resp.Type, p.resp.Message)
	}
	if fe, ok := err.(*FunctionError); ok {
		// A Process's error: the payload its runtime posted, as posted.
		return fe
	}
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return newFunctionError(ive.Type, ive.Message)
	}
	return newFunctionError(errorType(err), err.Error())
}

func errorType(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// validateHandler applies aws-lambda-go's handler rules at registration, so
// that a wrong signature is reported when the local cloud starts rather than
// on the first upload.
func validateHandler(h any) error {
	if h == nil {
		return errors.New("handler is nil")
	}
	if _, ok := h.(awslambda.Handler); ok {
		return nil
	}
	t := reflect.TypeOf(h)
	if t.Kind() != reflect.Func {
		return fmt.Errorf("handler kind %s is not func", t.Kind())
	}
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	errType := reflect.TypeOf((*error)(nil)).Elem()
	switch n := t.NumIn(); {
	case n > 2:
		return errors.New("handler may not take more than two arguments")
	case n == 2 && !t.In(0).Implements(ctxType):
		return errors.New("handler takes two arguments, but the first is not Context")
	}
	switch n := t.NumOut(); {
	case n > 2:
		return errors.New("handler may not return more than two values")
	case n == 2 && !t.Out(1).Implements(errType):
		return errors.New("handler returns two values, but the second does not implement error")
	case n == 1 && !t.Out(0).Implements(errType):
		return errors.New("handler returns a single value, but it does not implement error")
	}
	return nil
}

// qualifiedARN spells ref the way Lambda's errors name a function: a full
// ARN with the $LATEST qualifier when ref has none.
func (r *Registry) qualifiedARN(ref string) string {
	name, qualifier, _ := parseRef(ref)
	if qualifier == "" {
		qualifier = "$LATEST"
	}
	partition, region, account := "aws", r.region, r.account
	parts := strings.Split(ref, ":")
	switch {
	case strings.HasPrefix(ref, "arn:"):
		partition, region, account = parts[1], parts[3], parts[4]
	case len(parts) >= 3 && parts[1] == "function":
		account = parts[0]
	}
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s:%s", partition, region, account, name, qualifier)
}

// parseRef extracts the function name and qualifier from any of the forms
// Lambda accepts: "name", "name:qualifier", "account:function:name[:q]" and
// "arn:partition:lambda:region:account:function:name[:q]".
func parseRef(ref string) (name, qualifier string, err error) {
	parts := strings.Split(ref, ":")
	switch {
	case ref == "":
		return "", "", errors.New("empty function name")
	case strings.HasPrefix(ref, "arn:"):
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return "", "", fmt.Errorf("not a Lambda function ARN: %s", ref)
		}
		name = parts[6]
		if len(parts) == 8 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 {
			return "", "", fmt.Errorf("not a partial Lambda function ARN: %s", ref)
		}
		name = parts[2]
		if len(parts) == 4 {
			qualifier = parts[3]
		}
	case len(parts) <= 2:
		name = parts[0]
		if len(parts) == 2 {
			qualifier = parts[1]
		}
	default:
		return "", "", fmt.Errorf("not a Lambda function name or ARN: %s", ref)
	}
	if name == "" {
		return "", "", fmt.Errorf("empty function name in %s", ref)
	}
	return name, qualifier, nil
}

func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
