package websocket

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/internal/awsfake"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

type fixture struct {
	h     *Handler
	store *s3store.Store
	pub   *upload.Publisher
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	c := awsfake.S3(t, "uploads", "output", "records")
	signer, err := upload.NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: &s3store.Store{Client: c, Bucket: "records"}, now: time.Now().UTC().Truncate(time.Second)}
	f.h = &Handler{
		Presigner:     s3.NewPresignClient(c),
		Store:         f.store,
		Signer:        signer,
		Limits:        upload.Limits{MaxBytes: 25 << 20, Types: thumbnail.AcceptedContentTypes()},
		Renditions:    []string{"thumb", "preview"},
		UploadsBucket: "uploads", OutputBucket: "output", RecordsBucket: "records",
		Now:     func() time.Time { return f.now },
		Pending: &s3store.Markers{Client: c, Bucket: "records"},
	}
	f.pub = &upload.Publisher{Store: f.store, Pusher: nopPusher{}, Now: func() time.Time { return f.now }}
	return f
}

type nopPusher struct{}

func (nopPusher) Push(context.Context, string, []byte) error { return nil }

// send runs a message through the handler as API Gateway would deliver it.
func (f *fixture) send(t *testing.T, conn, routeKey, body string) map[string]any {
	t.Helper()
	var req events.APIGatewayWebsocketProxyRequest
	req.RequestContext.ConnectionID = conn
	req.RequestContext.RouteKey = routeKey
	req.RequestContext.EventType = "MESSAGE"
	req.Body = body
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("handler error (API Gateway would say Internal server error): %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("answer is not JSON: %q", resp.Body)
	}
	return m
}

func (f *fixture) grant(t *testing.T, conn string) upload.Grant {
	t.Helper()
	m := f.send(t, conn, "upload", `{"action":"upload","requestId":"r1","name":"holiday photo ü.jpg","type":"image/jpeg","size":2481152}`)
	if m["type"] != "grant" || m["requestId"] != "r1" {
		t.Fatalf("answer = %v, want a grant echoing requestId", m)
	}
	b, _ := json.Marshal(m["grant"])
	var g upload.Grant
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestUploadGrantFixesKeyTypeAndSize(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "c1")
	if !upload.ValidID(g.UploadID) {
		t.Fatalf("upload id %q", g.UploadID)
	}
	if g.Upload.Fields["key"] != upload.OriginalKey(g.UploadID) || g.Upload.Fields["Content-Type"] != "image/jpeg" {
		t.Errorf("fields = %v", g.Upload.Fields)
	}
	raw, err := base64.StdEncoding.DecodeString(g.Upload.Fields["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Expiration string
		Conditions []any
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	conds, _ := json.Marshal(policy.Conditions)
	for _, want := range []string{`["content-length-range",2481152,2481152]`, `{"Content-Type":"image/jpeg"}`, `{"key":"uploads/` + g.UploadID + `"}`, `{"bucket":"uploads"}`} {
		if !strings.Contains(string(conds), want) {
			t.Errorf("policy conditions %s lack %s", conds, want)
		}
	}
	// The SDK presigns with the wall clock, the handler's clock is "now" too.
	if exp, _ := time.Parse(time.RFC3339, policy.Expiration); exp.Sub(f.now.Add(5*time.Minute)).Abs() > 2*time.Second {
		t.Errorf("policy expires %s, want 5 minutes after %s", policy.Expiration, f.now)
	}
	if g.Links.Renditions["thumb"] == "" || g.Links.Renditions["preview"] == "" || !strings.Contains(g.Links.Status, "X-Amz-Signature") {
		t.Errorf("links = %+v", g.Links)
	}
	subs, err := f.store.Subscribers(context.Background(), g.UploadID)
	if err != nil || len(subs) != 1 || subs[0] != "c1" {
		t.Errorf("requester not subscribed: %v %v", subs, err)
	}
	if f.grant(t, "c1").UploadID == g.UploadID {
		t.Error("two grants share an upload id")
	}
}

func TestUploadRequestsRefused(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, body, code string }{
		{"oversized", `{"action":"upload","name":"big.jpg","type":"image/jpeg","size":26214401}`, "FileTooLarge"},
		{"wrong type", `{"action":"upload","name":"doc.pdf","type":"application/pdf","size":100}`, "UnsupportedFormat"},
		{"svg", `{"action":"upload","name":"x.svg","type":"image/svg+xml","size":100}`, "UnsupportedFormat"},
		{"empty", `{"action":"upload","name":"x.jpg","type":"image/jpeg","size":0}`, "EmptyFile"},
		{"negative", `{"action":"upload","name":"x.jpg","type":"image/jpeg","size":-5}`, "InvalidRequest"},
		{"no name", `{"action":"upload","type":"image/jpeg","size":5}`, "InvalidRequest"},
		{"size as string", `{"action":"upload","requestId":"r9","name":"x.jpg","type":"image/jpeg","size":"5"}`, "InvalidRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := f.send(t, "c1", "upload", c.body)
			if m["type"] != "error" || m["code"] != c.code || m["message"] == "" {
				t.Errorf("answer = %v, want error %s", m, c.code)
			}
			if strings.Contains(c.body, `"requestId":"r9"`) && m["requestId"] != "r9" {
				t.Errorf("answer = %v does not echo requestId r9", m)
			}
		})
	}
}

func TestMalformedAndUnknownMessages(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, route, body, code, mention string }{
		{"not json", "$default", `{"action":`, "InvalidMessage", "upload"},
		{"array", "$default", `[1,2]`, "InvalidMessage", "subscribe"},
		{"unknown action", "$default", `{"action":"destroy"}`, "InvalidMessage", `"delete"`},
		{"no action", "$default", `{"hello":1}`, "InvalidMessage", "upload"},
		{"too large", "$default", `{"action":"upload","name":"` + strings.Repeat("a", 9000) + `"}`, "MessageTooLarge", "8192"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := f.send(t, "c1", c.route, c.body)
			if m["type"] != "error" || m["code"] != c.code || !strings.Contains(m["message"].(string), c.mention) {
				t.Errorf("answer = %v, want %s mentioning %s", m, c.code, c.mention)
			}
		})
	}
}

func TestSubscribeRefusesForgedAndForeignTokens(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "c1")
	other := f.grant(t, "c1")
	otherSigner, _ := upload.NewSigner([]byte(strings.Repeat("z", 32)))
	forged := otherSigner.Issue(g.UploadID, f.now.Add(time.Hour))

	for name, c := range map[string]struct{ id, token, code string }{
		"forged":        {g.UploadID, forged, "InvalidToken"},
		"other upload":  {g.UploadID, other.Token, "InvalidToken"},
		"garbage":       {g.UploadID, "not-a-token", "InvalidToken"},
		"bad upload id": {"../../etc", g.Token, "InvalidRequest"},
	} {
		t.Run(name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"action": "subscribe", "uploadId": c.id, "token": c.token})
			m := f.send(t, "c2", "subscribe", string(body))
			if m["type"] != "error" || m["code"] != c.code {
				t.Errorf("answer = %v, want %s", m, c.code)
			}
		})
	}
	subs, _ := f.store.Subscribers(context.Background(), g.UploadID)
	for _, s := range subs {
		if s == "c2" {
			t.Error("a refused connection was subscribed")
		}
	}

	t.Run("expired", func(t *testing.T) {
		f.now = f.now.Add(25 * time.Hour)
		body, _ := json.Marshal(map[string]string{"action": "subscribe", "uploadId": g.UploadID, "token": g.Token})
		m := f.send(t, "c3", "subscribe", string(body))
		if m["code"] != "TokenExpired" {
			t.Errorf("answer = %v, want TokenExpired", m)
		}
	})
}

func TestSubscribeAfterFinishGetsFinalStatus(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "tab1")
	ctx := context.Background()
	for _, u := range []upload.Update{
		{UploadID: g.UploadID, State: upload.StateUploaded},
		{UploadID: g.UploadID, State: upload.StateConverting},
		{UploadID: g.UploadID, State: upload.StateSucceeded, Renditions: []upload.Rendition{{Name: "thumb", Width: 320, Height: 240, ContentType: "image/jpeg", Bytes: 999, Key: upload.RenditionKey(g.UploadID, "thumb")}}},
	} {
		if _, err := f.pub.Publish(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	body, _ := json.Marshal(map[string]string{"action": "subscribe", "requestId": "s", "uploadId": g.UploadID, "token": g.Token})
	m := f.send(t, "tab2-opened-later", "subscribe", string(body))
	b, _ := json.Marshal(m)
	var got SubscribedMessage
	json.Unmarshal(b, &got)
	if got.Type != "subscribed" || got.RequestID != "s" || got.Status.State != upload.StateSucceeded || got.Status.Version != 3 || len(got.Status.Renditions) != 1 {
		t.Fatalf("answer = %s, want the succeeded record", b)
	}
	if got.Links.Renditions["thumb"] == "" {
		t.Error("subscribe gave no fresh download links")
	}
}

func TestSubscribeBeforeUploadSaysWaiting(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t, "c1")
	body, _ := json.Marshal(map[string]string{"action": "subscribe", "uploadId": g.UploadID, "token": g.Token})
	m := f.send(t, "c2", "subscribe", string(body))
	st, _ := m["status"].(map[string]any)
	if m["type"] != "subscribed" || st["state"] != "waiting" {
		t.Errorf("answer = %v, want waiting", m)
	}
}
