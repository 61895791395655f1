package sfn

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

	"thumbflow/local/asl"
	"thumbflow/local/sigv4"
)

// Error is a Step Functions API error, rendered as AWS JSON 1.0 renders it so
// that SDKs map it to their typed errors (for example
// *types.ExecutionDoesNotExist).
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// epoch is a timestamp as AWS JSON 1.0 carries it: seconds since the epoch.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(math.Round(float64(time.Time(t).UnixNano())/1e6) / 1e3)
}

// Request and response shapes, with the API's member names.
type (
	CreateStateMachineInput struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
		RoleARN    string `json:"roleArn"`
		Type       string `json:"type"`
	}
	CreateStateMachineOutput struct {
		StateMachineARN string `json:"stateMachineArn"`
		CreationDate    epoch  `json:"creationDate"`
	}
	DescribeStateMachineOutput struct {
		StateMachineARN      string         `json:"stateMachineArn"`
		Name                 string         `json:"name"`
		Status               string         `json:"status"`
		Definition           string         `json:"definition"`
		RoleARN              string         `json:"roleArn"`
		Type                 string         `json:"type"`
		CreationDate         epoch          `json:"creationDate"`
		LoggingConfiguration map[string]any `json:"loggingConfiguration"`
		TracingConfiguration map[string]any `json:"tracingConfiguration"`
	}
	StateMachineListItem struct {
		StateMachineARN string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Type            string `json:"type"`
		CreationDate    epoch  `json:"creationDate"`
	}
	ListStateMachinesOutput struct {
		StateMachines []StateMachineListItem `json:"stateMachines"`
		NextToken     string                 `json:"nextToken,omitempty"`
	}
	StartExecutionInput struct {
		StateMachineARN string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
	}
	StartExecutionOutput struct {
		ExecutionARN string `json:"executionArn"`
		StartDate    epoch  `json:"startDate"`
	}
	DescribeExecutionOutput struct {
		ExecutionARN    string          `json:"executionArn"`
		StateMachineARN string          `json:"stateMachineArn"`
		Name            string          `json:"name"`
		Status          string          `json:"status"`
		StartDate       epoch           `json:"startDate"`
		StopDate        *epoch          `json:"stopDate,omitempty"`
		Input           string          `json:"input"`
		InputDetails    map[string]bool `json:"inputDetails"`
		Output          *string         `json:"output,omitempty"`
		OutputDetails   map[string]bool `json:"outputDetails,omitempty"`
		Error           string          `json:"error,omitempty"`
		Cause           string          `json:"cause,omitempty"`
		RedriveCount    int             `json:"redriveCount"`
		RedriveStatus   string          `json:"redriveStatus"`
	}
	ExecutionListItem struct {
		ExecutionARN    string `json:"executionArn"`
		StateMachineARN string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Status          string `json:"status"`
		StartDate       epoch  `json:"startDate"`
		StopDate        *epoch `json:"stopDate,omitempty"`
	}
	ListExecutionsInput struct {
		StateMachineARN string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	ListExecutionsOutput struct {
		Executions []ExecutionListItem `json:"executions"`
		NextToken  string              `json:"nextToken,omitempty"`
	}
	GetExecutionHistoryInput struct {
		ExecutionARN         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	GetExecutionHistoryOutput struct {
		Events    []asl.Event `json:"events"`
		NextToken string      `json:"nextToken,omitempty"`
	}
	StopExecutionInput struct {
		ExecutionARN string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	StopExecutionOutput struct {
		StopDate epoch `json:"stopDate"`
	}
)

// maxInput is the Step Functions limit on execution input.
const maxInput = 256 * 1024

// CreateStateMachine validates and stores a definition. Creating the same
// name again with the same definition and role returns the existing machine,
// as AWS does.
func (s *Service) CreateStateMachine(in CreateStateMachineInput) (CreateStateMachineOutput, error) {
	m, err := s.putStateMachine(in, false)
	if err != nil {
		return CreateStateMachineOutput{}, err
	}
	return CreateStateMachineOutput{StateMachineARN: m.ARN, CreationDate: epoch(m.Created)}, nil
}

// putStateMachine creates a machine, or with replace set overwrites its
// definition (executions keep the definition they started with).
func (s *Service) putStateMachine(in CreateStateMachineInput, replace bool) (*stateMachine, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	if in.RoleARN == "" {
		return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(in.RoleARN, "arn:") || !strings.Contains(in.RoleARN, ":iam::") {
		return nil, apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", in.RoleARN)
	}
	switch in.Type {
	case "", "STANDARD":
		in.Type = "STANDARD"
	case "EXPRESS":
		return nil, apiErr("ValidationException", "EXPRESS state machines are not supported by the local engine; use STANDARD")
	default:
		return nil, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	if _, err := s.parse([]byte(in.Definition)); err != nil {
		return nil, apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", err)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.opts.Region, s.opts.AccountID, in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.machines[arn]; ok {
		if old.Definition == in.Definition && old.RoleARN == in.RoleARN && old.Type == in.Type {
			return old, nil
		}
		if !replace {
			return nil, apiErr("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
		}
	}
	m := &stateMachine{ARN: arn, Name: in.Name, Definition: in.Definition, RoleARN: in.RoleARN, Type: in.Type, Created: s.opts.Clock.Now()}
	if old, ok := s.machines[arn]; ok {
		m.Created = old.Created
	}
	prev := s.machines[arn]
	s.machines[arn] = m
	if err := s.store.saveMachines(s.machineList()); err != nil {
		if prev != nil {
			s.machines[arn] = prev
		} else {
			delete(s.machines, arn)
		}
		return nil, &Error{Code: "ServiceException", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	return m, nil
}

// machineList returns the machines sorted by name; s.mu must be held.
func (s *Service) machineList() []*stateMachine {
	ms := make([]*stateMachine, 0, len(s.machines))
	for _, m := range s.machines {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	return ms
}

func (s *Service) machine(arn string) (*stateMachine, error) {
	if err := checkARN(arn, "stateMachine", 7); err != nil {
		return nil, err
	}
	s.mu.Lock()
	m, ok := s.machines[arn]
	s.mu.Unlock()
	if !ok {
		return nil, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
	}
	return m, nil
}

// DescribeStateMachine returns a machine's definition and settings.
func (s *Service) DescribeStateMachine(arn string) (DescribeStateMachineOutput, error) {
	m, err := s.machine(arn)
	if err != nil {
		return DescribeStateMachineOutput{}, err
	}
	return DescribeStateMachineOutput{
		StateMachineARN: m.ARN, Name: m.Name, Status: "ACTIVE", Definition: m.Definition,
		RoleARN: m.RoleARN, Type: m.Type, CreationDate: epoch(m.Created),
		LoggingConfiguration: map[string]any{"level": "OFF", "includeExecutionData": false},
		TracingConfiguration: map[string]any{"enabled": false},
	}, nil
}

// ListStateMachines pages through the machines in name order.
func (s *Service) ListStateMachines(maxResults int, nextToken string) (ListStateMachinesOutput, error) {
	limit, err := pageSize(maxResults)
	if err != nil {
		return ListStateMachinesOutput{}, err
	}
	s.mu.Lock()
	ms := s.machineList()
	s.mu.Unlock()
	start, err := decodeToken(nextToken, "sm", func(key string) int {
		return sort.Search(len(ms), func(i int) bool { return ms[i].Name > key })
	})
	if err != nil {
		return ListStateMachinesOutput{}, err
	}
	out := ListStateMachinesOutput{StateMachines: []StateMachineListItem{}}
	for i := start; i < len(ms) && len(out.StateMachines) < limit; i++ {
		m := ms[i]
		out.StateMachines = append(out.StateMachines, StateMachineListItem{StateMachineARN: m.ARN, Name: m.Name, Type: m.Type, CreationDate: epoch(m.Created)})
		if len(out.StateMachines) == limit && i+1 < len(ms) {
			out.NextToken = encodeToken("sm", m.Name)
		}
	}
	return out, nil
}

// StartExecution starts a run. Starting the same name again with the same
// input while the first is running returns the first, as AWS does for
// STANDARD workflows.
func (s *Service) StartExecution(in StartExecutionInput) (StartExecutionOutput, error) {
	m, err := s.machine(in.StateMachineARN)
	if err != nil {
		return StartExecutionOutput{}, err
	}
	if !s.begin() {
		return StartExecutionOutput{}, &Error{Code: "ServiceUnavailable", Message: "the local Step Functions service is shutting down", Status: http.StatusServiceUnavailable}
	}
	defer s.wg.Done()
	if in.Name == "" {
		in.Name = newUUID()
	}
	if err := validName(in.Name); err != nil {
		return StartExecutionOutput{}, err
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if len(input) > maxInput {
		return StartExecutionOutput{}, apiErr("InvalidExecutionInput", "Execution input is larger than the maximum allowed size of %d bytes", maxInput)
	}
	if !json.Valid([]byte(input)) {
		return StartExecutionOutput{}, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Invalid JSON'")
	}
	prog, err := s.parse([]byte(m.Definition))
	if err != nil {
		return StartExecutionOutput{}, apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", err)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.opts.Region, s.opts.AccountID, m.Name, in.Name)
	e := &execution{
		ARN: arn, Name: in.Name, StateMachineARN: m.ARN, Definition: m.Definition,
		RoleARN: m.RoleARN, Input: json.RawMessage(input), Start: s.opts.Clock.Now(),
		prog: prog, status: asl.StatusRunning,
	}
	s.mu.Lock()
	if old, ok := s.executions[arn]; ok {
		s.mu.Unlock()
		old.mu.Lock()
		same := old.status == asl.StatusRunning && bytes.Equal(old.Input, e.Input)
		old.mu.Unlock()
		if same {
			return StartExecutionOutput{ExecutionARN: old.ARN, StartDate: epoch(old.Start)}, nil
		}
		return StartExecutionOutput{}, apiErr("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	s.executions[arn] = e
	s.mu.Unlock()
	l, err := s.store.create(e)
	if err != nil {
		s.mu.Lock()
		delete(s.executions, arn)
		s.mu.Unlock()
		return StartExecutionOutput{}, &Error{Code: "ServiceException", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	e.log = l
	s.launch(e, false)
	return StartExecutionOutput{ExecutionARN: arn, StartDate: epoch(e.Start)}, nil
}

func (s *Service) execution(arn string) (*execution, error) {
	if err := checkARN(arn, "execution", 8); err != nil {
		return nil, err
	}
	s.mu.Lock()
	e, ok := s.executions[arn]
	s.mu.Unlock()
	if !ok {
		return nil, apiErr("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	return e, nil
}

// DescribeExecution reports an execution's status, input and result.
func (s *Service) DescribeExecution(arn string) (DescribeExecutionOutput, error) {
	e, err := s.execution(arn)
	if err != nil {
		return DescribeExecutionOutput{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := DescribeExecutionOutput{
		ExecutionARN: e.ARN, StateMachineARN: e.StateMachineARN, Name: e.Name, Status: e.status,
		StartDate: epoch(e.Start), Input: string(e.Input), InputDetails: map[string]bool{"included": true},
		Error: e.errName, Cause: e.cause, RedriveStatus: "NOT_REDRIVABLE",
	}
	if e.status != asl.StatusRunning {
		stop := epoch(e.stop)
		out.StopDate = &stop
	}
	if e.status == asl.StatusSucceeded {
		o := string(e.output)
		out.Output = &o
		out.OutputDetails = map[string]bool{"included": true}
	}
	return out, nil
}

var statuses = map[string]bool{
	asl.StatusRunning: true, asl.StatusSucceeded: true, asl.StatusFailed: true,
	asl.StatusTimedOut: true, asl.StatusAborted: true, "PENDING_REDRIVE": true,
}

// ListExecutions pages through a machine's executions, newest first.
func (s *Service) ListExecutions(in ListExecutionsInput) (ListExecutionsOutput, error) {
	if in.StateMachineARN == "" {
		return ListExecutionsOutput{}, apiErr("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
	}
	if _, err := s.machine(in.StateMachineARN); err != nil {
		return ListExecutionsOutput{}, err
	}
	if in.StatusFilter != "" && !statuses[in.StatusFilter] {
		return ListExecutionsOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", in.StatusFilter)
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return ListExecutionsOutput{}, err
	}
	type row struct {
		e   *execution
		sum ExecutionSummary
	}
	var rows []row
	s.mu.Lock()
	for _, e := range s.executions {
		if e.StateMachineARN == in.StateMachineARN {
			rows = append(rows, row{e: e})
		}
	}
	s.mu.Unlock()
	for i := range rows {
		rows[i].sum = rows[i].e.summary()
	}
	// Newest first; the ARN breaks ties so that tokens stay stable.
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].sum, rows[j].sum
		if !a.StartDate.Equal(b.StartDate) {
			return a.StartDate.After(b.StartDate)
		}
		return a.ExecutionARN < b.ExecutionARN
	})
	key := func(r row) string {
		return fmt.Sprintf("%020d|%s", math.MaxInt64-r.sum.StartDate.UnixNano(), r.sum.ExecutionARN)
	}
	start, err := decodeToken(in.NextToken, "ex:"+in.StateMachineARN, func(k string) int {
		return sort.Search(len(rows), func(i int) bool { return key(rows[i]) > k })
	})
	if err != nil {
		return ListExecutionsOutput{}, err
	}
	out := ListExecutionsOutput{Executions: []ExecutionListItem{}}
	for i := start; i < len(rows); i++ {
		sum := rows[i].sum
		if in.StatusFilter != "" && sum.Status != in.StatusFilter {
			continue
		}
		if len(out.Executions) == limit {
			out.NextToken = encodeToken("ex:"+in.StateMachineARN, key(rows[i-1]))
			break
		}
		item := ExecutionListItem{ExecutionARN: sum.ExecutionARN, StateMachineARN: sum.StateMachineARN, Name: sum.Name, Status: sum.Status, StartDate: epoch(sum.StartDate)}
		if sum.Status != asl.StatusRunning {
			stop := epoch(sum.StopDate)
			item.StopDate = &stop
		}
		out.Executions = append(out.Executions, item)
	}
	return out, nil
}

// GetExecutionHistory pages through an execution's events.
func (s *Service) GetExecutionHistory(in GetExecutionHistoryInput) (GetExecutionHistoryOutput, error) {
	e, err := s.execution(in.ExecutionARN)
	if err != nil {
		return GetExecutionHistoryOutput{}, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return GetExecutionHistoryOutput{}, err
	}
	e.mu.Lock()
	events := append([]asl.Event(nil), e.events...)
	e.mu.Unlock()
	if in.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	// The token is the id of the last event returned: ids are stable while
	// new events are appended.
	start, err := decodeToken(in.NextToken, fmt.Sprintf("h:%t:%s", in.ReverseOrder, in.ExecutionARN), func(k string) int {
		var id int64
		fmt.Sscan(k, &id)
		for i, ev := range events {
			if ev.ID == id {
				return i + 1
			}
		}
		return len(events)
	})
	if err != nil {
		return GetExecutionHistoryOutput{}, err
	}
	include := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	out := GetExecutionHistoryOutput{Events: []asl.Event{}}
	for i := start; i < len(events) && len(out.Events) < limit; i++ {
		ev := events[i]
		if !include {
			ev = withoutData(ev)
		}
		out.Events = append(out.Events, ev)
		if len(out.Events) == limit && i+1 < len(events) {
			out.NextToken = encodeToken(fmt.Sprintf("h:%t:%s", in.ReverseOrder, in.ExecutionARN), fmt.Sprint(ev.ID))
		}
	}
	return out, nil
}

// withoutData drops the execution data (inputs, outputs, parameters) from an
// event, as includeExecutionData=false asks.
func withoutData(ev asl.Event) asl.Event {
	if ev.Details == nil {
		return ev
	}
	d := make(map[string]any, len(ev.Details))
	for k, v := range ev.Details {
		switch k {
		case "input", "output", "parameters":
			continue
		}
		d[k] = v
	}
	ev.Details = d
	return ev
}

// StopExecution aborts a running execution and waits for the interpreter to
// record ExecutionAborted. Stopping an execution that already ended changes
// nothing and returns its stop date.
func (s *Service) StopExecution(in StopExecutionInput) (StopExecutionOutput, error) {
	e, err := s.execution(in.ExecutionARN)
	if err != nil {
		return StopExecutionOutput{}, err
	}
	if len(in.Error) > 256 {
		return StopExecutionOutput{}, apiErr("ValidationException", "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(in.Cause) > 32768 {
		return StopExecutionOutput{}, apiErr("ValidationException", "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	var running bool
	var cancel func(error)
	var done chan struct{}
	for range 1000 {
		e.mu.Lock()
		running, cancel, done = e.status == asl.StatusRunning, e.cancel, e.done
		e.mu.Unlock()
		if !running || cancel != nil {
			break
		}
		// StartExecution has registered the execution but not launched
		// it yet (or a restart is resuming it): wait a moment.
		time.Sleep(time.Millisecond)
	}
	if running && cancel != nil {
		cancel(&asl.Abort{Name: in.Error, Cause: in.Cause})
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			return StopExecutionOutput{}, &Error{Code: "ServiceException", Message: "execution did not stop within 30 seconds", Status: http.StatusInternalServerError}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return StopExecutionOutput{StopDate: epoch(e.stop)}, nil
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 0 || n > 1000:
		return 0, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", n)
	}
	return n, nil
}

// Page tokens name the last item returned, so that items added meanwhile
// neither repeat nor vanish. A token is only valid for the listing it came
// from.
func encodeToken(scope, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(scope + "\x00" + key))
}

func decodeToken(tok, scope string, after func(key string) int) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	sc, key, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || sc != scope {
		return 0, apiErr("InvalidToken", "Invalid Token: '%s'", tok)
	}
	return after(key), nil
}

// validName applies the naming rules AWS has for state machines and
// executions.
func validName(name string) error {
	if name == "" || len([]rune(name)) > 80 {
		return apiErr("InvalidName", "Invalid Name: '%s' (a name has 1 to 80 characters)", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return apiErr("InvalidName", "Invalid Name: '%s'", name)
		}
	}
	return nil
}

// checkARN checks the shape arn:partition:states:region:account:kind:...
// with the given number of parts.
func checkARN(arn, kind string, parts int) error {
	p := strings.Split(arn, ":")
	if arn == "" {
		return apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context'")
	}
	if len(p) < 6 || p[0] != "arn" || p[2] != "states" {
		return apiErr("InvalidArn", "Invalid Arn: '%s'", arn)
	}
	if p[5] != kind || len(p) != parts {
		return apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", p[5])
	}
	return nil
}

func nameFromARN(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

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

var operations = map[string]func(*Service, []byte) (any, error){
	"CreateStateMachine": func(s *Service, b []byte) (any, error) {
		in, err := decode[CreateStateMachineInput](b)
		if err != nil {
			return nil, err
		}
		return s.CreateStateMachine(in)
	},
	"DescribeStateMachine": func(s *Service, b []byte) (any, error) {
		in, err := decode[struct {
			ARN string `json:"stateMachineArn"`
		}](b)
		if err != nil {
			return nil, err
		}
		return s.DescribeStateMachine(in.ARN)
	},
	"ListStateMachines": func(s *Service, b []byte) (any, error) {
		in, err := decode[struct {
			MaxResults int    `json:"maxResults"`
			NextToken  string `json:"nextToken"`
		}](b)
		if err != nil {
			return nil, err
		}
		return s.ListStateMachines(in.MaxResults, in.NextToken)
	},
	"StartExecution": func(s *Service, b []byte) (any, error) {
		in, err := decode[StartExecutionInput](b)
		if err != nil {
			return nil, err
		}
		return s.StartExecution(in)
	},
	"DescribeExecution": func(s *Service, b []byte) (any, error) {
		in, err := decode[struct {
			ARN string `json:"executionArn"`
		}](b)
		if err != nil {
			return nil, err
		}
		return s.DescribeExecution(in.ARN)
	},
	"ListExecutions": func(s *Service, b []byte) (any, error) {
		in, err := decode[ListExecutionsInput](b)
		if err != nil {
			return nil, err
		}
		return s.ListExecutions(in)
	},
	"GetExecutionHistory": func(s *Service, b []byte) (any, error) {
		in, err := decode[GetExecutionHistoryInput](b)
		if err != nil {
			return nil, err
		}
		return s.GetExecutionHistory(in)
	},
	"StopExecution": func(s *Service, b []byte) (any, error) {
		in, err := decode[StopExecutionInput](b)
		if err != nil {
			return nil, err
		}
		return s.StopExecution(in)
	},
}

// maxRequestBytes is Step Functions' quota on the size of one API request.
const maxRequestBytes = 1 << 20

func tooLargeErr() *Error {
	return &Error{Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request must be smaller than %d bytes", maxRequestBytes), Status: http.StatusRequestEntityTooLarge}
}

// authErr renders a verifier's failure with the code it names, if any.
func authErr(err error) *Error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		// The verifier speaks S3's dialect; JSON services name the same
		// failures differently.
		switch se.Code {
		case "SignatureDoesNotMatch", "RequestTimeTooSkewed", "AuthorizationHeaderMalformed":
			return &Error{Code: "InvalidSignatureException", Message: se.Message, Status: http.StatusBadRequest}
		case "InvalidAccessKeyId":
			return &Error{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
		}
		return &Error{Code: se.Code, Message: se.Message, Status: se.Status}
	}
	e := &Error{Code: "InvalidSignatureException", Message: err.Error(), Status: http.StatusBadRequest}
	if c, ok := err.(interface{ ErrorCode() string }); ok && c.ErrorCode() != "" {
		e.Code = c.ErrorCode()
	}
	if c, ok := err.(interface{ HTTPStatusCode() int }); ok && c.HTTPStatusCode() != 0 {
		e.Status = c.HTTPStatusCode()
	}
	return e
}

func writeErr(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Code: "ServiceException", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}
