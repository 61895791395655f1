package client

import (
	"context"
	"fmt"
	"slices"

	"thumbflow/upload"
)

// Next waits for records of the upload newer than version after and
// returns every one received, once each, in version order. Ordering by
// version is what the protocol asks of a client: pushes may arrive twice
// or out of order, and a `subscribed` answer races with them. Returning
// all of them, not only the newest, lets a caller show each change even
// when two arrive together (a retry that fails at once). It also follows an
// operator's retry, which starts a new generation with a higher version
// after a terminal record.
func (c *Client) Next(ctx context.Context, id string, after int) ([]upload.Record, error) {
	var recs []upload.Record
	err := c.wait(ctx, fmt.Sprintf("a status of upload %s after version %d", id, after), func() bool {
		seen := map[int]bool{}
		recs = recs[:0]
		for _, m := range c.statuses[id] {
			if v := m.Status.Version; v > after && !seen[v] {
				seen[v] = true
				recs = append(recs, *m.Status)
			}
		}
		return len(recs) > 0
	})
	slices.SortFunc(recs, func(a, b upload.Record) int { return a.Version - b.Version })
	return recs, err
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
