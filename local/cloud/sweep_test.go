package cloud

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"thumbflow/internal/logtest"
	"thumbflow/lambdas/pipeline"
	"thumbflow/upload"
)

// TestSweeperStartsAnOriginalWhoseEventNeverCame: the uploads bucket's
// notification configuration is removed (as while it is being replaced on
// AWS), so a real grant and a real POST store an original that no event
// announces. The template's schedule invokes the sweep function on the
// rig's fast clock; it starts the upload by the start function's execution
// name, the upload ends succeeded over the protocol with one execution,
// the start is counted once and logged with its uploadId, and the terminal
// status clears the pending marker.
func TestSweeperStartsAnOriginalWhoseEventNeverCame(t *testing.T) {
	metrics := &logtest.Buffer{}
	r := newRig(t, func(cfg *Config) {
		cfg.Metrics = metrics
		// One minute of schedule is 3 s on the rig's clock (20 times
		// faster); a second of age lets the first sweeps find it too young.
		cfg.Parameters = map[string]string{"SweepScheduleExpression": "rate(1 minute)", "SweepMinAgeSeconds": "1"}
	})
	uploads, records := bucketName(r.c, "UploadsBucket"), bucketName(r.c, "RecordsBucket")
	if _, err := r.s3.PutBucketNotificationConfiguration(r.ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(uploads), NotificationConfiguration: &s3types.NotificationConfiguration{},
	}); err != nil {
		t.Fatal(err)
	}
	cl := r.dial()
	data := smallPhoto(41)
	g := r.upload(cl, "no-event.jpg", "image/jpeg", data)
	if _, ok := r.object(records, upload.PendingKey(g.UploadID)); !ok {
		t.Fatal("the grant wrote no pending marker")
	}

	r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
	execs := r.executions(g.UploadID)
	if len(execs) != 1 {
		t.Fatalf("%d executions, want 1", len(execs))
	}
	name := aws.ToString(execs[0].Name)
	if id, ok := upload.IDFromExecutionName(name); !ok || id != g.UploadID {
		t.Errorf("execution %s is not named by the start function's rule for upload %s", name, g.UploadID)
	}
	if _, ok := r.object(records, upload.PendingKey(g.UploadID)); ok {
		t.Error("the pending marker outlived the terminal status")
	}

	// Counted once, by the sweep that started it, and logged with its id.
	started, sweeps := 0, 0
	for _, line := range metrics.Lines() {
		var m struct {
			Started  *int     `json:"SweepStarted"`
			Uploads  []string `json:"uploadIds"`
			Pending  int      `json:"SweepPending"`
			Terminal *int     `json:"Uploads"`
		}
		if json.Unmarshal([]byte(line), &m) != nil || m.Started == nil {
			continue
		}
		sweeps++
		started += *m.Started
		if *m.Started > 0 && !slices.Equal(m.Uploads, []string{g.UploadID}) {
			t.Errorf("sweep metrics %s: want only %s started", line, g.UploadID)
		}
	}
	if started != 1 {
		t.Errorf("%d sweeps counted %d starts (%s), want 1", sweeps, started, pipeline.MetricSweepStarted)
	}
	if n := r.log.Count(`"msg":"sweep: started an original that no execution had started"`); n != 1 {
		t.Errorf("%d start lines in the log, want 1", n)
	}
	for _, line := range r.log.Lines() {
		if strings.Contains(line, "sweep: started an original") && !strings.Contains(line, `"uploadId":"`+g.UploadID+`"`) {
			t.Errorf("start line without the uploadId: %s", line)
		}
	}
}

// The schedule invokes its function only as the function's permission
// allows: a permission for another rule lets nothing through, the
// delivery is refused as Lambda would, and the sweep never runs.
func TestScheduleNeedsTheFunctionsPermission(t *testing.T) {
	metrics := &logtest.Buffer{}
	r := newRig(t, withTemplate(t, "      SourceArn: !GetAtt SweepRule.Arn", "      SourceArn: !GetAtt ExecutionFailedRule.Arn"), func(cfg *Config) {
		cfg.Metrics = metrics
		cfg.Parameters = map[string]string{"SweepScheduleExpression": "rate(1 minute)"}
	})
	for r.log.Count("AccessDeniedException") == 0 {
		select {
		case <-r.ctx.Done():
			t.Fatal("the schedule never fired (or its refusal was not logged)")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := r.log.Count(`"msg":"sweep done"`); n != 0 {
		t.Errorf("the sweep ran %d times without its permission", n)
	}
	if strings.Contains(metrics.String(), pipeline.MetricSweepPending) {
		t.Errorf("sweep metrics without permission: %s", metrics.String())
	}
	if n := r.log.Count(`"msg":"event delivery failed; giving up"`); n == 0 {
		t.Error("the refused delivery was retried rather than given up")
	}
}

// TestSweeperStartsAnUploadWhoseStartFailed is the AWS case the queue
// alarm reports but nothing repairs: the start function may not call
// StartExecution, so it records "uploaded" and fails past its retries.
// The sweeper, with its own role, starts the upload by the same name, and
// it ends succeeded with one execution.
func TestSweeperStartsAnUploadWhoseStartFailed(t *testing.T) {
	next := "            - Effect: Allow\n              Action: s3:GetObject\n"
	grant := "            - Effect: Allow\n              Action: states:StartExecution\n              Resource: !Ref ThumbnailStateMachine\n" + next
	r := newRig(t, withTemplate(t, grant, next), func(cfg *Config) {
		cfg.Parameters = map[string]string{"SweepScheduleExpression": "rate(1 minute)", "SweepMinAgeSeconds": "1"}
	})
	cl := r.dial()
	data := smallPhoto(42)
	g := r.upload(cl, "start-denied.jpg", "image/jpeg", data)
	r.expect(cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
	if n := len(r.executions(g.UploadID)); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}
	if r.log.Count(`"function":"thumbflow-start"`) == 0 || r.log.Count("AccessDenied") == 0 {
		t.Errorf("the start function was not refused StartExecution:\n%s", r.log.Tail(30))
	}
	// Found at "uploaded": the start function's record, with no execution.
	if n := r.log.Count(`"msg":"sweep: started an original that no execution had started"`); n != 1 {
		t.Errorf("%d sweeper starts logged, want 1", n)
	}
	if r.log.Count(`"state":"uploaded","executionName"`) != 1 {
		t.Errorf("the sweeper did not find the upload at uploaded:\n%s", r.log.Tail(30))
	}
}
