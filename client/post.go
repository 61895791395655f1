package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"thumbflow/upload"
)

// S3Error is S3's refusal of a POST: the status and the XML error's code.
type S3Error struct {
	Status  int
	Code    string
	Message string
}

func (e *S3Error) Error() string {
	return fmt.Sprintf("POST answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Post uploads data with a grant as a browser form does: every field of
// the grant, then the file last. Anything but 204 is an *S3Error.
func Post(ctx context.Context, hc *http.Client, g upload.Grant, filename string, data []byte) error {
	return PostFile(ctx, hc, g, filename, bytes.NewReader(data), int64(len(data)), nil)
}

// Upload sends data as the upload page does: a fresh grant on c (waiting
// out TooManyGrants refusals for as long as ctx allows), the presigned POST (with the default HTTP client), then the wait for the
// upload's first terminal record, which it returns with the grant. The
// state it ended in is the caller's to judge.
func (c *Client) Upload(ctx context.Context, name, contentType string, data []byte) (upload.Grant, upload.Record, error) {
	g, err := c.GrantWhenAllowed(ctx, name, contentType, int64(len(data)), nil)
	if err != nil {
		return upload.Grant{}, upload.Record{}, fmt.Errorf("grant for %q: %w", name, err)
	}
	if err := Post(ctx, nil, g, name, data); err != nil {
		return g, upload.Record{}, fmt.Errorf("upload %q: %w", name, err)
	}
	m, err := c.WaitTerminal(ctx, g.UploadID)
	if err != nil {
		return g, upload.Record{}, fmt.Errorf("upload %q (%s), states so far %v: %w", name, g.UploadID, States(c.Statuses(g.UploadID)), err)
	}
	return g, *m.Status, nil
}
