package apigw_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/coder/websocket"

	"thumbflow/internal/awsfake"
	"thumbflow/local/apigw"
	"thumbflow/local/sigv4"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
	"thumbflow/upload/wspush"
	routes "thumbflow/websocket"
)

// pipeline wires the real route handlers and status publisher to a gateway,
// as thumbflow dev does, with S3 served by awsfake.
type pipeline struct {
	*env
	pub *upload.Publisher
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	c := awsfake.S3(t, "uploads", "output", "records")
	signer, err := upload.NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	store := &s3store.Store{Client: c, Bucket: "records"}
	h := &routes.Handler{
		Presigner:     s3.NewPresignClient(c),
		Store:         store,
		Signer:        signer,
		Limits:        upload.Limits{MaxBytes: 25 << 20, Types: thumbnail.AcceptedContentTypes()},
		Renditions:    []string{"thumb", "preview"},
		UploadsBucket: "uploads", OutputBucket: "output", RecordsBucket: "records",
		Log:     quiet(),
		Pending: &s3store.Markers{Client: c, Bucket: "records"},
	}
	e := start(t, apigw.Options{Handler: h.Handle, Routes: routes.Actions, Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	return &pipeline{env: e, pub: &upload.Publisher{Store: store, Pusher: &wspush.Pusher{Client: e.client}, Log: quiet()}}
}

// readType reads frames until one of type typ arrives.
func readType(t *testing.T, c *websocket.Conn, typ string) map[string]json.RawMessage {
	t.Helper()
	for {
		var m map[string]json.RawMessage
		raw := read(t, c)
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("frame is not JSON: %q", raw)
		}
		var got string
		json.Unmarshal(m["type"], &got)
		if got == typ {
			return m
		}
		if got == "error" {
			t.Fatalf("waiting for %s, got error %s", typ, raw)
		}
	}
}

// states reads status messages until a terminal state and returns them as
// "state/attempt".
func states(t *testing.T, c *websocket.Conn) []string {
	t.Helper()
	var seen []string
	for {
		var msg upload.StatusMessage
		json.Unmarshal(readType(t, c, "status")["status"], &msg.Status)
		seen = append(seen, fmt.Sprintf("%s/%d", msg.Status.State, msg.Status.Attempt))
		if msg.Status.State.Terminal() {
			return seen
		}
	}
}

// Two tabs watching one upload, one through the grant and one through
// subscribe, see the same status sequence; a closed third tab's 410 does not
// disturb them.
func TestProtocolTwoTabsSeeTheSameStatusSequence(t *testing.T) {
	p := newPipeline(t)
	tabA, tabB, tabC := dial(t, p.wsURL), dial(t, p.wsURL), dial(t, p.wsURL)

	write(t, tabA, `{"action":"upload","requestId":"f1","name":"cat.jpg","type":"image/jpeg","size":1234}`)
	var g upload.Grant
	if err := json.Unmarshal(readType(t, tabA, "grant")["grant"], &g); err != nil || g.UploadID == "" || g.Token == "" {
		t.Fatalf("grant %+v: %v", g, err)
	}
	sub := fmt.Sprintf(`{"action":"subscribe","requestId":"s1","uploadId":%q,"token":%q}`, g.UploadID, g.Token)
	for _, tab := range []*websocket.Conn{tabB, tabC} {
		write(t, tab, sub)
		readType(t, tab, "subscribed")
	}
	tabC.Close(websocket.StatusNormalClosure, "tab closed")

	ctx := context.Background()
	updates := []upload.Update{
		{UploadID: g.UploadID, State: upload.StateUploaded},
		{UploadID: g.UploadID, State: upload.StateConverting, Attempt: 1},
		{UploadID: g.UploadID, State: upload.StateRetrying, Attempt: 2},
		{UploadID: g.UploadID, State: upload.StateSucceeded, Attempt: 2},
	}
	for _, u := range updates {
		if _, err := p.pub.Publish(ctx, u); err != nil {
			t.Fatalf("publish %s: %v", u.State, err)
		}
	}
	a, b := states(t, tabA), states(t, tabB)
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("tab A saw %v, tab B saw %v", a, b)
	}
	if len(a) != len(updates) || !strings.HasPrefix(a[0], "uploaded/") || !strings.HasPrefix(a[len(a)-1], "succeeded/") {
		t.Errorf("tabs saw %v, want one status per update ending in succeeded", a)
	}
	// The closed tab's subscription was dropped on its 410.
	deadline := time.Now().Add(5 * time.Second)
	for {
		subs, err := p.pub.Store.Subscribers(ctx, g.UploadID)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscribers after tab C closed: %v, want the two open tabs", subs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A request over the handlers' 8 KB limit is answered with MessageTooLarge
// echoing the requestId the start of the frame holds; one over the
// gateway's 128 KB limit closes the socket with 1009 and is answered with
// nothing, as on API Gateway, where such a message never reaches the
// integration (its quotas page: "the connection is closed with code 1009").
func TestProtocolOversizedMessages(t *testing.T) {
	p := newPipeline(t)
	c := dial(t, p.wsURL)
	write(t, c, `{"action":"subscribe","requestId":"big","pad":"`+strings.Repeat("x", 10<<10)+`"}`)
	m := readType(t, c, "error")
	var code, id string
	json.Unmarshal(m["code"], &code)
	json.Unmarshal(m["requestId"], &id)
	if code != "MessageTooLarge" || id != "big" {
		t.Errorf("10 KB request: code %q requestId %q, want MessageTooLarge echoing \"big\"", code, id)
	}
	// The gateway may close before the client has written it all.
	c.Write(context.Background(), websocket.MessageText, []byte(`{"action":"subscribe","requestId":"huge","pad":"`+strings.Repeat("x", 200<<10)+`"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err == nil {
		t.Fatalf("200 KB message answered %s, want the socket closed with 1009", data)
	}
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Errorf("200 KB message: close %v (%v), want 1009", got, err)
	}
}

// The protocol's error answers, end to end through the gateway with the
// real route handlers and a real WebSocket client: an absent or mistyped
// field is InvalidRequest naming the field in plain words, and an error
// echoes the requestId whenever it can be read.
func TestProtocolErrorAnswers(t *testing.T) {
	p := newPipeline(t)
	c := dial(t, p.wsURL)
	cases := []struct{ name, msg, code, requestID, mention string }{
		{"missing size", `{"action":"upload","requestId":"e1","name":"cat.jpg","type":"image/jpeg"}`, "InvalidRequest", "e1", `"size" is missing`},
		{"missing type", `{"action":"upload","requestId":"e2","name":"cat.jpg","size":1234}`, "InvalidRequest", "e2", `"type" is missing`},
		{"size as string", `{"action":"upload","requestId":"e3","name":"cat.jpg","type":"image/jpeg","size":"1234"}`, "InvalidRequest", "e3", `"size" must be a whole number of bytes`},
		{"missing token", `{"action":"subscribe","requestId":"e4","uploadId":"9f86d081884c7d659a2feaa0c55ad015"}`, "InvalidRequest", "e4", `"token" is missing`},
		{"not an object", `[{"action":"upload"}]`, "InvalidMessage", "", "must be a JSON object"},
		{"cut short", `{"requestId":"e6","action":"upload","name":`, "InvalidMessage", "e6", "not valid JSON"},
		{"oversized", `{"requestId":"e7","action":"upload","name":"` + strings.Repeat("n", 9<<10) + `"}`, "MessageTooLarge", "e7", "8192"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			write(t, c, tc.msg)
			var got routes.ErrorMessage
			if raw := read(t, c); json.Unmarshal([]byte(raw), &got) != nil || got.Type != "error" {
				t.Fatalf("answer %q, want an error message", raw)
			}
			if got.Code != tc.code || got.RequestID != tc.requestID || !strings.Contains(got.Message, tc.mention) {
				t.Errorf("answer %+v, want %s echoing %q and mentioning %s", got, tc.code, tc.requestID, tc.mention)
			}
			for _, internal := range []string{"Go value", "int64", "json:", "unmarshal"} {
				if strings.Contains(got.Message, internal) {
					t.Errorf("message %q shows Go internals", got.Message)
				}
			}
		})
	}
}
