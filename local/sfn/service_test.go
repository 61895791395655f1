package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"thumbflow/local/asl"
	"thumbflow/local/lambda"
	"thumbflow/local/sigv4"
)

const role = "arn:aws:iam::000000000000:role/thumbflow"

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func startFake(t *testing.T, opts Options) (*Service, *awssfn.Client) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := newService(opts, parseFake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, client(t, s)
}

func client(t *testing.T, h http.Handler) *awssfn.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return awssfn.New(awssfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   srv.Client(),
		APIOptions:   []func(*middleware.Stack) error{noHostPrefix},
	})
}

// noHostPrefix keeps the SDK from sending TestState to "sync-<host>", the
// host AWS serves it on, which does not resolve for a local endpoint.
func noHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("NoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

func echoRegistry(t *testing.T) *lambda.Registry {
	t.Helper()
	r := lambda.NewRegistry("us-east-1", "000000000000")
	if err := r.Register("echo", func(in map[string]any) (map[string]any, error) {
		in["echoed"] = true
		return in, nil
	}, lambda.FunctionOptions{}); err != nil {
		t.Fatal(err)
	}
	return r
}

// createAndStart creates the state machine "m" of def through c and
// starts an execution of it.
func createAndStart(t *testing.T, c *awssfn.Client, def string) (*awssfn.CreateStateMachineOutput, *awssfn.StartExecutionOutput) {
	t.Helper()
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &def, RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	return sm, ex
}

func waitDone(t *testing.T, c *awssfn.Client, arn string) *awssfn.DescribeExecutionOutput {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		out, err := c.DescribeExecution(context.Background(), &awssfn.DescribeExecutionInput{ExecutionArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
	}
	t.Fatalf("%s still running after 30 s", arn)
	return nil
}

func TestSDKRoundTrip(t *testing.T) {
	_, c := startFake(t, Options{Invoker: echoRegistry(t)})
	ctx := context.Background()
	def := `{"Steps":["invoke:echo","invoke:echo"]}`
	created, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("thumbnail"), Definition: &def, RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"; *created.StateMachineArn != want {
		t.Fatalf("arn %s, want %s", *created.StateMachineArn, want)
	}
	desc, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if *desc.Definition != def || desc.Type != types.StateMachineTypeStandard || desc.Status != types.StateMachineStatusActive {
		t.Errorf("describe: %+v", desc)
	}
	started, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: created.StateMachineArn, Name: aws.String("run-1"), Input: aws.String(`{"key":"a.png"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:states:us-east-1:000000000000:execution:thumbnail:run-1"; *started.ExecutionArn != want {
		t.Fatalf("execution arn %s, want %s", *started.ExecutionArn, want)
	}
	done := waitDone(t, c, *started.ExecutionArn)
	if done.Status != types.ExecutionStatusSucceeded || *done.Output != `{"echoed":true,"key":"a.png"}` || done.StopDate == nil || done.StartDate == nil {
		t.Fatalf("describe execution: status %s output %v", done.Status, aws.ToString(done.Output))
	}
	hist, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, ev := range hist.Events {
		kinds = append(kinds, string(ev.Type))
		if ev.Id != int64(i+1) || ev.PreviousEventId != int64(i) || ev.Timestamp == nil {
			t.Errorf("event %d: id %d prev %d ts %v", i, ev.Id, ev.PreviousEventId, ev.Timestamp)
		}
	}
	want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled TaskStateExited TaskStateEntered LambdaFunctionScheduled TaskStateExited ExecutionSucceeded"
	if strings.Join(kinds, " ") != want {
		t.Errorf("history\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}
}

func TestHistoryPaging(t *testing.T) {
	_, c := startFake(t, Options{Invoker: echoRegistry(t)})
	ctx := context.Background()
	def := `{"Steps":["invoke:echo","invoke:echo","invoke:echo"]}`
	sm, _ := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &def, RoleArn: aws.String(role)})
	ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, c, *ex.ExecutionArn)
	for _, reverse := range []bool{false, true} {
		var ids []int64
		var token *string
		pages := 0
		for {
			out, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{
				ExecutionArn: ex.ExecutionArn, MaxResults: 4, NextToken: token, ReverseOrder: reverse,
				IncludeExecutionData: aws.Bool(false),
			})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, ev := range out.Events {
				ids = append(ids, ev.Id)
				if ev.ExecutionStartedEventDetails != nil && ev.ExecutionStartedEventDetails.Input != nil {
					t.Errorf("includeExecutionData=false still returned input")
				}
			}
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
		}
		if len(ids) != 11 || pages != 3 {
			t.Fatalf("reverse=%t: %d events in %d pages, want 11 in 3", reverse, len(ids), pages)
		}
		for i, id := range ids {
			want := int64(i + 1)
			if reverse {
				want = int64(11 - i)
			}
			if id != want {
				t.Fatalf("reverse=%t: ids %v", reverse, ids)
			}
		}
	}
	_, err = c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn, NextToken: aws.String("garbage")})
	var bad *types.InvalidToken
	if !errors.As(err, &bad) {
		t.Errorf("bad token: got %v, want InvalidToken", err)
	}
}

func TestListExecutionsFilterAndPages(t *testing.T) {
	clock := newManualClock()
	_, c := startFake(t, Options{Invoker: echoRegistry(t), Clock: clock})
	ctx := context.Background()
	ok, fail := `{"Steps":["invoke:echo"]}`, `{"Steps":["fail:Boom"]}`
	smOK, _ := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("ok"), Definition: &ok, RoleArn: aws.String(role)})
	smFail, _ := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("fail"), Definition: &fail, RoleArn: aws.String(role)})
	for i := range 5 {
		ex, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: smOK.StateMachineArn, Name: aws.String(fmt.Sprint("ok-", i))})
		if err != nil {
			t.Fatal(err)
		}
		waitDone(t, c, *ex.ExecutionArn)
		clock.Advance(time.Second)
	}
	ex, _ := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: smFail.StateMachineArn, Name: aws.String("f")})
	failed := waitDone(t, c, *ex.ExecutionArn)
	if failed.Status != types.ExecutionStatusFailed || aws.ToString(failed.Error) != "Boom" {
		t.Errorf("failed execution: %s %s", failed.Status, aws.ToString(failed.Error))
	}
	var names []string
	p := awssfn.NewListExecutionsPaginator(c, &awssfn.ListExecutionsInput{StateMachineArn: smOK.StateMachineArn, MaxResults: 2})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			names = append(names, *e.Name)
		}
	}
	if got := strings.Join(names, ","); got != "ok-4,ok-3,ok-2,ok-1,ok-0" {
		t.Errorf("paged executions newest first: %s", got)
	}
	out, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: smOK.StateMachineArn, StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(out.Executions) != 0 {
		t.Errorf("FAILED filter on a machine without failures: %v %v", out, err)
	}
	out, err = c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: smFail.StateMachineArn, StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(out.Executions) != 1 || *out.Executions[0].Name != "f" {
		t.Errorf("FAILED filter: %v %v", out, err)
	}
	list, err := c.ListStateMachines(ctx, &awssfn.ListStateMachinesInput{MaxResults: 1})
	if err != nil || len(list.StateMachines) != 1 || *list.StateMachines[0].Name != "fail" || list.NextToken == nil {
		t.Fatalf("ListStateMachines page 1: %+v %v", list, err)
	}
	list, err = c.ListStateMachines(ctx, &awssfn.ListStateMachinesInput{MaxResults: 1, NextToken: list.NextToken})
	if err != nil || len(list.StateMachines) != 1 || *list.StateMachines[0].Name != "ok" || list.NextToken != nil {
		t.Fatalf("ListStateMachines page 2: %+v %v", list, err)
	}
}

func TestErrorsAreAWSErrors(t *testing.T) {
	_, c := startFake(t, Options{Invoker: echoRegistry(t)})
	ctx := context.Background()
	def := `{"Steps":["wait:60"]}`
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &def, RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error, target any) {
		t.Helper()
		if err == nil || !errors.As(err, target) {
			t.Errorf("%s: got %v, want %T", what, err, target)
		}
	}
	_, err = c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:m:nope")})
	check("unknown execution", err, new(*types.ExecutionDoesNotExist))
	_, err = c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
	check("malformed execution arn", err, new(*types.InvalidArn))
	_, err = c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: sm.StateMachineArn})
	check("state machine arn as execution arn", err, new(*types.InvalidArn))
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:nope")})
	check("unknown machine", err, new(*types.StateMachineDoesNotExist))
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("has space")})
	check("bad execution name", err, new(*types.InvalidName))
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String("{nope")})
	check("bad input", err, new(*types.InvalidExecutionInput))
	_, err = c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(`{"Steps":[]}`), RoleArn: aws.String(role)})
	check("bad definition", err, new(*types.InvalidDefinition))
	_, err = c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(`{"Steps":["wait:1"]}`), RoleArn: aws.String(role)})
	check("same name, other definition", err, new(*types.StateMachineAlreadyExists))
	again, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: &def, RoleArn: aws.String(role)})
	if err != nil || *again.StateMachineArn != *sm.StateMachineArn {
		t.Errorf("identical create is not idempotent: %v", err)
	}

	first, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("once"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	same, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("once"), Input: aws.String(`{"a":1}`)})
	if err != nil || *same.ExecutionArn != *first.ExecutionArn || !same.StartDate.Equal(*first.StartDate) {
		t.Errorf("same name and input while running: %v", err)
	}
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("once"), Input: aws.String(`{"a":2}`)})
	check("same name, other input", err, new(*types.ExecutionAlreadyExists))

	stopped, err := c.StopExecution(ctx, &awssfn.StopExecutionInput{ExecutionArn: first.ExecutionArn, Error: aws.String("Operator"), Cause: aws.String("manual stop")})
	if err != nil || stopped.StopDate == nil {
		t.Fatalf("stop: %v", err)
	}
	d, _ := c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: first.ExecutionArn})
	if d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator" || aws.ToString(d.Cause) != "manual stop" {
		t.Errorf("after stop: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("once"), Input: aws.String(`{"a":1}`)})
	check("same name and input after the run ended", err, new(*types.ExecutionAlreadyExists))
}

type denyAll struct{}

type authError struct{}

func (authError) Error() string     { return "The security token included in the request is invalid." }
func (authError) ErrorCode() string { return "UnrecognizedClientException" }

func (denyAll) Verify(r *http.Request, service string) error {
	if service != "states" {
		return errors.New("wrong service")
	}
	if r.Header.Get("Authorization") == "" {
		return errors.New("missing signature")
	}
	if b, _ := io.ReadAll(r.Body); !json.Valid(b) {
		return errors.New("verifier did not see the body")
	}
	return authError{}
}

func TestVerifierFailureIsAnAWSError(t *testing.T) {
	_, c := startFake(t, Options{Verifier: denyAll{}})
	_, err := c.ListStateMachines(context.Background(), &awssfn.ListStateMachinesInput{})
	if err == nil || !strings.Contains(err.Error(), "UnrecognizedClientException") {
		t.Fatalf("got %v, want UnrecognizedClientException", err)
	}
}

func TestLoadDirSubstitutes(t *testing.T) {
	s, _ := startFake(t, Options{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "thumbnail.asl.json"), []byte(`{"Steps":["invoke:${ConvertFunctionArn}"]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(`ignored`), 0o644)
	arns, err := s.LoadDir(dir, role, map[string]string{"ConvertFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:convert"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.DescribeStateMachine(arns["thumbnail"])
	if err != nil {
		t.Fatal(err)
	}
	if d.Definition != `{"Steps":["invoke:arn:aws:lambda:us-east-1:000000000000:function:convert"]}` {
		t.Errorf("definition %s", d.Definition)
	}
	if _, err := s.LoadDir(dir, role, nil); err == nil || !strings.Contains(err.Error(), "${ConvertFunctionArn}") {
		t.Errorf("missing substitution: %v", err)
	}
	// Reloading a changed file replaces the definition.
	os.WriteFile(filepath.Join(dir, "thumbnail.asl.json"), []byte(`{"Steps":["wait:1"]}`), 0o644)
	if _, err := s.LoadDir(dir, role, nil); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DescribeStateMachine(arns["thumbnail"]); d.Definition != `{"Steps":["wait:1"]}` {
		t.Errorf("reloaded definition %s", d.Definition)
	}
}

func TestKillMidExecutionFinishesEveryExecutionExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	clock := newManualClock()
	def := `{"Steps":["invoke:step","wait:30","invoke:step"]}`

	// First life: the function hangs, so executions are caught mid-task or
	// mid-wait when the process "dies".
	hang := lambda.NewRegistry("", "")
	entered := make(chan struct{}, 100)
	hang.Register("step", func(ctx context.Context, in map[string]any) (map[string]any, error) {
		if in["stage"] == nil {
			in["stage"] = 1.0
			return in, nil // the first task completes
		}
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}, lambda.FunctionOptions{Timeout: time.Hour})
	s1, err := newService(Options{DataDir: dir, Invoker: hang, Clock: clock, Logger: quiet}, parseFake)
	if err != nil {
		t.Fatal(err)
	}
	var ended1 []string
	var mu sync.Mutex
	s1.OnExecutionEnd(func(sum ExecutionSummary) { mu.Lock(); ended1 = append(ended1, sum.Name); mu.Unlock() })
	sm, err := s1.CreateStateMachine(CreateStateMachineInput{Name: "thumbnail", Definition: def, RoleARN: role})
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	inWait := func(from, to int) func() bool {
		return func() bool {
			for i := from; i < to; i++ {
				h, _ := s1.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: execARN(sm.StateMachineARN, i)})
				if len(h.Events) == 0 || h.Events[len(h.Events)-1].Type != "WaitStateEntered" {
					return false
				}
			}
			return true
		}
	}
	start := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := s1.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN, Name: fmt.Sprint("e", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// e0-e2 get through the wait and hang in the second task; e3-e5 are
	// 20 s into their 30 s wait when the process "dies".
	start(0, n/2)
	waitFor(t, inWait(0, n/2))
	clock.Advance(30 * time.Second)
	for range n / 2 {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("executions never reached the second task")
		}
	}
	start(n/2, n)
	waitFor(t, inWait(n/2, n))
	clock.Advance(20 * time.Second)
	deadline := clock.Now().Add(10 * time.Second) // e3-e5's: 30 s after they entered the wait
	s1.kill()
	// The first life's waits stop with it (they share the clock with the
	// second life's, so the count below must start from zero).
	waitFor(t, func() bool { return clock.sleepingUntil(deadline) == 0 })
	if len(ended1) != 0 {
		t.Fatalf("ended before the kill: %v", ended1)
	}

	// Second life: the function works; waits keep their deadlines.
	ok := lambda.NewRegistry("", "")
	ok.Register("step", func(in map[string]any) (map[string]any, error) {
		in["stage"] = in["stage"].(float64) + 1
		return in, nil
	}, lambda.FunctionOptions{})
	s2, err := newService(Options{DataDir: dir, Invoker: ok, Clock: clock, Logger: quiet}, parseFake)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ended := countEnds(s2, &mu, func(sum ExecutionSummary) string { return sum.Name }, func(sum ExecutionSummary) {
		if sum.Status != asl.StatusSucceeded || string(sum.Output) != `{"stage":2}` {
			t.Errorf("%s ended %s with %s", sum.Name, sum.Status, sum.Output)
		}
	})
	// The resumed waits sleep until their original deadline, not a fresh
	// 30 s and not zero: wait until all of them do.
	waitFor(t, func() bool { return clock.sleepingUntil(deadline) == n/2 })
	for i := n / 2; i < n; i++ {
		if d, _ := s2.DescribeExecution(execARN(sm.StateMachineARN, i)); d.Status != asl.StatusRunning {
			t.Fatalf("e%d's wait ended early after the restart: %s", i, d.Status)
		}
	}
	clock.Advance(10 * time.Second) // the original deadline: 30 s after entering
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ended) == n
	})
	for i := range n {
		arn := execARN(sm.StateMachineARN, i)
		if ended[fmt.Sprint("e", i)] != 1 {
			t.Errorf("e%d ended %d times", i, ended[fmt.Sprint("e", i)])
		}
		h, err := s2.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: arn, MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for j, ev := range h.Events {
			kinds = append(kinds, ev.Type)
			if ev.ID != int64(j+1) {
				t.Errorf("e%d: event %d has id %d", i, j, ev.ID)
			}
		}
		want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled TaskStateExited WaitStateEntered WaitStateExited TaskStateEntered LambdaFunctionScheduled TaskStateExited ExecutionSucceeded"
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("e%d history\n got %s\nwant %s", i, got, want)
		}
	}
	s2.Close()

	// Third life: nothing to resume, nothing to announce again.
	s3, err := newService(Options{DataDir: dir, Invoker: ok, Clock: clock, Logger: quiet}, parseFake)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	again := 0
	s3.OnExecutionEnd(func(ExecutionSummary) { again++ })
	if again != 0 {
		t.Errorf("%d executions announced again after a clean restart", again)
	}
	out, _ := s3.ListExecutions(ListExecutionsInput{StateMachineARN: sm.StateMachineARN, StatusFilter: asl.StatusSucceeded})
	if len(out.Executions) != n {
		t.Errorf("%d succeeded executions listed after restart, want %d", len(out.Executions), n)
	}
}

func TestEndedBeforeObserverIsAnnouncedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s1, err := newService(Options{DataDir: dir, Logger: quiet}, parseFake)
	if err != nil {
		t.Fatal(err)
	}
	sm, _ := s1.CreateStateMachine(CreateStateMachineInput{Name: "m", Definition: `{"Steps":["fail:X"]}`, RoleARN: role})
	ex, _ := s1.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN})
	waitFor(t, func() bool { d, _ := s1.DescribeExecution(ex.ExecutionARN); return d.Status != asl.StatusRunning })
	s1.Close() // no observer ever saw it
	s2, err := newService(Options{DataDir: dir, Logger: quiet}, parseFake)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var got []ExecutionSummary
	s2.OnExecutionEnd(func(sum ExecutionSummary) { got = append(got, sum) })
	if len(got) != 1 || got[0].ExecutionARN != ex.ExecutionARN || got[0].Status != asl.StatusFailed || got[0].Error != "X" {
		t.Fatalf("announced after restart: %+v", got)
	}
}

func TestGracefulCloseResumes(t *testing.T) {
	dir := t.TempDir()
	clock := newManualClock()
	s1, _ := newService(Options{DataDir: dir, Clock: clock, Logger: quiet}, parseFake)
	sm, _ := s1.CreateStateMachine(CreateStateMachineInput{Name: "m", Definition: `{"Steps":["wait:5"]}`, RoleARN: role})
	ex, _ := s1.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN})
	waitFor(t, func() bool {
		h, _ := s1.GetExecutionHistory(GetExecutionHistoryInput{ExecutionARN: ex.ExecutionARN})
		return len(h.Events) == 2
	})
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN}); err == nil {
		t.Error("a closed service started an execution")
	}
	s2, _ := newService(Options{DataDir: dir, Clock: clock, Logger: quiet}, parseFake)
	defer s2.Close()
	// The resumed run may start sleeping before or after any one Advance,
	// so keep time moving until it ends.
	waitFor(t, func() bool {
		clock.Advance(time.Second)
		d, _ := s2.DescribeExecution(ex.ExecutionARN)
		return d.Status == asl.StatusSucceeded
	})
}

func execARN(smARN string, i int) string {
	return strings.Replace(smARN, ":stateMachine:", ":execution:", 1) + fmt.Sprint(":e", i)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	// Generous: only a hang fails it, not a loaded machine.
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestSigV4(t *testing.T) {
	s, _ := startFake(t, Options{Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	srv := httptest.NewServer(s)
	defer srv.Close()
	call := func(key, secret string) error {
		c := awssfn.New(awssfn.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		})
		_, err := c.ListStateMachines(context.Background(), &awssfn.ListStateMachinesInput{})
		return err
	}
	if err := call("test", "test"); err != nil {
		t.Fatalf("signed request refused: %v", err)
	}
	if err := call("test", "wrong"); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("wrong secret: %v", err)
	}
	if err := call("nobody", "test"); err == nil || !strings.Contains(err.Error(), "UnrecognizedClientException") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestRawProtocolErrors(t *testing.T) {
	s, _ := startFake(t, Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cases := []struct {
		target, body, code string
	}{
		{"AWSStepFunctions.CreateActivity", `{}`, "UnknownOperationException"},
		{"", `{}`, "UnknownOperationException"},
		{"AWSStepFunctions.StartExecution", `{not json`, "SerializationException"},
		{"AWSStepFunctions.ListExecutions", `{}`, "ValidationException"},
		{"AWSStepFunctions.ListStateMachines", `{"maxResults":1001}`, "ValidationException"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", c.target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body.Type != c.code || body.Message == "" || resp.Header.Get("X-Amzn-ErrorType") != c.code {
			t.Errorf("%s %s: %d %+v, want 400 %s with a message", c.target, c.body, resp.StatusCode, body, c.code)
		}
	}
}

// countEnds counts under mu how often each execution ends on s, by key,
// and hands each summary to check.
func countEnds(s *Service, mu *sync.Mutex, key func(ExecutionSummary) string, check func(ExecutionSummary)) map[string]int {
	ended := map[string]int{}
	s.OnExecutionEnd(func(sum ExecutionSummary) {
		mu.Lock()
		ended[key(sum)]++
		mu.Unlock()
		check(sum)
	})
	return ended
}

// The local Lambda runtime's errors reach the interpreter as what they are:
// local/lambda does not import asl, so this is where the two are checked
// to fit.
var (
	_ asl.NamedError = (*lambda.FunctionError)(nil)
	_ asl.NamedError = (*lambda.ServiceError)(nil)
)
