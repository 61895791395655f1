package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeCloud is a small stand-in for the gateway and S3 that speaks
// docs/protocol.md, on an origin other than the page's, as in production.
// It converts nothing: it pushes the status sequence a real pipeline would.
//
// Nothing keeps it in step with the real protocol (its messages drifted
// from the real ones before), so it is kept only for what the real local
// cloud cannot be made to do on cue:
//   - hold a conversion in "converting" until the test releases it
//     (holdConversions: progress at 100 %, the local preview, axe mid-batch,
//     a reload mid-conversion);
//   - refuse a POST with a chosen S3 error code, then accept the retry
//     (refuse: upload again after a failure);
//   - hang: keep the socket open and answer nothing (mute: the heartbeat);
//   - show the exact form S3 received and every client message
//     (postsSeen, actions), and serve a config.json with other limits.
//
// Reconnect, retrying, a second tab, late and duplicate pushes and every
// test that needs none of the above run on the real local cloud
// (cloud_test.go, cloud_push_test.go, openRealPage).
type fakeCloud struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	conns    map[*fakeConn]bool
	uploads  map[string]*fakeUpload
	messages []clientMessage
	posts    []fakePost
	nextID   int
	hold     chan struct{} // when non-nil, conversions wait for it to close
	refuse   string        // when non-empty, S3 refuses every post with this code
	linkTTL  time.Duration // of the links answered to "links"; an hour when 0
	mute     bool          // when true, messages are read and never answered: a hung server
}

type fakeConn struct {
	c  *websocket.Conn
	id int
	mu sync.Mutex
}

type clientMessage struct {
	conn int
	msg  map[string]any
}

type fakePost struct {
	fieldsBeforeFile []string
	fieldsAfterFile  []string
	contentType      string
	fileBytes        int
}

type fakeUpload struct {
	id, token, name, typ string
	size                 int64
	record               map[string]any
	subs                 map[*fakeConn]bool
	width, height        int // of the uploaded image; 0 when it is not one
}

func newFakeCloud(t *testing.T) *fakeCloud {
	f := &fakeCloud{t: t, conns: map[*fakeConn]bool{}, uploads: map[string]*fakeUpload{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", f.serveWS)
	mux.HandleFunc("/bucket", f.servePost)
	mux.HandleFunc("GET /renditions/{id}/{name}", f.serveRendition)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.dropAll()
		f.srv.Close()
	})
	return f
}

func (f *fakeCloud) wsURL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws" }

// set changes the fake's behaviour under its lock.
func (f *fakeCloud) set(change func(*fakeCloud)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// holdConversions makes every conversion stop in "converting" until release.
func (f *fakeCloud) holdConversions() (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.hold = ch
	f.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (f *fakeCloud) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // the page is on another origin
	if err != nil {
		return
	}
	f.mu.Lock()
	f.nextID++
	fc := &fakeConn{c: c, id: f.nextID}
	f.conns[fc] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, fc)
		for _, u := range f.uploads {
			delete(u.subs, fc)
		}
		f.mu.Unlock()
		c.CloseNow()
	}()
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		var msg map[string]any
		if err := json.Unmarshal(data, &msg); err != nil {
			f.send(fc, map[string]any{"type": "error", "code": "InvalidMessage", "message": "not JSON"})
			continue
		}
		f.mu.Lock()
		f.messages = append(f.messages, clientMessage{conn: fc.id, msg: msg})
		mute := f.mute
		f.mu.Unlock()
		if !mute {
			f.handle(fc, msg)
		}
	}
}

func (f *fakeCloud) handle(fc *fakeConn, msg map[string]any) {
	reqID, _ := msg["requestId"].(string)
	switch msg["action"] {
	case "upload":
		name, _ := msg["name"].(string)
		typ, _ := msg["type"].(string)
		size, _ := msg["size"].(float64)
		f.mu.Lock()
		f.nextID++
		u := &fakeUpload{
			id: fmt.Sprintf("%032x", f.nextID), name: name, typ: typ, size: int64(size),
			subs: map[*fakeConn]bool{fc: true},
		}
		u.token = "tok-" + u.id
		u.record = map[string]any{"uploadId": u.id, "state": "waiting", "version": 0, "attempt": 0, "renditions": []any{}}
		f.uploads[u.id] = u
		f.mu.Unlock()
		f.send(fc, map[string]any{"type": "grant", "requestId": reqID, "grant": map[string]any{
			"uploadId": u.id, "token": u.token,
			"watchUntil": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
			"upload": map[string]any{
				"url": f.srv.URL + "/bucket",
				"fields": map[string]string{
					"key": "uploads/" + u.id, "Content-Type": typ, "policy": "cG9saWN5",
					"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": "test/20260101/us-east-1/s3/aws4_request",
					"x-amz-date": "20260101T000000Z", "x-amz-signature": "00",
				},
				"expiresAt": time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339),
			},
			"links": f.links(u),
		}})
	case "subscribe":
		id, _ := msg["uploadId"].(string)
		tok, _ := msg["token"].(string)
		f.mu.Lock()
		u := f.uploads[id]
		if u == nil || u.token != tok {
			f.mu.Unlock()
			f.send(fc, map[string]any{"type": "error", "requestId": reqID, "code": "InvalidToken", "message": "This upload link is not valid."})
			return
		}
		u.subs[fc] = true
		rec := u.record
		f.mu.Unlock()
		f.send(fc, map[string]any{"type": "subscribed", "requestId": reqID, "uploadId": id, "status": rec, "links": f.links(u)})
	case "links", "delete":
		id, _ := msg["uploadId"].(string)
		tok, _ := msg["token"].(string)
		f.mu.Lock()
		u := f.uploads[id]
		ttl := f.linkTTL
		f.mu.Unlock()
		if u == nil || u.token != tok {
			f.send(fc, map[string]any{"type": "error", "requestId": reqID, "code": "InvalidToken", "message": "This upload link is not valid."})
			return
		}
		if msg["action"] == "delete" {
			f.mu.Lock()
			delete(f.uploads, id)
			f.mu.Unlock()
			f.send(fc, map[string]any{"type": "deleted", "requestId": reqID, "uploadId": id})
			return
		}
		l := f.links(u)
		if ttl != 0 {
			l["expiresAt"] = time.Now().Add(ttl).UTC().Format(time.RFC3339)
		}
		f.send(fc, map[string]any{"type": "links", "requestId": reqID, "uploadId": id, "links": l})
	case "ping":
		f.send(fc, map[string]any{"type": "pong", "requestId": reqID})
	default:
		f.send(fc, map[string]any{"type": "error", "requestId": reqID, "code": "InvalidMessage", "message": "unknown action"})
	}
}

func (f *fakeCloud) links(u *fakeUpload) map[string]any {
	return map[string]any{
		"status": f.srv.URL + "/status/" + u.id + ".json",
		"renditions": map[string]string{
			"thumb":   f.srv.URL + "/renditions/" + u.id + "/thumb?X-Amz-Signature=1",
			"preview": f.srv.URL + "/renditions/" + u.id + "/preview?X-Amz-Signature=1",
		},
		"expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}
}

func (f *fakeCloud) send(fc *fakeConn, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Errorf("fake cloud: %v", err)
		return
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fc.c.Write(ctx, websocket.MessageText, data) // a closed socket is the client's problem
}

// push stores the next record of u and sends it to every subscriber.
func (f *fakeCloud) push(u *fakeUpload, state string, extra map[string]any) {
	f.mu.Lock()
	rec := map[string]any{
		"uploadId": u.id, "state": state, "version": u.record["version"].(int) + 1,
		"attempt": 1, "renditions": []any{}, "updatedAt": time.Now().UTC().Format(time.RFC3339),
	}
	for k, v := range extra {
		rec[k] = v
	}
	u.record = rec
	subs := make([]*fakeConn, 0, len(u.subs))
	for c := range u.subs {
		subs = append(subs, c)
	}
	f.mu.Unlock()
	for _, c := range subs {
		f.send(c, map[string]any{"type": "status", "status": rec})
	}
}

// dropAll closes every socket without a close frame, as a network drop does.
func (f *fakeCloud) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.c.CloseNow()
	}
}

// actions returns the client messages received with the given action.
func (f *fakeCloud) actions(action string) []clientMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []clientMessage
	for _, m := range f.messages {
		if m.msg["action"] == action {
			out = append(out, m)
		}
	}
	return out
}
