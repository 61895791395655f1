// Package client is a client of thumbflow's upload protocol
// (docs/protocol.md), for programs that upload the way the web page does:
// it asks for a grant over the WebSocket API, POSTs the file to the
// presigned form, subscribes with the grant's token and follows the status
// records pushed back. It speaks only the documented protocol, with no
// access to the servers' insides, so the same client works against
// `thumbflow dev` and a deployed stack; and because it keeps every message
// it receives, a caller can also check the protocol's promises (one
// terminal record per upload, versions that never disagree).
//
// The end-to-end tests, the pipeline benchmark and the commands that
// upload use it, so they all measure the product through its real
// protocol rather than through shortcuts.
package client

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"thumbflow/upload"
)

// Message is any server message, with the fields of every type.
type Message struct {
	Type      string         `json:"type"`
	RequestID string         `json:"requestId,omitempty"`
	Code      string         `json:"code,omitempty"`
	Message   string         `json:"message,omitempty"`
	Grant     *upload.Grant  `json:"grant,omitempty"`
	UploadID  string         `json:"uploadId,omitempty"`
	Status    *upload.Record `json:"status,omitempty"`
	Links     *upload.Links  `json:"links,omitempty"`
	// RetryAfter is, in an `error` that clears with time
	// (TooManyGrants), the whole seconds to wait before asking again.
	RetryAfter int `json:"retryAfter,omitempty"`
	// Received is when the client read the frame.
	Received time.Time `json:"-"`
}

// ProtocolError is an `error` message answering a request.
type ProtocolError struct {
	Code, Message string
	// RetryAfter is when asking again may succeed, for the refusals that
	// clear with time (TooManyGrants); 0 for the others.
	RetryAfter time.Duration
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

// Client is one browser tab's socket. It keeps every message it receives:
// answers by requestId, and status records (pushed or in a `subscribed`
// answer) by upload id, so many uploads can share one socket.
type Client struct {
	conn *websocket.Conn
	seq  atomic.Int64

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced at every message
	answers  map[string]Message
	statuses map[string][]Message
	unsolved []Message // messages with no requestId and no upload
	err      error     // why reading stopped
}

// Dial connects to the WebSocket API at url.
func Dial(ctx context.Context, url string) (*Client, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	conn.SetReadLimit(1 << 20)
	c := &Client{conn: conn, changed: make(chan struct{}), answers: map[string]Message{}, statuses: map[string][]Message{}}
	go c.read()
	return c, nil
}

func (c *Client) read() {
	for {
		_, b, err := c.conn.Read(context.Background())
		now := time.Now()
		c.mu.Lock()
		if err != nil {
			c.err = err
			close(c.changed)
			c.mu.Unlock()
			return
		}
		var m Message
		if jerr := json.Unmarshal(b, &m); jerr != nil {
			m = Message{Type: "undecodable", Message: string(b)}
		}
		m.Received = now
		if m.RequestID != "" {
			c.answers[m.RequestID] = m
		}
		switch {
		case m.Status != nil && (m.Type == "status" || m.Type == "subscribed"):
			c.statuses[m.Status.UploadID] = append(c.statuses[m.Status.UploadID], m)
		case m.RequestID == "":
			c.unsolved = append(c.unsolved, m)
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

// wait blocks until cond (called with c.mu held) reports true, the socket
// ends or ctx is done.
func (c *Client) wait(ctx context.Context, what string, cond func() bool) error {
	for {
		c.mu.Lock()
		if cond() {
			c.mu.Unlock()
			return nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return fmt.Errorf("socket ended while waiting for %s: %w", what, err)
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
		}
	}
}

// Close ends the socket normally.
func (c *Client) Close() error { return c.conn.Close(websocket.StatusNormalClosure, "") }

// CloseNow ends the socket without a close handshake.
func (c *Client) CloseNow() error { return c.conn.CloseNow() }

// Closed reports why reading stopped, or nil while the socket is open.
func (c *Client) Closed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// SendRaw writes one text frame as is: a message of an action this client
// has no method for, or a frame that is not a message at all, to see how
// the server answers it.
func (c *Client) SendRaw(ctx context.Context, frame []byte) error {
	return c.conn.Write(ctx, websocket.MessageText, frame)
}

// Request sends msg with a fresh requestId and returns the direct answer.
func (c *Client) Request(ctx context.Context, msg map[string]any) (Message, error) {
	id := "r" + strconv.FormatInt(c.seq.Add(1), 10)
	msg["requestId"] = id
	b, err := json.Marshal(msg)
	if err != nil {
		return Message{}, fmt.Errorf("encode request: %w", err)
	}
	if err := c.SendRaw(ctx, b); err != nil {
		return Message{}, fmt.Errorf("send %v: %w", msg["action"], err)
	}
	var m Message
	err = c.wait(ctx, "the answer to "+id, func() bool {
		var ok bool
		m, ok = c.answers[id]
		return ok
	})
	return m, err
}

// Unsolicited returns the messages that answered nothing by requestId and
// carried no status: errors for frames that were not JSON, for instance.
func (c *Client) Unsolicited() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.unsolved...)
}

// WaitUnsolicited waits until at least n unsolicited messages arrived.
func (c *Client) WaitUnsolicited(ctx context.Context, n int) ([]Message, error) {
	err := c.wait(ctx, fmt.Sprintf("%d unsolicited messages", n), func() bool { return len(c.unsolved) >= n })
	return c.Unsolicited(), err
}

// Grant asks once for an upload grant; an `error` answer is a
// *ProtocolError. GrantWhenAllowed waits out a TooManyGrants refusal.
func (c *Client) Grant(ctx context.Context, name, contentType string, size int64) (upload.Grant, error) {
	m, err := c.Request(ctx, map[string]any{"action": "upload", "name": name, "type": contentType, "size": size})
	if err != nil {
		return upload.Grant{}, err
	}
	switch {
	case m.Type == "error":
		return upload.Grant{}, &ProtocolError{Code: m.Code, Message: m.Message, RetryAfter: time.Duration(m.RetryAfter) * time.Second}
	case m.Type != "grant" || m.Grant == nil:
		return upload.Grant{}, fmt.Errorf("answer to upload is %q, want a grant", m.Type)
	}
	return *m.Grant, nil
}

// Subscribe watches an upload with its token and returns the record in
// the `subscribed` answer.
func (c *Client) Subscribe(ctx context.Context, id, token string) (upload.Record, error) {
	m, err := c.Request(ctx, map[string]any{"action": "subscribe", "uploadId": id, "token": token})
	if err != nil {
		return upload.Record{}, err
	}
	switch {
	case m.Type == "error":
		return upload.Record{}, &ProtocolError{Code: m.Code, Message: m.Message}
	case m.Type != "subscribed" || m.Status == nil:
		return upload.Record{}, fmt.Errorf("answer to subscribe is %q, want subscribed", m.Type)
	}
	return *m.Status, nil
}

// Statuses returns every status message (pushes and `subscribed`
// answers) received for an upload, in arrival order.
func (c *Client) Statuses(id string) []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.statuses[id]...)
}

// WaitState waits for a record of the upload in state s (or, for a
// non-terminal s, any later one) and returns the first such message.
func (c *Client) WaitState(ctx context.Context, id string, s upload.State) (Message, error) {
	var found Message
	err := c.wait(ctx, fmt.Sprintf("upload %s to reach %s", id, s), func() bool {
		for _, m := range c.statuses[id] {
			if m.Status.State == s || (!s.Terminal() && m.Status.State.Terminal()) {
				found = m
				return true
			}
		}
		return false
	})
	return found, err
}

// WaitTerminal waits for the upload's first terminal record.
func (c *Client) WaitTerminal(ctx context.Context, id string) (Message, error) {
	var found Message
	err := c.wait(ctx, "a terminal status of upload "+id, func() bool {
		for _, m := range c.statuses[id] {
			if m.Status.State.Terminal() {
				found = m
				return true
			}
		}
		return false
	})
	return found, err
}

// Terminals are the distinct terminal records an upload's messages carried
// (the same version seen twice counts once, as the protocol tells clients
// to treat it). More than one is a broken promise.
func Terminals(msgs []Message) []upload.Record {
	var out []upload.Record
	seen := map[int]bool{}
	for _, m := range msgs {
		if m.Status.State.Terminal() && !seen[m.Status.Version] {
			seen[m.Status.Version] = true
			out = append(out, *m.Status)
		}
	}
	return out
}

// States lists the states in msgs, with the attempt of retrying ones:
// "uploaded,converting,retrying(2),succeeded".
func States(msgs []Message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		s := string(m.Status.State)
		if m.Status.State == upload.StateRetrying {
			s = fmt.Sprintf("retrying(%d)", m.Status.Attempt)
		}
		out = append(out, s)
	}
	return out
}

// Distinct drops repeats of a record already seen (same version and
// state) and orders the rest by version: the protocol lets pushes arrive
// twice and out of order (two functions push concurrently, for example
// a duplicated start and the execution it raced), and a client keeps the
// newest, so version order is the sequence a user sees.
func Distinct(msgs []Message) []Message {
	type key struct {
		v int
		s upload.State
	}
	seen := map[key]bool{}
	var out []Message
	for _, m := range msgs {
		k := key{m.Status.Version, m.Status.State}
		if !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Status.Version < out[j].Status.Version })
	return out
}

// Conflicts reports versions that arrived with different states: a
// record overwritten by a concurrent writer, which would make a client
// that keeps the highest version miss a change.
func Conflicts(msgs []Message) []string {
	first := map[int]upload.State{}
	var out []string
	for _, m := range msgs {
		v, s := m.Status.Version, m.Status.State
		if s == upload.StateWaiting {
			continue
		}
		if prev, ok := first[v]; ok && prev != s {
			out = append(out, fmt.Sprintf("version %d is both %s and %s", v, prev, s))
		} else if !ok {
			first[v] = s
		}
	}
	return out
}
