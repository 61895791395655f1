// Package apigw emulates an Amazon API Gateway WebSocket API on a laptop, so
// that the one websocket Lambda handler and the browser client run against
// the same protocol locally as in production: the same route selection, the
// same events, the same @connections management API and the same limits.
package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
)

// RouteHandler handles every route of the API, as the single websocket
// Lambda function does on AWS: it reads the route from
// req.RequestContext.RouteKey.
type RouteHandler func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)

// Verifier authenticates a management API request. It is satisfied by
// *sigv4.Verifier; a nil Verifier accepts every request, which only tests
// should rely on.
type Verifier interface {
	Verify(r *http.Request, service string) error
}

// Access decides which Host and Origin a WebSocket upgrade may carry; it
// is satisfied by *sigv4.Access. API Gateway itself accepts any Origin, but
// the local gateway listens on the developer's machine, where any page the
// developer visits could open a socket to it: browsers do not ask CORS
// before a WebSocket upgrade. A nil Access admits every upgrade.
type Access interface {
	HostAllowed(host string) bool
	OriginAllowed(origin string) bool
}

// Limits are API Gateway's quotas for WebSocket APIs. Tests shrink them so
// that a timeout can be observed in milliseconds instead of minutes.
type Limits struct {
	// MaxMessageBytes bounds a message in either direction. A larger
	// incoming message closes the connection with status 1009; a larger
	// PostToConnection fails with PayloadTooLargeException.
	MaxMessageBytes int
	// IdleTimeout closes a connection on which the client has sent nothing
	// (neither data nor ping) for this long.
	IdleTimeout time.Duration
	// MaxConnectionDuration closes every connection after this long,
	// however busy, so clients must be written to reconnect.
	MaxConnectionDuration time.Duration
	// IntegrationTimeout bounds each handler invocation, as API Gateway's
	// 29 s integration timeout does.
	IntegrationTimeout time.Duration
	// WriteTimeout bounds how long a message may take to reach a slow
	// client before the connection is considered gone.
	WriteTimeout time.Duration
}

// AWS's quotas for WebSocket APIs, applied to any zero field of Limits.
const (
	DefaultMaxMessageBytes       = 128 * 1024
	DefaultIdleTimeout           = 10 * time.Minute
	DefaultMaxConnectionDuration = 2 * time.Hour
	DefaultIntegrationTimeout    = 29 * time.Second
	DefaultWriteTimeout          = 10 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	if l.MaxConnectionDuration <= 0 {
		l.MaxConnectionDuration = DefaultMaxConnectionDuration
	}
	if l.IntegrationTimeout <= 0 {
		l.IntegrationTimeout = DefaultIntegrationTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	return l
}

// Options configures a Gateway. The zero value of every field except Handler
// has a usable default.
type Options struct {
	// Stage is the deployment stage reported to handlers and accepted as a
	// path prefix by the management API ("prod" if empty).
	Stage string
	// DomainName is reported to handlers; they may build their management
	// endpoint from it. Empty means the Host each client connected to.
	DomainName string
	// APIID is reported to handlers as requestContext.apiId.
	APIID string
	// Handler handles $connect, $disconnect, $default and every route in
	// Routes.
	Handler RouteHandler
	// Routes are the route keys defined besides $connect, $disconnect and
	// $default. A message whose selected key is not one of them goes to
	// $default, as it does on AWS.
	Routes []string
	// SelectRoute evaluates the API's route selection expression on a
	// text message's body; nil reads the body's "action"
	// ($request.body.action).
	SelectRoute func(body []byte) (string, bool)
	// Verifier checks SigV4 signatures on the management API.
	Verifier Verifier
	// Authorizer evaluates the signer's IAM permissions on the management
	// API (execute-api:ManageConnections) once the signature is verified;
	// nil allows every signed request. ARN is the API's ARN prefix,
	// arn:PARTITION:execute-api:REGION:ACCOUNT:APIID, which resources of
	// the form ARN/STAGE/METHOD/@connections/ID extend.
	Authorizer Authorizer
	ARN        string
	// Access restricts the Host and Origin of upgrades.
	Access Access
	Limits Limits
	Logger *slog.Logger
}

// Route keys API Gateway predefines.
const (
	RouteConnect    = "$connect"
	RouteDisconnect = "$disconnect"
	RouteDefault    = "$default"
)

// ErrGone reports that a connection is unknown or already closed; the
// management API answers it with 410 GoneException.
var ErrGone = errors.New("apigw: connection is gone")

// ErrPayloadTooLarge reports a message over Limits.MaxMessageBytes posted to
// a connection; the management API answers it with 413.
var ErrPayloadTooLarge = errors.New("apigw: payload too large")

// Gateway is a WebSocket API. It is an http.Handler for WebSocket upgrades;
// ManagementHandler serves the @connections API.
type Gateway struct {
	stage    string
	domain   string
	apiID    string
	handler  RouteHandler
	routes   map[string]bool
	selector func([]byte) (string, bool)
	verifier Verifier
	authz    Authorizer
	arn      string
	access   Access
	limits   Limits
	log      *slog.Logger

	mu       sync.Mutex
	conns    map[string]*conn
	shutdown bool
	wg       sync.WaitGroup // one per connection until its $disconnect returns
}

// New returns a Gateway ready to be mounted on any path.
func New(opts Options) *Gateway {
	g := &Gateway{
		stage:    opts.Stage,
		domain:   opts.DomainName,
		apiID:    opts.APIID,
		handler:  opts.Handler,
		routes:   make(map[string]bool),
		selector: opts.SelectRoute,
		verifier: opts.Verifier,
		authz:    opts.Authorizer,
		arn:      opts.ARN,
		access:   opts.Access,
		limits:   opts.Limits.withDefaults(),
		log:      opts.Logger,
		conns:    make(map[string]*conn),
	}
	if g.stage == "" {
		g.stage = "prod"
	}
	if g.apiID == "" {
		g.apiID = "local"
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.selector == nil {
		g.selector = action
	}
	if g.handler == nil {
		g.handler = func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
		}
	}
	for _, r := range opts.Routes {
		g.routes[r] = true
	}
	return g
}

// conn is one accepted WebSocket connection.
type conn struct {
	id          string
	ws          *websocket.Conn
	connectedAt time.Time
	sourceIP    string
	userAgent   string
	domain      string
	lastActive  atomic.Int64 // unix nanoseconds of the last frame from the client

	ready     chan struct{} // closed once ws is set, or the upgrade failed
	closing   atomic.Bool
	closeOnce sync.Once
	// closeCode and closeReason are set once, when the gateway decides to
	// close; they are read only after the read loop has ended.
	closeCode   websocket.StatusCode
	closeReason string
	dropped     bool
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// close starts a close handshake with code, once. It does not wait for the
// handshake: the read loop sees the end of the connection.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		c.closing.Store(true)
		go func() {
			<-c.ready
			if c.ws != nil {
				c.ws.Close(code, reason)
			}
		}()
	})
}

// drop ends the connection without a close frame, like a network failure.
func (c *conn) drop() {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason, c.dropped = websocket.StatusAbnormalClosure, "connection dropped", true
		c.closing.Store(true)
		<-c.ready
		if c.ws != nil {
			c.ws.CloseNow()
		}
	})
}

// ServeHTTP runs $connect and, if the handler allows it, upgrades the request
// to a WebSocket and serves it until it closes. A non-2xx $connect response
// refuses the upgrade with that status, as API Gateway does.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.access != nil && !g.access.HostAllowed(r.Host) {
		writeJSONError(w, http.StatusForbidden, "", "Forbidden: the local cloud serves only loopback hosts (127.0.0.1, [::1], localhost); thumbflow dev -public serves others")
		return
	}
	if !isUpgrade(r) {
		// RFC 9110 §15.5.22: a 426 must name the protocol to upgrade to.
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUpgradeRequired)
		fmt.Fprintln(w, `{"message":"this endpoint accepts WebSocket connections only"}`)
		return
	}
	g.mu.Lock()
	down := g.shutdown
	g.mu.Unlock()
	if down {
		http.Error(w, `{"message":"Service Unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	if g.access != nil && !g.access.OriginAllowed(r.Header.Get("Origin")) {
		g.log.Warn("websocket upgrade from a foreign origin refused", "origin", r.Header.Get("Origin"))
		writeJSONError(w, http.StatusForbidden, "", "Forbidden: the local cloud accepts WebSocket connections only from its own web client")
		return
	}

	now := time.Now()
	c := &conn{
		id:          newID(),
		connectedAt: now,
		sourceIP:    sourceIP(r),
		userAgent:   r.UserAgent(),
		domain:      g.domain,
	}
	if c.domain == "" {
		c.domain = r.Host
	}
	c.touch()

	req := g.event(c, RouteConnect, "CONNECT", now)
	req.Headers, req.MultiValueHeaders = flattenHeaders(r.Header)
	req.QueryStringParameters, req.MultiValueQueryStringParameters = flattenQuery(r)
	resp, err := g.invoke(req)
	if err != nil {
		g.log.Error("$connect handler failed", "connectionId", c.id, "error", err)
		writeJSONError(w, http.StatusInternalServerError, "", "Internal server error")
		return
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		g.log.Info("$connect refused", "connectionId", c.id, "status", resp.StatusCode)
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		if resp.Body != "" {
			fmt.Fprint(w, resp.Body)
		}
		return
	}

	accept := &websocket.AcceptOptions{
		// The page and the socket are on different ports locally, so the
		// library's same-host check would refuse the web client; the
		// Origin was checked against Access above.
		InsecureSkipVerify: true,
		OnPingReceived: func(context.Context, []byte) bool {
			c.touch()
			return true
		},
	}
	if p := headerValue(resp.Headers, "Sec-WebSocket-Protocol"); p != "" {
		accept.Subprotocols = []string{p}
	}

	// Register before accepting: the client may act on the open
	// connection (and a handler post to it) as soon as Accept has written
	// the 101, before Accept returns here. Writes wait for ready.
	c.ready = make(chan struct{})
	g.mu.Lock()
	if g.shutdown {
		g.mu.Unlock()
		http.Error(w, `{"message":"Service Unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	g.wg.Add(1)
	g.conns[c.id] = c
	g.mu.Unlock()
	defer g.wg.Done()

	ws, err := websocket.Accept(w, r, accept)
	if err != nil {
		c.closing.Store(true)
		close(c.ready)
		g.mu.Lock()
		delete(g.conns, c.id)
		g.mu.Unlock()
		g.log.Warn("websocket upgrade failed", "connectionId", c.id, "error", err)
		g.disconnect(c, websocket.StatusAbnormalClosure, "upgrade failed")
		return
	}
	ws.SetReadLimit(int64(g.limits.MaxMessageBytes))
	c.ws = ws
	close(c.ready)
	g.log.Info("connected", "connectionId", c.id, "sourceIp", c.sourceIP)

	g.serve(c)
}

// serve reads messages until the connection ends, then runs $disconnect
// once every message already read has been handled.
func (g *Gateway) serve(c *conn) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.watch(ctx, c)

	// Messages are handled in order on one worker per connection, so that
	// route responses come back in the order the client sent the messages.
	// The buffer lets the reader keep draining the socket (and notice
	// closes and oversized messages) while a handler runs.
	queue := make(chan message, 64)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		for m := range queue {
			g.handleMessage(c, m)
		}
	}()

	var readErr error
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			readErr = err
			break
		}
		c.touch()
		queue <- message{typ: typ, data: data, at: time.Now()}
	}
	c.closing.Store(true)
	if errors.Is(readErr, websocket.ErrMessageTooBig) {
		// The oversized message reaches no route and gets no answer, not
		// even one echoing its requestId: API Gateway closes with 1009
		// and never invokes the integration, and a client must not come
		// to rely locally on an answer AWS never sends.
		//
		// The 1009 close frame is already sent. Closing now would reset
		// the TCP connection over the unread rest of the message, and the
		// client could lose the frame: drain and wait for its close.
		c.ws.Close(websocket.StatusMessageTooBig, "Message too big")
	}

	g.mu.Lock()
	delete(g.conns, c.id)
	g.mu.Unlock()

	close(queue)
	<-workerDone

	code, reason := g.closeStatus(c, readErr)
	g.log.Info("disconnected", "connectionId", c.id, "status", int(code), "reason", reason)
	g.disconnect(c, code, reason)
	c.ws.CloseNow()
}

// closeStatus reports why a connection ended, for $disconnect.
func (g *Gateway) closeStatus(c *conn, readErr error) (websocket.StatusCode, string) {
	if errors.Is(readErr, websocket.ErrMessageTooBig) {
		return websocket.StatusMessageTooBig, "Message too big"
	}
	var done bool
	c.closeOnce.Do(func() { done = true }) // no gateway-initiated close: freeze fields
	if !done {
		return c.closeCode, c.closeReason
	}
	if s := websocket.CloseStatus(readErr); s != -1 {
		var ce websocket.CloseError
		errors.As(readErr, &ce)
		return s, fmt.Sprintf("Client-side close frame status code '%d' and reason '%s'", int(s), ce.Reason)
	}
	return websocket.StatusAbnormalClosure, "Connection closed abnormally"
}

// watch enforces the idle timeout and the maximum connection duration.
func (g *Gateway) watch(ctx context.Context, c *conn) {
	maxTimer := time.NewTimer(g.limits.MaxConnectionDuration)
	defer maxTimer.Stop()
	idle := g.limits.IdleTimeout
	idleTimer := time.NewTimer(idle)
	defer idleTimer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-maxTimer.C:
			g.log.Info("closing connection at maximum duration", "connectionId", c.id)
			c.close(websocket.StatusGoingAway, "Going away")
			return
		case <-idleTimer.C:
			since := time.Since(time.Unix(0, c.lastActive.Load()))
			if since >= idle {
				g.log.Info("closing idle connection", "connectionId", c.id, "idle", since.String())
				c.close(websocket.StatusGoingAway, "Going away")
				return
			}
			idleTimer.Reset(idle - since)
		}
	}
}

type message struct {
	typ  websocket.MessageType
	data []byte
	at   time.Time
}

func (g *Gateway) handleMessage(c *conn, m message) {
	route := RouteDefault
	req := g.event(c, "", "MESSAGE", m.at)
	if m.typ == websocket.MessageBinary {
		req.Body = base64.StdEncoding.EncodeToString(m.data)
		req.IsBase64Encoded = true
	} else {
		req.Body = string(m.data)
		if a, ok := g.selector(m.data); ok && g.routes[a] {
			route = a
		}
	}
	req.RequestContext.RouteKey = route
	req.RequestContext.MessageID = newID()

	resp, err := g.invoke(req)
	if err != nil {
		g.log.Error("route handler failed", "connectionId", c.id, "routeKey", route, "requestId", req.RequestContext.RequestID, "error", err)
		body := fmt.Sprintf(`{"message": "Internal server error", "connectionId":%q, "requestId":%q}`, c.id, req.RequestContext.RequestID)
		g.send(c, []byte(body))
		return
	}
	if resp.Body != "" {
		data := []byte(resp.Body)
		if resp.IsBase64Encoded {
			if data, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				g.log.Error("route response is not valid base64", "connectionId", c.id, "routeKey", route, "error", err)
				return
			}
		}
		g.send(c, data)
	}
}

// send writes a route response; a connection that went away meanwhile is
// not an error worth more than a debug line.
func (g *Gateway) send(c *conn, data []byte) {
	if err := g.write(c, data); err != nil {
		g.log.Debug("route response not delivered", "connectionId", c.id, "error", err)
	}
}

func (g *Gateway) disconnect(c *conn, code websocket.StatusCode, reason string) {
	req := g.event(c, RouteDisconnect, "DISCONNECT", time.Now())
	req.RequestContext.DisconnectStatusCode = int64(code)
	req.RequestContext.DisconnectReason = &reason
	if _, err := g.invoke(req); err != nil {
		g.log.Error("$disconnect handler failed", "connectionId", c.id, "error", err)
	}
}

// invoke calls the handler with the integration timeout and turns a panic
// into an error, so a faulty handler cannot take the gateway down.
func (g *Gateway) invoke(req events.APIGatewayWebsocketProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), g.limits.IntegrationTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked on %s: %v", req.RequestContext.RouteKey, p)
		}
	}()
	resp, err = g.handler(ctx, req)
	if err != nil {
		return resp, fmt.Errorf("handler on %s: %w", req.RequestContext.RouteKey, err)
	}
	return resp, nil
}

// Shutdown closes every connection with 1001 and waits until their
// $disconnect handlers have returned or ctx is done. The http.Server that
// mounts the gateway cannot do this: upgraded connections are hijacked.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.shutdown = true
	conns := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.StatusGoingAway, "Going away")
	}
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			select {
			case <-c.ready:
				if c.ws != nil {
					c.ws.CloseNow()
				}
			default:
			}
		}
		return fmt.Errorf("apigw shutdown: %w", ctx.Err())
	}
}

func (g *Gateway) lookup(id string) *conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.conns[id]
	if c == nil || c.closing.Load() {
		return nil
	}
	return c
}

// event builds the request API Gateway sends for one route invocation.
func (g *Gateway) event(c *conn, route, eventType string, at time.Time) events.APIGatewayWebsocketProxyRequest {
	id := newID()
	return events.APIGatewayWebsocketProxyRequest{
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey:          route,
			EventType:         eventType,
			MessageDirection:  "IN",
			ConnectionID:      c.id,
			ConnectedAt:       c.connectedAt.UnixMilli(),
			DomainName:        c.domain,
			Stage:             g.stage,
			APIID:             g.apiID,
			RequestID:         id,
			ExtendedRequestID: id,
			RequestTime:       at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  at.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  c.sourceIP,
				UserAgent: c.userAgent,
			},
		},
		IsBase64Encoded: false,
	}
}

// newID returns an identifier shaped like API Gateway's connection and
// request ids ("L0SM9cOFvHcCIhw="). Ids containing '/' or '+' are redrawn
// so that an id can be put in a URL path unescaped.
func newID() string {
	var b [10]byte
	for {
		rand.Read(b[:])
		s := base64.StdEncoding.EncodeToString(b[:])
		if !strings.ContainsAny(s, "/+") {
			return s
		}
	}
}

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func flattenHeaders(h http.Header) (map[string]string, map[string][]string) {
	single := make(map[string]string, len(h))
	multi := make(map[string][]string, len(h))
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		single[k] = vs[len(vs)-1]
		multi[k] = append([]string(nil), vs...)
	}
	return single, multi
}

// flattenQuery returns nil maps when there is no query string, as API
// Gateway sends no queryStringParameters key then.
func flattenQuery(r *http.Request) (map[string]string, map[string][]string) {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil, nil
	}
	single := make(map[string]string, len(q))
	multi := make(map[string][]string, len(q))
	for k, vs := range q {
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	return single, multi
}
