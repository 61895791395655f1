package cloud

// The reliability suite: every upload ends in exactly one terminal status a
// user can see, whatever the input, the faults or the load. Each scenario
// drives the real local cloud through the protocol (grant over the
// WebSocket, presigned POST, status pushed back) and asserts the terminal
// state, error code and attempt count, and what the execution history
// shows. docs/reliability.md explains the decisions asserted here.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/client"
	"thumbflow/lambdas/pipeline"
	"thumbflow/local/lambda"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

func smallPhoto(seed uint64) []byte {
	return testimage.JPEG(testimage.Photo(320, 240, seed), 85)
}

// pngHeader and gifHeader are images whose headers claim w×h: bombs the
// converter must refuse from the header alone.
var (
	pngHeader = testimage.PNGHeader
	gifHeader = testimage.GIFHeader
)

// TestReliabilityConverterCorpus uploads the converter's bad-input corpus
// (thumbnail/convert_test.go), each file under the type a browser would
// declare for its name. Permanent errors fail at once: attempt 1, one
// conversion, no retry, original kept.
func TestReliabilityConverterCorpus(t *testing.T) {
	r := newRig(t)
	cl := r.dial()
	photo := smallPhoto(2)
	deep := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	for i := range deep.Pix {
		deep.Pix[i] = uint8(i * 7)
	}
	var deepPNG bytes.Buffer
	png.Encode(&deepPNG, deep)
	cases := []struct {
		name, typ, code string // code "" means it must succeed
		data            []byte
	}{
		{"text named photo.jpg", "image/jpeg", "CorruptImage", []byte("Hello, this is not a photo.\n")},
		{"truncated.jpg", "image/jpeg", "CorruptImage", photo[:len(photo)/2]},
		{"header-only.jpg", "image/jpeg", "CorruptImage", photo[:200]},
		{"bomb 60000x60000.png", "image/png", "ImageTooLarge", pngHeader(60000, 60000)},
		{"bomb 20000x2.png", "image/png", "ImageTooLarge", pngHeader(20000, 2)},
		{"huge screen.gif", "image/gif", "ImageTooLarge", gifHeader(65535, 65535)},
		// Security review: a many-scan file (one DC scan, thousands of empty AC
		// scans) is refused by the work cap at attempt 1, never retried. It is
		// smaller than the review's 5000×5000 file so that its refusal stays far
		// inside the rig's shortened task timeout on a loaded machine.
		{"6000 scans.jpg", "image/jpeg", "ImageTooComplex", testimage.ManyScanJPEG(2000, 2000, 6000)},
		{"iphone.heic (header only)", "image/heic", "CorruptImage", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")},
		{"new.jpg (JPEG XL)", "image/jpeg", "UnsupportedFormat", []byte("\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl ")},
		{"logo.png (SVG)", "image/png", "UnsupportedFormat", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`)},
		{"scan.tiff (PDF)", "image/tiff", "UnsupportedFormat", []byte("%PDF-1.7\n%âãÏÓ\n")},
		{"good.jpg", "image/jpeg", "", photo},
		{"16-bit.png", "image/png", "", deepPNG.Bytes()},
		{"cmyk.jpg", "image/jpeg", "", testimage.EncodeJPEG(testimage.Photo(120, 90, 4), testimage.JPEGOptions{Color: testimage.CMYK})},
		{"progressive.jpg", "image/jpeg", "", testimage.EncodeJPEG(testimage.Photo(120, 90, 4), testimage.JPEGOptions{Progressive: true})},
	}
	grants := make([]upload.Grant, len(cases))
	for i, c := range cases {
		grants[i] = r.upload(cl, c.name, c.typ, c.data)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r.t = t
			defer func() { r.t = t }()
			if c.code == "" {
				r.expect(cl, grants[i], len(c.data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
				return
			}
			r.expect(cl, grants[i], len(c.data), outcome{state: upload.StateFailed, code: c.code, attempt: 1, runs: 1,
				errors: []string{c.code}, states: "uploaded,converting,failed"})
		})
	}
	r.t = t

	// An empty file never gets a grant: the user hears it before uploading.
	_, err := cl.Grant(r.ctx, "empty.jpg", "image/jpeg", 0)
	var pe *client.ProtocolError
	if !errors.As(err, &pe) || pe.Code != "EmptyFile" {
		t.Errorf("grant for an empty file: %v, want EmptyFile", err)
	}
}

// TestReliabilityDisplayOnlyNames: a name is only shown; the key is the
// server's, so hostile or exotic names change nothing and the upload
// succeeds.
func TestReliabilityDisplayOnlyNames(t *testing.T) {
	r := newRig(t)
	cl := r.dial()
	names := []string{
		"../../etc/passwd.jpg",
		`..\..\windows\system32.jpg`,
		"%2e%2e%2f%2e%2e%2fsecret.jpg",
		"uploads/../uploads/other-id.jpg",
		"  holiday  photo  .jpg",
		"Ünïcødé 写真 📷.jpg",
		"right-to-left \u202egpj.exe",
		strings.Repeat("é", 125) + "x.jpg", // 255 bytes, the most a name may have
	}
	data := smallPhoto(3)
	var grants []upload.Grant
	for _, n := range names {
		g := r.upload(cl, n, "image/jpeg", data)
		if key := g.Upload.Fields["key"]; key != upload.OriginalKey(g.UploadID) || !upload.ValidID(g.UploadID) {
			t.Errorf("name %q: key %q, want uploads/<id>", n, key)
		}
		grants = append(grants, g)
	}
	for _, g := range grants {
		r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
	}
	out, err := r.s3.ListObjectsV2(r.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucketName(r.c, "UploadsBucket"))})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != len(names) {
		t.Errorf("uploads bucket holds %d objects, want %d", len(out.Contents), len(names))
	}
	for _, o := range out.Contents {
		if _, ok := upload.IDFromOriginalKey(aws.ToString(o.Key)); !ok {
			t.Errorf("unexpected key %q in the uploads bucket", aws.ToString(o.Key))
		}
	}
	// A name over 255 bytes is refused before anything is stored.
	_, err = cl.Grant(r.ctx, strings.Repeat("x", 252)+".jpg", "image/jpeg", int64(len(data)))
	var pe *client.ProtocolError
	if !errors.As(err, &pe) || pe.Code != "InvalidRequest" {
		t.Errorf("256-byte name: %v, want InvalidRequest", err)
	}
}

// TestReliabilitySizeRefusedByS3: the grant fixes the size; S3 itself
// refuses a body of any other size, so nothing is stored or started.
func TestReliabilitySizeRefusedByS3(t *testing.T) {
	r := newRig(t)
	cl := r.dial()
	data := smallPhoto(4)

	small, err := cl.Grant(r.ctx, "declared-smaller.jpg", "image/jpeg", int64(len(data)-100))
	if err != nil {
		t.Fatal(err)
	}
	r.postRefused(small, data, http.StatusBadRequest, "EntityTooLarge", "")
	r.refusedByS3(cl, small)

	large, err := cl.Grant(r.ctx, "declared-larger.jpg", "image/jpeg", int64(len(data)+100))
	if err != nil {
		t.Fatal(err)
	}
	r.postRefused(large, data, http.StatusBadRequest, "EntityTooSmall", "")
	r.refusedByS3(cl, large)
}

// TestReliabilityTypeMismatch: a PNG declared as a JPEG fails for good.
func TestReliabilityTypeMismatch(t *testing.T) {
	r := newRig(t)
	cl := r.dial()
	var b bytes.Buffer
	png.Encode(&b, testimage.Photo(200, 150, 5))
	g := r.upload(cl, "really-a-png.jpg", "image/jpeg", b.Bytes())
	rec := r.expect(cl, g, b.Len(), outcome{state: upload.StateFailed, code: upload.CodeContentTypeMismatch, attempt: 1, runs: 1,
		errors: []string{"ContentTypeMismatch"}, states: "uploaded,converting,failed"})
	if !strings.Contains(rec.Error.Message, "image/jpeg") || !strings.Contains(rec.Error.Message, "image/png") {
		t.Errorf("message %q should name both types", rec.Error.Message)
	}
}

// TestReliabilityExpiredGrant: a POST after the grant's expiry is refused
// by S3's policy check. The grant is the one the server issued, re-signed
// by the SDK with an expiry in the past, as it reads 5 minutes later.
func TestReliabilityExpiredGrant(t *testing.T) {
	r := newRig(t)
	cl := r.dial()
	data := smallPhoto(6)
	g, err := cl.Grant(r.ctx, "late.jpg", "image/jpeg", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	post, err := s3.NewPresignClient(r.s3).PresignPostObject(r.ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucketName(r.c, "UploadsBucket")), Key: aws.String(upload.OriginalKey(g.UploadID)),
	}, func(o *s3.PresignPostOptions) {
		o.Expires = -time.Second
		o.Conditions = []any{map[string]string{"Content-Type": "image/jpeg"}, []any{"content-length-range", len(data), len(data)}}
	})
	if err != nil {
		t.Fatal(err)
	}
	expired := g
	expired.Upload.Fields = map[string]string{"Content-Type": "image/jpeg"}
	for k, v := range post.Values {
		expired.Upload.Fields[k] = v
	}
	r.postRefused(expired, data, http.StatusForbidden, "AccessDenied", "Policy expired")
	r.refusedByS3(cl, g)
}

// TestReliabilityReplayedGrant: the same grant posted twice before it
// expires, the second time while the first object is being converted. The
// second object starts no second execution; the upload keeps its first
// outcome and exactly one terminal status; the conversion reads the version
// its event announced, so the renditions are of the first image, and that
// version stays readable by its id although the replay is now current.
func TestReliabilityReplayedGrant(t *testing.T) {
	// A long task timeout: the conversion waits for the replay.
	r := newRig(t, withTemplate(t, "      MemorySize: 1536\n      Timeout: 30\n", "      MemorySize: 1536\n      Timeout: 600\n"))
	// Watch the uploads bucket's events alongside the start function, to
	// learn the version ids and when the replayed object's event is out.
	seen := make(chan events.S3Event, 10)
	r.c.S3.Notify(bucketName(r.c, "UploadsBucket"), upload.OriginalPrefix, func(ctx context.Context, ev events.S3Event) error {
		seen <- ev
		return nil
	})
	replayed := make(chan struct{})
	wrapConvert(t, r.c, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
		select {
		case <-replayed:
		case <-ctx.Done():
			return pipeline.ConvertOutput{}, ctx.Err()
		}
		return convert(ctx, in)
	})
	cl := r.dial()
	// A landscape and a portrait image of one byte size: the grant fixes
	// the size, and bytes after a JPEG's end marker are ignored by decoders.
	first, second := testimage.JPEG(testimage.Photo(320, 240, 7), 85), testimage.JPEG(testimage.Photo(240, 320, 8), 85)
	n := max(len(first), len(second))
	first = append(first, make([]byte, n-len(first))...)
	second = append(second, make([]byte, n-len(second))...)

	g := r.upload(cl, "twice.jpg", "image/jpeg", first)
	// Replay once the record names the first object's execution (S3 events
	// are unordered, so an earlier replay could be the one converted).
	if _, err := cl.WaitState(r.ctx, g.UploadID, upload.StateUploaded); err != nil {
		t.Fatal(err)
	}
	ev1 := <-seen
	if err := client.Post(r.ctx, nil, g, "twice.jpg", second); err != nil {
		t.Fatalf("replayed POST before expiry: %v (S3 accepts it: the policy still holds)", err)
	}
	ev2 := <-seen
	v1, v2 := ev1.Records[0].S3.Object.VersionID, ev2.Records[0].S3.Object.VersionID
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("events announce versions %q and %q: want two versions of the original", v1, v2)
	}
	// Deliver the replayed object's event once more, synchronously, so
	// the start function has surely handled it before the conversion reads.
	payload, _ := json.Marshal(ev2)
	if _, err := r.c.Lambdas.Invoke(r.ctx, functionName(r.c, "StartFunction"), payload); err != nil {
		t.Fatalf("start function refused the replayed object's event: %v", err)
	}
	close(replayed)
	rec := r.expect(cl, g, n, outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})

	execs := r.executions(g.UploadID)
	if len(execs) != 1 {
		t.Fatalf("%d executions after a replayed grant, want 1", len(execs))
	}
	desc, err := r.sfn.DescribeExecution(r.ctx, &sfn.DescribeExecutionInput{ExecutionArn: execs[0].ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var job upload.Job
	if err := json.Unmarshal([]byte(aws.ToString(desc.Input)), &job); err != nil || job.VersionID != v1 {
		t.Errorf("execution input names version %q (%v), want the first object's %q", job.VersionID, err, v1)
	}
	// The renditions are of the first (landscape) image, not the replay.
	if len(rec.Renditions) == 0 {
		t.Fatal("no renditions")
	}
	for _, rd := range rec.Renditions {
		if rd.Width != 320 || rd.Height != 240 {
			t.Errorf("rendition %s is %dx%d, want 320x240 from the first image (240x320 would be the replay)", rd.Name, rd.Width, rd.Height)
		}
		out, err := r.s3.GetObject(r.ctx, &s3.GetObjectInput{Bucket: aws.String(bucketName(r.c, "OutputBucket")), Key: aws.String(rd.Key)})
		if err != nil {
			t.Fatalf("rendition %s: %v", rd.Name, err)
		}
		cfg, _, err := image.DecodeConfig(out.Body)
		out.Body.Close()
		if err != nil || cfg.Width != 320 || cfg.Height != 240 {
			t.Errorf("stored rendition %s decodes as %dx%d (%v), want 320x240", rd.Name, cfg.Width, cfg.Height, err)
		}
	}
	// The original is kept: the first version, by its id, holds the first
	// bytes; the replay is the newer version.
	for _, c := range []struct {
		version string
		want    []byte
	}{{v1, first}, {v2, second}, {"", second}} {
		in := &s3.GetObjectInput{Bucket: aws.String(bucketName(r.c, "UploadsBucket")), Key: aws.String(upload.OriginalKey(g.UploadID))}
		if c.version != "" {
			in.VersionId = aws.String(c.version)
		}
		out, err := r.s3.GetObject(r.ctx, in)
		if err != nil {
			t.Fatalf("original version %q: %v", c.version, err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("original version %q: %d bytes (%v), not the ones posted as that version", c.version, len(got), err)
		}
	}

	var stored upload.Record
	if !r.stored(bucketName(r.c, "RecordsBucket"), upload.StatusKey(g.UploadID), &stored) || stored.Version != rec.Version || stored.State != upload.StateSucceeded {
		t.Errorf("record after replay %+v, want version %d succeeded unchanged", stored, rec.Version)
	}
	if ts := client.Terminals(cl.Statuses(g.UploadID)); len(ts) != 1 {
		t.Errorf("%d terminal records, want 1", len(ts))
	}
	if s := strings.Join(client.States(cl.Statuses(g.UploadID)), ","); s != "uploaded,converting,succeeded" {
		t.Errorf("states after replay %s, want nothing new", s)
	}
}

// TestReliabilityMalformedMessages: every malformed frame gets an error
// with code InvalidMessage and the socket stays usable.
func TestReliabilityMalformedMessages(t *testing.T) {
	r := newRig(t)
	cl := r.dial()
	frames := []string{
		`this is not json`,
		`[1, 2, 3]`,
		`"upload"`,
		`{"action": 5}`,
		// Cut short before any requestId: one read before the cut is
		// echoed (docs/protocol.md), which local/apigw's
		// TestProtocolErrorAnswers shows.
		`{"action": "upload"`,
	}
	for _, f := range frames {
		if err := cl.SendRaw(r.ctx, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := cl.WaitUnsolicited(r.ctx, len(frames))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if m.Type != "error" || m.Code != "InvalidMessage" || m.Message == "" {
			t.Errorf("frame %q answered %+v, want an InvalidMessage error", frames[i], m)
		}
	}
	// A JSON object with a bad action echoes the requestId.
	for _, msg := range []map[string]any{
		{"action": "dance"},
		{"noAction": true},
	} {
		m, err := cl.Request(r.ctx, msg)
		if err != nil || m.Type != "error" || m.Code != "InvalidMessage" {
			t.Errorf("%v answered %+v, %v; want InvalidMessage", msg, m, err)
		}
	}
	// A field of the wrong type is answered too, echoing the requestId:
	// InvalidRequest naming the field, as docs/protocol.md says.
	if m, err := cl.Request(r.ctx, map[string]any{"action": "upload", "name": "a.jpg", "type": "image/jpeg", "size": "big"}); err != nil ||
		m.Type != "error" || m.Code != "InvalidRequest" || !strings.Contains(m.Message, `"size"`) {
		t.Errorf("size of the wrong type answered %+v, %v; want InvalidRequest naming the field", m, err)
	}
	if err := cl.Closed(); err != nil {
		t.Fatalf("socket closed after malformed messages: %v", err)
	}
	data := smallPhoto(9)
	g := r.upload(cl, "after.jpg", "image/jpeg", data)
	r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
}

// convertFunc is the convert function's handler.
type convertFunc func(context.Context, pipeline.ConvertInput) (pipeline.ConvertOutput, error)

// wrapConvert replaces the convert function with wrap around the same
// handler, built the same way: a place to inject faults at the moment a
// conversion starts or ends.
func wrapConvert(t testing.TB, c *Cloud, wrap func(context.Context, pipeline.ConvertInput, convertFunc) (pipeline.ConvertOutput, error)) {
	t.Helper()
	convert, opts := rebuild[func(context.Context, pipeline.ConvertInput) (pipeline.ConvertOutput, error)](t, c, "ConvertFunction")
	handler := func(ctx context.Context, in pipeline.ConvertInput) (pipeline.ConvertOutput, error) {
		return wrap(ctx, in, convert)
	}
	if err := c.Lambdas.Register(c.Stack.Function("ConvertFunction").ARN, handler, opts); err != nil {
		t.Fatal(err)
	}
}

// faultyConvert runs before at the start of every conversion attempt.
func faultyConvert(t testing.TB, c *Cloud, before func(in pipeline.ConvertInput)) {
	wrapConvert(t, c, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
		before(in)
		return convert(ctx, in)
	})
}

// TestReliabilityS3Faults: S3 answers 500/503 for N requests. A few are
// absorbed by the SDK's own retries; more make the conversion's read fail
// with TransientError, which the state machine retries, visibly.
func TestReliabilityS3Faults(t *testing.T) {
	// The SDK backs off in real time (up to 2 s, then 4 s, jittered); the
	// rig's clock (clocktest.TestFactor) keeps the task's 25 s timeout longer than
	// the SDK's retries, as on AWS.
	t.Run("503 twice is absorbed by SDK retries", func(t *testing.T) {
		r := newRig(t)
		faultyConvert(t, r.c, func(in pipeline.ConvertInput) {
			if in.RetryCount == 0 {
				r.c.S3.InjectFaults(2, http.StatusServiceUnavailable)
			}
		})
		cl := r.dial()
		data := smallPhoto(10)
		g := r.upload(cl, "flaky.jpg", "image/jpeg", data)
		r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
	})
	t.Run("500 three times is retried by the state machine", func(t *testing.T) {
		r := newRig(t)
		faultyConvert(t, r.c, func(in pipeline.ConvertInput) {
			if in.RetryCount == 0 {
				r.c.S3.InjectFaults(3, http.StatusInternalServerError)
			}
		})
		cl := r.dial()
		data := smallPhoto(11)
		g := r.upload(cl, "down.jpg", "image/jpeg", data)
		r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 2, runs: 2,
			errors: []string{"TransientError"}, states: "uploaded,converting,retrying(2),succeeded"})
	})
	t.Run("503 during the upload's own event handling is redelivered", func(t *testing.T) {
		r := newRig(t)
		cl := r.dial()
		data := smallPhoto(12)
		g, err := cl.Grant(r.ctx, "event.jpg", "image/jpeg", int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		// The POST itself takes the first fault... and is answered 503,
		// which a browser shows; the client retries the same grant.
		r.c.S3.InjectFaults(1, http.StatusServiceUnavailable)
		err = client.Post(r.ctx, nil, g, "event.jpg", data)
		var se *client.S3Error
		if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || se.Code != "SlowDown" {
			t.Fatalf("POST during a fault: %v, want 503 SlowDown", err)
		}
		if _, ok := r.object(bucketName(r.c, "UploadsBucket"), upload.OriginalKey(g.UploadID)); ok {
			t.Fatal("a refused POST stored the original")
		}
		// The retried POST succeeds; the start function's first S3 call
		// then meets 3 faults: its SDK gives up, the function fails, and
		// Lambda's asynchronous invocation retries it.
		start, opts := rebuild[func(context.Context, events.S3Event) error](t, r.c, "StartFunction")
		var once sync.Once
		handler := func(ctx context.Context, ev events.S3Event) error {
			once.Do(func() { r.c.S3.InjectFaults(3, http.StatusServiceUnavailable) })
			return start(ctx, ev)
		}
		if err := r.c.Lambdas.Register(r.c.Stack.Function("StartFunction").ARN, handler, opts); err != nil {
			t.Fatal(err)
		}
		if err := client.Post(r.ctx, nil, g, "event.jpg", data); err != nil {
			t.Fatal(err)
		}
		r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
		if n := r.log.Count(`"msg":"asynchronous invocation failed"`); n < 1 {
			t.Errorf("no event redelivery logged; want the start function's failure to be retried")
		}
	})
}

// TestReliabilityConvertPanicsOnce: a panic is a bug, not a transient
// condition, so the state machine does not retry it: the upload fails
// with InternalError after one attempt, and the operator's failure record
// keeps the panic.
func TestReliabilityConvertPanicsOnce(t *testing.T) {
	r := newRig(t)
	if err := r.c.Lambdas.InjectFault(functionName(r.c, "ConvertFunction"), lambda.FaultPanic); err != nil {
		t.Fatal(err)
	}
	cl := r.dial()
	data := smallPhoto(13)
	g := r.upload(cl, "panic.jpg", "image/jpeg", data)
	rec := r.expect(cl, g, len(data), outcome{state: upload.StateFailed, code: upload.CodeInternal, attempt: 1, runs: 1,
		errors: []string{"string"}, states: "uploaded,converting,failed"})
	if strings.Contains(rec.Error.Message, "panic") {
		t.Errorf("the user's message leaks the panic: %q", rec.Error.Message)
	}
	var f upload.FailureRecord
	r.stored(bucketName(r.c, "RecordsBucket"), upload.FailureKey(g.UploadID), &f)
	if !strings.Contains(f.StepFunctionsCause, "injected fault") {
		t.Errorf("failure record cause %q should keep the panic for the operator", f.StepFunctionsCause)
	}
	// The next upload is unaffected.
	g2 := r.upload(cl, "next.jpg", "image/jpeg", data)
	r.expect(cl, g2, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
}

// TestReliabilityConvertTimeouts: a conversion that exceeds the task's
// timeout is retried (States.Timeout); one that always does fails with
// Timeout after the fourth attempt.
func TestReliabilityConvertTimeouts(t *testing.T) {
	// Parallel: these tests mostly sit through 12.5 s task timeouts
	// (clocktest.TestFactor), idle, so they wait side by side.
	t.Parallel()
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		if err := r.c.Lambdas.InjectFault(functionName(r.c, "ConvertFunction"), lambda.FaultTimeout); err != nil {
			t.Fatal(err)
		}
		cl := r.dial()
		data := smallPhoto(14)
		g := r.upload(cl, "slow.jpg", "image/jpeg", data)
		r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 2, runs: 2,
			errors: []string{"States.Timeout"}, states: "uploaded,converting,retrying(2),succeeded"})
	})
	t.Run("every time", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		// Each attempt converts, then overruns the task's timeout, as a
		// conversion slower than 25 s does (the injected FaultTimeout
		// does the same, once).
		wrapConvert(t, r.c, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
			out, err := convert(ctx, in)
			<-ctx.Done()
			return out, err
		})
		cl := r.dial()
		data := smallPhoto(15)
		g := r.upload(cl, "always-slow.jpg", "image/jpeg", data)
		r.expect(cl, g, len(data), outcome{state: upload.StateFailed, code: upload.CodeTimeout, attempt: 4, runs: 4,
			errors: []string{"States.Timeout", "States.Timeout", "States.Timeout", "States.Timeout"},
			states: "uploaded,converting,retrying(2),retrying(3),retrying(4),failed"})
	})
}

// TestReliabilitySocketDropMidExecution: the browser's socket drops while
// the conversion runs; the execution is unaffected, and the reconnected
// browser resubscribes and sees exactly one terminal status.
func TestReliabilitySocketDropMidExecution(t *testing.T) {
	t.Parallel() // idle through a 12.5 s task timeout, beside the others
	r := newRig(t)
	// A timed-out first attempt keeps the execution busy for the task's
	// timeout (12.5 s of wall time on the rig's clock).
	if err := r.c.Lambdas.InjectFault(functionName(r.c, "ConvertFunction"), lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	cl := r.dial()
	data := smallPhoto(16)
	g := r.upload(cl, "dropped.jpg", "image/jpeg", data)
	if _, err := cl.WaitState(r.ctx, g.UploadID, upload.StateConverting); err != nil {
		t.Fatal(err)
	}
	conns := r.c.Gateway.Connections()
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
	if err := r.c.Gateway.Drop(conns[0]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
	defer cancel()
	for cl.Closed() == nil && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if cl.Closed() == nil {
		t.Fatal("the client did not notice the dropped socket")
	}
	if got := strings.Join(client.States(cl.Statuses(g.UploadID)), ","); got != "uploaded,converting" {
		t.Fatalf("before the drop the client saw %s", got)
	}

	again := r.dial()
	if _, err := again.Subscribe(r.ctx, g.UploadID, g.Token); err != nil {
		t.Fatal(err)
	}
	r.expect(again, g, len(data), outcome{state: upload.StateSucceeded, attempt: 2, runs: 2, errors: []string{"States.Timeout"}})
	if s := client.States(again.Statuses(g.UploadID)); s[len(s)-1] != "succeeded" {
		t.Errorf("reconnected client saw %v", s)
	}
}

// TestReliabilityDuplicateS3Events: S3 delivers at least once. Every event
// is delivered twice at once (a second subscription invoking the start
// function), and once more after the upload finished: one execution, one
// terminal status, nothing pushed twice.
func TestReliabilityDuplicateS3Events(t *testing.T) {
	r := newRig(t)
	delivered := make(chan events.S3Event, 20)
	r.c.S3.Notify(bucketName(r.c, "UploadsBucket"), upload.OriginalPrefix, func(ctx context.Context, ev events.S3Event) error {
		payload, _ := json.Marshal(ev)
		if _, err := r.c.Lambdas.Invoke(ctx, functionName(r.c, "StartFunction"), payload); err != nil {
			return err
		}
		delivered <- ev
		return nil
	})
	cl := r.dial()
	var grants []upload.Grant
	var sizes []int
	for i := range 5 {
		data := smallPhoto(uint64(20 + i))
		grants = append(grants, r.upload(cl, "dup.jpg", "image/jpeg", data))
		sizes = append(sizes, len(data))
	}
	for i, g := range grants {
		r.expect(cl, g, sizes[i], outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
	}
	for range grants {
		ev := <-delivered
		payload, _ := json.Marshal(ev)
		if _, err := r.c.Lambdas.Invoke(r.ctx, functionName(r.c, "StartFunction"), payload); err != nil {
			t.Fatalf("late duplicate event: %v", err)
		}
	}
	for i, g := range grants {
		if execs := r.executions(g.UploadID); len(execs) != 1 {
			t.Errorf("upload %d: %d executions, want 1", i, len(execs))
		}
		msgs := cl.Statuses(g.UploadID)
		if s := strings.Join(client.States(client.Distinct(msgs)), ","); s != "uploaded,converting,succeeded" {
			t.Errorf("upload %d: states %s after duplicates", i, s)
		}
		if ts := client.Terminals(msgs); len(ts) != 1 {
			t.Errorf("upload %d: %d terminal records after duplicates, want 1", i, len(ts))
		}
	}
}
