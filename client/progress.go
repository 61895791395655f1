package client

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"thumbflow/upload"
)

// PostFile uploads size bytes read from r with a grant, as a browser form
// does: every field of the grant, then the file last. The body streams from
// r with a known length (S3's POST needs a Content-Length), so a large file
// is never held in memory; progress, when not nil, is called with the bytes
// of the file handed to the connection so far, as a browser's upload
// progress event reports them. Anything but 204 is an *S3Error.
func PostFile(ctx context.Context, hc *http.Client, g upload.Grant, filename string, r io.Reader, size int64, progress func(sent int64)) error {
	head, tail, contentType, err := formAround(g, filename)
	if err != nil {
		return fmt.Errorf("POST %s: building the form: %w", g.Upload.URL, err)
	}
	var file io.Reader = io.LimitReader(r, size)
	if progress != nil {
		file = &countingReader{r: file, report: progress}
	}
	body := io.MultiReader(bytes.NewReader(head), file, bytes.NewReader(tail))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.Upload.URL, body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", g.Upload.URL, err)
	}
	req.ContentLength = int64(len(head)) + size + int64(len(tail))
	req.Header.Set("Content-Type", contentType)
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", g.Upload.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
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

// formAround returns the multipart form that goes before the file's bytes
// (the grant's fields and the file part's header) and the closing boundary
// that goes after them.
func formAround(g upload.Grant, filename string) (head, tail []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range g.Upload.Fields {
		if err := w.WriteField(k, v); err != nil {
			return nil, nil, "", err
		}
	}
	if _, err := w.CreateFormFile("file", filename); err != nil {
		return nil, nil, "", err
	}
	n := buf.Len()
	if err := w.Close(); err != nil {
		return nil, nil, "", err
	}
	all := buf.Bytes()
	return all[:n:n], all[n:], w.FormDataContentType(), nil
}

// countingReader reports the running total of the bytes read through it.
type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.report(c.n)
	}
	return n, err
}

// Retryable reports whether a failed POST is worth repeating with the same
// grant: S3 asked to slow down or failed on its side (5xx), or the
// connection broke before an answer. A 4xx is the grant's or the file's
// fault and would repeat the same way; a cancelled context is the caller's
// decision.
func Retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if s3err, ok := errors.AsType[*S3Error](err); ok {
		return s3err.Status >= 500
	}
	return true
}
