package client_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/internal/clocktest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/upload"
)

func TestNextReturnsEveryNewRecordInVersionOrder(t *testing.T) {
	c := cloudtest.Start(t, func(cfg *cloud.Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	cl := uploadtest.Dial(t, context.Background(), c.WebSocketURL)
	id := uploadtest.Upload(t, cl, "a.jpg", uploadtest.Photo(32, 32), upload.StateSucceeded)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := cl.Next(ctx, id, 0)
	if err != nil || len(recs) < 2 || recs[len(recs)-1].State != upload.StateSucceeded {
		t.Fatalf("Next: %v %+v", err, recs)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Version <= recs[i-1].Version {
			t.Errorf("records not in version order, or repeated: %+v", recs)
		}
	}
	after, err := cl.Next(ctx, id, recs[0].Version)
	if err != nil || len(after) != len(recs)-1 {
		t.Errorf("Next after version %d: %d records, want %d (%v)", recs[0].Version, len(after), len(recs)-1, err)
	}
	links, err := cl.Links(ctx, id, "forged")
	if err == nil {
		t.Errorf("Links with a forged token: %+v", links)
	}
}

func TestPostFileStreamsTheFileLastAndReportsProgress(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	var got []byte
	var length int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		length = r.ContentLength
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" {
				got, _ = io.ReadAll(p)
			} else if got != nil {
				t.Errorf("field %s after the file", p.FormName())
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	g := upload.Grant{Upload: upload.PostForm{URL: srv.URL, Fields: map[string]string{"key": "uploads/x", "policy": "p"}}}
	var reports []int64
	err := client.PostFile(context.Background(), nil, g, "a.bin", bytes.NewReader(data), int64(len(data)), func(n int64) { reports = append(reports, n) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || length <= int64(len(data)) {
		t.Errorf("server got %d bytes of the file (Content-Length %d), want %d", len(got), length, len(data))
	}
	if len(reports) < 2 || reports[len(reports)-1] != int64(len(data)) {
		t.Errorf("progress reports %v, want several ending at %d", reports, len(data))
	}
	for i := 1; i < len(reports); i++ {
		if reports[i] < reports[i-1] {
			t.Errorf("progress went backwards: %v", reports)
		}
	}
}

func TestRetryableIsServerSideOnly(t *testing.T) {
	ctx := context.Background()
	if !client.Retryable(ctx, &client.S3Error{Status: 503, Code: "SlowDown"}) || client.Retryable(ctx, &client.S3Error{Status: 403, Code: "AccessDenied"}) {
		t.Error("503 must be retried, 403 not")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if client.Retryable(cancelled, io.ErrUnexpectedEOF) {
		t.Error("a cancelled POST is retried")
	}
}
