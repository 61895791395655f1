package sfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// ServeHTTP answers AWS JSON 1.0 requests: POST with X-Amz-Target
// AWSStepFunctions.<Operation>.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeErr(w, &Error{Code: "UnknownOperationException", Message: "Step Functions accepts POST requests only", Status: http.StatusMethodNotAllowed})
		return
	}
	// Step Functions takes at most 1 MB per request. The limit is applied
	// before the verifier hashes the body, so an unauthenticated client
	// cannot make it buffer more.
	if r.ContentLength > maxRequestBytes {
		writeErr(w, tooLargeErr())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if s.opts.Verifier != nil {
		if err := s.opts.Verifier.Verify(r, "states"); err != nil {
			writeErr(w, authErr(err))
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, tooLargeErr())
			return
		}
		writeErr(w, apiErr("SerializationException", "reading request body: %v", err))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	if !ok {
		writeErr(w, apiErr("UnknownOperationException", "missing or foreign X-Amz-Target %q", r.Header.Get("X-Amz-Target")))
		return
	}
	handler, ok := operations[op]
	if !ok {
		writeErr(w, apiErr("UnknownOperationException", "operation %s is not supported by the local Step Functions service", op))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := s.authorize(r, op, body); err != nil {
		writeErr(w, err)
		return
	}
	out, err := handler(s, body)
	if err != nil {
		writeErr(w, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Write(b)
}

func decode[T any](body []byte) (T, error) {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return v, apiErr("SerializationException", "malformed request body: %v", err)
	}
	return v, nil
}

// operation adapts an API method to the request body it takes.
func operation[In, Out any](call func(*Service, In) (Out, error)) func(*Service, []byte) (any, error) {
	return func(s *Service, body []byte) (any, error) {
		in, err := decode[In](body)
		if err != nil {
			return nil, err
		}
		return call(s, in)
	}
}

// Requests that name a resource by one ARN, or page without a filter.
type (
	stateMachineRef struct {
		ARN string `json:"stateMachineArn"`
	}
	executionRef struct {
		ARN string `json:"executionArn"`
	}
	pageRequest struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
)

var operations = map[string]func(*Service, []byte) (any, error){
	"CreateStateMachine": operation((*Service).CreateStateMachine),
	"DescribeStateMachine": operation(func(s *Service, in stateMachineRef) (DescribeStateMachineOutput, error) {
		return s.DescribeStateMachine(in.ARN)
	}),
	"ListStateMachines": operation(func(s *Service, in pageRequest) (ListStateMachinesOutput, error) {
		return s.ListStateMachines(in.MaxResults, in.NextToken)
	}),
	"StartExecution": operation((*Service).StartExecution),
	"DescribeExecution": operation(func(s *Service, in executionRef) (DescribeExecutionOutput, error) {
		return s.DescribeExecution(in.ARN)
	}),
	"ListExecutions":                 operation((*Service).ListExecutions),
	"GetExecutionHistory":            operation((*Service).GetExecutionHistory),
	"StopExecution":                  operation((*Service).StopExecution),
	"UpdateStateMachine":             operation((*Service).UpdateStateMachine),
	"RedriveExecution":               operation((*Service).RedriveExecution),
	"ValidateStateMachineDefinition": operation((*Service).ValidateStateMachineDefinition),
	"TestState":                      operation((*Service).TestState),
	"DeleteStateMachine": operation(func(s *Service, in stateMachineRef) (struct{}, error) {
		return struct{}{}, s.DeleteStateMachine(in.ARN)
	}),
	"PublishStateMachineVersion": operation((*Service).PublishStateMachineVersion),
	"ListStateMachineVersions":   operation((*Service).ListStateMachineVersions),
	"DeleteStateMachineVersion": operation(func(s *Service, in struct {
		ARN string `json:"stateMachineVersionArn"`
	}) (struct{}, error) {
		return struct{}{}, s.DeleteStateMachineVersion(in.ARN)
	}),
	"DescribeStateMachineForExecution": operation(func(s *Service, in executionRef) (DescribeStateMachineForExecutionOutput, error) {
		return s.DescribeStateMachineForExecution(in.ARN)
	}),
	"SendTaskSuccess": operation(func(s *Service, in SendTaskSuccessInput) (struct{}, error) {
		return struct{}{}, s.SendTaskSuccess(in)
	}),
	"SendTaskFailure": operation(func(s *Service, in SendTaskFailureInput) (struct{}, error) {
		return struct{}{}, s.SendTaskFailure(in)
	}),
	"SendTaskHeartbeat": operation(func(s *Service, in SendTaskHeartbeatInput) (struct{}, error) {
		return struct{}{}, s.SendTaskHeartbeat(in)
	}),
	"TagResource": operation(func(s *Service, in TagResourceInput) (struct{}, error) {
		return struct{}{}, s.TagResource(in)
	}),
	"UntagResource": operation(func(s *Service, in UntagResourceInput) (struct{}, error) {
		return struct{}{}, s.UntagResource(in)
	}),
	"ListTagsForResource": operation(func(s *Service, in struct {
		ARN string `json:"resourceArn"`
	}) (ListTagsForResourceOutput, error) {
		return s.ListTagsForResource(in.ARN)
	}),
}
