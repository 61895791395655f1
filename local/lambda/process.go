package lambda

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Process runs a function from its built executable (the `bootstrap` the
// Makefile builds for provided.al2023) and serves it the Lambda Runtime
// API, as Lambda does: the process polls /2018-06-01/runtime/invocation/next,
// answers each invocation on /response or /error, and reports a failed
// start on /init/error. So the very binary that would be deployed reads its
// environment, starts and answers typed errors, where the in-process
// runtime calls the handler directly.
//
// Its Invoke method is a handler for Registry.Register, so timeouts,
// concurrency and faults apply as to an in-process handler. The process
// starts at the first invocation (a cold start) and again after it exits.
// One process runs one invocation at a time, as a Lambda execution
// environment does; a Registry serialises concurrent calls with
// FunctionOptions Concurrency 1 and Queue.
type Process struct {
	// Path is the executable; Env its environment, KEY=VALUE, to which
	// AWS_LAMBDA_RUNTIME_API is added.
	Path string
	Env  []string
	// Stdout and Stderr receive the process's output (its logs), as
	// CloudWatch Logs does on Lambda; nil discards it.
	Stdout, Stderr io.Writer

	mu  sync.Mutex
	env *environment // the running process, or nil
}

// environment is one running process and its Runtime API endpoint.
type environment struct {
	cmd    *exec.Cmd
	ln     net.Listener
	srv    *http.Server
	next   chan *invocation // handed to the process's /next
	exited chan struct{}    // closed when the process has exited
	err    error            // the exit's error, set before exited closes

	mu      sync.Mutex
	current *invocation // the invocation the process holds
	initErr []byte      // what the process posted to /init/error
	started bool        // the process has polled /next at least once
}

type invocation struct {
	id       string
	arn      string
	deadline time.Time
	payload  []byte
	done     chan result // buffered: the answer, once
}

type result struct {
	out []byte
	err error
}

// Invoke sends payload to the process and returns its response, or its
// error as a *FunctionError with the payload the runtime posted: the
// errorType a Step Functions Retry or Catch matches. A process that exits
// before answering is reported as Runtime.ExitError, as Lambda reports it.
func (p *Process) Invoke(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
	env, err := p.environment()
	if err != nil {
		return nil, err
	}
	inv := &invocation{id: "", payload: payload, done: make(chan result, 1)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.id, inv.arn = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	if inv.id == "" {
		inv.id = newRequestID()
	}
	inv.deadline, _ = ctx.Deadline()
	if inv.deadline.IsZero() {
		inv.deadline = time.Now().Add(15 * time.Minute)
	}
	select {
	case env.next <- inv:
	case <-env.exited:
		return nil, p.exitError(env, inv.id)
	case <-ctx.Done():
		// Lambda stops an environment whose invocation timed out.
		p.stop(env)
		return nil, ctx.Err()
	}
	select {
	case r := <-inv.done:
		return r.out, r.err
	case <-env.exited:
		return nil, p.exitError(env, inv.id)
	case <-ctx.Done():
		p.stop(env)
		return nil, ctx.Err()
	}
}

// exitError reports an exited process: what it posted to /init/error if
// it failed to start that way, otherwise Runtime.ExitError.
func (p *Process) exitError(env *environment, reqID string) error {
	p.mu.Lock()
	if p.env == env {
		p.env = nil
	}
	p.mu.Unlock()
	env.mu.Lock()
	initErr, started := env.initErr, env.started
	env.mu.Unlock()
	if initErr != nil {
		var e struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		json.Unmarshal(initErr, &e)
		if e.Type == "" {
			e.Type = "Runtime.Unknown"
		}
		return &FunctionError{Type: e.Type, Message: e.Message, Payload: initErr}
	}
	what := "Runtime exited with error"
	if !started {
		what = "Runtime exited during init with error"
	}
	status := "exit status unknown"
	var ee *exec.ExitError
	if errors.As(env.err, &ee) {
		status = ee.ProcessState.String()
	} else if env.err == nil {
		status = "exit status 0"
	}
	return newFunctionError("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %s: %s", reqID, what, status))
}

// environment returns the running process, starting one if none runs.
func (p *Process) environment() (*environment, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.env != nil {
		select {
		case <-p.env.exited:
		default:
			return p.env, nil
		}
	}
	env, err := p.start()
	if err != nil {
		return nil, &ServiceError{Name: "Lambda.ServiceException", Cause: err.Error()}
	}
	p.env = env
	return env, nil
}

func (p *Process) start() (*environment, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API for %s: %w", p.Path, err)
	}
	env := &environment{ln: ln, next: make(chan *invocation), exited: make(chan struct{})}
	env.srv = &http.Server{Handler: env.runtimeAPI(), ReadHeaderTimeout: 10 * time.Second}
	go env.srv.Serve(ln)

	cmd := exec.Command(p.Path)
	cmd.Env = append(append([]string{}, p.Env...), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stdout, cmd.Stderr = orDiscard(p.Stdout), orDiscard(p.Stderr)
	if err := cmd.Start(); err != nil {
		env.srv.Close()
		return nil, fmt.Errorf("start %s: %w", p.Path, err)
	}
	env.cmd = cmd
	go func() {
		env.err = cmd.Wait()
		close(env.exited)
		env.srv.Close()
	}()
	return env, nil
}

// stop ends the process (after a timeout or a cancelled call), so the next
// invocation starts afresh.
func (p *Process) stop(env *environment) {
	p.mu.Lock()
	if p.env == env {
		p.env = nil
	}
	p.mu.Unlock()
	if env.cmd.Process != nil {
		env.cmd.Process.Kill()
	}
}

// Close stops the running process, if any, and waits for it to exit.
func (p *Process) Close() error {
	p.mu.Lock()
	env := p.env
	p.env = nil
	p.mu.Unlock()
	if env == nil {
		return nil
	}
	env.cmd.Process.Kill()
	<-env.exited
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// runtimeAPI serves the Lambda Runtime API's routes to the process.
func (env *environment) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", env.serveNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		env.answer(w, r, false)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		env.answer(w, r, true)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
		env.mu.Lock()
		env.initErr = b
		env.mu.Unlock()
		writeStatus(w, http.StatusAccepted)
	})
	return mux
}

// serveNext blocks until an invocation arrives and hands it over with the
// Lambda-Runtime-* headers aws-lambda-go reads.
func (env *environment) serveNext(w http.ResponseWriter, r *http.Request) {
	env.mu.Lock()
	env.started = true
	env.mu.Unlock()
	select {
	case inv := <-env.next:
		env.mu.Lock()
		env.current = inv
		env.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+inv.id[:min(len(inv.id), 24)]+";Sampled=0")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// answer completes the invocation the process holds with its response or
// its error payload.
func (env *environment) answer(w http.ResponseWriter, r *http.Request, failed bool) {
	env.mu.Lock()
	inv := env.current
	if inv == nil || inv.id != r.PathValue("id") {
		env.mu.Unlock()
		writeStatus(w, http.StatusBadRequest)
		return
	}
	env.current = nil
	env.mu.Unlock()
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		inv.done <- result{err: newFunctionError("Runtime.Unknown", "reading the runtime's answer: "+err.Error())}
		writeStatus(w, http.StatusAccepted)
		return
	}
	if !failed {
		inv.done <- result{out: b}
		writeStatus(w, http.StatusAccepted)
		return
	}
	var e struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	json.Unmarshal(b, &e)
	if e.Type == "" {
		e.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if e.Type == "" {
		e.Type = "Unhandled"
	}
	inv.done <- result{err: &FunctionError{Type: e.Type, Message: e.Message, Payload: b}}
	writeStatus(w, http.StatusAccepted)
}

func writeStatus(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(`{"status":"` + http.StatusText(code) + `"}`))
}
