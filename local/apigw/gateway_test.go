package apigw_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/smithy-go"
	"github.com/coder/websocket"

	"thumbflow/local/apigw"
	"thumbflow/local/sigv4"
)

// recorder is a RouteHandler that keeps every event it sees and delegates
// the response to respond.
type recorder struct {
	respond func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)
	events  chan events.APIGatewayWebsocketProxyRequest
}

// responding is a recorder whose handler answers with respond.
func responding(respond func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)) *recorder {
	rec := newRecorder()
	rec.respond = respond
	return rec
}

func newRecorder() *recorder {
	return &recorder{events: make(chan events.APIGatewayWebsocketProxyRequest, 256)}
}

func (rec *recorder) handle(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	rec.events <- req
	if rec.respond != nil {
		return rec.respond(ctx, req)
	}
	return events.APIGatewayProxyResponse{StatusCode: 200}, nil
}

// next returns the next event with the given route key, skipping others.
func (rec *recorder) next(t *testing.T, route string) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-rec.events:
			if ev.RequestContext.RouteKey == route {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 5s", route)
		}
	}
}

// following returns the very next event, whatever its route: after a
// marker, what a test expects must come next, with nothing before it.
func (rec *recorder) following(t *testing.T) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	select {
	case ev := <-rec.events:
		return ev
	case <-time.After(10 * time.Second): // bounded: only a hang reaches it
		t.Fatal("no event within 10s")
		return events.APIGatewayWebsocketProxyRequest{}
	}
}

type env struct {
	gw     *apigw.Gateway
	srv    *httptest.Server
	wsURL  string
	client *apigatewaymanagementapi.Client
}

// start serves a gateway the way local/cloud mounts it: the WebSocket on
// /ws and the management API on every @connections path.
func start(t testing.TB, opts apigw.Options) *env {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if opts.Verifier == nil {
		opts.Verifier = fakeVerifier{}
	}
	var gw *apigw.Gateway
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/@connections/") {
			gw.ManagementHandler().ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	opts.DomainName = strings.TrimPrefix(srv.URL, "http://")
	gw = apigw.New(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		gw.Shutdown(ctx)
		srv.Close()
	})
	return &env{
		gw:     gw,
		srv:    srv,
		wsURL:  "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/prod",
		client: managementClient(srv.URL + "/prod"),
	}
}

func managementClient(endpoint string) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// fakeVerifier accepts requests that carry a SigV4 Authorization header for
// execute-api, standing in for local/sigv4 where the signature maths is
// tested.
type fakeVerifier struct{}

func (fakeVerifier) Verify(r *http.Request, service string) error {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/"+service+"/aws4_request") {
		return errors.New("missing Authentication Token")
	}
	return nil
}

// connect dials e and gives the connection with its id, from the
// $connect event rec saw.
func connect(t *testing.T, e *env, rec *recorder) (*websocket.Conn, string) {
	t.Helper()
	c := dial(t, e.wsURL)
	return c, rec.next(t, apigw.RouteConnect).RequestContext.ConnectionID
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(data)
}

func write(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// closeStatus reads until the connection ends and returns the close code the
// server sent.
func closeStatus(t *testing.T, c *websocket.Conn, within time.Duration) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("connection still open after %v", within)
			}
			return websocket.CloseStatus(err)
		}
	}
}

func TestConnectEventCarriesRequestContextAndQuery(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle, Stage: "prod", APIID: "abc123"})
	before := time.Now().UnixMilli()
	dial(t, e.wsURL+"?token=t0k&token=t1k&x=1")

	ev := rec.next(t, apigw.RouteConnect)
	rc := ev.RequestContext
	if rc.EventType != "CONNECT" || rc.MessageDirection != "IN" {
		t.Errorf("eventType %q messageDirection %q, want CONNECT IN", rc.EventType, rc.MessageDirection)
	}
	if len(rc.ConnectionID) != 16 || !strings.HasSuffix(rc.ConnectionID, "=") {
		t.Errorf("connectionId %q is not shaped like API Gateway's", rc.ConnectionID)
	}
	if rc.Stage != "prod" || rc.APIID != "abc123" || rc.DomainName != strings.TrimPrefix(e.srv.URL, "http://") {
		t.Errorf("stage %q apiId %q domainName %q", rc.Stage, rc.APIID, rc.DomainName)
	}
	if rc.RequestTimeEpoch < before || rc.RequestTimeEpoch > time.Now().UnixMilli() {
		t.Errorf("requestTimeEpoch %d outside the test's time window", rc.RequestTimeEpoch)
	}
	if rc.ConnectedAt < before || rc.RequestID == "" || rc.Identity.SourceIP != "127.0.0.1" {
		t.Errorf("connectedAt %d requestId %q sourceIp %q", rc.ConnectedAt, rc.RequestID, rc.Identity.SourceIP)
	}
	if ev.QueryStringParameters["token"] != "t1k" || ev.QueryStringParameters["x"] != "1" {
		t.Errorf("queryStringParameters = %v", ev.QueryStringParameters)
	}
	if got := ev.MultiValueQueryStringParameters["token"]; len(got) != 2 || got[0] != "t0k" {
		t.Errorf("multiValueQueryStringParameters[token] = %v", got)
	}
	if ev.Headers["Sec-Websocket-Version"] != "13" {
		t.Errorf("headers lack the WebSocket handshake: %v", ev.Headers)
	}
}

func TestRouteSelectionAndRouteResponses(t *testing.T) {
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.RequestContext.EventType != "MESSAGE" {
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}
		body, _ := json.Marshal(map[string]any{
			"route":  req.RequestContext.RouteKey,
			"body":   req.Body,
			"base64": req.IsBase64Encoded,
			"conn":   req.RequestContext.ConnectionID,
		})
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(body)}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle, Routes: []string{"upload", "subscribe"}})
	c, id := connect(t, e, rec)

	cases := []struct {
		send, route string
	}{
		{`{"action":"subscribe","uploadId":"u1"}`, "subscribe"},
		{`{"action":"upload","name":"a.jpg"}`, "upload"},
		{`{"action":"nosuchroute"}`, "$default"},
		{`{"action":5}`, "$default"},
		{`{"nothing":"here"}`, "$default"},
		{`not json at all`, "$default"},
		{`["action","upload"]`, "$default"},
		// $request.body.action is a JSON path: names are case-sensitive.
		{`{"Action":"upload"}`, "$default"},
		{`{"action":"Upload"}`, "$default"},
	}
	// Send everything first: route responses must come back in order.
	for _, tc := range cases {
		write(t, c, tc.send)
	}
	for _, tc := range cases {
		var got struct {
			Route, Body, Conn string
			Base64            bool
		}
		if err := json.Unmarshal([]byte(read(t, c)), &got); err != nil {
			t.Fatal(err)
		}
		if got.Route != tc.route || got.Body != tc.send || got.Conn != id || got.Base64 {
			t.Errorf("sent %s: got route %q body %q conn %q, want route %q", tc.send, got.Route, got.Body, got.Conn, tc.route)
		}
		ev := rec.next(t, tc.route)
		if ev.RequestContext.EventType != "MESSAGE" || ev.RequestContext.RequestTimeEpoch == 0 || ev.QueryStringParameters != nil {
			t.Errorf("message event context: %+v query %v", ev.RequestContext, ev.QueryStringParameters)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, []byte{0xff, 0x00, 0x01}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Route, Body string
		Base64      bool
	}
	json.Unmarshal([]byte(read(t, c)), &got)
	if got.Route != "$default" || !got.Base64 || got.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0x01}) {
		t.Errorf("binary message: %+v", got)
	}
}

func TestEmptyResponseBodySendsNothing(t *testing.T) {
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.Body == "quiet" {
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "echo " + req.Body}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle})
	c := dial(t, e.wsURL)
	write(t, c, "quiet")
	write(t, c, "loud")
	if got := read(t, c); got != "echo loud" {
		t.Errorf("first message received %q, want the response to the second", got)
	}
}

func TestConnectRefusal(t *testing.T) {
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.RequestContext.RouteKey == apigw.RouteConnect && req.QueryStringParameters["token"] != "good" {
			return events.APIGatewayProxyResponse{StatusCode: 401, Body: `{"message":"bad token"}`}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, e.wsURL+"?token=bad", nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("dial with a refused $connect succeeded")
	}
	if resp == nil || resp.StatusCode != 401 {
		t.Fatalf("refused dial: response %v, err %v; want status 401", resp, err)
	}
	if got := len(e.gw.Connections()); got != 0 {
		t.Errorf("%d connections registered after a refusal", got)
	}
	good := dial(t, e.wsURL+"?token=good")
	// A refused connection never existed: no $disconnect for it. The
	// marker: the good connection's own $disconnect, which must follow its
	// $connect with nothing between.
	rec.next(t, apigw.RouteConnect)
	id := rec.next(t, apigw.RouteConnect).RequestContext.ConnectionID
	good.Close(websocket.StatusNormalClosure, "")
	if ev := rec.following(t); ev.RequestContext.RouteKey != apigw.RouteDisconnect || ev.RequestContext.ConnectionID != id {
		t.Errorf("after the good connection closed: %s for %s, want only its own $disconnect (%s): the refused $connect had an event", ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID, id)
	}
}

func TestConnectHandlerErrorRefusesWith500(t *testing.T) {
	e := start(t, apigw.Options{Handler: func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{}, errors.New("table missing")
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, e.wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != 500 {
		t.Fatalf("dial: resp %v err %v; want a 500 refusal", resp, err)
	}
}

func TestHandlerErrorAndPanicAnswerInternalServerError(t *testing.T) {
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		switch req.Body {
		case "fail":
			return events.APIGatewayProxyResponse{}, errors.New("boom")
		case "panic":
			panic("handler bug")
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok"}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle})
	c, id := connect(t, e, rec)
	for _, body := range []string{"fail", "panic"} {
		write(t, c, body)
		ev := rec.next(t, apigw.RouteDefault)
		var got map[string]string
		if err := json.Unmarshal([]byte(read(t, c)), &got); err != nil {
			t.Fatal(err)
		}
		if got["message"] != "Internal server error" || got["connectionId"] != id || got["requestId"] != ev.RequestContext.RequestID {
			t.Errorf("%s: got %v, want Internal server error for %s / %s", body, got, id, ev.RequestContext.RequestID)
		}
	}
	write(t, c, "fine")
	if got := read(t, c); got != "ok" {
		t.Errorf("after a handler panic the connection answered %q, want ok", got)
	}
}

func TestMessageLimit(t *testing.T) {
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: fmt.Sprint(len(req.Body))}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle})
	c, id := connect(t, e, rec)

	write(t, c, strings.Repeat("a", 128*1024))
	if got := read(t, c); got != fmt.Sprint(128*1024) {
		t.Fatalf("a message of exactly 128 KiB: handler saw %s bytes", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("b", 200*1024)))
	if got := closeStatus(t, c, 5*time.Second); got != websocket.StatusMessageTooBig {
		t.Fatalf("200 KB message closed the connection with %v, want 1009", got)
	}
	ev := rec.next(t, apigw.RouteDisconnect)
	if ev.RequestContext.ConnectionID != id || ev.RequestContext.DisconnectStatusCode != 1009 {
		t.Errorf("$disconnect for %s with status %d, want %s with 1009", ev.RequestContext.ConnectionID, ev.RequestContext.DisconnectStatusCode, id)
	}
	if _, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("x")}); !isGone(err) {
		t.Errorf("post after 1009 close: %v, want GoneException", err)
	}
}

func isGone(err error) bool {
	var gone *types.GoneException
	return errors.As(err, &gone)
}

// A handler posting to a connection that has closed gets 410, whether it
// runs in $disconnect or later.
func TestPostToClosedConnectionIsGone(t *testing.T) {
	rec := newRecorder()
	client := make(chan *apigatewaymanagementapi.Client, 1)
	disconnectPost := make(chan error, 1)
	rec.respond = func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.RequestContext.RouteKey == apigw.RouteDisconnect {
			cl := <-client
			id := req.RequestContext.ConnectionID
			_, err := cl.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("bye")})
			disconnectPost <- err
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	e := start(t, apigw.Options{Handler: rec.handle})
	client <- e.client
	c, id := connect(t, e, rec)

	ctx := context.Background()
	if _, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte(`{"status":"waiting"}`)}); err != nil {
		t.Fatalf("post to live connection: %v", err)
	}
	if got := read(t, c); got != `{"status":"waiting"}` {
		t.Fatalf("client received %q", got)
	}

	c.Close(websocket.StatusNormalClosure, "tab closed")
	if err := <-disconnectPost; !isGone(err) {
		t.Errorf("post from $disconnect: %v, want GoneException", err)
	}
	ev := rec.next(t, apigw.RouteDisconnect)
	if ev.RequestContext.DisconnectStatusCode != 1000 || ev.RequestContext.EventType != "DISCONNECT" {
		t.Errorf("$disconnect: status %d eventType %s", ev.RequestContext.DisconnectStatusCode, ev.RequestContext.EventType)
	}
	_, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("late")})
	if !isGone(err) {
		t.Errorf("post after close: %v, want GoneException", err)
	}
	unknown := "AAAAAAAAAAAAAA="
	if _, err := e.client.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: &unknown}); !isGone(err) {
		t.Errorf("get unknown connection: %v, want GoneException", err)
	}
	if err := e.gw.PostToConnection(ctx, id, []byte("x")); !errors.Is(err, apigw.ErrGone) {
		t.Errorf("direct post after close: %v, want ErrGone", err)
	}
}

func TestIdleTimeoutClosesConnection(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle, Limits: apigw.Limits{IdleTimeout: 150 * time.Millisecond}})
	c, id := connect(t, e, rec)
	if got := closeStatus(t, c, 5*time.Second); got != websocket.StatusGoingAway {
		t.Fatalf("idle connection closed with %v, want 1001", got)
	}
	ev := rec.next(t, apigw.RouteDisconnect)
	if ev.RequestContext.ConnectionID != id || ev.RequestContext.DisconnectStatusCode != 1001 {
		t.Errorf("$disconnect %s status %d, want %s 1001", ev.RequestContext.ConnectionID, ev.RequestContext.DisconnectStatusCode, id)
	}
}

// keepAliveIdle is the idle timeout of the keep-alive tests: long enough
// that a scheduling stall on a loaded machine (up to 3/4 of it between two
// messages) does not close a busy connection. The tests run in parallel so
// that the suite does not wait for it twice.
const keepAliveIdle = 2 * time.Second

func TestClientMessagesKeepConnectionAlive(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	idle := keepAliveIdle
	e := start(t, apigw.Options{Handler: rec.handle, Limits: apigw.Limits{IdleTimeout: idle}})
	c, id := connect(t, e, rec)
	// A message every idle/4 until well past one idle timeout.
	for begin := time.Now(); time.Since(begin) < idle+idle/4; {
		write(t, c, `{"action":"ping"}`)
		time.Sleep(idle / 4)
	}
	if _, err := e.gw.GetConnection(id); err != nil {
		t.Fatalf("busy connection was closed: %v", err)
	}
	if got := closeStatus(t, c, 5*time.Second); got != websocket.StatusGoingAway {
		t.Fatalf("connection closed with %v once idle, want 1001", got)
	}
}

func TestMaxConnectionDuration(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle, Limits: apigw.Limits{MaxConnectionDuration: 300 * time.Millisecond}})
	c := dial(t, e.wsURL)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // stay busy so that only the duration limit can apply
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				c.Write(context.Background(), websocket.MessageText, []byte("hi"))
			}
		}
	}()
	if got := closeStatus(t, c, 5*time.Second); got != websocket.StatusGoingAway {
		t.Fatalf("closed with %v at maximum duration, want 1001", got)
	}
	if ev := rec.next(t, apigw.RouteDisconnect); ev.RequestContext.DisconnectStatusCode != 1001 {
		t.Errorf("$disconnect status %d, want 1001", ev.RequestContext.DisconnectStatusCode)
	}
}

// Two browser tabs subscribed to one upload receive the same status
// sequence, pushed by a publisher through the management API.
func TestTwoTabsSeeTheSameSequence(t *testing.T) {
	var mu sync.Mutex
	subscribers := map[string][]string{} // upload id -> connection ids
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		switch req.RequestContext.RouteKey {
		case "subscribe":
			var msg struct{ UploadID string }
			json.Unmarshal([]byte(req.Body), &msg)
			mu.Lock()
			subscribers[msg.UploadID] = append(subscribers[msg.UploadID], req.RequestContext.ConnectionID)
			mu.Unlock()
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"type":"subscribed","uploadId":"` + msg.UploadID + `"}`}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle, Routes: []string{"subscribe"}})

	tabs := []*websocket.Conn{dial(t, e.wsURL), dial(t, e.wsURL)}
	for _, tab := range tabs {
		write(t, tab, `{"action":"subscribe","uploadId":"u-42"}`)
		if got := read(t, tab); !strings.Contains(got, "subscribed") {
			t.Fatalf("subscribe answered %q", got)
		}
	}
	statuses := []string{"uploaded", "converting", "retrying", "converting", "done"}
	ctx := context.Background()
	for _, s := range statuses {
		mu.Lock()
		ids := append([]string(nil), subscribers["u-42"]...)
		mu.Unlock()
		for _, id := range ids {
			msg := fmt.Sprintf(`{"uploadId":"u-42","status":%q}`, s)
			if _, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte(msg)}); err != nil {
				t.Fatalf("post %s to %s: %v", s, id, err)
			}
		}
	}
	for i, tab := range tabs {
		var seen []string
		for range statuses {
			var m struct{ Status string }
			json.Unmarshal([]byte(read(t, tab)), &m)
			seen = append(seen, m.Status)
		}
		if strings.Join(seen, ",") != strings.Join(statuses, ",") {
			t.Errorf("tab %d saw %v, want %v", i, seen, statuses)
		}
	}
}

func TestManagementGetAndDelete(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {"tab/1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	id := rec.next(t, apigw.RouteConnect).RequestContext.ConnectionID

	out, err := e.client.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: &id})
	if err != nil {
		t.Fatalf("GetConnection: %v", err)
	}
	if out.ConnectedAt == nil || time.Since(*out.ConnectedAt) > time.Minute || out.LastActiveAt == nil {
		t.Errorf("connectedAt %v lastActiveAt %v", out.ConnectedAt, out.LastActiveAt)
	}
	if out.Identity == nil || aws.ToString(out.Identity.SourceIp) != "127.0.0.1" || aws.ToString(out.Identity.UserAgent) != "tab/1" {
		t.Errorf("identity %+v", out.Identity)
	}

	if _, err := e.client.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: &id}); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	if got := closeStatus(t, c, 5*time.Second); got != websocket.StatusNormalClosure {
		t.Errorf("deleted connection closed with %v, want 1000", got)
	}
	rec.next(t, apigw.RouteDisconnect)
	if _, err := e.client.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: &id}); !isGone(err) {
		t.Errorf("second DeleteConnection: %v, want GoneException", err)
	}
}

func TestManagementWithoutStageInEndpoint(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	c, id := connect(t, e, rec)
	_, err := managementClient(e.srv.URL).PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("no stage")})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "no stage" {
		t.Errorf("received %q", got)
	}
	_, err = managementClient(e.srv.URL+"/dev").PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("x")})
	var forbidden *types.ForbiddenException
	if !errors.As(err, &forbidden) {
		t.Errorf("post through the wrong stage: %v, want ForbiddenException", err)
	}
}

func TestManagementRejectsUnsignedAndOversized(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	dial(t, e.wsURL)
	id := rec.next(t, apigw.RouteConnect).RequestContext.ConnectionID

	resp, err := http.Post(e.srv.URL+"/prod/@connections/"+id, "application/json", strings.NewReader("unsigned"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned post answered %d, want 403", resp.StatusCode)
	}

	_, err = e.client.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: make([]byte, 128*1024+1)})
	var tooLarge *types.PayloadTooLargeException
	if !errors.As(err, &tooLarge) {
		t.Errorf("oversized post: %v, want PayloadTooLargeException", err)
	}
	if _, err := e.gw.GetConnection(id); err != nil {
		t.Errorf("an oversized post closed the connection: %v", err)
	}
}

func TestDropRunsDisconnectOnce(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	c, id := connect(t, e, rec)
	if err := e.gw.Drop(id); err != nil {
		t.Fatal(err)
	}
	if got := closeStatus(t, c, 5*time.Second); got != -1 {
		t.Errorf("dropped connection delivered close status %v, want none", got)
	}
	if ev := rec.next(t, apigw.RouteDisconnect); ev.RequestContext.DisconnectStatusCode != 1006 {
		t.Errorf("$disconnect status %d, want 1006", ev.RequestContext.DisconnectStatusCode)
	}
	if err := e.gw.Drop(id); !errors.Is(err, apigw.ErrGone) {
		t.Errorf("second drop: %v, want ErrGone", err)
	}
	// The marker: a new connection's $connect must be the next event.
	dial(t, e.wsURL)
	if ev := rec.following(t); ev.RequestContext.RouteKey != apigw.RouteConnect || ev.RequestContext.ConnectionID == id {
		t.Errorf("after the drops: %s for %s, want the marker's $connect: a second event for the dropped connection", ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID)
	}
}

func TestShutdownClosesEveryConnection(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	a, b := dial(t, e.wsURL), dial(t, e.wsURL)
	rec.next(t, apigw.RouteConnect)
	rec.next(t, apigw.RouteConnect)
	errs := make(chan websocket.StatusCode, 2)
	for _, c := range []*websocket.Conn{a, b} {
		go func() { errs <- closeStatus(t, c, 5*time.Second) }()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.gw.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := <-errs; got != websocket.StatusGoingAway {
			t.Errorf("shutdown closed a connection with %v, want 1001", got)
		}
	}
	// Both $disconnects have run by the time Shutdown returns.
	for range 2 {
		select {
		case ev := <-rec.events:
			if ev.RequestContext.RouteKey != apigw.RouteDisconnect {
				t.Errorf("event %s during shutdown", ev.RequestContext.RouteKey)
			}
		default:
			t.Fatal("Shutdown returned before $disconnect ran")
		}
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, resp, err := websocket.Dial(ctx2, e.wsURL, nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Errorf("dial after shutdown: resp %v err %v, want 503", resp, err)
	}
}

func TestPlainHTTPRequestIsRefused(t *testing.T) {
	e := start(t, apigw.Options{})
	resp, err := http.Get(e.srv.URL + "/ws/prod")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), "WebSocket") {
		t.Errorf("plain GET answered %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Upgrade"); got != "websocket" {
		t.Errorf("426 names Upgrade %q, want websocket (RFC 9110 requires it)", got)
	}
}

func TestManagementWithRealSigV4(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle, Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	c, id := connect(t, e, rec)
	ctx := context.Background()

	if _, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte(`{"status":"done"}`)}); err != nil {
		t.Fatalf("signed post: %v", err)
	}
	if got := read(t, c); got != `{"status":"done"}` {
		t.Errorf("received %q", got)
	}

	forged := apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "not-the-secret", ""),
		BaseEndpoint: aws.String(e.srv.URL + "/prod"),
	})
	_, err := forged.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("forged")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("post with a wrong secret: %v, want InvalidSignatureException", err)
	}
	if _, err := forged.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: &id}); err == nil {
		t.Error("GetConnection with a wrong secret succeeded")
	}
	// Gone is reported only to a caller whose signature is valid.
	unknown := "AAAAAAAAAAAAAA="
	if _, err := e.client.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: &unknown}); !isGone(err) {
		t.Errorf("signed delete of an unknown connection: %v, want GoneException", err)
	}
}

func TestClientPingsKeepConnectionAlive(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	idle := keepAliveIdle
	e := start(t, apigw.Options{Handler: rec.handle, Limits: apigw.Limits{IdleTimeout: idle}})
	c, id := connect(t, e, rec)
	ctx := c.CloseRead(context.Background()) // reads pongs for Ping
	// A ping every idle/4 until well past one idle timeout.
	for begin, i := time.Now(), 0; time.Since(begin) < idle+idle/4; i++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := c.Ping(pctx); err != nil {
			cancel()
			t.Fatalf("ping %d: %v", i, err)
		}
		cancel()
		time.Sleep(idle / 4)
	}
	if _, err := e.gw.GetConnection(id); err != nil {
		t.Fatalf("pinging connection was closed as idle: %v", err)
	}
	if ev := rec.next(t, apigw.RouteDisconnect); ev.RequestContext.DisconnectStatusCode != 1001 {
		t.Errorf("once pings stopped: $disconnect status %d, want 1001", ev.RequestContext.DisconnectStatusCode)
	}
}

func TestConnectNegotiatesSubprotocolTheHandlerReturns(t *testing.T) {
	rec := responding(func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.RequestContext.RouteKey == apigw.RouteConnect {
			return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Sec-WebSocket-Protocol": "thumbflow.v1"}}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	})
	e := start(t, apigw.Options{Handler: rec.handle})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.wsURL, &websocket.DialOptions{Subprotocols: []string{"thumbflow.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "thumbflow.v1" {
		t.Errorf("negotiated subprotocol %q, want thumbflow.v1", c.Subprotocol())
	}
	if got := rec.next(t, apigw.RouteConnect).Headers["Sec-Websocket-Protocol"]; got != "thumbflow.v1" {
		t.Errorf("$connect saw Sec-WebSocket-Protocol %q", got)
	}
}

// A route handler that pushes to its own connection through the management
// API while handling a message (as subscribe does with the current status)
// is delivered before its route response.
func TestHandlerPostsToItsOwnConnectionDuringARoute(t *testing.T) {
	rec := newRecorder()
	clients := make(chan *apigatewaymanagementapi.Client, 1)
	var client *apigatewaymanagementapi.Client
	rec.respond = func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.RequestContext.RouteKey != "subscribe" {
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}
		if client == nil {
			client = <-clients
		}
		id := req.RequestContext.ConnectionID
		if _, err := client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte(`{"status":"converting"}`)}); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"type":"subscribed"}`}, nil
	}
	e := start(t, apigw.Options{Handler: rec.handle, Routes: []string{"subscribe"}})
	clients <- e.client
	c := dial(t, e.wsURL)
	write(t, c, `{"action":"subscribe"}`)
	if got := read(t, c); got != `{"status":"converting"}` {
		t.Errorf("first frame %q, want the pushed status", got)
	}
	if got := read(t, c); got != `{"type":"subscribed"}` {
		t.Errorf("second frame %q, want the route response", got)
	}
}

func TestDomainNameDefaultsToTheHostConnectedTo(t *testing.T) {
	rec := newRecorder()
	gw := apigw.New(apigw.Options{Handler: rec.handle, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		gw.Shutdown(context.Background())
		srv.Close()
	})
	dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	if got := rec.next(t, apigw.RouteConnect).RequestContext.DomainName; got != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("domainName %q, want the server's host %q", got, strings.TrimPrefix(srv.URL, "http://"))
	}
}
