package thumbnail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	_ "unsafe" // for go:linkname

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	// The modules are imported for their WebAssembly builds only (below);
	// their Decode functions are never called.
	_ "github.com/gen2brain/avif"
	_ "github.com/gen2brain/heic"
)

// HEIC and AVIF are decoded by the WebAssembly builds of libheif/libde265
// and libavif/dav1d that github.com/gen2brain/heic and /avif embed, run by
// wazero. The modules' own Decode is not used, because it cannot be
// configured and this runtime needs to be:
//
//   - the module's linear memory is capped at the conversion's memory
//     budget and reserved with mmap (wasmMemory), so it grows in place
//     instead of by append, which copied the whole memory and doubled the
//     peak, and is returned to the system the moment the decode ends;
//   - the compiled module is cached on disk where wazero allows it;
//   - the decoder never writes to the process's stdout or stderr;
//   - there is no path to a system libheif or libavif: the modules load one
//     through purego unless built with -tags nodynamic, and a native
//     library would run outside the memory cap with no way to recover from
//     its crash. Reaching the embedded bytes below, not calling the
//     packages, is what keeps the project on the WebAssembly path with or
//     without the tag.
//
// The bytes are reached with go:linkname because the packages do not
// export them. The versions are pinned in go.mod; a version that renames
// either variable fails to link rather than misbehave, and
// TestWasmModulesEmbedded checks that both are gzip data.
//
// The context is checked before each call into the module, not inside
// one. wazero can stop a running function when its context ends
// (WithCloseOnContextDone), but the checks it compiles in made decoding
// 3.5 times as costly in CPU (measured: a 1346×1346 HEIC 0.82 s → 3.1 s, a
// 512×512 10-bit AVIF 0.27 s → 0.93 s), which would be paid on every
// conversion to save a few seconds on the rare cancelled one. A decode's
// time is bounded instead, like the standard decoders', by the memory
// budget (docs/converter.md has the figures).

//go:linkname heifWasmGz github.com/gen2brain/heic.heifWasm
var heifWasmGz []byte

//go:linkname avifWasmGz github.com/gen2brain/avif.decodeWasm
var avifWasmGz []byte

// wasmModule is one decoder, compiled on first use.
type wasmModule struct {
	name string
	gz   func() []byte
	once sync.Once
	rt   wazero.Runtime
	cm   wazero.CompiledModule
	err  error
}

var (
	heifModule = &wasmModule{name: "libheif", gz: func() []byte { return heifWasmGz }}
	avifModule = &wasmModule{name: "libavif", gz: func() []byte { return avifWasmGz }}
)

// compile builds the runtime and compiles the module once per process:
// 1–2 s, paid by the first HEIC or AVIF a process sees and by none of the
// JPEGs. A failure is remembered, since it would recur.
func (w *wasmModule) compile() error {
	w.once.Do(func() {
		ctx := context.Background()
		cfg := wazero.NewRuntimeConfig()
		if cache := compilationCache(); cache != nil {
			cfg = cfg.WithCompilationCache(cache)
		}
		w.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
		if _, err := wasi_snapshot_preview1.Instantiate(ctx, w.rt); err != nil {
			w.err = fmt.Errorf("%s: wasi: %w", w.name, err)
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(w.gz()))
		if err != nil {
			w.err = fmt.Errorf("%s: embedded module: %w", w.name, err)
			return
		}
		code, err := io.ReadAll(zr)
		if err != nil {
			w.err = fmt.Errorf("%s: embedded module: %w", w.name, err)
			return
		}
		if w.cm, err = w.rt.CompileModule(ctx, code); err != nil {
			w.err = fmt.Errorf("%s: compile: %w", w.name, err)
		}
	})
	return w.err
}

// compilationCache is a directory cache of compiled modules. On Lambda it
// is under /tmp (the only writable place); it then spares the compile to a
// runtime that Lambda restarts in the same sandbox, while one long-lived
// process compiles once anyway. Elsewhere it is in the user's cache
// directory, not a shared /tmp, because the cache holds machine code that
// the process runs; it spares the compile to each `thumbflow convert` and
// test run. THUMBFLOW_WASM_CACHE overrides the place, "off" disables it.
func compilationCache() wazero.CompilationCache {
	dir := os.Getenv("THUMBFLOW_WASM_CACHE")
	switch {
	case dir == "off":
		return nil
	case dir != "":
	case os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "":
		dir = "/tmp/thumbflow-wazero"
	default:
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "thumbflow", "wazero")
	}
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil // compiling every time is slower, not wrong
	}
	return cache
}

// errWasmMemory is a decoder that asked for more memory than the budget.
var errWasmMemory = errors.New("decoder needed more memory than the budget")

// wasmInstances counts the instances started, so a test can tell that a
// file was refused before any decoding.
var wasmInstances atomic.Int64

// instance is one decode's module instance: its own linear memory, freed
// by close.
type instance struct {
	mod api.Module
	mem *wasmMemory
	ctx context.Context
}

// instantiate starts a fresh instance of w whose memory may not exceed
// limit bytes. Each decode gets its own, so nothing one file leaves in
// memory is seen by the next.
func (w *wasmModule) instantiate(ctx context.Context, limit int64) (*instance, error) {
	if err := w.compile(); err != nil {
		return nil, err
	}
	wasmInstances.Add(1)
	mem := &wasmMemory{limit: uint64(max(limit, 0))}
	ictx := experimental.WithMemoryAllocator(ctx, mem)
	cfg := wazero.NewModuleConfig().WithName("").WithStdout(io.Discard).WithStderr(io.Discard)
	var mod api.Module
	err := safeWasm(func() (err error) {
		mod, err = w.rt.InstantiateModule(ictx, w.cm, cfg)
		return err
	})
	if err != nil || mod == nil {
		mem.Free()
	}
	if mem.refused {
		// The initial memory alone is over the budget: wazero panics
		// when the allocator cannot give the module its minimum.
		return nil, errWasmMemory
	}
	if err != nil {
		return nil, fmt.Errorf("%s: instantiate: %w", w.name, err)
	}
	return &instance{mod: mod, mem: mem, ctx: ctx}, nil
}

func (in *instance) close() {
	if st, ok := in.ctx.Value(wasmStatsKey{}).(*wasmStats); ok {
		st.Peak = max(st.Peak, in.mem.peak)
	}
	in.mod.Close(context.Background())
}

// wasmStats is where a test, through the context, reads the most linear
// memory a decode took.
type wasmStats struct{ Peak uint64 }

type wasmStatsKey struct{}

// call runs an exported function if the context has not ended. A trap or
// an exit comes back as an error; running out of the memory budget as
// errWasmMemory.
func (in *instance) call(name string, args ...uint64) (uint64, error) {
	if err := in.ctx.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	f := in.mod.ExportedFunction(name)
	if f == nil {
		return 0, fmt.Errorf("module exports no %s", name)
	}
	res, err := f.Call(in.ctx, args...)
	if in.mem.refused {
		return 0, errWasmMemory
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// malloc allocates n bytes in the instance, failing on a null pointer.
func (in *instance) malloc(n int) (uint32, error) {
	p, err := in.call("malloc", uint64(n))
	if err != nil {
		return 0, err
	}
	if p == 0 || p > 1<<32-1 {
		if in.mem.refused {
			return 0, errWasmMemory
		}
		return 0, fmt.Errorf("malloc(%d) failed", n)
	}
	return uint32(p), nil
}

// write copies b into the instance's memory at p.
func (in *instance) write(p uint32, b []byte) error {
	if !in.mod.Memory().Write(p, b) {
		return fmt.Errorf("write of %d bytes at %#x out of range", len(b), p)
	}
	return nil
}

// read returns a view of n bytes at p. It aliases the instance's memory, so
// it must be copied before close.
func (in *instance) read(p uint32, n int) ([]byte, error) {
	b, ok := in.mod.Memory().Read(p, uint32(n))
	if !ok || n < 0 || uint64(n) > 1<<32 {
		return nil, fmt.Errorf("read of %d bytes at %#x out of range", n, p)
	}
	return b, nil
}

// u32s reads n little-endian uint32 values at p.
func (in *instance) u32s(p uint32, n int) ([]uint32, error) {
	out := make([]uint32, n)
	for i := range out {
		v, ok := in.mod.Memory().ReadUint32Le(p + uint32(4*i))
		if !ok {
			return nil, fmt.Errorf("read at %#x out of range", p+uint32(4*i))
		}
		out[i] = v
	}
	return out, nil
}

// safeWasm runs f and turns a panic (wazero's, or an index out of range on
// what a decoder returned) into an error, so no panic reaches a user.
func safeWasm(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder failed: %v", p)
		}
	}()
	return f()
}
