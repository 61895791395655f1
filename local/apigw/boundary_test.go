package apigw_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/coder/websocket"

	"thumbflow/local/apigw"
)

// TestIncomingMessageLimitOneBytePast: one byte over 128 KiB closes the
// connection with 1009 (TestMessageLimit shows exactly 128 KiB passes).
func TestIncomingMessageLimitOneBytePast(t *testing.T) {
	rec := newRecorder()
	rec.respond = func(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	e := start(t, apigw.Options{Handler: rec.handle})
	c := dial(t, e.wsURL)
	rec.next(t, apigw.RouteConnect)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("a", apigw.DefaultMaxMessageBytes+1)))
	if got := closeStatus(t, c, 5*time.Second); got != websocket.StatusMessageTooBig {
		t.Fatalf("a message of 128 KiB + 1 byte closed the connection with %v, want 1009", got)
	}
}

// TestPostToConnectionLimitBoundary: a post of exactly 128 KiB reaches the
// client whole; one byte more is PayloadTooLargeException and leaves the
// connection open.
func TestPostToConnectionLimitBoundary(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle})
	c := dial(t, e.wsURL)
	id := rec.next(t, apigw.RouteConnect).RequestContext.ConnectionID
	ctx := context.Background()

	edge := strings.Repeat("x", apigw.DefaultMaxMessageBytes)
	if _, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte(edge)}); err != nil {
		t.Fatalf("a post of exactly 128 KiB: %v", err)
	}
	if got := read(t, c); got != edge {
		t.Fatalf("the client read %d bytes, want %d", len(got), len(edge))
	}
	_, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte(edge + "y")})
	var tooLarge *types.PayloadTooLargeException
	if !errors.As(err, &tooLarge) {
		t.Fatalf("a post of 128 KiB + 1 byte: %v, want PayloadTooLargeException", err)
	}
	// Sentinel: the oversized post delivered nothing; the next message the
	// client reads is the one posted after it.
	if _, err := e.client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte("sentinel")}); err != nil {
		t.Fatalf("post after the refused one: %v", err)
	}
	if got := read(t, c); got != "sentinel" {
		t.Fatalf("after a refused post the client read %d bytes %.20q..., want the sentinel", len(got), got)
	}
}
