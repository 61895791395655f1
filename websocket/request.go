package websocket

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxRequestIDChars is the longest requestId the protocol echoes.
const maxRequestIDChars = 64

// request is a client message, read field by field rather than with
// json.Unmarshal into a struct: the protocol answers a missing field and a
// field of the wrong type with InvalidRequest naming the field, in words a
// client author understands, and json.Unmarshal can tell neither a missing
// field from a zero one nor describe a type error without Go's type names.
type request struct {
	Action    string
	RequestID string
	// upload
	Name string
	Type string
	Size int64
	// subscribe
	UploadID string
	Token    string
}

// fields is a message's top-level members, as sent. Like json.Unmarshal,
// a member sent twice counts once, with its last value; names are matched
// exactly, as the protocol spells them.
type fields map[string]json.RawMessage

// parseMessage reads the envelope every message shares: a JSON object with
// an optional requestId and an action. The error answer echoes the
// requestId whenever it could be read, even from a message that is not
// valid JSON to its end.
func parseMessage(body string) (fields, request, *ErrorMessage) {
	var req request
	if !json.Valid([]byte(body)) {
		return nil, req, invalidMessage(scanRequestID(body), "The message is not valid JSON%s.", syntaxProblem(body))
	}
	var f fields
	if err := json.Unmarshal([]byte(body), &f); err != nil || f == nil {
		return nil, req, invalidMessage("", "The message must be a JSON object such as {\"action\":\"upload\", ...}; this one is %s.", kind(json.RawMessage(body)))
	}
	if raw, ok := f.get("requestId"); ok {
		id, isString := stringValue(raw)
		if !isString || len(id) > maxRequestIDChars {
			return nil, req, &ErrorMessage{Type: "error", Code: "InvalidRequest",
				Message: fmt.Sprintf("\"requestId\" must be a string of at most %d characters.", maxRequestIDChars)}
		}
		req.RequestID = id
	}
	if raw, ok := f.get("action"); ok {
		a, isString := stringValue(raw)
		if !isString {
			return nil, req, invalidMessage(req.RequestID, "\"action\" must be a string naming an action, not %s.", kind(raw))
		}
		req.Action = a
	}
	return f, req, nil
}

func invalidMessage(requestID, format string, args ...any) *ErrorMessage {
	msg := errorMsg(requestID, "InvalidMessage", format+" Valid actions: %s.", append(args, validActions())...)
	return &msg
}

// get returns a member's value; null counts as absent, as it does for
// json.Unmarshal.
func (f fields) get(name string) (json.RawMessage, bool) {
	raw, ok := f[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, false
	}
	return raw, true
}

// readUpload reads the members of an upload request, in the order the
// protocol lists them; the first one missing or of the wrong type is the
// one the answer names.
func readUpload(f fields, req *request) *ErrorMessage {
	id := req.RequestID
	if bad := f.str(id, field{"name", "send the file's name, for display"}, &req.Name); bad != nil {
		return bad
	}
	if bad := f.str(id, field{"type", "send the file's content type, such as \"image/jpeg\""}, &req.Type); bad != nil {
		return bad
	}
	return f.bytesCount(id, field{"size", "send the file's size in bytes"}, &req.Size)
}

// readSubscribe reads the members of a subscribe request.
func readSubscribe(f fields, req *request) *ErrorMessage {
	id := req.RequestID
	if bad := f.str(id, field{"uploadId", "send the uploadId from the grant"}, &req.UploadID); bad != nil {
		return bad
	}
	return f.str(id, field{"token", "send the token from the grant"}, &req.Token)
}

// field is one member an action requires: its name, and what to say when
// it is missing.
type field struct {
	name, missing string
}

// str reads a required string member into dst.
func (f fields) str(requestID string, fd field, dst *string) *ErrorMessage {
	raw, ok := f.get(fd.name)
	if !ok {
		return missing(requestID, fd)
	}
	s, isString := stringValue(raw)
	if !isString {
		return invalidRequest(requestID, "%q must be a string, not %s.", fd.name, kind(raw))
	}
	*dst = s
	return nil
}

// bytesCount reads a required whole number of bytes into dst. A whole
// number too large for int64 reads as the largest one, so the size check
// refuses it as too large rather than as malformed.
func (f fields) bytesCount(requestID string, fd field, dst *int64) *ErrorMessage {
	raw, ok := f.get(fd.name)
	if !ok {
		return missing(requestID, fd)
	}
	notWhole := func() *ErrorMessage {
		return invalidRequest(requestID, "%q must be a whole number of bytes, such as 2481152, not %s.", fd.name, kind(raw))
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return notWhole()
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		*dst = n
		return nil
	}
	// 1e3 and 2.0 are whole numbers too; 1.5 is not.
	r, ok := new(big.Rat).SetString(string(raw))
	if !ok || !r.IsInt() {
		return notWhole()
	}
	switch {
	case r.Num().IsInt64():
		*dst = r.Num().Int64()
	case r.Sign() > 0:
		*dst = math.MaxInt64
	default:
		*dst = math.MinInt64
	}
	return nil
}

func missing(requestID string, fd field) *ErrorMessage {
	return invalidRequest(requestID, "%q is missing: %s.", fd.name, fd.missing)
}

func invalidRequest(requestID, format string, args ...any) *ErrorMessage {
	msg := errorMsg(requestID, "InvalidRequest", format, args...)
	return &msg
}

// stringValue decodes a JSON string; ok is false for any other kind.
func stringValue(raw json.RawMessage) (s string, ok bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// kind names the JSON kind of a value for an error message, in the words of
// the JSON specification rather than Go's.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "the number " + string(raw)
	}
	return "a number"
}

// syntaxProblem says where a message stops being JSON, for the client
// author; it never quotes the Go error.
func syntaxProblem(body string) string {
	var v any
	err := json.Unmarshal([]byte(body), &v)
	var se *json.SyntaxError
	switch {
	case strings.TrimSpace(body) == "":
		return ": it is empty"
	case errors.As(err, &se) && se.Offset >= int64(len(body)):
		return ": it ends too early"
	case errors.As(err, &se):
		return fmt.Sprintf(": it has an unexpected character at byte %d", se.Offset)
	}
	return ": it ends too early"
}

// scanRequestID reads the top-level requestId from the start of a message
// that cannot be parsed whole: one that is not valid JSON to its end, or
// one too large to handle. It stops at the first syntax error and returns
// the last requestId read before it (as json.Unmarshal keeps the last of
// duplicate members), or "" when there is none of at most 64 characters.
func scanRequestID(body string) string {
	dec := json.NewDecoder(strings.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	id := ""
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return id
		}
		if key == "requestId" {
			t, err := dec.Token()
			if err != nil {
				return id
			}
			if s, ok := t.(string); ok && len(s) <= maxRequestIDChars {
				id = s
			}
			if d, ok := t.(json.Delim); ok && skipNested(dec, d) != nil {
				return id
			}
			continue
		}
		if skipValue(dec) != nil {
			return id
		}
	}
	return id
}

// skipValue consumes one value of any kind from dec.
func skipValue(dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); ok {
		return skipNested(dec, d)
	}
	return nil
}

// skipNested consumes the rest of the array or object opened by d.
func skipNested(dec *json.Decoder, d json.Delim) error {
	if d != '{' && d != '[' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
