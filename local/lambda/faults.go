package lambda

import (
	"fmt"
	"math/rand/v2"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Faults are injected by the runtime, around the handler, never inside
// it: the handler code is the deployed code, and a fault seen through the
// runtime is what Step Functions would see from Lambda. Tests queue them
// one invocation at a time (InjectFault); `thumbflow dev -faults` also
// sets a rate, for demos that show retries on purpose.

// faultRate makes each invocation fail as fault with probability p.
type faultRate struct {
	fault Fault
	p     float64
}

// InjectFaultRate makes every later invocation of the function fail as f
// with probability p (0 < p ≤ 1), after any queued faults; FaultNone or
// p = 0 stops it.
func (r *Registry) InjectFaultRate(ref string, f Fault, p float64) error {
	name, _, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("inject fault into %q: %w", ref, err)
	}
	if p < 0 || p > 1 {
		return fmt.Errorf("inject fault into %q: rate %v is outside 0–1", ref, p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fn, ok := r.funcs[name]
	if !ok {
		return fmt.Errorf("inject fault into %q: function not registered", ref)
	}
	fn.rate = faultRate{f, p}
	return nil
}

// takeFault is the fault of the invocation starting now: the next queued
// one, else one drawn at the function's rate. Called with Registry.mu held.
func (f *function) takeFault() Fault {
	if len(f.faults) > 0 {
		fault := f.faults[0]
		f.faults = f.faults[1:]
		return fault
	}
	if f.rate.fault != FaultNone && f.rate.p > 0 && rand.Float64() < f.rate.p {
		return f.rate.fault
	}
	return FaultNone
}

// err is the error a fault makes the handler's invocation return, or nil
// for the faults that act otherwise (a panic, a hang).
func (f Fault) err(function string) error {
	if f == FaultTransient {
		return messages.InvokeResponse_Error{Type: "TransientError", Message: "injected fault: " + function + " failed transiently (thumbflow dev -faults)"}
	}
	return nil
}
