package wiring

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"testing"

	"thumbflow/thumbnail"
)

func TestSetMemoryLimitFromLambda(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1536")
	const want = 1536<<20 - 1536<<20/10 // 1382.4 MiB
	if got := SetMemoryLimitFromLambda(); got != want {
		t.Errorf("SetMemoryLimitFromLambda() = %d, want %d", got, want)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("runtime memory limit is %d, want %d", got, want)
	}

	for _, v := range []string{"", "0", "-5", "lots", "1536MB"} {
		debug.SetMemoryLimit(math.MaxInt64)
		t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", v)
		if got := SetMemoryLimitFromLambda(); got != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
			t.Errorf("memory size %q: set a limit of %d", v, got)
		}
	}

	// An explicit GOMEMLIMIT is the operator's and stays.
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1536")
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := SetMemoryLimitFromLambda(); got != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set: set a limit of %d", got)
	}
}

func TestMemoryLimit(t *testing.T) {
	for _, c := range []struct{ memory, want int64 }{
		{128 << 20, 64 << 20}, // the 64 MiB floor
		{1536 << 20, 1536<<20 - 1536<<20/10},
		{10240 << 20, 9216 << 20},
	} {
		if got := MemoryLimit(c.memory); got != c.want {
			t.Errorf("MemoryLimit(%d MiB) = %d, want %d", c.memory>>20, got, c.want)
		}
	}
	if got := LambdaMemory(func(string) string { return "1536" }); got != 1536<<20 {
		t.Errorf("LambdaMemory = %d", got)
	}
}

// thumbnail.DefaultMemory, from which the CLI's and the local cloud's limits
// derive, is the convert function's MemorySize; the function itself reads
// the figure from Lambda at start.
func TestDefaultMemoryIsConvertFunctionMemorySize(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\n  ConvertFunction:\n.*?\n      MemorySize: (\d+)\n`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("template.yaml: no MemorySize under ConvertFunction")
	}
	mb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	if mb<<20 != thumbnail.DefaultMemory {
		t.Errorf("ConvertFunction has MemorySize %d MB, thumbnail.DefaultMemory is %d MB", mb, thumbnail.DefaultMemory>>20)
	}
	if got := thumbnail.LimitsForMemory(LambdaMemory(func(string) string { return string(m[1]) })); got != thumbnail.DefaultSpec().Limits {
		t.Errorf("limits for the function's memory %+v differ from the default spec's %+v", got, thumbnail.DefaultSpec().Limits)
	}
}
