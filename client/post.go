package client

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
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
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range g.Upload.Fields {
		if err := w.WriteField(k, v); err != nil {
			return err
		}
	}
	fw, err := w.CreateFormFile("file", filename)
	if err != nil {
		return err
	}
	fw.Write(data)
	if err := w.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.Upload.URL, &body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", g.Upload.URL, err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", g.Upload.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNoContent {
		return nil
	}
	var x struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	xml.Unmarshal(b, &x)
	return &S3Error{Status: resp.StatusCode, Code: x.Code, Message: x.Message}
}

// Upload sends data as the upload page does: a fresh grant on c, the
// presigned POST (with the default HTTP client), then the wait for the
// upload's first terminal record, which it returns with the grant. The
// state it ended in is the caller's to judge.
func (c *Client) Upload(ctx context.Context, name, contentType string, data []byte) (upload.Grant, upload.Record, error) {
	g, err := c.Grant(ctx, name, contentType, int64(len(data)))
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
