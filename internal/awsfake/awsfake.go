// Package awsfake serves small, honest stand-ins for the AWS endpoints the
// handlers call, so handler tests exercise the real aws-sdk-go-v2 clients
// over HTTP: gofakes3 for S3, and minimal Step Functions and @connections
// servers that keep just the behaviour the handlers depend on.
package awsfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Config returns an AWS configuration with static test credentials.
func Config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
}

// S3 starts gofakes3 and returns a path-style client for it, with the
// given buckets created.
func S3(t testing.TB, buckets ...string) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	c := s3.NewFromConfig(Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	for _, b := range buckets {
		if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return c
}

// Execution is one StartExecution the fake accepted.
type Execution struct {
	ARN, Name, StateMachineARN, Input string
}

// StepFunctions is a fake of the StartExecution operation with AWS's name
// idempotency: the same name with the same input returns the same ARN, the
// same name with other input is ExecutionAlreadyExists.
type StepFunctions struct {
	Client *sfn.Client

	mu         sync.Mutex
	executions map[string]Execution
	order      []string
}

// NewStepFunctions starts the fake.
func NewStepFunctions(t testing.TB) *StepFunctions {
	f := &StepFunctions{executions: map[string]Execution{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.Client = sfn.NewFromConfig(Config(), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return f
}

// Executions lists accepted executions in order.
func (f *StepFunctions) Executions() []Execution {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Execution, 0, len(f.order))
	for _, n := range f.order {
		out = append(out, f.executions[n])
	}
	return out
}

func (f *StepFunctions) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"fake supports StartExecution only, got %s"}`, r.Header.Get("X-Amz-Target"))
		return
	}
	var in struct{ StateMachineArn, Name, Input string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"SerializationException","message":%q}`, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if prev, ok := f.executions[in.Name]; ok {
		if prev.Input != in.Input {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"__type":"ExecutionAlreadyExists","message":"Execution Already Exists: '%s'"}`, prev.ARN)
			return
		}
		fmt.Fprintf(w, `{"executionArn":%q,"startDate":1.7e9}`, prev.ARN)
		return
	}
	arn, err := executionARN(in.StateMachineArn, in.Name)
	if err != nil {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"InvalidArn","message":%q}`, err.Error())
		return
	}
	f.executions[in.Name] = Execution{ARN: arn, Name: in.Name, StateMachineARN: in.StateMachineArn, Input: in.Input}
	f.order = append(f.order, in.Name)
	fmt.Fprintf(w, `{"executionArn":%q,"startDate":1.7e9}`, arn)
}

// executionARN is the ARN Step Functions gives an execution named name of
// the state machine stateMachineARN, in AWS's documented format
// arn:<partition>:states:<region>:<account>:execution:<stateMachineName>:<executionName>.
// It is assembled from the parsed parts of the state machine's ARN, not by
// editing that ARN, so code under test that derives execution ARNs its own
// way is checked against an independent value.
func executionARN(stateMachineARN, name string) (string, error) {
	parts := strings.Split(stateMachineARN, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[1] == "" || parts[2] != "states" ||
		parts[3] == "" || parts[4] == "" || parts[5] != "stateMachine" || parts[6] == "" {
		return "", fmt.Errorf("Invalid Arn: 'Resource type not valid in this context: %s'", stateMachineARN)
	}
	partition, region, account, machine := parts[1], parts[3], parts[4], parts[6]
	return fmt.Sprintf("arn:%s:states:%s:%s:execution:%s:%s", partition, region, account, machine, name), nil
}

// Connections is a fake @connections endpoint: connections it knows
// receive posts; any other id answers 410 GoneException, as API Gateway
// does for a closed connection.
type Connections struct {
	Client *apigatewaymanagementapi.Client

	mu    sync.Mutex
	open  map[string]bool
	inbox map[string][][]byte
}

// NewConnections starts the fake with the given open connections.
func NewConnections(t testing.TB, open ...string) *Connections {
	f := &Connections{open: map[string]bool{}, inbox: map[string][][]byte{}}
	for _, id := range open {
		f.open[id] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.Client = apigatewaymanagementapi.NewFromConfig(Config(), func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(srv.URL + "/prod")
	})
	return f
}

// Messages returns what connection id received, in order.
func (f *Connections) Messages(id string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.inbox[id]...)
}

// Close marks a connection closed: later posts to it answer 410.
func (f *Connections) Close(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.open, id)
}

func (f *Connections) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/prod/@connections/")
	if !ok || r.Method != http.MethodPost {
		http.Error(w, `{"message":"fake supports POST /prod/@connections/{id} only"}`, 400)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.open[id] {
		w.Header().Set("x-amzn-ErrorType", "GoneException")
		w.WriteHeader(http.StatusGone)
		io.WriteString(w, `{"message":null}`)
		return
	}
	f.inbox[id] = append(f.inbox[id], body)
	w.WriteHeader(200)
}
