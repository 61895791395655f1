package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"thumbflow/client"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/ops"
	"thumbflow/upload"
)

// TestStatusRecordsNameNoAccount: what a browser sees of an upload (the
// grant, every pushed record, and the record it fetches through the
// links action's status URL) names no ARN and no account id, and
// `thumbflow history <upload id>` still finds the execution, by the
// identity rule.
func TestStatusRecordsNameNoAccount(t *testing.T) {
	const account = "271828182845" // a sentinel: no other number in a record looks like it
	c := cloudtest.Start(t, func(cfg *cloud.Config) { cfg.AccountID = account })
	if !strings.Contains(c.StateMachineARN, account) {
		t.Fatalf("state machine %s does not name account %s: the test would prove nothing", c.StateMachineARN, account)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, c.WebSocketURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var frames []string
	leaks := func(what, s string) {
		t.Helper()
		if strings.Contains(s, "arn:") || strings.Contains(s, account) {
			t.Errorf("%s names an ARN or the account id:\n%s", what, s)
		}
	}
	send := func(msg map[string]any) {
		t.Helper()
		b, _ := json.Marshal(msg)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	// next reads frames until one of type typ, keeping every frame.
	next := func(typ string, done func(client.Message) bool) client.Message {
		t.Helper()
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v (frames so far %q)", typ, err, frames)
			}
			frames = append(frames, string(b))
			var m client.Message
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type == "error" {
				t.Fatalf("error frame %s", b)
			}
			if m.Type == typ && (done == nil || done(m)) {
				return m
			}
		}
	}

	photo := uploadtest.Photo(64, 48)
	send(map[string]any{"action": "upload", "requestId": "g1", "name": "photo.jpg", "type": "image/jpeg", "size": len(photo)})
	g := *next("grant", nil).Grant
	if err := client.Post(ctx, nil, g, "photo.jpg", photo); err != nil {
		t.Fatal(err)
	}
	terminal := next("status", func(m client.Message) bool { return m.Status != nil && m.Status.State.Terminal() })
	if terminal.Status.State != upload.StateSucceeded || terminal.Status.Execution == "" {
		t.Fatalf("final record %+v: want succeeded, naming its execution", terminal.Status)
	}

	send(map[string]any{"action": "links", "requestId": "l1", "uploadId": g.UploadID, "token": g.Token, "name": "photo.jpg"})
	links := next("links", nil).Links
	for _, f := range frames {
		leaks("a frame the browser received", f)
	}
	res, err := http.Get(links.Status)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), g.UploadID) {
		t.Fatalf("GET the status link: %d %s", res.StatusCode, body)
	}
	leaks("the stored record", string(body))

	opsEnv(t, c)
	var h ops.History
	cliJSON(t, &h, "history", g.UploadID)
	want, _ := upload.ExecutionARN(c.StateMachineARN, terminal.Status.Execution)
	if h.ExecutionARN != want || h.Status != "SUCCEEDED" || h.UploadID != g.UploadID {
		t.Errorf("history %s: %s %s of %s; want the succeeded execution %s", g.UploadID, h.ExecutionARN, h.Status, h.UploadID, want)
	}
}
