package s3

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// writePaths are the four ways an object is created, each writing key.
var writePaths = map[string]func(t *testing.T, e *env, key string){
	"POST": func(t *testing.T, e *env, key string) {
		pp := grant(t, e, key)
		if res := doPost(t, e, pp.URL, fieldsOf(pp), "a.jpg", []byte("posted bytes")); res.status != 204 {
			t.Fatalf("POST: %d %s", res.status, res.body)
		}
	},
	"PUT": func(t *testing.T, e *env, key string) {
		if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key), Body: bytes.NewReader([]byte("put bytes"))}); err != nil {
			t.Fatal(err)
		}
	},
	"Copy": func(t *testing.T, e *env, key string) {
		if _, err := e.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key), CopySource: aws.String("uploads/source")}); err != nil {
			t.Fatal(err)
		}
	},
	"Multipart": func(t *testing.T, e *env, key string) {
		up, err := e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		part, err := e.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("uploads"), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("one part"))})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String(key), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
		if err != nil {
			t.Fatal(err)
		}
	},
}

// TestCrashStates starts the server on every on-disk state a crash can
// leave during each write path, versioned or not: the data directory is
// copied at each durable step of the write (crashPoint), as a kill at that
// instant would leave it, plus a torn temporary file. Every stored object
// then gets exactly one delivered event, for its version, and a write whose
// object never appeared gets none.
func TestCrashStates(t *testing.T) {
	for name, write := range writePaths {
		for _, versioned := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: "/versioned"}[versioned], func(t *testing.T) {
				dir := t.TempDir()
				e := newEnv(t, envOpts{dir: dir})
				mustBucket(t, e, "uploads")
				if versioned {
					if err := e.srv.SetVersioning("uploads", true); err != nil {
						t.Fatal(err)
					}
				}
				// Two subscriptions, so a crash can fall between their entries;
				// the copy's source is outside them.
				ignore := func(context.Context, events.S3Event) error { return nil }
				e.srv.Notify("uploads", "uploads/", ignore)
				e.srv.Notify("uploads", "uploads/", ignore)
				if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("source"), Body: bytes.NewReader([]byte("copied bytes"))}); err != nil {
					t.Fatal(err)
				}
				var states []string
				snapshot := func(step string) {
					to := filepath.Join(t.TempDir(), "data")
					if err := os.CopyFS(to, os.DirFS(dir)); err != nil {
						t.Errorf("copying the state at %s: %v", step, err)
					}
					states = append(states, to)
				}
				crashPoint = snapshot
				t.Cleanup(func() { crashPoint = func(string) {} })
				snapshot("before")
				write(t, e, "uploads/obj")
				crashPoint = func(string) {}
				e.close()
				if len(states) != 6 { // before, intent, object, 2 entries, committed
					t.Fatalf("%d crash states, want 6", len(states))
				}
				// A kill inside writeFileDurable leaves a temporary file.
				os.WriteFile(filepath.Join(states[1], "buckets", "uploads", ".tmp-torn"), []byte("half"), 0o644)
				for i, state := range states {
					checkRecovery(t, i, state)
				}
			})
		}
	}
}

// checkRecovery starts a server on state and checks that uploads/obj has
// exactly one event per subscription if it is stored and none otherwise.
func checkRecovery(t *testing.T, step int, state string) {
	t.Helper()
	e := newEnv(t, envOpts{dir: state})
	first, second := newSink(), newSink()
	e.srv.Notify("uploads", "uploads/", first.handle)
	e.srv.Notify("uploads", "uploads/", second.handle)
	head, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("uploads/obj")})
	stored := err == nil
	want := 0
	if stored {
		want = 1
	}
	for _, s := range []*sink{first, second} {
		got := s.wait(t, want)
		if stored && (got[0].S3.Object.Key != "uploads/obj" || got[0].S3.Object.VersionID != aws.ToString(head.VersionId)) {
			t.Errorf("state %d: event for %s version %q; the object's version is %q", step, got[0].S3.Object.Key, got[0].S3.Object.VersionID, aws.ToString(head.VersionId))
		}
	}
	e.close()
	if step >= 2 && !stored {
		t.Errorf("state %d: the object written before the crash is gone", step)
	}
	for _, pattern := range []string{"outbox/*.json", "outbox/intents/*.json"} {
		if left, _ := filepath.Glob(filepath.Join(state, pattern)); len(left) != 0 {
			t.Errorf("state %d: %v left after recovery", step, left)
		}
	}
}
