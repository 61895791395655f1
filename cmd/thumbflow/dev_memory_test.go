package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestDevMemoryLimit: thumbflow dev sets its soft memory limit for this
// machine's conversion slots, and an operator's GOMEMLIMIT wins over it.
func TestDevMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	t.Setenv("GOMEMLIMIT", "")
	want := devMemoryLimit(runtime.NumCPU())
	if got := setDevMemoryLimit(); got != want {
		t.Errorf("setDevMemoryLimit() = %d, want %d", got, want)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("the runtime's memory limit is %d, want %d", got, want)
	}
	if a, b := devMemoryLimit(2), devMemoryLimit(4); a != 64<<20 || b != 96<<20 {
		t.Errorf("devMemoryLimit(2), (4) = %d, %d MiB; want 64, 96", a>>20, b>>20)
	}

	debug.SetMemoryLimit(prev)
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := setDevMemoryLimit(); got != 0 {
		t.Errorf("with GOMEMLIMIT set, setDevMemoryLimit() = %d, want 0 (the operator's limit stands)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("with GOMEMLIMIT set, the limit changed to %d", got)
	}
}
