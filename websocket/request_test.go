package websocket

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// goInternals are phrases of Go's own errors that a client author, who
// knows the protocol and not the server's language, cannot act on.
var goInternals = []string{"Go value", "int64", "json:", "unmarshal", "websocket.", "struct"}

// checkAnswer asserts an error answer's code, its requestId echo and that
// its message names what it must, in plain words.
func checkAnswer(t *testing.T, m map[string]any, code, requestID string, mentions ...string) {
	t.Helper()
	msg, _ := m["message"].(string)
	if m["type"] != "error" || m["code"] != code {
		t.Fatalf("answer = %v, want error %s", m, code)
	}
	if got, _ := m["requestId"].(string); got != requestID {
		t.Errorf("answer echoes requestId %q, want %q (message %q)", got, requestID, msg)
	}
	for _, want := range mentions {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not mention %s", msg, want)
		}
	}
	for _, bad := range goInternals {
		if strings.Contains(msg, bad) {
			t.Errorf("message %q shows Go internals (%q)", msg, bad)
		}
	}
}

// Every absent field and every field of the wrong type is InvalidRequest
// naming the field, as docs/protocol.md says, never the code of a check
// that ran on a zero value (EmptyFile, UnsupportedFormat).
func TestMissingAndMistypedFieldsAreInvalidRequestNamingTheField(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, route, body, field string }{
		{"no size", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":"image/jpeg"}`, `"size"`},
		{"null size", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":"image/jpeg","size":null}`, `"size"`},
		{"no type", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","size":100}`, `"type"`},
		{"no name", "upload", `{"action":"upload","requestId":"u1","type":"image/jpeg","size":100}`, `"name"`},
		{"size as string", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":"image/jpeg","size":"100"}`, `"size" must be a whole number of bytes`},
		{"size as fraction", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":"image/jpeg","size":1.5}`, `"size" must be a whole number of bytes`},
		{"size as boolean", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":"image/jpeg","size":true}`, `"size" must be a whole number of bytes`},
		{"size as array", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":"image/jpeg","size":[1]}`, `"size" must be a whole number of bytes`},
		{"type as number", "upload", `{"action":"upload","requestId":"u1","name":"x.jpg","type":5,"size":100}`, `"type" must be a string`},
		{"name as object", "upload", `{"action":"upload","requestId":"u1","name":{},"type":"image/jpeg","size":100}`, `"name" must be a string`},
		{"no token", "subscribe", `{"action":"subscribe","requestId":"u1","uploadId":"9f86d081884c7d659a2feaa0c55ad015"}`, `"token"`},
		{"no uploadId", "subscribe", `{"action":"subscribe","requestId":"u1","token":"AQ"}`, `"uploadId"`},
		{"uploadId as number", "subscribe", `{"action":"subscribe","requestId":"u1","uploadId":12,"token":"AQ"}`, `"uploadId" must be a string`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkAnswer(t, f.send(t, "c1", c.route, c.body), "InvalidRequest", "u1", c.field)
		})
	}
	t.Run("requestId of the wrong type", func(t *testing.T) {
		m := f.send(t, "c1", "upload", `{"action":"upload","requestId":7,"name":"x.jpg","type":"image/jpeg","size":100}`)
		checkAnswer(t, m, "InvalidRequest", "", `"requestId"`)
	})
}

// A size that is a whole number however it is written is a size: 1e3 is
// 1000 bytes, and a number too large for any file is FileTooLarge.
func TestSizeIsAnyWholeNumber(t *testing.T) {
	f := newFixture(t)
	m := f.send(t, "c1", "upload", `{"action":"upload","requestId":"g","name":"x.jpg","type":"image/jpeg","size":1e3}`)
	if m["type"] != "grant" {
		t.Fatalf("size 1e3: answer %v, want a grant", m)
	}
	m = f.send(t, "c1", "upload", `{"action":"upload","requestId":"g","name":"x.jpg","type":"image/jpeg","size":123456789012345678901234567890}`)
	checkAnswer(t, m, "FileTooLarge", "g")
	m = f.send(t, "c1", "upload", `{"action":"upload","requestId":"g","name":"x.jpg","type":"image/jpeg","size":-123456789012345678901234567890}`)
	checkAnswer(t, m, "InvalidRequest", "g", "size")
}

// Messages that are not a request at all are InvalidMessage, in plain
// words, echoing the requestId whenever it could be read.
func TestMalformedMessagesInPlainWords(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, body, requestID, mention string }{
		{"array", `[1,2]`, "", "must be a JSON object"},
		{"string", `"upload"`, "", "must be a JSON object"},
		{"null", `null`, "", "must be a JSON object"},
		{"empty", ``, "", "not valid JSON"},
		{"cut short after the requestId", `{"requestId":"m1","action":"upl`, "m1", "not valid JSON"},
		{"garbage after the requestId", `{"requestId":"m1", action}`, "m1", "not valid JSON"},
		{"action as number", `{"requestId":"m1","action":5}`, "m1", `"action" must be a string`},
		{"unknown action", `{"requestId":"m1","action":"destroy"}`, "m1", `"destroy"`},
		{"no action", `{"requestId":"m1"}`, "m1", `"action"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkAnswer(t, f.send(t, "c1", "$default", c.body), "InvalidMessage", c.requestID, c.mention, "upload", "subscribe")
		})
	}
	t.Run("binary frame", func(t *testing.T) {
		var ev events.APIGatewayWebsocketProxyRequest
		ev.RequestContext.RouteKey, ev.RequestContext.EventType = "$default", "MESSAGE"
		ev.Body, ev.IsBase64Encoded = "eyJhY3Rpb24iOiJ1cGxvYWQifQ==", true
		resp, err := f.h.Handle(t.Context(), ev)
		if err != nil || !strings.Contains(resp.Body, `"code":"InvalidMessage"`) || !strings.Contains(resp.Body, "text frames") {
			t.Errorf("binary frame: %s, %v; want InvalidMessage about text frames", resp.Body, err)
		}
	})
}

// MessageTooLarge echoes the requestId wherever the oversized message
// names it: at its start, after the padding, or before the point where a
// message cut short stops being JSON.
func TestMessageTooLargeEchoesTheRequestID(t *testing.T) {
	f := newFixture(t)
	pad := strings.Repeat("a", MaxRequestBytes)
	cases := []struct{ name, body, requestID string }{
		{"at the start", `{"requestId":"big1","action":"upload","name":"` + pad + `"}`, "big1"},
		{"after the padding", `{"action":"upload","name":"` + pad + `","nested":{"requestId":"not this"},"requestId":"big2"}`, "big2"},
		{"cut short", `{"action":"upload","requestId":"big3","name":"` + pad, "big3"},
		{"too long to echo", `{"requestId":"` + strings.Repeat("r", 65) + `","name":"` + pad + `"}`, ""},
		{"none", `{"action":"upload","name":"` + pad + `"}`, ""},
		{"not an object", `["` + pad + `"]`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkAnswer(t, f.send(t, "c1", "upload", c.body), "MessageTooLarge", c.requestID, "8192")
		})
	}
}
