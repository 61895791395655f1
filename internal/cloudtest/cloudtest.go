// Package cloudtest is test support for tests outside the local cloud that
// need one running in process: the CLI's operator commands and the /ops
// page are tested against a real local cloud, on free ports, with the
// repository's own state machines.
//
// The local cloud's own tests cannot import it (it imports package cloud),
// so they keep their startCloud; what they share with these tests is in
// package uploadtest.
package cloudtest

import (
	"os"
	"path/filepath"
	"testing"

	"thumbflow/local/cloud"
)

// Start runs a local cloud on free loopback ports, in memory unless mod
// gives it a data directory, and closes it when the test ends. Each mod
// changes the configuration before the start (a data directory, a clock,
// an alert webhook). Closing it earlier, to restart on the same data
// directory, is allowed: Close is idempotent.
func Start(t testing.TB, mod ...func(*cloud.Config)) *cloud.Cloud {
	t.Helper()
	cfg := cloud.Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", StateMachines: StateMachines(t)}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := cloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// StateMachines is the repository's statemachine directory, found from
// the test's working directory (its package's), so a test needs no
// "../.." of its own.
func StateMachines(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "statemachine")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory: cannot find statemachine/")
		}
		dir = parent
	}
}
