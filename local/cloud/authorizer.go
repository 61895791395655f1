package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"thumbflow/local/iam"
	"thumbflow/local/lambda"
	"thumbflow/local/stack"
)

// The $connect authorizer, as API Gateway runs a WebSocket API's Lambda
// REQUEST authorizer: a connection that lacks an identity source is
// refused with 401 before the authorizer runs; otherwise the authorizer
// function gets the request and returns an IAM policy, which must allow
// execute-api:Invoke on the route's method ARN (else 403). An authorizer
// that fails with "Unauthorized" is a 401, any other failure a 500. The
// authorizer's context reaches the $connect integration as
// requestContext.authorizer. docs/local-websocket.md#connect-authorizer.

// authorizerResponse is what a Lambda REQUEST authorizer returns.
type authorizerResponse struct {
	PrincipalID    string         `json:"principalId"`
	PolicyDocument map[string]any `json:"policyDocument"`
	Context        map[string]any `json:"context"`
}

// authorizeConnect runs the route's authorizer on a $connect request. It
// returns the requestContext.authorizer value to pass on, or the refusal
// to answer with.
func (c *Cloud) authorizeConnect(ctx context.Context, a *stack.Authorizer, req events.APIGatewayWebsocketProxyRequest) (map[string]any, *events.APIGatewayProxyResponse) {
	log := c.log.With("service", "websocket", "connectionId", req.RequestContext.ConnectionID, "authorizer", a.LogicalID)
	refuse := func(status int, message string) *events.APIGatewayProxyResponse {
		b, _ := json.Marshal(map[string]string{"message": message})
		return &events.APIGatewayProxyResponse{StatusCode: status, Body: string(b),
			Headers: map[string]string{"Content-Type": "application/json"}}
	}
	for _, src := range a.Props.IdentitySource {
		if identityValue(src, req) == "" {
			log.Info("$connect refused: no identity source", "identitySource", src)
			return nil, refuse(http.StatusUnauthorized, "Unauthorized")
		}
	}
	methodARN := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s", c.cfg.Region, c.cfg.AccountID, req.RequestContext.APIID,
		req.RequestContext.Stage, req.RequestContext.RouteKey)
	b, err := json.Marshal(req)
	var event map[string]any
	if err == nil {
		err = json.Unmarshal(b, &event)
	}
	if err != nil {
		log.Error("authorizer event", "error", err)
		return nil, refuse(http.StatusInternalServerError, "Internal server error")
	}
	event["type"], event["methodArn"] = "REQUEST", methodARN
	payload, _ := json.Marshal(event)
	out, err := c.Lambdas.Invoke(ctx, a.FunctionARN, payload)
	var fe *lambda.FunctionError
	switch {
	case errors.As(err, &fe) && fe.Message == "Unauthorized":
		log.Info("$connect refused by the authorizer: Unauthorized")
		return nil, refuse(http.StatusUnauthorized, "Unauthorized")
	case err != nil:
		log.Error("authorizer failed", "function", a.FunctionARN, "error", err)
		return nil, refuse(http.StatusInternalServerError, "Internal server error")
	}
	var resp authorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.PolicyDocument == nil {
		log.Error("authorizer answered no policy", "function", a.FunctionARN, "answer", string(out), "error", err)
		return nil, refuse(http.StatusInternalServerError, "Internal server error")
	}
	policy, err := iam.Parse(resp.PolicyDocument)
	if err != nil {
		log.Error("authorizer answered an invalid policy", "function", a.FunctionARN, "error", err)
		return nil, refuse(http.StatusInternalServerError, "Internal server error")
	}
	if d := iam.Evaluate(iam.Request{Action: "execute-api:Invoke", Resource: methodARN}, []iam.Policy{policy}, nil); d != iam.Allow {
		log.Info("$connect refused by the authorizer's policy", "principalId", resp.PrincipalID, "decision", d.String())
		return nil, refuse(http.StatusForbidden, "Forbidden")
	}
	authCtx := map[string]any{"principalId": resp.PrincipalID}
	for k, v := range resp.Context {
		authCtx[k] = v
	}
	return authCtx, nil
}

// identityValue is the value an identity source names in a $connect
// request (route.request.header.X, case-insensitively, or
// route.request.querystring.X), or "".
func identityValue(src string, req events.APIGatewayWebsocketProxyRequest) string {
	if name, ok := strings.CutPrefix(src, "route.request.header."); ok {
		for k, v := range req.Headers {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}
	if name, ok := strings.CutPrefix(src, "route.request.querystring."); ok {
		return req.QueryStringParameters[name]
	}
	return ""
}
