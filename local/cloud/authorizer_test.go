package cloud

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"thumbflow/local/lambda"
)

// TestConnectAuthorizer: with ConnectAuthorizerArn set, the local gateway
// runs that Lambda REQUEST authorizer on $connect, as API Gateway does: a
// connection without the token query parameter (the template's identity
// source) is refused with 401 before the authorizer runs; the authorizer's
// Deny is a 403, its "Unauthorized" failure a 401, and its Allow lets the
// connection in.
// Without the parameter (the default) $connect is open.
func TestConnectAuthorizer(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:connect-authorizer"
	c := startCloud(t, func(c *Config) { c.Parameters = map[string]string{"ConnectAuthorizerArn": arn} })
	var calls atomic.Int64
	var sawMethodARN atomic.Value
	authorizer := func(_ context.Context, ev map[string]any) (map[string]any, error) {
		calls.Add(1)
		sawMethodARN.Store(ev["methodArn"])
		token, _ := ev["queryStringParameters"].(map[string]any)["token"].(string)
		effect := "Deny"
		switch token {
		case "unauthorized":
			return nil, errors.New("Unauthorized")
		case "good":
			effect = "Allow"
		}
		return map[string]any{
			"principalId": "user-1",
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Resource": ev["methodArn"]},
			}},
			"context": map[string]any{"tier": "free"},
		}, nil
	}
	if err := c.Lambdas.Register(arn, authorizer, lambda.FunctionOptions{}); err != nil {
		t.Fatal(err)
	}
	dial := func(query string) (*websocket.Conn, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, resp, err := websocket.Dial(ctx, c.WebSocketURL+query, nil)
		if err != nil {
			if resp == nil {
				t.Fatalf("dial %s: %v", query, err)
			}
			return nil, resp.StatusCode
		}
		t.Cleanup(func() { ws.CloseNow() })
		return ws, http.StatusSwitchingProtocols
	}
	if _, status := dial(""); status != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", status)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the authorizer ran %d times for a connection without its identity source", n)
	}
	if _, status := dial("?token=bad"); status != http.StatusForbidden {
		t.Errorf("denied token: %d, want 403", status)
	}
	if _, status := dial("?token=unauthorized"); status != http.StatusUnauthorized {
		t.Errorf("authorizer failing Unauthorized: %d, want 401", status)
	}
	ws, status := dial("?token=good")
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("allowed token: %d, want the upgrade", status)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("the authorizer ran %d times, want 3", n)
	}
	if got, want := sawMethodARN.Load(), "arn:aws:execute-api:us-east-1:000000000000:"+c.Stack.API("WebSocketApi").ID+"/prod/$connect"; got != want {
		t.Errorf("methodArn %v, want %s", got, want)
	}
	// The connection works: a message reaches the WebSocket function.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"action":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.Read(ctx); err != nil || len(msg) == 0 {
		t.Fatalf("after an authorized $connect: %q %v", msg, err)
	}

	open := startCloud(t)
	if r := open.Stack.API("WebSocketApi").Route("$connect"); r.Authorizer != nil || r.Props.AuthorizationType != "NONE" {
		t.Errorf("by default $connect has authorizer %+v, type %s", r.Authorizer, r.Props.AuthorizationType)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	plain, _, err := websocket.Dial(ctx2, open.WebSocketURL, nil)
	if err != nil {
		t.Fatalf("default stack, no token: %v", err)
	}
	plain.CloseNow()
}
