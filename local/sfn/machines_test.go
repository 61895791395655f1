package sfn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// waitForEvent waits (boundedly) until an execution has recorded an event
// of the given type, so that a test advances its clock only once the
// execution is waiting on it.
func waitForEvent(t *testing.T, c *awssfn.Client, arn, typ string) {
	t.Helper()
	for range 1000 {
		h, err := c.GetExecutionHistory(context.Background(), &awssfn.GetExecutionHistoryInput{ExecutionArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range h.Events {
			if string(ev.Type) == typ {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never recorded %s", arn, typ)
}

func wantErr[T error](t *testing.T, what string, err error) {
	t.Helper()
	var target T
	if err == nil || !errors.As(err, &target) {
		t.Errorf("%s: got %v, want %T", what, err, target)
	}
}

func TestUpdateStateMachineVersions(t *testing.T) {
	clock := newManualClock()
	_, c := startFake(t, Options{Invoker: echoRegistry(t), Clock: clock})
	ctx := context.Background()
	v1, v2 := `{"Steps":["wait:10"]}`, `{"Steps":["invoke:echo"]}`
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &v1, RoleArn: aws.String(role), Publish: true, VersionDescription: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	if want := *sm.StateMachineArn + ":1"; aws.ToString(sm.StateMachineVersionArn) != want {
		t.Fatalf("create with publish: version %v, want %s", aws.ToString(sm.StateMachineVersionArn), want)
	}
	old, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("old")})
	if err != nil {
		t.Fatal(err)
	}
	waitForEvent(t, c, *old.ExecutionArn, "WaitStateEntered")

	up, err := c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: &v2, Publish: true, VersionDescription: aws.String("echo")})
	if err != nil {
		t.Fatal(err)
	}
	if want := *sm.StateMachineArn + ":2"; aws.ToString(up.StateMachineVersionArn) != want || aws.ToString(up.RevisionId) == "" || up.UpdateDate == nil {
		t.Fatalf("update: %+v", up)
	}
	// Publishing an unchanged revision returns the version it has.
	again, err := c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: &v2, Publish: true})
	if err != nil || aws.ToString(again.StateMachineVersionArn) != *up.StateMachineVersionArn {
		t.Fatalf("republish: %v %v", err, again)
	}
	_, err = c.PublishStateMachineVersion(ctx, &awssfn.PublishStateMachineVersionInput{StateMachineArn: sm.StateMachineArn, RevisionId: aws.String("stale")})
	wantErr[*types.ConflictException](t, "publish with a stale revision", err)
	pub, err := c.PublishStateMachineVersion(ctx, &awssfn.PublishStateMachineVersionInput{StateMachineArn: sm.StateMachineArn, RevisionId: up.RevisionId})
	if err != nil || *pub.StateMachineVersionArn != *up.StateMachineVersionArn || pub.CreationDate == nil {
		t.Errorf("publishing the current revision again: %v %+v", err, pub)
	}

	d1, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineVersionArn})
	if err != nil || *d1.Definition != v1 || aws.ToString(d1.Description) != "first" || *d1.StateMachineArn != *sm.StateMachineVersionArn {
		t.Fatalf("describe version 1: %v %+v", err, d1)
	}
	cur, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || *cur.Definition != v2 || aws.ToString(cur.RevisionId) != *up.RevisionId {
		t.Fatalf("describe current: %v %+v", err, cur)
	}
	vs, err := c.ListStateMachineVersions(ctx, &awssfn.ListStateMachineVersionsInput{StateMachineArn: sm.StateMachineArn, MaxResults: 1})
	if err != nil || len(vs.StateMachineVersions) != 1 || *vs.StateMachineVersions[0].StateMachineVersionArn != *up.StateMachineVersionArn || vs.NextToken == nil {
		t.Fatalf("versions page 1: %v %+v", err, vs)
	}
	vs, err = c.ListStateMachineVersions(ctx, &awssfn.ListStateMachineVersionsInput{StateMachineArn: sm.StateMachineArn, NextToken: vs.NextToken})
	if err != nil || len(vs.StateMachineVersions) != 1 || *vs.StateMachineVersions[0].StateMachineVersionArn != *sm.StateMachineVersionArn {
		t.Fatalf("versions page 2: %v %+v", err, vs)
	}

	// New executions run the new definition; the running one keeps its own.
	next, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("new")})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, *next.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"echoed":true}` {
		t.Errorf("new execution: %s %s", d.Status, aws.ToString(d.Output))
	}
	for arn, want := range map[string]string{*old.ExecutionArn: v1, *next.ExecutionArn: v2} {
		d, err := c.DescribeStateMachineForExecution(ctx, &awssfn.DescribeStateMachineForExecutionInput{ExecutionArn: &arn})
		if err != nil || *d.Definition != want || *d.StateMachineArn != *sm.StateMachineArn || *d.Name != "m" || d.UpdateDate == nil {
			t.Errorf("DescribeStateMachineForExecution(%s): %v %+v", arn, err, d)
		}
	}
	// An execution of version 1 says so, and runs version 1.
	byVersion, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineVersionArn, Name: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: byVersion.ExecutionArn})
	if err != nil || aws.ToString(d.StateMachineVersionArn) != *sm.StateMachineVersionArn || *d.StateMachineArn != *sm.StateMachineArn {
		t.Errorf("execution of a version: %v %+v", err, d)
	}
	waitForEvent(t, c, *byVersion.ExecutionArn, "WaitStateEntered")
	clock.Advance(10 * time.Second)
	if d := waitDone(t, c, *old.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Errorf("old execution ended %s", d.Status)
	}
	waitDone(t, c, *byVersion.ExecutionArn)

	_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn})
	wantErr[*types.MissingRequiredParameter](t, "update without changes", err)
	_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: aws.String(`{}`)})
	wantErr[*types.InvalidDefinition](t, "update with a bad definition", err)
	_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: aws.String(*sm.StateMachineArn + "x"), Definition: &v2})
	wantErr[*types.StateMachineDoesNotExist](t, "update of an unknown machine", err)
	_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, RoleArn: aws.String("nope")})
	wantErr[*types.InvalidArn](t, "update with a bad role", err)

	if _, err := c.DeleteStateMachineVersion(ctx, &awssfn.DeleteStateMachineVersionInput{StateMachineVersionArn: sm.StateMachineVersionArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineVersionArn})
	wantErr[*types.StateMachineDoesNotExist](t, "describe a deleted version", err)
}

func TestDeleteStateMachineLetsRunningExecutionsFinish(t *testing.T) {
	clock := newManualClock()
	dir := t.TempDir()
	_, c := startFake(t, Options{DataDir: dir, Invoker: echoRegistry(t), Clock: clock})
	ctx := context.Background()
	def := `{"Steps":["wait:10"]}`
	sm, ex := createAndStart(t, c, def)
	waitForEvent(t, c, *ex.ExecutionArn, "WaitStateEntered")
	for range 2 { // idempotent
		if _, err := c.DeleteStateMachine(ctx, &awssfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || d.Status != types.StateMachineStatusDeleting {
		t.Fatalf("while an execution runs: %v %v", err, d.Status)
	}
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	wantErr[*types.StateMachineDeleting](t, "start while deleting", err)
	_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: &def})
	wantErr[*types.StateMachineDeleting](t, "update while deleting", err)

	clock.Advance(10 * time.Second)
	var gone bool
	for range 1000 {
		_, err = c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
		if gone = err != nil; gone {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	wantErr[*types.StateMachineDoesNotExist](t, "describe after the last execution ended", err)
	_, err = c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	wantErr[*types.ExecutionDoesNotExist](t, "the execution of a deleted machine", err)
	logs, _ := filepath.Glob(filepath.Join(dir, "stepfunctions", "executions", "*"))
	if len(logs) != 0 {
		t.Errorf("execution logs left in the data directory: %v", logs)
	}
	if _, err := c.DeleteStateMachine(ctx, &awssfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
		t.Errorf("deleting a deleted machine: %v", err)
	}
	_, err = c.DeleteStateMachine(ctx, &awssfn.DeleteStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:activity:x")})
	wantErr[*types.InvalidArn](t, "delete with an activity ARN", err)
	if b, err := os.ReadFile(filepath.Join(dir, "stepfunctions", "statemachines.json")); err != nil || string(b) != "[]" {
		t.Errorf("statemachines.json after delete: %q %v", b, err)
	}
}

func TestTags(t *testing.T) {
	_, c := startFake(t, Options{})
	ctx := context.Background()
	def := `{"Steps":["fail:X"]}`
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &def, RoleArn: aws.String(role),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("media")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &awssfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("images")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &awssfn.UntagResourceInput{ResourceArn: sm.StateMachineArn, TagKeys: []string{"env", "absent"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListTagsForResource(ctx, &awssfn.ListTagsForResourceInput{ResourceArn: sm.StateMachineArn})
	if err != nil || len(out.Tags) != 1 || *out.Tags[0].Key != "team" || *out.Tags[0].Value != "images" {
		t.Fatalf("tags: %v %+v", err, out.Tags)
	}
	unknown := aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:nope")
	_, err = c.ListTagsForResource(ctx, &awssfn.ListTagsForResourceInput{ResourceArn: unknown})
	wantErr[*types.ResourceNotFound](t, "tags of an unknown machine", err)
	_, err = c.TagResource(ctx, &awssfn.TagResourceInput{ResourceArn: aws.String("nope"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantErr[*types.InvalidArn](t, "tag a bad ARN", err)
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(string(rune('a'+i%26)) + string(rune('a'+i/26))), Value: aws.String("")}
	}
	_, err = c.TagResource(ctx, &awssfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: many})
	wantErr[*types.TooManyTags](t, "51 tags", err)
}

func TestAccountID(t *testing.T) {
	_, c := startFake(t, Options{AccountID: "123456789012"})
	def := `{"Steps":["fail:X"]}`
	sm, err := c.CreateStateMachine(context.Background(), &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &def, RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:states:us-east-1:123456789012:stateMachine:m"; *sm.StateMachineArn != want {
		t.Errorf("ARN %s, want %s", *sm.StateMachineArn, want)
	}
	if _, err := newService(Options{AccountID: "12345"}, parseFake); err == nil {
		t.Error("a 5-digit account id was accepted")
	}
}
