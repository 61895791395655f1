package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"thumbflow/local/sigv4"
)

// Connection describes a live connection, as GetConnection reports it.
type Connection struct {
	ID           string
	ConnectedAt  time.Time
	LastActiveAt time.Time
	SourceIP     string
	UserAgent    string
}

// PostToConnection sends data to a client, as a text frame when it is valid
// UTF-8 and a binary frame otherwise. It returns ErrGone for an unknown or
// closing connection and ErrPayloadTooLarge over the message limit.
func (g *Gateway) PostToConnection(ctx context.Context, id string, data []byte) error {
	c := g.lookup(id)
	if c == nil {
		return ErrGone
	}
	if len(data) > g.limits.MaxMessageBytes {
		return fmt.Errorf("post %d bytes to %s (limit %d): %w", len(data), id, g.limits.MaxMessageBytes, ErrPayloadTooLarge)
	}
	if err := g.writeContext(ctx, c, data); err != nil {
		return err
	}
	return nil
}

func (g *Gateway) write(c *conn, data []byte) error {
	return g.writeContext(context.Background(), c, data)
}

func (g *Gateway) writeContext(ctx context.Context, c *conn, data []byte) error {
	select {
	case <-c.ready:
	case <-ctx.Done():
		return fmt.Errorf("write to %s: %w", c.id, ctx.Err())
	}
	if c.ws == nil || c.closing.Load() {
		return ErrGone
	}
	typ := websocket.MessageText
	if !utf8.Valid(data) {
		typ = websocket.MessageBinary
	}
	ctx, cancel := context.WithTimeout(ctx, g.limits.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, typ, data); err != nil {
		if c.closing.Load() {
			return ErrGone
		}
		// coder/websocket closes a connection whose write failed, so
		// the connection is gone either way.
		return fmt.Errorf("write to %s: %v: %w", c.id, err, ErrGone)
	}
	return nil
}

// GetConnection reports a live connection, or ErrGone.
func (g *Gateway) GetConnection(id string) (Connection, error) {
	c := g.lookup(id)
	if c == nil {
		return Connection{}, ErrGone
	}
	return Connection{
		ID:           c.id,
		ConnectedAt:  c.connectedAt,
		LastActiveAt: time.Unix(0, c.lastActive.Load()),
		SourceIP:     c.sourceIP,
		UserAgent:    c.userAgent,
	}, nil
}

// DeleteConnection closes a connection with a normal close, as the
// DeleteConnection API does; $disconnect follows. It returns ErrGone for an
// unknown or closing connection.
func (g *Gateway) DeleteConnection(id string) error {
	c := g.lookup(id)
	if c == nil {
		return ErrGone
	}
	c.close(websocket.StatusNormalClosure, "")
	return nil
}

// Drop ends a connection abruptly, without a close frame, as a lost network
// does. It exists to test that clients reconnect and resubscribe; nothing
// calls it unless a test or a fault-injection switch does.
func (g *Gateway) Drop(id string) error {
	c := g.lookup(id)
	if c == nil {
		return ErrGone
	}
	c.drop()
	return nil
}

// Connections returns the ids of the live connections.
func (g *Gateway) Connections() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ids := make([]string, 0, len(g.conns))
	for id, c := range g.conns {
		if !c.closing.Load() {
			ids = append(ids, id)
		}
	}
	return ids
}

// ManagementHandler serves the @connections API at /@connections/{id} and
// /{stage}/@connections/{id}, so the apigatewaymanagementapi client works
// with an endpoint of either http://host or http://host/{stage}.
func (g *Gateway) ManagementHandler() http.Handler {
	return http.HandlerFunc(g.serveManagement)
}

const connectionsPath = "/@connections/"

func (g *Gateway) serveManagement(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	i := strings.Index(path, connectionsPath)
	if i < 0 {
		writeJSONError(w, http.StatusNotFound, "NotFoundException", "no such resource: "+path)
		return
	}
	if prefix := strings.Trim(path[:i], "/"); prefix != "" && prefix != g.stage {
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", fmt.Sprintf("unknown stage %q (this API's stage is %q)", prefix, g.stage))
		return
	}
	id := path[i+len(connectionsPath):]
	if id == "" || strings.Contains(id, "/") {
		writeJSONError(w, http.StatusNotFound, "NotFoundException", "no such resource: "+path)
		return
	}

	// Bound the body before the verifier hashes it, so an unauthenticated
	// client cannot make the gateway buffer more than one message.
	limit := int64(g.limits.MaxMessageBytes)
	if r.ContentLength > limit {
		writeTooLarge(w, limit)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if g.verifier != nil {
		if err := g.verifier.Verify(r, "execute-api"); err != nil {
			status, errType, msg := authFailure(err)
			if status == http.StatusRequestEntityTooLarge {
				writeTooLarge(w, limit)
				return
			}
			writeJSONError(w, status, errType, msg)
			return
		}
	}
	if err := g.authorize(r, id); err != nil {
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", err.Error())
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeTooLarge(w, limit)
			return
		}
		writeJSONError(w, http.StatusBadRequest, "BadRequestException", "reading request body: "+err.Error())
		return
	}

	switch r.Method {
	case http.MethodPost:
		err := g.PostToConnection(r.Context(), id, body)
		switch {
		case errors.Is(err, ErrGone):
			writeGone(w, id)
		case err != nil:
			writeJSONError(w, http.StatusInternalServerError, "InternalServerErrorException", err.Error())
		default:
			w.WriteHeader(http.StatusOK)
		}
	case http.MethodGet:
		info, err := g.GetConnection(id)
		if err != nil {
			writeGone(w, id)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"connectedAt":  info.ConnectedAt.UTC().Format(time.RFC3339Nano),
			"lastActiveAt": info.LastActiveAt.UTC().Format(time.RFC3339Nano),
			"identity": map[string]string{
				"sourceIp":  info.SourceIP,
				"userAgent": info.UserAgent,
			},
		})
	case http.MethodDelete:
		if err := g.DeleteConnection(id); err != nil {
			writeGone(w, id)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeJSONError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", r.Method+" is not supported on @connections")
	}
}

// authFailure picks the status and error type for a failed verification:
// local/sigv4's status, with the error type API Gateway names it by (its
// codes follow S3's naming).
func authFailure(err error) (status int, errType, msg string) {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return http.StatusForbidden, "ForbiddenException", err.Error()
	}
	switch se.Code {
	case "SignatureDoesNotMatch":
		return se.Status, "InvalidSignatureException", se.Message
	case "MissingAuthenticationToken":
		return se.Status, "MissingAuthenticationTokenException", se.Message
	case "InvalidAccessKeyId":
		return se.Status, "UnrecognizedClientException", se.Message
	case "AccessDenied":
		return se.Status, "AccessDeniedException", se.Message
	}
	return se.Status, se.Code, se.Message
}

func writeTooLarge(w http.ResponseWriter, limit int64) {
	writeJSONError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", fmt.Sprintf("message exceeds the %d-byte limit", limit))
}

func writeGone(w http.ResponseWriter, id string) {
	writeJSONError(w, http.StatusGone, "GoneException", fmt.Sprintf("connection %s is gone", id))
}

// writeJSONError answers as API Gateway does: a JSON message, with the error
// type in x-amzn-ErrorType for the SDK to pick the typed error.
func writeJSONError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if errType != "" {
		w.Header().Set("x-amzn-ErrorType", errType)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// action returns the "action" of a JSON object message, the value of the
// route selection expression $request.body.action. The member is matched
// exactly, as a JSON path matches it, not case-insensitively as
// json.Unmarshal matches struct fields: {"Action":"upload"} goes to
// $default on AWS.
func action(data []byte) (string, bool) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(data, &body); err != nil || body["action"] == nil {
		return "", false
	}
	var a string
	if err := json.Unmarshal(body["action"], &a); err != nil {
		return "", false
	}
	return a, true
}
