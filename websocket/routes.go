// Package websocket holds the WebSocket API's route handlers: one Lambda
// function serves every route, selected by $request.body.action. Every
// answer is a message from docs/protocol.md; nothing a client sends can make
// a handler fail, so API Gateway never has to say "Internal server error".
package websocket

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/thumbnail"
	"thumbflow/upload"
)

// Presigner is the part of s3.PresignClient the routes call.
type Presigner interface {
	PresignPostObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignPostOptions)) (*s3.PresignedPostRequest, error)
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Store is the part of the status store the routes need.
type Store interface {
	GetStatus(ctx context.Context, id string) (upload.Record, bool, error)
	Subscribe(ctx context.Context, id, connectionID string) error
}

// Actions are the routes a client can select; $default answers with them.
var Actions = []string{"upload", "subscribe", "links", "delete", "ping"}

// MaxRequestBytes bounds a request message. The real ones are under 1 KB;
// API Gateway's own 128 KB frame limit would let far more through.
const MaxRequestBytes = 8 << 10

// Handler serves the WebSocket routes.
type Handler struct {
	Presigner Presigner
	Store     Store
	Signer    *upload.Signer
	Limits    upload.Limits
	// Renditions names the renditions the pipeline writes, so the grant can
	// carry a download link for each.
	Renditions    []string
	UploadsBucket string
	OutputBucket  string
	RecordsBucket string
	// UploadTTL is how long the presigned POST lasts, WatchTTL the token,
	// LinkTTL the presigned GETs. Zero means the defaults: 5 minutes, 24
	// hours, 1 hour.
	UploadTTL, WatchTTL, LinkTTL time.Duration
	Now                          func() time.Time
	Log                          *slog.Logger

	// Objects deletes an upload's objects ("delete"; see delete.go).
	Objects Objects
	// Pending writes the sweeper's marker of every upload granted
	// (upload.Sweeper), before the grant is answered.
	Pending Marker
	// GrantLimits caps the grants per source address (grantlimit.go);
	// nil grants without limit.
	GrantLimits *GrantLimiter
}

// Marker records that an upload has a grant and no terminal status yet
// (s3store.Markers).
type Marker interface {
	Mark(ctx context.Context, id string) error
}

// Handle is the Lambda entry point for every route.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	rc := req.RequestContext
	log := h.logger().With("connectionId", rc.ConnectionID, "routeKey", rc.RouteKey)
	switch rc.RouteKey {
	case "$connect", "$disconnect":
		// Nothing to set up or tear down: subscriptions expire by lifecycle
		// rule and a push to a gone connection drops its subscription.
		log.Info("connection event", "eventType", rc.EventType)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	msg := h.route(ctx, log, req)
	body, err := json.Marshal(msg)
	if err != nil {
		return events.APIGatewayProxyResponse{}, fmt.Errorf("encode answer: %w", err)
	}
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(body)}, nil
}

// ErrorMessage is the "error" message of the protocol.
type ErrorMessage struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	// RetryAfter is how many seconds to wait before asking again, for
	// the refusals that clear with time (TooManyGrants).
	RetryAfter int `json:"retryAfter,omitempty"`
}

// GrantMessage answers "upload".
type GrantMessage struct {
	Type      string       `json:"type"`
	RequestID string       `json:"requestId,omitempty"`
	Grant     upload.Grant `json:"grant"`
}

// SubscribedMessage answers "subscribe".
type SubscribedMessage struct {
	Type      string        `json:"type"`
	RequestID string        `json:"requestId,omitempty"`
	UploadID  string        `json:"uploadId"`
	Status    upload.Record `json:"status"`
	Links     upload.Links  `json:"links"`
}

func errorMsg(requestID, code, format string, args ...any) ErrorMessage {
	return ErrorMessage{Type: "error", RequestID: requestID, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (h *Handler) route(ctx context.Context, log *slog.Logger, ev events.APIGatewayWebsocketProxyRequest) any {
	body, conn, routeKey := ev.Body, ev.RequestContext.ConnectionID, ev.RequestContext.RouteKey
	if ev.IsBase64Encoded {
		return errorMsg("", "InvalidMessage", "Messages must be JSON in text frames; this one was a binary frame. Valid actions: %s.", validActions())
	}
	if len(body) > MaxRequestBytes {
		// The start of the frame may still name the request, so that a
		// client with several requests in flight knows which one failed.
		return errorMsg(scanRequestID(body), "MessageTooLarge", "Messages are at most %d bytes; this one has %d.", MaxRequestBytes, len(body))
	}
	f, req, bad := parseMessage(body)
	if bad != nil {
		return *bad
	}
	action := req.Action
	if routeKey != "$default" {
		action = routeKey // API Gateway chose the route from the same field
	}
	switch action {
	case "upload":
		if bad := readUpload(f, &req); bad != nil {
			return *bad
		}
		return h.upload(ctx, log, conn, ev.RequestContext.Identity.SourceIP, req)
	case "subscribe":
		if bad := readSubscribe(f, &req); bad != nil {
			return *bad
		}
		return h.subscribe(ctx, log, conn, req)
	case "links":
		return h.linksAction(ctx, log, req.RequestID, body)
	case "delete":
		return h.deleteAction(ctx, log, req.RequestID, body)
	case "ping":
		return ping(req.RequestID)
	}
	if req.Action == "" {
		return errorMsg(req.RequestID, "InvalidMessage", "The message has no \"action\". Valid actions: %s.", validActions())
	}
	return errorMsg(req.RequestID, "InvalidMessage", "Unknown action %q. Valid actions: %s.", req.Action, validActions())
}

func validActions() string {
	b, _ := json.Marshal(Actions)
	return string(b)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// RenditionNames lists the names of spec's renditions, for the grant's
// download links.
func RenditionNames(spec thumbnail.Spec) []string {
	names := make([]string, len(spec.Renditions))
	for i, r := range spec.Renditions {
		names[i] = r.Name
	}
	return names
}
