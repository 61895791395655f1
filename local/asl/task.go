package asl

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ohler55/ojg/oj"
)

func secondsOr(n int64, p *path, sc scope) (int64, bool) {
	if p != nil {
		v, ok := p.get(sc)
		if !ok {
			return 0, false
		}
		x, ok := toInt(v)
		return x, ok
	}
	return n, true
}

// taskLimits are a Task's TimeoutSeconds and HeartbeatSeconds: constants,
// *Path references (JSONPath) or expressions (JSONata).
func (sr *stateRun) taskLimits(eff any) (timeout, heartbeat int64, f *failure) {
	s := sr.s
	if s.jsonata {
		timeout, heartbeat = s.timeoutSeconds, s.heartbeatSeconds
		d := jdata{input: eff}
		if s.jtimeout != nil {
			if timeout, f = sr.jint(s.jtimeout, d); f != nil {
				return 0, 0, f
			}
		}
		if s.jheartbeat != nil {
			if heartbeat, f = sr.jint(s.jheartbeat, d); f != nil {
				return 0, 0, f
			}
		}
		return timeout, heartbeat, nil
	}
	timeout, ok := secondsOr(s.timeoutSeconds, s.timeoutPath, sr.scope(eff))
	if !ok {
		return 0, 0, sr.runtime("The TimeoutSecondsPath field does not reference a positive integer")
	}
	heartbeat, ok = secondsOr(s.heartbeatSeconds, s.heartbeatPath, sr.scope(eff))
	if !ok {
		return 0, 0, sr.runtime("The HeartbeatSecondsPath field does not reference a positive integer")
	}
	return timeout, heartbeat, nil
}

// errTaskTimeout distinguishes a task's own timeout from interruption.
var errTaskTimeout = errors.New("task timed out")

// task runs a Task state's body: it schedules the call, invokes the
// function under the state's timeout and heartbeat, and records how the
// call ended. Resources are either a Lambda function ARN (the legacy
// LambdaFunction* events) or the arn:aws:states:::lambda:invoke service
// integration (the Task* events and its response envelope).
func (sr *stateRun) task(ctx context.Context, eff any) (any, *failure, error) {
	s := sr.s
	var wait *tokenWait
	if s.resource == waitForTaskToken {
		tt := sr.t.r.opts.Tokens
		sr.taskToken = newTaskToken(sr.t.r.exec.ARN, sr.enteredID, sr.retries)
		wait = tt.register(sr.taskToken, sr.t.r.clock)
		defer tt.release(sr.taskToken, wait)
		defer func() { sr.taskToken = "" }()
	}
	payload := eff
	if s.jsonata {
		var f *failure
		if payload, f = sr.jarguments(eff); f != nil {
			return nil, f, nil
		}
	} else if s.parameters != nil {
		var f *failure
		if payload, f = sr.evalTmpl(s.parameters, eff); f != nil {
			return nil, f, nil
		}
		sr.t.note(func(i *Inspection) *string { return &i.AfterParameters }, payload)
	}
	timeout, heartbeat, f := sr.taskLimits(eff)
	if f != nil {
		return nil, f, nil
	}
	service := s.resource == "arn:aws:states:::lambda:invoke" || wait != nil
	started := sr.t.r.clock.Now()
	var function string
	var body []byte
	var err error
	if service {
		function, body, f, err = sr.scheduleInvoke(payload, timeout, heartbeat)
	} else {
		function, body, err = sr.scheduleFunction(payload, timeout, heartbeat)
	}
	if err != nil || f != nil {
		return nil, f, err
	}
	limit, limitErr := timeout, "States.Timeout"
	if heartbeat > 0 && (limit == 0 || heartbeat < limit) {
		limit, limitErr = heartbeat, "States.HeartbeatTimeout"
	}
	res, err := sr.invoke(ctx, function, body, limit)
	switch {
	case errors.Is(err, errTaskTimeout):
		f, err := sr.taskTimedOut(service, limitErr)
		return nil, f, err
	case err != nil && ctx.Err() != nil:
		return nil, nil, ctx.Err()
	case err != nil:
		name, cause := invokeFailure(service, err)
		f, err := sr.taskFailed(service, name, cause)
		return nil, f, err
	}
	if wait != nil {
		return sr.taskSubmitted(ctx, wait, res, started, timeout, heartbeat)
	}
	return sr.taskSucceeded(service, res)
}

// taskSubmitted records that the function of a .waitForTaskToken task
// returned, waits for the token's callback and records how it ended.
func (sr *stateRun) taskSubmitted(ctx context.Context, wait *tokenWait, res []byte, started time.Time, timeout, heartbeat int64) (any, *failure, error) {
	d := sr.integrationDetails(map[string]any{"output": jsonText(invokeEnvelope(parseResult(res))), "outputDetails": truncated()})
	if _, err := sr.t.emit("TaskSubmitted", d, nil); err != nil {
		return nil, nil, err
	}
	cb, limit, err := sr.awaitToken(ctx, sr.t.r.opts.Tokens, wait, started, timeout, heartbeat)
	switch {
	case err != nil:
		return nil, nil, err
	case limit != "":
		f, err := sr.taskTimedOut(true, limit)
		return nil, f, err
	case cb.failed:
		f, err := sr.taskFailed(true, cb.name, cb.cause)
		return nil, f, err
	}
	if len(cb.output) > maxPayload {
		f, err := sr.taskFailed(true, "States.DataLimitExceeded", sr.dataLimitCause())
		return nil, f, err
	}
	out := parseResult(cb.output)
	if _, err := sr.t.emit("TaskSucceeded", sr.integrationDetails(map[string]any{"output": jsonText(out), "outputDetails": truncated()}), nil); err != nil {
		return nil, nil, err
	}
	return out, nil, nil
}

// dataLimitCause is AWS's cause of a task result over 256 KiB. It names
// the resource: the function ARN for a function resource, the service
// ("lambda") for the lambda:invoke integrations.
func (sr *stateRun) dataLimitCause() string {
	name := sr.s.resource
	if strings.HasPrefix(name, "arn:aws:states:::lambda:") {
		name = "lambda"
	}
	return fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", name)
}

// integration is the resource an integration's Task* events name.
func (sr *stateRun) integration() string {
	if sr.s.resource == waitForTaskToken {
		return "invoke.waitForTaskToken"
	}
	return "invoke"
}

// integrationDetails adds the resource and its type to Task* event
// details.
func (sr *stateRun) integrationDetails(d map[string]any) map[string]any {
	d["resource"], d["resourceType"] = sr.integration(), "lambda"
	return d
}

// parseResult reads a function's result: JSON, or else the text itself.
func parseResult(res []byte) any {
	if len(res) == 0 {
		return nil
	}
	if v, err := oj.Parse(res); err == nil {
		return v
	}
	return string(res)
}

// invokeEnvelope is the lambda:invoke integration's response around a
// function's result.
func invokeEnvelope(val any) map[string]any {
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         val,
		"StatusCode":      int64(200),
		"SdkHttpMetadata": map[string]any{
			"HttpStatusCode": int64(200),
			"HttpHeaders":    map[string]any{"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"},
			"AllHttpHeaders": map[string]any{"Content-Type": []any{"application/json"}, "X-Amz-Executed-Version": []any{"$LATEST"}},
		},
		"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
	}
}

// timingDetails adds a task's timeout and heartbeat, when set, to its
// scheduled event.
func timingDetails(d map[string]any, timeout, heartbeat int64) map[string]any {
	if timeout > 0 {
		d["timeoutInSeconds"] = timeout
	}
	if heartbeat > 0 {
		d["heartbeatInSeconds"] = heartbeat
	}
	return d
}

// scheduleInvoke records TaskScheduled and TaskStarted for the
// lambda:invoke integration and returns the function and the request body
// taken from its FunctionName and Payload parameters.
func (sr *stateRun) scheduleInvoke(payload any, timeout, heartbeat int64) (string, []byte, *failure, error) {
	t := sr.t
	pm, _ := payload.(map[string]any)
	fn, _ := pm["FunctionName"].(string)
	sr.tail = pm["LogType"] == "Tail"
	d := sr.integrationDetails(map[string]any{"parameters": jsonText(payload), "region": t.r.region})
	if _, err := t.emit("TaskScheduled", timingDetails(d, timeout, heartbeat), nil); err != nil {
		return "", nil, nil, err
	}
	if fn == "" {
		f, err := sr.taskFailed(true, "States.Runtime", "The FunctionName parameter is required for arn:aws:states:::lambda:invoke")
		return "", nil, f, err
	}
	body := []byte("{}")
	if p, ok := pm["Payload"]; ok && p != nil {
		body = []byte(jsonText(p))
		// A string Payload that is itself JSON text is sent as that
		// text, as the AWS integration does.
		if str, isStr := p.(string); isStr {
			if _, err := oj.ParseString(str); err == nil {
				body = []byte(str)
			}
		}
	}
	if _, err := t.emit("TaskStarted", sr.integrationDetails(map[string]any{}), nil); err != nil {
		return "", nil, nil, err
	}
	return fn, body, nil, nil
}

// scheduleFunction records LambdaFunctionScheduled and
// LambdaFunctionStarted for a Resource that is a function ARN, whose
// request body is the whole effective payload.
func (sr *stateRun) scheduleFunction(payload any, timeout, heartbeat int64) (string, []byte, error) {
	t := sr.t
	body := []byte(jsonText(payload))
	d := map[string]any{"input": string(body), "inputDetails": truncated(), "resource": sr.s.resource}
	if _, err := t.emit("LambdaFunctionScheduled", timingDetails(d, timeout, heartbeat), nil); err != nil {
		return "", nil, err
	}
	if _, err := t.emit("LambdaFunctionStarted", nil, nil); err != nil {
		return "", nil, err
	}
	return sr.s.resource, body, nil
}

// taskTimedOut records that the task's timeout or heartbeat ran out, and
// returns the failure named limitErr.
func (sr *stateRun) taskTimedOut(service bool, limitErr string) (*failure, error) {
	var err error
	if service {
		_, err = sr.t.emit("TaskTimedOut", sr.integrationDetails(map[string]any{"error": limitErr}), nil)
	} else {
		_, err = sr.t.emit("LambdaFunctionTimedOut", map[string]any{"error": limitErr}, nil)
	}
	if err != nil {
		return nil, err
	}
	return &failure{Error: limitErr}, nil
}

// invokeFailure names an Invoker's error as Step Functions reports it: the
// error that ErrorEquals matches and the cause.
func invokeFailure(service bool, err error) (name, cause string) {
	var fe *FunctionError
	var se *ServiceError
	var ne NamedError
	switch {
	case errors.As(err, &fe):
		cause := string(fe.Payload)
		if service && cause != "" {
			// The lambda:invoke integration re-serialises the error
			// payload compactly, keeping its key order.
			var b bytes.Buffer
			if json.Compact(&b, fe.Payload) == nil {
				cause = b.String()
			}
		}
		if cause == "" {
			cause = jsonText(map[string]any{"errorMessage": fe.Message, "errorType": fe.Type})
		}
		return fe.Type, cause
	case errors.As(err, &se):
		return se.Name, se.Cause
	case errors.As(err, &ne):
		return ne.StatesError()
	}
	return "Lambda.Unknown", err.Error()
}

// taskSucceeded records the function's result: as it returned it for a
// function ARN, or wrapped in the lambda:invoke response envelope.
func (sr *stateRun) taskSucceeded(service bool, res []byte) (any, *failure, error) {
	t := sr.t
	if len(res) > maxPayload {
		f, err := sr.taskFailed(service, "States.DataLimitExceeded", sr.dataLimitCause())
		return nil, f, err
	}
	var result any = parseResult(res)
	var err error
	if service {
		env := invokeEnvelope(result)
		if sr.tail {
			env["LogResult"] = base64.StdEncoding.EncodeToString([]byte(lastBytes(sr.log, 4096)))
		}
		result = env
		_, err = t.emit("TaskSucceeded", sr.integrationDetails(map[string]any{"output": jsonText(result), "outputDetails": truncated()}), nil)
	} else {
		_, err = t.emit("LambdaFunctionSucceeded", map[string]any{"output": jsonText(result), "outputDetails": truncated()}, nil)
	}
	if err != nil {
		return nil, nil, err
	}
	return result, nil, nil
}

func (sr *stateRun) taskFailed(service bool, name, cause string) (*failure, error) {
	d := map[string]any{"error": name}
	if cause != "" {
		d["cause"] = cause
	}
	typ := "LambdaFunctionFailed"
	if service {
		typ = "TaskFailed"
		sr.integrationDetails(d)
	}
	if _, err := sr.t.emit(typ, d, nil); err != nil {
		return nil, err
	}
	return &failure{Error: name, Cause: cause}, nil
}

func (sr *stateRun) invoke(ctx context.Context, function string, payload []byte, limit int64) ([]byte, error) {
	inv := sr.t.r.opts.Invoker
	if inv == nil {
		return nil, &ServiceError{Name: "Lambda.ResourceNotFoundException", Cause: "no Lambda invoker is configured"}
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		b   []byte
		log string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: &ServiceError{Name: "Lambda.Unknown", Cause: fmt.Sprint(p)}}
			}
		}()
		if !sr.tail {
			b, err := inv.Invoke(ictx, function, payload)
			ch <- result{b, "", err}
			return
		}
		b, log, err := invokeWithLog(ictx, inv, function, payload, sr.t.r.clock)
		ch <- result{b, log, err}
	}()
	var timer chan error
	if limit > 0 {
		timer = make(chan error, 1)
		go func() { timer <- sr.t.r.clock.Sleep(ictx, time.Duration(limit)*time.Second) }()
	}
	select {
	case res := <-ch:
		sr.log = res.log
		return res.b, res.err
	case err := <-timer:
		if err == nil {
			return nil, errTaskTimeout
		}
		return nil, ctx.Err()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// invokeWithLog invokes a function and returns its log: the invoker's, or
// the platform lines Lambda writes for every invocation.
func invokeWithLog(ctx context.Context, inv Invoker, function string, payload []byte, clk Clock) ([]byte, string, error) {
	if lt, ok := inv.(LogTailer); ok {
		return lt.InvokeWithLog(ctx, function, payload)
	}
	id := newUUID()
	start := clk.Now()
	b, err := inv.Invoke(ctx, function, payload)
	ms := float64(clk.Now().Sub(start).Microseconds()) / 1000
	log := fmt.Sprintf("START RequestId: %s Version: $LATEST\nEND RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\t\n",
		id, id, id, ms, int64(math.Ceil(ms)))
	return b, log, err
}

// lastBytes is the end of s, at most n bytes, as Lambda truncates a log
// tail.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
