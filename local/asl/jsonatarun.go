package asl

import (
	"context"
	"time"
)

// runJSONata runs a JSONata Pass, Succeed, Fail, Choice or Wait state.
// Task, Parallel and Map go through withRetry, whose body branches on the
// query language (jbody).
func (sr *stateRun) runJSONata(ctx context.Context, input any, rp *resumePoint) (any, string, *failure, error) {
	s := sr.s
	d := jdata{input: input}
	switch s.typ {
	case "Fail":
		return nil, "", sr.jfail(d), nil
	case "Choice":
		return sr.jchoice(d)
	case "Wait":
		var deadline time.Time
		if rp != nil {
			deadline = rp.deadline
		}
		if f, err := sr.sleepUntil(ctx, deadline, func() (time.Time, *failure) { return sr.jwaitDeadline(d) }); f != nil || err != nil {
			return nil, "", f, err
		}
	}
	out, assigned, f := sr.joutputAssign(s.joutput, s.jassign, d, input)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, s.next, assigned)
}

// joutputAssign evaluates a JSONata state's Assign and Output against the
// same data: Assign's new values are not visible to Output, as on AWS.
// Without Output the state's output is def.
func (sr *stateRun) joutputAssign(output, assign *jtmpl, d jdata, def any) (any, map[string]any, *failure) {
	var assigned map[string]any
	if assign != nil {
		v, f := sr.evalJ(assign, d)
		if f != nil {
			return nil, nil, f
		}
		assigned, _ = v.(map[string]any)
	}
	out := def
	if output != nil {
		v, f := sr.evalJ(output, d)
		if f != nil {
			return nil, nil, f
		}
		out = v
	}
	return out, assigned, nil
}

// jstring evaluates a field that must give a string (Fail's Error and
// Cause).
func (sr *stateRun) jstring(t *jtmpl, d jdata) (string, *failure) {
	v, f := sr.evalJ(t, d)
	if f != nil {
		return "", f
	}
	str, ok := v.(string)
	if !ok {
		return "", sr.queryFailure(t.field, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'string', but was '%s' for value: %s", t.expr.src, t.field, jsonType(v), jsonText(v))
	}
	return str, nil
}

// jint evaluates a field that must give a non-negative integer
// (TimeoutSeconds, Seconds, MaxConcurrency, ToleratedFailureCount).
func (sr *stateRun) jint(t *jtmpl, d jdata) (int64, *failure) {
	v, f := sr.evalJ(t, d)
	if f != nil {
		return 0, f
	}
	n, ok := toInt(v)
	if !ok || n < 0 {
		return 0, sr.queryFailure(t.field, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'integer', but was '%s' for value: %s", t.expr.src, t.field, jsonType(v), jsonText(v))
	}
	return n, nil
}

func (sr *stateRun) jfail(d jdata) *failure {
	s := sr.s
	f := s.constFailure()
	var fl *failure
	if s.jerror != nil {
		if f.Error, fl = sr.jstring(s.jerror, d); fl != nil {
			return fl
		}
	}
	if s.jcause != nil {
		if f.Cause, fl = sr.jstring(s.jcause, d); fl != nil {
			return fl
		}
	}
	return f
}

// jchoice takes the first rule whose Condition holds. The state's Assign
// applies whichever rule matches, with the rule's Assign on top (AWS:
// "applies regardless of which choice rule matches"); the rule's Output,
// when it has one, replaces the state's.
func (sr *stateRun) jchoice(d jdata) (any, string, *failure, error) {
	s := sr.s
	for _, rule := range s.choices {
		v, f := sr.evalJ(rule.condition, d)
		if f != nil {
			return nil, "", f, nil
		}
		ok, isBool := v.(bool)
		if !isBool {
			src := "Condition"
			if rule.condition.expr != nil {
				src = rule.condition.expr.src
			}
			return nil, "", sr.queryFailure("Condition", "The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '%s' for value: %s", src, jsonType(v), jsonText(v)), nil
		}
		if !ok {
			continue
		}
		output := s.joutput
		if rule.joutput != nil {
			output = rule.joutput
		}
		out, assigned, f := sr.joutputAssign(output, s.jassign, d, d.input)
		if f != nil {
			return nil, "", f, nil
		}
		if rule.jassign != nil {
			_, more, f := sr.joutputAssign(nil, rule.jassign, d, nil)
			if f != nil {
				return nil, "", f, nil
			}
			assigned = mergeAssigned(assigned, more)
		}
		return sr.exit(out, rule.next, assigned)
	}
	if s.defaultNext == "" {
		return nil, "", &failure{Error: "States.NoChoiceMatched", Cause: "No Choice Rules matched and no Default was specified in state '" + s.name + "'"}, nil
	}
	out, assigned, f := sr.joutputAssign(s.joutput, s.jassign, d, d.input)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, s.defaultNext, assigned)
}

// jwaitDeadline is when a JSONata Wait ends: Seconds or Timestamp, each a
// constant or an expression.
func (sr *stateRun) jwaitDeadline(d jdata) (time.Time, *failure) {
	s := sr.s
	now := sr.t.r.clock.Now()
	switch {
	case s.jseconds != nil:
		n, f := sr.jint(s.jseconds, d)
		if f != nil {
			return time.Time{}, f
		}
		return now.Add(time.Duration(n) * time.Second), nil
	case s.jtimestamp != nil:
		v, f := sr.evalJ(s.jtimestamp, d)
		if f != nil {
			return time.Time{}, f
		}
		str, _ := v.(string)
		ts, err := parseTimestamp(str)
		if err != nil {
			return time.Time{}, sr.queryFailure("Timestamp", "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", plain(v))
		}
		return ts, nil
	case s.seconds != nil:
		return now.Add(time.Duration(*s.seconds) * time.Second), nil
	case s.timestamp != "":
		ts, _ := parseTimestamp(s.timestamp)
		return ts, nil
	}
	return now, nil
}

// jbody is body for a JSONata Task, Parallel or Map: no InputPath or
// Parameters, the result is $states.result for Output (by default the
// output) and Assign.
func (sr *stateRun) jbody(ctx context.Context, input any) (bodyOut, *failure, error) {
	var result any
	var f *failure
	var err error
	switch {
	case sr.t.mock != nil:
		result, f = sr.mocked(input)
	case sr.s.typ == "Task":
		result, f, err = sr.task(ctx, input)
	case sr.s.typ == "Parallel":
		result, f, err = sr.parallel(ctx, input)
	case sr.s.typ == "Map":
		result, f, err = sr.mapState(ctx, input)
	}
	if err != nil || f != nil {
		return bodyOut{}, f, err
	}
	sr.t.note(func(i *Inspection) *string { return &i.Result }, result)
	out, assigned, f := sr.joutputAssign(sr.s.joutput, sr.s.jassign, jdata{input: input, result: result, hasResult: true}, result)
	if f != nil {
		return bodyOut{}, f, nil
	}
	return bodyOut{v: out, assigned: assigned}, nil, nil
}

// jarguments is the value Arguments gives a JSONata Task or Parallel
// (the state's input without it).
func (sr *stateRun) jarguments(input any) (any, *failure) {
	if sr.s.jarguments == nil {
		return input, nil
	}
	v, f := sr.evalJ(sr.s.jarguments, jdata{input: input})
	if f == nil {
		sr.t.note(func(i *Inspection) *string { return &i.AfterParameters }, v)
	}
	return v, f
}

// jmapItems is the array a JSONata Map iterates over: Items, or the
// state's input.
func (sr *stateRun) jmapItems(input any) ([]any, *failure) {
	t := sr.s.jitems
	if t == nil {
		list, ok := input.([]any)
		if !ok {
			return nil, sr.queryFailure("", "Map state input must be an array but was: %s", jsonText(input))
		}
		return list, nil
	}
	v, f := sr.evalJ(t, jdata{input: input})
	if f != nil {
		return nil, f
	}
	list, ok := v.([]any)
	if !ok {
		return nil, sr.queryFailure("Items", "The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", t.expr.src, jsonType(v), jsonText(v))
	}
	return list, nil
}

// jpercent evaluates ToleratedFailurePercentage, a number from 0 to 100.
func (sr *stateRun) jpercent(t *jtmpl, d jdata) (float64, *failure) {
	v, f := sr.evalJ(t, d)
	if f != nil {
		return 0, f
	}
	p, ok := toFloat(v)
	if !ok || p < 0 || p > 100 {
		return 0, sr.queryFailure(t.field, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected a number between 0 and 100, but was '%s' for value: %s", t.expr.src, t.field, jsonType(v), jsonText(v))
	}
	return p, nil
}

// quietWaitDeadline evaluates a JSONata Wait's deadline before the
// state's entry is recorded, recording nothing; ok is false when the
// evaluation fails.
func (sr *stateRun) quietWaitDeadline(input any) (time.Time, bool) {
	quiet := *sr.t
	quiet.silent = true
	trial := *sr
	trial.t = &quiet
	d, f := trial.jwaitDeadline(jdata{input: input})
	return d, f == nil
}
