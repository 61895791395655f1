package asl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"thumbflow/local/clock"
)

// BenchmarkThumbnailExecution measures the interpreter's own cost for one
// run of the thumbnail workflow (functions return at once), the figure the
// local cloud's per-execution overhead budget is spent on.
func BenchmarkThumbnailExecution(b *testing.B) {
	benchmarkThumbnail(b, filepath.Join("..", "..", "statemachine", "thumbnail.asl.json"))
}

// BenchmarkThumbnailJSONataExecution is the same run of the workflow's
// JSONata version (testdata/thumbnail-jsonata.asl.json), for the cost of
// evaluating its expressions.
func BenchmarkThumbnailJSONataExecution(b *testing.B) {
	benchmarkThumbnail(b, filepath.Join("testdata", "thumbnail-jsonata.asl.json"))
}

func benchmarkThumbnail(b *testing.B, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		b.Skip(err)
	}
	def := strings.NewReplacer("${ConvertFunctionArn}", convertARN, "${StatusFunctionArn}", statusARN).Replace(string(raw))
	m, err := Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	inv := &scriptedInvoker{}
	exec := Execution{ARN: "arn:aws:states:us-east-1:1:execution:sm:e", StartTime: time.Now(),
		Input: json.RawMessage(`{"uploadId":"u1","bucket":"b","key":"originals/u1","size":1234,"contentType":"image/png","eTag":"e1","versionId":""}`)}
	opts := Options{Clock: clock.System{}, Invoker: inv, Record: func(Event, Checkpoint) error { return nil }}
	b.ReportAllocs()
	for b.Loop() {
		inv.convertIn = inv.convertIn[:0]
		if res := m.Run(context.Background(), exec, opts); res.Status != StatusSucceeded {
			b.Fatal(res)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "statemachine", "thumbnail.asl.json"))
	if err != nil {
		b.Skip(err)
	}
	def := []byte(strings.NewReplacer("${ConvertFunctionArn}", convertARN, "${StatusFunctionArn}", statusARN).Replace(string(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(def); err != nil {
			b.Fatal(err)
		}
	}
}
