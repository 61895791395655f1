package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// devMemoryLimit is thumbflow dev's soft memory limit (Go's GOMEMLIMIT)
// for a machine with slots conversion slots: 32 MiB for the local cloud
// itself and 16 MiB per conversion slot. The live heap is small and does
// not grow with the backlog (about 4 MiB idle, 9 MiB with 200 uploads
// waiting, plus about 13 MiB per 12 MP conversion in progress; see
// docs/reliability.md), but without a limit the collector lets the heap
// grow to twice what is live at each cycle, so the peak RSS of a long
// burst is set by how high the heap happened to get between two cycles,
// not by what the process needs. On AWS each function sets its own limit
// from its memory size (lambdas/wiring.SetMemoryLimitFromLambda); locally
// the functions share this process, so the process gets one. The limit is
// soft: a larger image is still converted (the collector then runs more
// often, its CPU share capped by the runtime), so it costs CPU, never a
// failure.
func devMemoryLimit(slots int) int64 {
	return 32<<20 + int64(max(slots, 1))*(16<<20)
}

// setDevMemoryLimit sets devMemoryLimit for this machine's conversion
// slots (one per CPU, as local/cloud gives CPU-bound functions) and
// returns it, unless the GOMEMLIMIT variable is set, which is the
// operator's choice (GOMEMLIMIT=off turns the limit off): then it returns 0.
func setDevMemoryLimit() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit := devMemoryLimit(runtime.NumCPU())
	debug.SetMemoryLimit(limit)
	return limit
}
