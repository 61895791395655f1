package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/internal/awsfake"
	"thumbflow/local/lambda"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
	"thumbflow/upload/sfnexec"
	"thumbflow/upload/wspush"
)

const (
	uploadsBucket = "uploads"
	outputBucket  = "output"
	recordsBucket = "records"
	machineARN    = "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"
)

type world struct {
	s3    *s3.Client
	sfn   *awsfake.StepFunctions
	conns *awsfake.Connections
	store *s3store.Store
	pub   *upload.Publisher
}

func newWorld(t *testing.T, openConns ...string) *world {
	t.Helper()
	w := &world{
		s3:    awsfake.S3(t, uploadsBucket, outputBucket, recordsBucket),
		sfn:   awsfake.NewStepFunctions(t),
		conns: awsfake.NewConnections(t, openConns...),
	}
	w.store = &s3store.Store{Client: w.s3, Bucket: recordsBucket}
	w.pub = &upload.Publisher{Store: w.store, Pusher: &wspush.Pusher{Client: w.conns.Client}}
	return w
}

// start and convert wire the handlers as lambdas/wiring does, on the
// world's fakes.
func (w *world) start() *Start {
	return &Start{Starter: &upload.Starter{
		Types:      &s3store.Originals{Client: w.s3},
		Executions: &sfnexec.Executions{Client: w.sfn.Client, Machine: machineARN},
		Publisher:  w.pub,
	}}
}

func (w *world) convert() *Convert {
	return &Convert{Converter: &upload.Converter{
		Originals:  &s3store.Originals{Client: w.s3},
		Renditions: &s3store.Renditions{Client: w.s3, Bucket: outputBucket},
		Spec:       thumbnail.DefaultSpec(),
		Publisher:  w.pub,
	}}
}

func (w *world) put(t *testing.T, key, contentType string, data []byte) {
	t.Helper()
	_, err := w.s3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(uploadsBucket), Key: aws.String(key), Body: bytes.NewReader(data), ContentType: aws.String(contentType),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func createdEvent(key string, size int64, etag string) events.S3Event {
	var rec events.S3EventRecord
	rec.EventName = "ObjectCreated:Post"
	rec.S3.Bucket.Name = uploadsBucket
	rec.S3.Object.Key = key
	rec.S3.Object.Size = size
	rec.S3.Object.ETag = etag
	return events.S3Event{Records: []events.S3EventRecord{rec}}
}

func jpegBytes(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestStartDuplicateEventStartsOneExecution(t *testing.T) {
	w := newWorld(t)
	id := upload.NewID()
	data := jpegBytes(t, 64, 48)
	w.put(t, upload.OriginalKey(id), "image/jpeg", data)
	h := w.start()

	ev := createdEvent(upload.OriginalKey(id), int64(len(data)), "0123abcd")
	for i := 0; i < 3; i++ {
		if err := h.Handle(context.Background(), ev); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	execs := w.sfn.Executions()
	if len(execs) != 1 {
		t.Fatalf("executions = %d, want exactly 1 for a thrice-delivered event", len(execs))
	}
	var job upload.Job
	if err := json.Unmarshal([]byte(execs[0].Input), &job); err != nil {
		t.Fatal(err)
	}
	want := upload.Job{UploadID: id, Bucket: uploadsBucket, Key: upload.OriginalKey(id), Size: int64(len(data)), ContentType: "image/jpeg", ETag: "0123abcd"}
	if job != want {
		t.Errorf("input = %+v, want %+v", job, want)
	}
	rec, ok, err := w.store.GetStatus(context.Background(), id)
	if err != nil || !ok || rec.State != upload.StateUploaded || rec.Version != 1 {
		t.Errorf("record = %+v, %v, %v; want state uploaded at version 1", rec, ok, err)
	}
}

func TestStartIgnoresObjectsItDidNotGrant(t *testing.T) {
	w := newWorld(t)
	h := w.start()
	for _, key := range []string{"other/x.jpg", "uploads/../status/x", "uploads/not-an-id", "uploads/" + upload.NewID() + "/extra"} {
		if err := h.Handle(context.Background(), createdEvent(key, 1, "e")); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	if n := len(w.sfn.Executions()); n != 0 {
		t.Fatalf("executions = %d, want 0", n)
	}
}

// invokeAsRuntime runs h through the in-process Lambda runtime, so errors
// arrive with the errorType the state machine's rules will see.
func invokeAsRuntime(t *testing.T, handler any, payload any) ([]byte, *lambda.FunctionError) {
	t.Helper()
	reg := lambda.NewRegistry("us-east-1", "000000000000")
	if err := reg.Register("fn", handler, lambda.FunctionOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(payload)
	out, err := reg.Invoke(context.Background(), "fn", in)
	if err == nil {
		return out, nil
	}
	var fe *lambda.FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("invoke: %v (not a function error)", err)
	}
	return nil, fe
}

func convertInput(id, contentType string, size int, retry int) ConvertInput {
	return ConvertInput{
		Job:          upload.Job{UploadID: id, Bucket: uploadsBucket, Key: upload.OriginalKey(id), Size: int64(size), ContentType: contentType},
		RetryCount:   retry,
		ExecutionARN: "arn:aws:states:us-east-1:000000000000:execution:thumbnail:" + id,
	}
}

// TestConvertRefusesHandMadeInput: an input the start function never
// builds (here one pointing at another upload's object) is a system
// failure of its own, not the user's corrupt image, and is never retried.
func TestConvertRefusesHandMadeInput(t *testing.T) {
	w := newWorld(t)
	victim := upload.NewID()
	data := jpegBytes(t, 64, 48)
	w.put(t, upload.OriginalKey(victim), "image/jpeg", data)
	for name, in := range map[string]ConvertInput{
		"another upload's key": func() ConvertInput {
			in := convertInput(upload.NewID(), "image/jpeg", len(data), 0)
			in.Key = upload.OriginalKey(victim)
			return in
		}(),
		"invalid upload id": func() ConvertInput {
			in := convertInput(victim, "image/jpeg", len(data), 0)
			in.UploadID = "../" + victim
			return in
		}(),
	} {
		_, fe := invokeAsRuntime(t, w.convert().Handle, in)
		if fe == nil || fe.Type != upload.CodeInvalidTaskInput {
			t.Fatalf("%s: error = %+v, want %s", name, fe, upload.CodeInvalidTaskInput)
		}
		f := upload.DescribeError(fe.Type, string(fe.Payload))
		if f.Code != upload.CodeInvalidTaskInput || strings.Contains(f.Message, victim) || upload.KindOf(f.Code) != upload.KindSystem {
			t.Errorf("%s: user is told %+v (kind %s); want InvalidTaskInput, the generic message, a system failure", name, f, upload.KindOf(f.Code))
		}
	}
}

func TestConvertWritesRenditionsToOutputBucket(t *testing.T) {
	w := newWorld(t)
	id := upload.NewID()
	data := jpegBytes(t, 640, 480)
	w.put(t, upload.OriginalKey(id), "image/jpeg", data)
	h := w.convert()

	out, fe := invokeAsRuntime(t, h.Handle, convertInput(id, "image/jpeg", len(data), 0))
	if fe != nil {
		t.Fatalf("convert failed: %+v", fe)
	}
	var res ConvertOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"thumb": {320, 240}, "preview": {640, 480}}
	if len(res.Renditions) != len(want) {
		t.Fatalf("renditions = %+v", res.Renditions)
	}
	for _, r := range res.Renditions {
		if got := [2]int{r.Width, r.Height}; got != want[r.Name] {
			t.Errorf("%s is %v, want %v (fit, never upscaled)", r.Name, got, want[r.Name])
		}
		obj, err := w.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(outputBucket), Key: aws.String(r.Key)})
		if err != nil {
			t.Fatalf("rendition %s not in output bucket: %v", r.Name, err)
		}
		body, _ := io.ReadAll(obj.Body)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
		if err != nil || format != "jpeg" || cfg.Width != r.Width || aws.ToString(obj.ContentType) != "image/jpeg" || int64(len(body)) != r.Bytes {
			t.Errorf("stored %s: %s %dx%d content-type %q, %d bytes (%v); record says %+v",
				r.Name, format, cfg.Width, cfg.Height, aws.ToString(obj.ContentType), len(body), err, r)
		}
	}
}

func TestConvertErrorsCarryStepFunctionsNames(t *testing.T) {
	w := newWorld(t)
	h := w.convert()
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 4, 4)))

	cases := []struct {
		name, declared string
		data           []byte
		wantType       string
	}{
		{"text named photo.jpg", "image/jpeg", []byte("hello, this is not an image\n"), "CorruptImage"},
		{"empty", "image/jpeg", nil, "EmptyFile"},
		{"png declared as jpeg", "image/jpeg", pngBuf.Bytes(), "ContentTypeMismatch"},
		{"truncated jpeg", "image/jpeg", jpegBytes(t, 64, 64)[:200], "CorruptImage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := upload.NewID()
			w.put(t, upload.OriginalKey(id), c.declared, c.data)
			_, fe := invokeAsRuntime(t, h.Handle, convertInput(id, c.declared, len(c.data), 0))
			if fe == nil || fe.Type != c.wantType {
				t.Fatalf("error = %+v, want errorType %s", fe, c.wantType)
			}
			// Decoder detail ("unexpected EOF", "invalid JPEG format: …") is
			// for the logs; the user reads what to do.
			if f := upload.DescribeError(fe.Type, string(fe.Payload)); f.Code != c.wantType || f.Message == "" ||
				strings.Contains(f.Message, "errorType") || strings.Contains(f.Message, "EOF") || strings.Contains(f.Message, "invalid JPEG") {
				t.Errorf("user sees %+v", f)
			}
		})
	}

	t.Run("missing original is transient", func(t *testing.T) {
		id := upload.NewID()
		_, fe := invokeAsRuntime(t, h.Handle, convertInput(id, "image/jpeg", 10, 0))
		if fe == nil || fe.Type != "TransientError" {
			t.Fatalf("error = %+v, want TransientError (retried by the state machine)", fe)
		}
	})
}

// TestConvertRetryIsVisibleToSubscribers: the attempt a subscriber is told
// counts the handler's real runs, not the task's tries. The first run
// comes after throttled tries (RetryCount 3, no run) and shows nothing
// new; it fails; the second run is announced as retrying (attempt 2).
func TestConvertRetryIsVisibleToSubscribers(t *testing.T) {
	w := newWorld(t, "conn-A")
	id := upload.NewID()
	data := jpegBytes(t, 32, 32)
	ctx := context.Background()
	if err := w.store.Subscribe(ctx, id, "conn-A"); err != nil {
		t.Fatal(err)
	}
	// The state machine's converting step, for the execution convertInput names.
	if _, err := w.pub.Publish(ctx, upload.Update{UploadID: id, State: upload.StateConverting, Execution: id}); err != nil {
		t.Fatal(err)
	}
	h := w.convert()
	// The original is not there yet: the first real run fails, transiently.
	if _, fe := invokeAsRuntime(t, h.Handle, convertInput(id, "image/jpeg", len(data), 3)); fe == nil || fe.Type != "TransientError" {
		t.Fatalf("first run: %+v, want TransientError", fe)
	}
	if msgs := w.conns.Messages("conn-A"); len(msgs) != 1 {
		t.Fatalf("after the first run (behind 3 throttled tries) %d messages were pushed, want converting alone: %q", len(msgs), msgs)
	}
	w.put(t, upload.OriginalKey(id), "image/jpeg", data)
	if _, fe := invokeAsRuntime(t, h.Handle, convertInput(id, "image/jpeg", len(data), 4)); fe != nil {
		t.Fatal(fe)
	}
	msgs := w.conns.Messages("conn-A")
	if len(msgs) != 2 {
		t.Fatalf("pushed %d messages, want converting then retrying: %q", len(msgs), msgs)
	}
	var m upload.StatusMessage
	json.Unmarshal(msgs[1], &m)
	if m.Type != "status" || m.Status.State != upload.StateRetrying || m.Status.Attempt != 2 || m.Status.Runs != 2 {
		t.Errorf("second push = %s, want retrying attempt 2 (runs 2)", msgs[1])
	}
}

func TestStatusGoneSubscriberIsDroppedWithoutFailing(t *testing.T) {
	w := newWorld(t, "alive")
	ctx := context.Background()
	id := upload.NewID()
	for _, c := range []string{"alive", "gone"} {
		if err := w.store.Subscribe(ctx, id, c); err != nil {
			t.Fatal(err)
		}
	}
	h := &Status{Publisher: w.pub}
	rec, err := h.Handle(ctx, StatusInput{UploadID: id, State: upload.StateConverting, ExecutionARN: "arn:x"})
	if err != nil {
		t.Fatalf("a gone browser failed the status step: %v", err)
	}
	if rec.State != upload.StateConverting {
		t.Errorf("record = %+v", rec)
	}
	if n := len(w.conns.Messages("alive")); n != 1 {
		t.Errorf("live subscriber got %d messages, want 1", n)
	}
	subs, err := w.store.Subscribers(ctx, id)
	if err != nil || len(subs) != 1 || subs[0] != "alive" {
		t.Errorf("subscribers after 410 = %v (%v), want [alive]", subs, err)
	}
}

func TestStatusFailureKeepsUserMessageAndOperatorCopy(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := upload.NewID()
	h := &Status{Publisher: w.pub}
	cause := `{"errorMessage":"The file is not a valid image: it does not start like any image format.","errorType":"CorruptImage"}`
	rec, err := h.Handle(ctx, StatusInput{UploadID: id, State: upload.StateFailed, Error: &upload.TaskError{Error: "CorruptImage", Cause: cause}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Error == nil || rec.Error.Code != "CorruptImage" || !strings.HasPrefix(rec.Error.Message, "The file is not a valid image") {
		t.Errorf("user error = %+v", rec.Error)
	}
	f, ok, err := w.store.GetFailure(ctx, id)
	if err != nil || !ok || f.StepFunctionsCause != cause || f.State != upload.StateFailed {
		t.Errorf("failure record = %+v %v %v", f, ok, err)
	}
	// A late success (a retried notify) must not overwrite the terminal status.
	rec, err = h.Handle(ctx, StatusInput{UploadID: id, State: upload.StateSucceeded})
	if err != nil || rec.State != upload.StateFailed {
		t.Errorf("after late success: %+v, %v; want still failed", rec, err)
	}
}

func TestStatusInternalErrorsDoNotLeakDetails(t *testing.T) {
	w := newWorld(t)
	h := &Status{Publisher: w.pub}
	rec, err := h.Handle(context.Background(), StatusInput{UploadID: upload.NewID(), State: upload.StateFailed,
		Error: &upload.TaskError{Error: "TransientError", Cause: `{"errorMessage":"thumbnail: get s3://uploads/x: dial tcp 10.0.0.1:443: i/o timeout"}`}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Error.Code != upload.CodeInternal || strings.Contains(rec.Error.Message, "dial tcp") {
		t.Errorf("user sees %+v", rec.Error)
	}
}

func TestStartReplayedGrantStartsNoSecondExecution(t *testing.T) {
	w := newWorld(t)
	id := upload.NewID()
	w.put(t, upload.OriginalKey(id), "image/jpeg", jpegBytes(t, 8, 8))
	h := w.start()
	ctx := context.Background()
	if err := h.Handle(ctx, createdEvent(upload.OriginalKey(id), 10, "first")); err != nil {
		t.Fatal(err)
	}
	// The same grant posted again: a new object (new ETag) under the same key.
	if err := h.Handle(ctx, createdEvent(upload.OriginalKey(id), 10, "replayed")); err != nil {
		t.Fatal(err)
	}
	execs := w.sfn.Executions()
	if len(execs) != 1 || !strings.HasSuffix(execs[0].Name, "-first") {
		t.Fatalf("executions = %+v, want only the first object's", execs)
	}
	// The fake mints ARNs in AWS's format from the state machine ARN's
	// parts; spelled out here as well, so neither side can drift alone.
	want := "arn:aws:states:us-east-1:000000000000:execution:thumbnail:" + execs[0].Name
	if execs[0].ARN != want {
		t.Fatalf("fake minted %q, want %q", execs[0].ARN, want)
	}
	// The record names the execution, and never by its ARN, which carries
	// the account id: browsers read the record.
	rec, _, _ := w.store.GetStatus(ctx, id)
	if rec.Execution != execs[0].Name {
		t.Errorf("record names execution %q, want %q", rec.Execution, execs[0].Name)
	}
}
