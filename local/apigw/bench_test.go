package apigw_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/coder/websocket"

	"thumbflow/local/apigw"
	"thumbflow/local/sigv4"
)

func echo(_ context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: req.Body}, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// BenchmarkRouteRoundTrip measures one message through route selection, the
// handler and the route response back to the client.
func BenchmarkRouteRoundTrip(b *testing.B) {
	e := start(b, apigw.Options{Handler: echo, Routes: []string{"subscribe"}, Logger: quiet()})
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, e.wsURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	msg := []byte(`{"action":"subscribe","uploadId":"01JBX3Q7Z8","token":"abcdefghijklmnopqrstuvwxyz"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostToConnectionSDK measures a status push as a handler makes it:
// the SDK client, SigV4 signing and verification, and delivery to the client.
func BenchmarkPostToConnectionSDK(b *testing.B) {
	rec := newRecorder()
	e := start(b, apigw.Options{Handler: rec.handle, Verifier: sigv4.NewVerifier("test", "test", "us-east-1"), Logger: quiet()})
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, e.wsURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	id := (<-rec.events).RequestContext.ConnectionID
	in := &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: &id, Data: []byte(`{"uploadId":"01JBX3Q7Z8","status":"converting"}`)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.client.PostToConnection(ctx, in); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnectDisconnect measures a full connection lifecycle:
// $connect, upgrade, close handshake and $disconnect.
func BenchmarkConnectDisconnect(b *testing.B) {
	e := start(b, apigw.Options{Handler: echo, Logger: quiet()})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, _, err := websocket.Dial(ctx, e.wsURL, nil)
		if err != nil {
			b.Fatal(err)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
}
