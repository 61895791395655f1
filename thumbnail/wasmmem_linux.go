package thumbnail

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// wasmMemory backs one instance's linear memory with an anonymous mapping
// of the budget's size. The mapping is only address space until the
// decoder touches it, so it costs what the decoder uses; growing it never
// moves or copies it (wazero's default appends, which copies the whole
// memory at each growth and briefly holds both); it lies outside the Go
// heap, so GOMEMLIMIT's collector does not count it as live; and Free
// returns it to the system at once instead of at the next GC.
type wasmMemory struct {
	limit   uint64 // bytes the decoder may use
	buf     []byte // the mapping, limit bytes long
	peak    uint64 // the largest size the module asked for
	refused bool   // a growth past limit was refused
	failed  bool   // the mapping could not be made
}

// Allocate implements experimental.MemoryAllocator.
func (m *wasmMemory) Allocate(_, max uint64) experimental.LinearMemory {
	size := min(m.limit, max)
	size = (size + 0xffff) &^ 0xffff
	if size == 0 {
		return m
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		m.failed = true
		return m
	}
	m.buf = b
	return m
}

// Reallocate implements experimental.LinearMemory. Returning nil makes the
// module's memory.grow fail, which its malloc reports as out of memory.
func (m *wasmMemory) Reallocate(size uint64) []byte {
	m.peak = max(m.peak, size)
	if size > uint64(len(m.buf)) {
		m.refused = !m.failed
		return nil
	}
	return m.buf[:size:size]
}

// Free implements experimental.LinearMemory; wazero calls it when the
// instance is closed.
func (m *wasmMemory) Free() {
	if m.buf != nil {
		syscall.Munmap(m.buf)
		m.buf = nil
	}
}
