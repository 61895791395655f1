package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildBootstrap builds testdata/bootstrap for the host, as the Makefile
// builds a function with GOARCH set to the host's.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, "./testdata/bootstrap")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, b)
	}
	return out
}

func processRegistry(t *testing.T, p *Process) *Registry {
	t.Helper()
	t.Cleanup(func() { p.Close() })
	r := NewRegistry("us-east-1", "000000000000")
	if err := r.Register("fn", p.Invoke, FunctionOptions{Timeout: 20 * time.Second, Concurrency: 1, Queue: true}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestProcess: a built binary answers through the Runtime API with its
// environment, the request id and deadline Lambda sends, and typed errors
// that Step Functions sees by name; one that exits while it runs is
// Runtime.ExitError, and the next invocation starts it again.
func TestProcess(t *testing.T) {
	bin := buildBootstrap(t)
	r := processRegistry(t, &Process{Path: bin, Env: []string{"GREETING=hello"}})
	ctx := context.Background()

	for i := range 2 { // the second call reuses the warm process
		out, err := r.Invoke(ctx, "fn", []byte(`{}`))
		if err != nil {
			t.Fatalf("invoke %d: %v", i, err)
		}
		var got struct {
			Greeting, RequestID string
			Deadline            bool
		}
		if err := json.Unmarshal(out, &got); err != nil || got.Greeting != "hello" || got.RequestID == "" || !got.Deadline {
			t.Fatalf("invoke %d: got %s (%v): want the environment's greeting, a request id and a deadline", i, out, err)
		}
	}

	_, err := r.Invoke(ctx, "fn", []byte(`{"fail":"CorruptImage"}`))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("typed error: got %v", err)
	}
	if name, cause := fe.StatesError(); name != "CorruptImage" || !strings.Contains(cause, `"errorMessage":"not an image"`) {
		t.Errorf("Step Functions would see %q, cause %s; want CorruptImage with the runtime's payload", name, cause)
	}

	_, err = r.Invoke(ctx, "fn", []byte(`{"exit":true}`))
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 3") {
		t.Errorf("a process exiting mid-invocation: got %v, want Runtime.ExitError with its exit status", err)
	}
	if _, err := r.Invoke(ctx, "fn", []byte(`{}`)); err != nil {
		t.Errorf("after an exit the next invocation starts a new process: %v", err)
	}
}

// TestProcessExitDuringInit: a binary that exits before it polls for work
// (a missing variable, a failed cold-start read) is Runtime.ExitError, as
// Lambda reports it.
func TestProcessExitDuringInit(t *testing.T) {
	bin := buildBootstrap(t)
	r := processRegistry(t, &Process{Path: bin, Env: []string{"BOOTSTRAP_MODE=exit-init"}})
	_, err := r.Invoke(context.Background(), "fn", []byte(`{}`))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a function error", err)
	}
	if name, _ := fe.StatesError(); name != "Runtime.ExitError" || !strings.Contains(fe.Message, "during init") || !strings.Contains(fe.Message, "exit status 1") {
		t.Errorf("got %s: %s, want Runtime.ExitError during init with exit status 1", name, fe.Message)
	}
}
