package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"thumbflow/local/lambda"
	"thumbflow/upload"
)

// startCloud runs an in-memory local cloud on free ports.
func startCloud(t testing.TB, mod ...func(*Config)) *Cloud {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", StateMachines: "../../statemachine"}
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

// client is a browser-shaped WebSocket client of the protocol.
type client struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan map[string]any
}

func dial(t testing.TB, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	cl := &client{t: t, conn: conn, msgs: make(chan map[string]any, 100)}
	go func() {
		defer close(cl.msgs)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				cl.msgs <- m
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return cl
}

func (cl *client) send(v any) {
	cl.t.Helper()
	b, _ := json.Marshal(v)
	if err := cl.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		cl.t.Fatal(err)
	}
}

// next returns the next message of type typ, skipping none: an unexpected
// message fails the test unless skip lists its type.
func (cl *client) next(typ string, timeout time.Duration) map[string]any {
	cl.t.Helper()
	select {
	case m, ok := <-cl.msgs:
		if !ok {
			cl.t.Fatalf("socket closed while waiting for %s", typ)
		}
		if m["type"] != typ {
			cl.t.Fatalf("got %v, want a %s message", m, typ)
		}
		return m
	case <-time.After(timeout):
		cl.t.Fatalf("no %s message within %s", typ, timeout)
	}
	return nil
}

// states collects status states until a terminal one arrives.
func (cl *client) states(timeout time.Duration) ([]string, upload.Record) {
	cl.t.Helper()
	var seen []string
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-cl.msgs:
			if !ok {
				cl.t.Fatalf("socket closed after %v", seen)
			}
			raw, _ := json.Marshal(m["status"])
			var rec upload.Record
			json.Unmarshal(raw, &rec)
			if m["type"] != "status" && m["type"] != "subscribed" {
				cl.t.Fatalf("unexpected message %v", m)
			}
			label := string(rec.State)
			if rec.State == upload.StateRetrying {
				label = fmt.Sprintf("retrying(%d)", rec.Attempt)
			}
			seen = append(seen, label)
			if rec.State.Terminal() {
				return seen, rec
			}
		case <-deadline:
			cl.t.Fatalf("no terminal status within %s; saw %v", timeout, seen)
		}
	}
}

func (cl *client) grant(name, typ string, size int) upload.Grant {
	cl.t.Helper()
	cl.send(map[string]any{"action": "upload", "requestId": name, "name": name, "type": typ, "size": size})
	m := cl.next("grant", 5*time.Second)
	raw, _ := json.Marshal(m["grant"])
	var g upload.Grant
	json.Unmarshal(raw, &g)
	return g
}

// post uploads data as a browser does: the grant's fields, then the file.
func post(t testing.TB, g upload.Grant, name string, data []byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range g.Upload.Fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, g.Upload.URL, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func photo(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 3), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes()
}

func TestUploadToThumbnailOverTheRealProtocol(t *testing.T) {
	c := startCloud(t)
	cl := dial(t, c.WebSocketURL)
	data := photo(t, 800, 600)
	g := cl.grant("holiday.jpg", "image/jpeg", len(data))

	resp := post(t, g, "holiday.jpg", data)
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST = %d %s", resp.StatusCode, b)
	}
	seen, rec := cl.states(20 * time.Second)
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
	cl := dial(t, c.WebSocketURL)
	data := []byte("this is a text file, named like a photo\n")
	g := cl.grant("photo.jpg", "image/jpeg", len(data))
	if resp := post(t, g, "photo.jpg", data); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	seen, rec := cl.states(20 * time.Second)
	if seen[len(seen)-1] != "failed" || rec.Error == nil || rec.Error.Code != "CorruptImage" || rec.Attempt != 1 {
		t.Fatalf("states %v, record %+v: want failed CorruptImage after 1 attempt", seen, rec)
	}
}

func TestRetriedConversionIsVisibleAndSucceeds(t *testing.T) {
	c := startCloud(t, func(cfg *Config) { cfg.Clock = NewFastClock(20) })
	// The first attempt hangs past the task's 25 s TimeoutSeconds, which
	// the state machine retries as States.Timeout.
	if err := c.Lambdas.InjectFault(ConvertFunction, lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	cl := dial(t, c.WebSocketURL)
	data := photo(t, 64, 64)
	g := cl.grant("slow.jpg", "image/jpeg", len(data))
	if resp := post(t, g, "slow.jpg", data); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	seen, rec := cl.states(20 * time.Second)
	if strings.Join(seen, ",") != "uploaded,converting,retrying(2),succeeded" || rec.Attempt != 2 {
		t.Fatalf("states = %v (attempt %d), want uploaded,converting,retrying(2),succeeded", seen, rec.Attempt)
	}
}
