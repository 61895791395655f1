package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"thumbflow/internal/logtest"
)

var webURL = regexp.MustCompile(`Web client\s+(http://\S+)`)

func TestDevStartsServesAndStopsGracefully(t *testing.T) {
	data := t.TempDir()
	var out logtest.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	for round := 1; round <= 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"dev", "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", data, "-statemachines", "../../statemachine"})
		}()
		var url string
		for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := webURL.FindAllStringSubmatch(out.String(), -1); len(m) == round {
				url = m[round-1][1]
			}
		}
		if url == "" {
			cancel()
			t.Fatalf("round %d: no web URL printed:\n%s", round, out.String())
		}
		for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:", "AWS_ACCESS_KEY_ID=test", "WebSocket API  ws://127.0.0.1:"} {
			if !bytes.Contains([]byte(out.String()), []byte(want)) {
				t.Errorf("startup output lacks %q", want)
			}
		}
		resp, err := http.Get(url + "/config.json")
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct{ WebsocketURL string }
		json.NewDecoder(resp.Body).Decode(&cfg)
		resp.Body.Close()
		if cfg.WebsocketURL == "" {
			t.Errorf("config.json has no websocketUrl")
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("round %d: exit %d after SIGINT-like cancel", round, code)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("dev did not stop")
		}
	}
	if fi, err := os.Stat(filepath.Join(data, "token.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token key not kept privately in the data directory: %v %v", fi, err)
	}
}
