package s3

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Aborting incomplete multipart uploads for the lifecycle sweep. Uploads
// in progress live inside gofakes3, which offers them only through its
// S3 API, so the sweep lists and aborts them with requests to it.

type listUploadsXML struct {
	IsTruncated        bool   `xml:"IsTruncated"`
	NextKeyMarker      string `xml:"NextKeyMarker"`
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	Uploads            []struct {
		Key       string    `xml:"Key"`
		UploadID  string    `xml:"UploadId"`
		Initiated time.Time `xml:"Initiated"`
	} `xml:"Upload"`
}

// captured is the response of an internal request to gofakes3.
type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captured) Header() http.Header { return c.header }
func (c *captured) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
func (c *captured) Write(p []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(p)
}

// internal sends an unauthenticated request to gofakes3 and returns its
// response; only this package's own code reaches gofakes3 this way.
func (s *Server) internal(method string, u *url.URL) (*captured, error) {
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	c := &captured{header: http.Header{}}
	s.fake.ServeHTTP(c, req)
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.status/100 != 2 {
		return c, fmt.Errorf("%s %s: status %d: %s", method, u, c.status, c.body.String())
	}
	return c, nil
}

// abortExpiredUploads aborts the uploads in bucket that a rule with
// AbortIncompleteUploadDays says have run too long.
func (s *Server) abortExpiredUploads(bucket string, rules []LifecycleRule, now time.Time) (int, error) {
	due := false
	for _, r := range rules {
		due = due || r.AbortIncompleteUploadDays > 0
	}
	if !due {
		return 0, nil
	}
	n := 0
	q := url.Values{"uploads": {""}}
	for {
		c, err := s.internal(http.MethodGet, &url.URL{Path: "/" + bucket, RawQuery: q.Encode()})
		if c != nil && c.status == http.StatusNotFound && strings.Contains(c.body.String(), "<Code>NoSuchUpload</Code>") {
			// gofakes3 answers a bucket that never had an upload in
			// progress with NoSuchUpload rather than an empty list.
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("listing multipart uploads: %w", err)
		}
		var page listUploadsXML
		if err := xml.Unmarshal(c.body.Bytes(), &page); err != nil {
			return n, fmt.Errorf("listing multipart uploads: %w", err)
		}
		for _, up := range page.Uploads {
			for _, r := range rules {
				if r.AbortIncompleteUploadDays > 0 && strings.HasPrefix(up.Key, r.Prefix) && !now.Before(dueAt(up.Initiated, r.AbortIncompleteUploadDays)) {
					u := &url.URL{Path: "/" + bucket + "/" + up.Key, RawQuery: url.Values{"uploadId": {up.UploadID}}.Encode()}
					if _, err := s.internal(http.MethodDelete, u); err != nil {
						return n, fmt.Errorf("aborting multipart upload of %q: %w", up.Key, err)
					}
					n++
					break
				}
			}
		}
		if !page.IsTruncated {
			return n, nil
		}
		q.Set("key-marker", page.NextKeyMarker)
		q.Set("upload-id-marker", page.NextUploadIDMarker)
	}
}
