package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/client"
	"thumbflow/internal/clocktest"
	"thumbflow/internal/logtest"
	"thumbflow/local/lambda"
	"thumbflow/upload"
)

// rig is one local cloud under test, with SDK clients to inspect it as an
// operator would: objects, status records and execution history.
type rig struct {
	t   testing.TB
	ctx context.Context
	c   *Cloud
	cfg Config
	s3  *s3.Client
	sfn *sfn.Client
	// log keeps the cloud's JSON log; its tail is shown only when a
	// test fails, so a passing suite stays readable.
	log *logtest.Buffer
}

// rigTimeout bounds each rig test: generous, so only a hang reaches it
// (the slowest test sits through four 12.5 s task timeouts).
const rigTimeout = 3 * time.Minute

// newRig starts a local cloud whose state machine runs clocktest.TestFactor
// times faster than real time: a 25 s task timeout is 12.5 s of wall time.
func newRig(t testing.TB, mod ...func(*Config)) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rigTimeout)
	t.Cleanup(cancel)
	r := &rig{t: t, ctx: ctx, log: &logtest.Buffer{}}
	r.cfg = Config{
		Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0",
		// The template's reservation (10) is the only cap: scenarios
		// that are not about throttling are not throttled.
		CPUSlots: 64,
		Clock:    clocktest.NewFastClock(clocktest.TestFactor),
		Logger:   slog.New(slog.NewJSONHandler(r.log, nil)),
	}
	for _, m := range mod {
		m(&r.cfg)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of the cloud's log:\n%s", r.log.Tail(60))
		}
	})
	r.start()
	return r
}

// start (re)starts the cloud on the rig's configuration.
func (r *rig) start() {
	r.t.Helper()
	c, err := Start(r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.c = c
	r.t.Cleanup(func() { c.Close() })
	cfg := c.AWSConfig()
	r.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	r.sfn = sfn.NewFromConfig(cfg)
}

func (r *rig) dial() *client.Client {
	r.t.Helper()
	return dial(r.t, r.ctx, r.c.WebSocketURL)
}

// upload asks for a grant for data and posts it; both must succeed.
func (r *rig) upload(cl *client.Client, name, contentType string, data []byte) upload.Grant {
	r.t.Helper()
	g, err := cl.Grant(r.ctx, name, contentType, int64(len(data)))
	if err != nil {
		r.t.Fatalf("grant for %q: %v", name, err)
	}
	if err := client.Post(r.ctx, nil, g, name, data); err != nil {
		r.t.Fatalf("upload %q: %v", name, err)
	}
	return g
}

// executions lists the thumbnail executions of an upload (their names
// start with the upload id).
func (r *rig) executions(id string) []sfntypes.ExecutionListItem {
	r.t.Helper()
	var out []sfntypes.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(r.sfn, &sfn.ListExecutionsInput{StateMachineArn: aws.String(r.c.StateMachineARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(r.ctx)
		if err != nil {
			r.t.Fatalf("list executions: %v", err)
		}
		for _, e := range page.Executions {
			if strings.HasPrefix(aws.ToString(e.Name), id) {
				out = append(out, e)
			}
		}
	}
	return out
}

// running lists every execution still RUNNING.
func (r *rig) running() []string {
	r.t.Helper()
	var out []string
	p := sfn.NewListExecutionsPaginator(r.sfn, &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(r.c.StateMachineARN), StatusFilter: sfntypes.ExecutionStatusRunning})
	for p.HasMorePages() {
		page, err := p.NextPage(r.ctx)
		if err != nil {
			r.t.Fatalf("list executions: %v", err)
		}
		for _, e := range page.Executions {
			out = append(out, aws.ToString(e.Name))
		}
	}
	return out
}

// settled waits until the upload's only execution has ended, and returns
// it: the execution ends just after its status step pushed the terminal
// record, so a client can see the record a moment before.
func (r *rig) settled(id string) sfntypes.ExecutionListItem {
	r.t.Helper()
	for {
		execs := r.executions(id)
		if len(execs) != 1 {
			r.t.Fatalf("upload %s has %d executions, want exactly 1: %+v", id, len(execs), execs)
		}
		if execs[0].Status != sfntypes.ExecutionStatusRunning {
			return execs[0]
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("execution of upload %s still running", id)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// attempts is what an execution's history says about the Convert state:
// how many times its function was scheduled, and the error of each
// attempt that did not succeed (LambdaFunctionFailed or TimedOut).
type attempts struct {
	scheduled int
	errors    []string
	throttles int // errors that are Lambda.TooManyRequestsException
}

func (r *rig) convertHistory(arn string) attempts {
	r.t.Helper()
	var a attempts
	state := ""
	p := sfn.NewGetExecutionHistoryPaginator(r.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(r.ctx)
		if err != nil {
			r.t.Fatalf("history of %s: %v", arn, err)
		}
		for _, ev := range page.Events {
			if d := ev.StateEnteredEventDetails; d != nil {
				state = aws.ToString(d.Name)
			}
			if state != "Convert" {
				continue
			}
			switch {
			case ev.LambdaFunctionScheduledEventDetails != nil:
				a.scheduled++
			case ev.LambdaFunctionFailedEventDetails != nil:
				a.errors = append(a.errors, aws.ToString(ev.LambdaFunctionFailedEventDetails.Error))
				if a.errors[len(a.errors)-1] == lambda.TooManyRequests {
					a.throttles++
				}
			case ev.LambdaFunctionTimedOutEventDetails != nil:
				a.errors = append(a.errors, aws.ToString(ev.LambdaFunctionTimedOutEventDetails.Error))
			}
		}
	}
	return a
}

// object reports whether the key exists and its size.
func (r *rig) object(bucket, key string) (int64, bool) {
	r.t.Helper()
	out, err := r.s3.HeadObject(r.ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nf *s3types.NotFound
	switch {
	case errors.As(err, &nf):
		return 0, false
	case err != nil:
		r.t.Fatalf("head s3://%s/%s: %v", bucket, key, err)
	}
	return aws.ToInt64(out.ContentLength), true
}

// stored reads a JSON object; false when there is none.
func (r *rig) stored(bucket, key string, v any) bool {
	r.t.Helper()
	out, err := r.s3.GetObject(r.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nk *s3types.NoSuchKey
	switch {
	case errors.As(err, &nk):
		return false
	case err != nil:
		r.t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	if err := json.NewDecoder(out.Body).Decode(v); err != nil {
		r.t.Fatalf("decode s3://%s/%s: %v", bucket, key, err)
	}
	return true
}

// outcome is what a user and an operator must see at the end of an upload.
type outcome struct {
	state   upload.State
	code    string // error code of a failed upload
	attempt int    // the record's attempt
	// runs is how many times Convert's function was scheduled; errors
	// are the history's error names of the attempts that did not succeed.
	runs   int
	errors []string
	// states, when set, is the exact sequence of pushed states.
	states string
	// throttled tolerates throttles of Convert (its reserved concurrency
	// in use): they are left out of runs and errors, and runs is a
	// maximum (an execution killed while waiting for a slot had no
	// interrupted run). The attempt stays exact: it counts the
	// converter's real runs, which a throttle never reaches.
	throttled bool
}

// expect waits for the upload's terminal status on cl and checks
// everything a user and an operator can see: exactly one terminal record
// with the right state, code and attempt; one execution, ended, whose
// history shows every attempt; the original kept; the stored record and,
// for a failure, the operator's failure record agreeing.
func (r *rig) expect(cl *client.Client, g upload.Grant, size int, want outcome) upload.Record {
	r.t.Helper()
	id := g.UploadID
	m, err := cl.WaitTerminal(r.ctx, id)
	if err != nil {
		r.t.Fatalf("upload %s: %v (saw %v)", id, err, client.States(cl.Statuses(id)))
	}
	rec := *m.Status
	got := outcome{state: rec.State, attempt: rec.Attempt}
	if rec.Error != nil {
		got.code = rec.Error.Code
	}
	if got.state != want.state || got.code != want.code || got.attempt != want.attempt {
		r.t.Errorf("upload %s ended %s %q attempt %d, want %s %q attempt %d (error %+v)",
			id, got.state, got.code, got.attempt, want.state, want.code, want.attempt, rec.Error)
	}
	exec := r.settled(id)
	wantStatus := sfntypes.ExecutionStatusSucceeded
	if want.state == upload.StateFailed {
		wantStatus = sfntypes.ExecutionStatusFailed
	}
	if exec.Status != wantStatus {
		r.t.Errorf("upload %s: execution %s, want %s", id, exec.Status, wantStatus)
	}
	h := r.convertHistory(aws.ToString(exec.ExecutionArn))
	if want.throttled {
		h.scheduled -= h.throttles
		h.errors = slices.DeleteFunc(h.errors, func(e string) bool { return e == lambda.TooManyRequests })
	}
	if runsOK := h.scheduled == want.runs || want.throttled && h.scheduled >= 1 && h.scheduled < want.runs; !runsOK || fmt.Sprint(h.errors) != fmt.Sprint(want.errors) {
		r.t.Errorf("upload %s: history shows Convert scheduled %d times with errors %v, want %d with %v",
			id, h.scheduled, h.errors, want.runs, want.errors)
	}
	msgs := cl.Statuses(id)
	if ts := client.Terminals(msgs); len(ts) != 1 {
		r.t.Errorf("upload %s: %d distinct terminal records, want 1: %+v", id, len(ts), ts)
	}
	if c := client.Conflicts(msgs); len(c) > 0 {
		r.t.Errorf("upload %s: conflicting records: %v", id, c)
	}
	if want.states != "" {
		// A client that subscribes after the first push starts from the
		// record's state then (the protocol's snapshot), so on a loaded
		// machine it may miss the first states: what it sees must be the
		// end of the wanted run, with nothing out of place.
		if s := strings.Join(client.States(client.Distinct(msgs)), ","); s == "" || !strings.HasSuffix(","+want.states, ","+s) {
			r.t.Errorf("upload %s: states %s, want %s (or its end)", id, s, want.states)
		}
	}
	if n, ok := r.object(bucketName(r.c, "UploadsBucket"), upload.OriginalKey(id)); !ok || n != int64(size) {
		r.t.Errorf("upload %s: original is %d bytes (exists %v), want the %d bytes uploaded", id, n, ok, size)
	}
	var stored upload.Record
	if !r.stored(bucketName(r.c, "RecordsBucket"), upload.StatusKey(id), &stored) || stored.Version != rec.Version || stored.State != rec.State {
		r.t.Errorf("upload %s: stored record %+v, pushed %+v", id, stored, rec)
	}
	var f upload.FailureRecord
	hasFailure := r.stored(bucketName(r.c, "RecordsBucket"), upload.FailureKey(id), &f)
	switch {
	case want.state == upload.StateFailed && (!hasFailure || f.Error == nil || f.Error.Code != want.code):
		r.t.Errorf("upload %s: failure record %+v (exists %v), want one with code %s", id, f, hasFailure, want.code)
	case want.state == upload.StateSucceeded && hasFailure:
		r.t.Errorf("upload %s succeeded but has a failure record %+v", id, f)
	}
	return rec
}

// refusedByS3 checks that nothing of an upload exists: no original, no
// execution, no status record, and a subscriber is told "waiting".
func (r *rig) refusedByS3(cl *client.Client, g upload.Grant) {
	r.t.Helper()
	id := g.UploadID
	if _, ok := r.object(bucketName(r.c, "UploadsBucket"), upload.OriginalKey(id)); ok {
		r.t.Errorf("upload %s: refused POST left an object", id)
	}
	if execs := r.executions(id); len(execs) != 0 {
		r.t.Errorf("upload %s: refused POST started %d executions", id, len(execs))
	}
	var rec upload.Record
	if r.stored(bucketName(r.c, "RecordsBucket"), upload.StatusKey(id), &rec) {
		r.t.Errorf("upload %s: refused POST has a status record %+v", id, rec)
	}
	got, err := cl.Subscribe(r.ctx, id, g.Token)
	if err != nil || got.State != upload.StateWaiting {
		r.t.Errorf("upload %s: subscribe says %+v, %v; want waiting", id, got, err)
	}
}

// postRefused posts body with g and wants S3 to refuse it with code.
func (r *rig) postRefused(g upload.Grant, body []byte, status int, code, msgPart string) {
	r.t.Helper()
	err := client.Post(r.ctx, nil, g, "photo.jpg", body)
	var se *client.S3Error
	if !errors.As(err, &se) || se.Status != status || se.Code != code || !strings.Contains(se.Message, msgPart) {
		r.t.Fatalf("POST answered %v, want %d %s (%q)", err, status, code, msgPart)
	}
}
