package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"thumbflow/local/apigw"
	"thumbflow/local/stack"
)

// webSocketAPI is the stack's WebSocket API as the local gateway serves
// it: its routes by key, the stage it is deployed to, and that stage's
// throttling.
type webSocketAPI struct {
	api      *stack.API
	stage    *stack.Stage
	path     []string // the route selection expression's body path
	throttle *throttle
}

// buildAPI serves the stack's WebSocket API on the local endpoint at
// /{stage}: its routes and integrations, route selection, stage and
// throttling, all as the template declares them. The local endpoint has
// one path space, so it serves one API with one stage.
func (c *Cloud) buildAPI() error {
	st := c.Stack
	switch {
	case len(st.APIs) == 0:
		return fmt.Errorf("%s: the stack declares no WebSocket API, which the web client needs", c.cfg.Template)
	case len(st.APIs) > 1:
		return c.refusal(st.APIs[1].Resource, "a second WebSocket API (%s): the local endpoint serves one", st.APIs[1].LogicalID)
	}
	api := st.APIs[0]
	switch {
	case len(api.Stages) == 0:
		return c.refusal(api.Resource, "WebSocket API %s has no stage: nothing would serve it", api.LogicalID)
	case len(api.Stages) > 1:
		return c.refusal(api.Stages[1].Resource, "a second stage (%s) of %s: the local endpoint serves one", api.Stages[1].Name, api.LogicalID)
	}
	path, err := selectionPath(api.Props.RouteSelectionExpression)
	if err != nil {
		return c.refusal(api.Resource, "WebSocket API %s: %v", api.LogicalID, err)
	}
	for _, r := range api.Routes {
		if r.Function() == nil {
			return c.refusal(r.Resource, "route %s of %s integrates no function of the stack", r.Props.RouteKey, api.LogicalID)
		}
	}
	w := &webSocketAPI{api: api, stage: api.Stages[0], path: path}
	if s := w.stage.Props.DefaultRouteSettings; s != nil && (s.ThrottlingBurstLimit > 0 || s.ThrottlingRateLimit > 0) {
		w.throttle = newThrottle(s.ThrottlingBurstLimit, s.ThrottlingRateLimit)
	}
	c.api = w
	var routes []string
	for _, r := range api.Routes {
		if !strings.HasPrefix(r.Props.RouteKey, "$") {
			routes = append(routes, r.Props.RouteKey)
		}
	}
	c.Gateway = apigw.New(apigw.Options{
		Stage:       w.stage.Name,
		APIID:       api.ID,
		Handler:     c.routeHandler,
		Routes:      routes,
		SelectRoute: w.selectRoute,
		Verifier:    c.verifier,
		Authorizer:  c.authz,
		ARN:         fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", c.cfg.Region, c.cfg.AccountID, api.ID),
		Access:      c.access(),
		Limits:      c.cfg.WebSocketLimits,
		Logger:      c.log.With("service", "websocket"),
	})
	return nil
}

// selectionPath parses a WebSocket route selection expression. API Gateway
// allows only $request.body.{path} for WebSocket APIs.
func selectionPath(expr string) ([]string, error) {
	rest, ok := strings.CutPrefix(expr, "$request.body.")
	if !ok || rest == "" {
		return nil, fmt.Errorf("route selection expression %q: the local gateway selects routes by $request.body.{path} only", expr)
	}
	return strings.Split(rest, "."), nil
}

// selectRoute evaluates the route selection expression on a message body:
// the string at the path, if the body is a JSON object that has one.
func (w *webSocketAPI) selectRoute(body []byte) (string, bool) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "", false
	}
	for _, p := range w.path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = m[p]
	}
	s, ok := v.(string)
	return s, ok
}

// routeHandler invokes the function that serves the route, as API
// Gateway's Lambda proxy integration does, for the routes the template
// declares. An undeclared $connect or $disconnect invokes nothing (the
// connection is accepted); a message that reaches an undeclared $default
// is answered as API Gateway answers it. A one-way route's answer is not
// sent back: only a route with a route response is two-way.
func (c *Cloud) routeHandler(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	key := req.RequestContext.RouteKey
	route := c.api.api.Route(key)
	if route == nil {
		switch key {
		case apigw.RouteConnect, apigw.RouteDisconnect:
			return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
		}
		return gatewayAnswer(req, "Forbidden"), nil
	}
	if key != apigw.RouteDisconnect && !c.api.throttle.allow(key) {
		if key == apigw.RouteConnect {
			return events.APIGatewayProxyResponse{StatusCode: http.StatusTooManyRequests}, nil
		}
		return gatewayAnswer(req, "Too Many Requests"), nil
	}
	if key == apigw.RouteConnect && route.Authorizer != nil {
		authCtx, refusal := c.authorizeConnect(ctx, route.Authorizer, req)
		if refusal != nil {
			return *refusal, nil
		}
		req.RequestContext.Authorizer = authCtx
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	out, err := c.Lambdas.Invoke(ctx, route.Function().ARN, payload)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return events.APIGatewayProxyResponse{}, fmt.Errorf("function %s answered %q: %w", route.Function().Name, out, err)
	}
	if !route.TwoWay() {
		resp.Body, resp.IsBase64Encoded = "", false
	}
	return resp, nil
}

// gatewayAnswer is a message API Gateway itself sends back to the client.
func gatewayAnswer(req events.APIGatewayWebsocketProxyRequest, message string) events.APIGatewayProxyResponse {
	b, _ := json.Marshal(map[string]string{"message": message, "connectionId": req.RequestContext.ConnectionID,
		"requestId": req.RequestContext.RequestID})
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Body: string(b)}
}

// throttle is the stage's default route throttling: a token bucket per
// route, of ThrottlingBurstLimit tokens refilled at ThrottlingRateLimit a
// second, as API Gateway applies default route settings to each route.
type throttle struct {
	burst, rate float64

	mu      sync.Mutex
	buckets map[string]*tokens
}

type tokens struct {
	left float64
	at   time.Time
}

func newThrottle(burst int, rate float64) *throttle {
	return &throttle{burst: float64(max(burst, 1)), rate: rate, buckets: map[string]*tokens{}}
}

// allow takes a token for one request of route; a nil throttle allows all.
func (t *throttle) allow(route string) bool {
	if t == nil {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	b := t.buckets[route]
	if b == nil {
		b = &tokens{left: t.burst, at: now}
		t.buckets[route] = b
	}
	b.left = min(t.burst, b.left+now.Sub(b.at).Seconds()*t.rate)
	b.at = now
	if b.left < 1 {
		return false
	}
	b.left--
	return true
}
