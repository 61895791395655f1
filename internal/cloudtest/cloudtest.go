// Package cloudtest is test support for tests outside the local cloud that
// need one running in process: the CLI's operator commands and the /ops
// page are tested against a real local cloud, on free ports, built from the
// repository's own template (embedded in package thumbflow).
//
// The local cloud's own tests cannot import it (it imports package cloud),
// so they keep their startCloud; what they share with these tests is in
// package uploadtest.
package cloudtest

import (
	"testing"

	"thumbflow/local/cloud"
)

// Start runs a local cloud on free loopback ports, in memory unless mod
// gives it a data directory, and closes it when the test ends. Each mod
// changes the configuration before the start (a data directory, a clock,
// an alert webhook). Closing it earlier, to restart on the same data
// directory, is allowed: Close is idempotent. Names come from the cloud's
// model: c.Stack.Bucket("RecordsBucket").Name, c.Stack.Function(...).
func Start(t testing.TB, mod ...func(*cloud.Config)) *cloud.Cloud {
	t.Helper()
	cfg := cloud.Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0"}
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
