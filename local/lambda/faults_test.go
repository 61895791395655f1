package lambda

import (
	"context"
	"errors"
	"testing"
)

func TestTransientFaultIsTheErrorPayloadTheWorkflowRetries(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.InjectFault("echo", FaultTransient); err != nil {
		t.Fatal(err)
	}
	_, err := r.Invoke(context.Background(), "echo", []byte(`{"key":"a"}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "TransientError" {
		t.Fatalf("injected transient fault: %v, want a TransientError function error", err)
	}
	if name, cause := fe.StatesError(); name != "TransientError" || cause == "" {
		t.Errorf("Step Functions sees %q, %q", name, cause)
	}
	if out, err := r.Invoke(context.Background(), "echo", []byte(`{"key":"a"}`)); err != nil {
		t.Errorf("the next invocation still fails: %v %s", err, out)
	}
}

func TestFaultRate(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.InjectFaultRate("echo", FaultTransient, 1); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := r.Invoke(context.Background(), "echo", []byte(`{}`)); err == nil {
			t.Fatal("rate 1: an invocation succeeded")
		}
	}
	if err := r.InjectFaultRate("echo", FaultNone, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Invoke(context.Background(), "echo", []byte(`{}`)); err != nil {
		t.Errorf("rate 0: %v", err)
	}
	for _, bad := range []float64{-0.1, 1.5} {
		if err := r.InjectFaultRate("echo", FaultTransient, bad); err == nil {
			t.Errorf("rate %v accepted", bad)
		}
	}
	if err := r.InjectFaultRate("nope", FaultTransient, 0.5); err == nil {
		t.Error("a fault for an unregistered function accepted")
	}
}
