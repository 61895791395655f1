package sfn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestEditAndReload edits a definition on disk under a watching service:
// the edit is published as a version that the next execution runs while
// the running one keeps its own; an invalid edit is refused with AWS's
// diagnostics and the published version stays in service.
func TestEditAndReload(t *testing.T) {
	clock := newManualClock()
	s, c := startFake(t, Options{Invoker: echoRegistry(t), Clock: clock})
	dir := t.TempDir()
	file := filepath.Join(dir, "orders.asl.json")
	write := func(def string) {
		t.Helper()
		// Through a rename, as editors save, so a scan never reads half a file.
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"Steps":["wait:10"]}`)
	arns, err := s.LoadDir(dir, role, nil)
	if err != nil {
		t.Fatal(err)
	}
	arn := arns["orders"]
	ctx := context.Background()
	running, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: &arn, Name: aws.String("before-edit")})
	if err != nil {
		t.Fatal(err)
	}
	waitForEvent(t, c, *running.ExecutionArn, "WaitStateEntered")

	reloads := make(chan Reload, 4)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	deployed, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	go s.WatchFile(wctx, os.DirFS(dir), "orders.asl.json", "orders", role, nil, deployed, 5*time.Millisecond, func(r Reload) { reloads <- r })
	next := func() Reload {
		t.Helper()
		select {
		case r := <-reloads:
			return r
		case <-time.After(10 * time.Second): // bounded: only a hang reaches it
			t.Fatal("the edit was not noticed")
		}
		return Reload{}
	}
	write(`{"Steps":["invoke:echo"]}`)
	r := next()
	if r.Err != nil || r.VersionARN != arn+":1" {
		t.Fatalf("valid edit: %+v", r)
	}
	after, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: &arn, Name: aws.String("after-edit")})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, *after.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"echoed":true}` {
		t.Errorf("the next execution ran %s %s, want the edited definition", d.Status, aws.ToString(d.Output))
	}
	d, err := c.DescribeStateMachineForExecution(ctx, &awssfn.DescribeStateMachineForExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil || *d.Definition != `{"Steps":["wait:10"]}` {
		t.Errorf("the running execution's definition: %v %v", err, aws.ToString(d.Definition))
	}

	write(`{"Steps":[]}`) // the fake interpreter refuses an empty workflow
	r = next()
	if r.Err == nil || len(r.Diagnostics) == 0 || !strings.Contains(r.String(), "SCHEMA_VALIDATION_FAILED") || !strings.Contains(r.String(), "the previous version stays in service") {
		t.Fatalf("invalid edit: %+v\n%s", r, r)
	}
	desc, _ := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: &arn})
	if *desc.Definition != `{"Steps":["invoke:echo"]}` {
		t.Errorf("after an invalid edit the machine runs %s", *desc.Definition)
	}
	clock.Advance(10 * time.Second)
	if d := waitDone(t, c, *running.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Errorf("the execution started before the edit ended %s", d.Status)
	}
}
