//go:build !linux

package thumbnail

import "github.com/tetratelabs/wazero/experimental"

// wasmMemory is a linear memory capped at the budget. Linux (Lambda) maps
// it (wasmmem_linux.go); elsewhere it is a Go slice of the budget's
// capacity, which the runtime also leaves untouched until used.
type wasmMemory struct {
	limit   uint64
	buf     []byte
	peak    uint64
	refused bool
	failed  bool
}

// Allocate implements experimental.MemoryAllocator.
func (m *wasmMemory) Allocate(_, max uint64) experimental.LinearMemory {
	m.buf = make([]byte, 0, min(m.limit, max))
	return m
}

// Reallocate implements experimental.LinearMemory.
func (m *wasmMemory) Reallocate(size uint64) []byte {
	m.peak = max(m.peak, size)
	if size > uint64(cap(m.buf)) {
		m.refused = true
		return nil
	}
	return m.buf[:size:size]
}

// Free implements experimental.LinearMemory.
func (m *wasmMemory) Free() { m.buf = nil }
