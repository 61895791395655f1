// Package uploadtest is test support for tests that upload through the
// protocol client (package client) to a running cloud: a client that is
// closed when the test ends, an upload that must end in a given state, a
// photograph worth uploading, and an SDK configuration for inspecting a
// local cloud afterwards. The local cloud's own tests, the CLI's and the
// operator page's use it, so they agree on what "an upload" is.
//
// It does not import the local cloud, so that package's own tests can use
// it; starting one is package cloudtest's.
package uploadtest

import (
	"context"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

// Dial connects a protocol client to the WebSocket API at url for the
// rest of the test. The handshake may take 10 s at most, within ctx: only
// a hang fails that.
func Dial(t testing.TB, ctx context.Context, url string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.CloseNow() })
	return cl
}

// Upload uploads data as a JPEG through a fresh grant on cl, as the upload
// page does, and returns the upload id once it has ended in want; any
// other end fails the test.
func Upload(t testing.TB, cl *client.Client, name string, data []byte, want upload.State) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, rec, err := cl.Upload(ctx, name, "image/jpeg", data)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != want {
		t.Fatalf("upload %s ended %s (%+v), want %s", name, rec.State, rec.Error, want)
	}
	return g.UploadID
}

// Photo is a w×h JPEG that compresses like a photograph.
func Photo(w, h int) []byte {
	return testimage.JPEG(testimage.Photo(w, h, 1), 90)
}
