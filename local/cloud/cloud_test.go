package cloud

import (
	"context"
	"image"
	"net/http"
	"strings"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/internal/clocktest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/lambda"
	"thumbflow/upload"
)

// startCloud runs an in-memory local cloud on free ports.
func startCloud(t testing.TB, mod ...func(*Config)) *Cloud {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0"}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dial connects a protocol client for the rest of the test, and photo is
// a JPEG that compresses like a photograph: the helpers every test that
// uploads shares.
var (
	dial  = uploadtest.Dial
	photo = uploadtest.Photo
)

// uploadStates uploads data as a JPEG through a fresh grant on cl and
// returns the grant, the states the upload went through up to its first
// terminal record ("retrying(2)" for a retry) and that record. A message
// that is neither an answer nor a status fails the test.
func uploadStates(t testing.TB, cl *client.Client, name string, data []byte) (upload.Grant, []string, upload.Record) {
	t.Helper()
	return uploadStatesTyped(t, cl, name, "image/jpeg", data)
}

// uploadStatesTyped is uploadStates for a file declared as typ.
func uploadStatesTyped(t testing.TB, cl *client.Client, name, typ string, data []byte) (upload.Grant, []string, upload.Record) {
	t.Helper()
	// Generous: a HEIC or AVIF decode takes seconds on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g, rec, err := cl.Upload(ctx, name, typ, data)
	if err != nil {
		t.Fatal(err)
	}
	msgs := cl.Statuses(g.UploadID)
	for i, m := range msgs {
		if m.Status.State.Terminal() {
			msgs = msgs[:i+1]
			break
		}
	}
	if u := cl.Unsolicited(); len(u) > 0 {
		t.Fatalf("unexpected messages %+v", u)
	}
	return g, client.States(msgs), rec
}

func TestUploadToThumbnailOverTheRealProtocol(t *testing.T) {
	c := startCloud(t)
	cl := dial(t, context.Background(), c.WebSocketURL)
	g, seen, rec := uploadStates(t, cl, "holiday.jpg", photo(800, 600))
	if strings.Join(seen, ",") != "uploaded,converting,succeeded" {
		t.Errorf("states = %v, want uploaded,converting,succeeded", seen)
	}
	if len(rec.Renditions) != 2 {
		t.Fatalf("renditions = %+v", rec.Renditions)
	}
	thumb, err := http.Get(g.Links.Renditions["thumb"])
	if err != nil {
		t.Fatal(err)
	}
	defer thumb.Body.Close()
	cfg, format, err := image.DecodeConfig(thumb.Body)
	if err != nil || format != "jpeg" || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("thumbnail via grant link: %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}
}

func TestCorruptUploadFailsWithReason(t *testing.T) {
	c := startCloud(t)
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, rec := uploadStates(t, cl, "photo.jpg", []byte("this is a text file, named like a photo\n"))
	if seen[len(seen)-1] != "failed" || rec.Error == nil || rec.Error.Code != "CorruptImage" || rec.Attempt != 1 {
		t.Fatalf("states %v, record %+v: want failed CorruptImage after 1 attempt", seen, rec)
	}
}

func TestRetriedConversionIsVisibleAndSucceeds(t *testing.T) {
	t.Parallel() // idle through a 12.5 s task timeout, beside the others
	c := startCloud(t, func(cfg *Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	// The first attempt hangs past the task's 25 s TimeoutSeconds, which
	// the state machine retries as States.Timeout.
	if err := c.Lambdas.InjectFault(functionName(c, "ConvertFunction"), lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, rec := uploadStates(t, cl, "slow.jpg", photo(64, 64))
	if strings.Join(seen, ",") != "uploaded,converting,retrying(2),succeeded" || rec.Attempt != 2 {
		t.Fatalf("states = %v (attempt %d), want uploaded,converting,retrying(2),succeeded", seen, rec.Attempt)
	}
}
