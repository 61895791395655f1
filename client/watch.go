package client

import (
	"context"
	"fmt"

	"thumbflow/upload"
)

// Next waits for a record of the upload newer than version after and
// returns the newest one received. Ordering by version is what the
// protocol asks of a client: pushes may arrive twice or out of order, and
// a `subscribed` answer races with them. It also follows an operator's
// retry, which starts a new generation after a terminal record with a
// higher version, so a caller that keeps calling Next after a terminal
// record sees the new generation too.
func (c *Client) Next(ctx context.Context, id string, after int) (upload.Record, error) {
	var newest upload.Record
	err := c.wait(ctx, fmt.Sprintf("a status of upload %s after version %d", id, after), func() bool {
		for _, m := range c.statuses[id] {
			if m.Status.Version > after && m.Status.Version > newest.Version {
				newest = *m.Status
			}
		}
		return newest.Version > after
	})
	return newest, err
}

// Links subscribes again to get fresh download links, for a caller whose
// grant's links expired (they last an hour) before it downloaded.
func (c *Client) Links(ctx context.Context, id, token string) (upload.Links, error) {
	m, err := c.Request(ctx, map[string]any{"action": "subscribe", "uploadId": id, "token": token})
	if err != nil {
		return upload.Links{}, err
	}
	switch {
	case m.Type == "error":
		return upload.Links{}, &ProtocolError{Code: m.Code, Message: m.Message}
	case m.Type != "subscribed" || m.Links == nil:
		return upload.Links{}, fmt.Errorf("answer to subscribe is %q with no links", m.Type)
	}
	return *m.Links, nil
}
