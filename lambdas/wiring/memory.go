package wiring

import (
	"os"
	"runtime/debug"
	"strconv"
)

// Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB, in every function's
// environment, so the memory the template declares reaches the code without
// a template variable of its own.
const lambdaMemoryVar = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"

// LambdaMemory returns the function's memory in bytes, or 0 outside Lambda
// (or for a value that is not a positive number of MB). lookup reads a
// variable; nil means os.Getenv. The convert function derives its limits
// from it: thumbnail.LimitsForMemory(LambdaMemory(env.Lookup)).
func LambdaMemory(lookup func(string) string) int64 {
	if lookup == nil {
		lookup = os.Getenv
	}
	mb, err := strconv.ParseInt(lookup(lambdaMemoryVar), 10, 64)
	if err != nil || mb <= 0 || mb > 1<<20 { // Lambda allows 128–10240 MB
		return 0
	}
	return mb << 20
}

// MemoryLimit is the Go runtime's soft memory limit for a function with
// memory bytes: all but a tenth of it, and at least 64 MiB less. Lambda
// stops a function whose whole process exceeds its memory, and the Go limit
// counts only what the runtime manages (heap, stacks, its own metadata);
// the rest, the mapped binary and memory the scavenger has not yet returned
// to the kernel, lives in the headroom.
func MemoryLimit(memory int64) int64 {
	return memory - max(memory/10, 64<<20)
}

// SetMemoryLimitFromLambda sets GOMEMLIMIT from the function's memory at
// start and returns the limit it set, or 0 when it set none: outside Lambda,
// or when the GOMEMLIMIT variable is set, which is an operator's explicit
// choice. Without a limit the garbage collector lets the heap grow to twice
// what is live, so a conversion whose decoded image fits the budget (half
// the memory, see thumbnail.LimitsForMemory) could still take the process
// past the function's memory; with it, the collector works harder near the
// limit instead.
func SetMemoryLimitFromLambda() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	memory := LambdaMemory(nil)
	if memory == 0 {
		return 0
	}
	limit := MemoryLimit(memory)
	if limit <= 0 {
		return 0
	}
	debug.SetMemoryLimit(limit)
	return limit
}
