package s3store

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/internal/awsfake"
	locals3 "thumbflow/local/s3"
	"thumbflow/upload"
)

// backends are the two S3s the store meets: gofakes3 as the handler tests
// use it, and the local cloud's S3.
func backends(t *testing.T) map[string]*s3.Client {
	srv, err := locals3.New(locals3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket("records"); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	local := s3.NewFromConfig(awsfake.Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(hs.URL)
		o.UsePathStyle = true
	})
	return map[string]*s3.Client{"gofakes3": awsfake.S3(t, "records"), "local": local}
}

// TestConcurrentUpdatesAreNeverLost races many writers on one record, as
// duplicated S3 events and a running execution do. Without the conditional
// write, updates overwrite each other: the attempt ends lower than the
// highest one written, and versions repeat.
func TestConcurrentUpdatesAreNeverLost(t *testing.T) {
	for name, client := range backends(t) {
		t.Run(name, func(t *testing.T) {
			st := &Store{Client: client, Bucket: "records"}
			id := upload.NewID()
			ctx := context.Background()
			const writers = 12
			var wg sync.WaitGroup
			versions := make(chan int, writers)
			for i := 0; i < writers; i++ {
				wg.Add(1)
				go func(attempt int) {
					defer wg.Done()
					u := upload.Update{UploadID: id, State: upload.StateRetrying, Attempt: attempt}
					rec, changed, err := st.UpdateStatus(ctx, id, func(cur upload.Record) (upload.Record, bool) {
						return cur.Apply(u, time.Now())
					})
					if err != nil {
						t.Errorf("attempt %d: %v", attempt, err)
					}
					if changed {
						versions <- rec.Version
					}
				}(i + 2)
			}
			wg.Wait()
			close(versions)
			seen := map[int]bool{}
			for v := range versions {
				if seen[v] {
					t.Errorf("version %d was written twice: an update was lost", v)
				}
				seen[v] = true
			}
			rec, ok, err := st.GetStatus(ctx, id)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if rec.Attempt != writers+1 || rec.Version != len(seen) {
				t.Errorf("final record attempt %d version %d; want attempt %d and version %d (one per accepted write)", rec.Attempt, rec.Version, writers+1, len(seen))
			}
		})
	}
}

func TestUpdateStatusLeavesUnchangedRecordsAlone(t *testing.T) {
	st := &Store{Client: awsfake.S3(t, "records"), Bucket: "records"}
	ctx := context.Background()
	id := upload.NewID()
	if _, _, err := st.UpdateStatus(ctx, id, func(cur upload.Record) (upload.Record, bool) {
		return cur, false
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.GetStatus(ctx, id); ok {
		t.Error("a no-op update created a record")
	}
}
