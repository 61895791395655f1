package asl

import (
	"context"
	"fmt"
	"maps"
	"time"
)

func (sr *stateRun) pass(input any) (any, string, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	result := eff
	if sr.s.parameters != nil {
		if result, f = sr.evalTmpl(sr.s.parameters, eff); f != nil {
			return nil, "", f, nil
		}
		sr.t.note(func(i *Inspection) *string { return &i.AfterParameters }, result)
	}
	if sr.s.hasResult {
		result = deepCopy(sr.s.result)
	}
	sr.t.note(func(i *Inspection) *string { return &i.Result }, result)
	assigned, f := sr.assignFrom(sr.s.assign, result)
	if f != nil {
		return nil, "", f, nil
	}
	out, err := applyResultPath(sr.s.resultPath, input, result)
	if err != nil {
		return nil, "", sr.runtime("%s", err.Error()), nil
	}
	sr.t.note(func(i *Inspection) *string { return &i.AfterResultPath }, out)
	if out, f = sr.applyOutput(out); f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, sr.s.next, assigned)
}

func (sr *stateRun) succeed(input any) (any, string, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	out, f := sr.applyOutput(eff)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, "", nil)
}

// mergeAssigned adds the variables more to assigned, a new map when
// assigned is nil, and gives it.
func mergeAssigned(assigned, more map[string]any) map[string]any {
	if assigned == nil {
		assigned = map[string]any{}
	}
	maps.Copy(assigned, more)
	return assigned
}

// constFailure is the failure of a Fail state with its constant Error and
// Cause, empty where it has none.
func (s *state) constFailure() *failure {
	f := &failure{}
	if s.errorStr != nil {
		f.Error = *s.errorStr
	}
	if s.causeStr != nil {
		f.Cause = *s.causeStr
	}
	return f
}

func (sr *stateRun) fail(input any) *failure {
	s := sr.s
	f := s.constFailure()
	for _, x := range []struct {
		t   *tmpl
		dst *string
	}{{s.errorPath, &f.Error}, {s.causePath, &f.Cause}} {
		if x.t == nil {
			continue
		}
		v, fl := sr.evalTmpl(x.t, input)
		if fl != nil {
			return fl
		}
		str, ok := v.(string)
		if !ok {
			return sr.runtime("The %s field must reference a string, but '%s' is not a string", x.t.field, jsonText(v))
		}
		*x.dst = str
	}
	return f
}

func (sr *stateRun) choice(input any) (any, string, *failure, error) {
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	next := ""
	var assignT *tmpl
	for _, rule := range sr.s.choices {
		ok, err := rule.eval(sr.scope(eff))
		if err != nil {
			return nil, "", sr.runtime("%s", err.Error()), nil
		}
		if ok {
			next, assignT = rule.next, rule.assign
			break
		}
	}
	if next == "" {
		next = sr.s.defaultNext
	}
	if next == "" {
		return nil, "", &failure{Error: "States.NoChoiceMatched", Cause: fmt.Sprintf("No Choice Rules matched and no Default was specified in state '%s'", sr.s.name)}, nil
	}
	assigned, f := sr.assignFrom(sr.s.assign, eff)
	if f != nil {
		return nil, "", f, nil
	}
	if assignT != nil {
		more, f := sr.assignFrom(assignT, eff)
		if f != nil {
			return nil, "", f, nil
		}
		assigned = mergeAssigned(assigned, more)
	}
	out, f := sr.applyOutput(eff)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, next, assigned)
}

func (sr *stateRun) waitDeadline(input any) (time.Time, *failure) {
	s := sr.s
	now := sr.t.r.clock.Now()
	eff, f := sr.applyInput(input)
	if f != nil {
		return time.Time{}, f
	}
	sc := sr.scope(eff)
	switch {
	case s.seconds != nil:
		return now.Add(time.Duration(*s.seconds) * time.Second), nil
	case s.timestamp != "":
		ts, _ := parseTimestamp(s.timestamp)
		return ts, nil
	case s.secondsPath != nil:
		v, ok := s.secondsPath.get(sc)
		if !ok {
			return time.Time{}, sr.runtime("%s", s.secondsPath.notFound(sc))
		}
		n, ok := toInt(v)
		if !ok {
			return time.Time{}, sr.runtime("The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.secondsPath.src, plain(v))
		}
		if n < 0 {
			return time.Time{}, sr.runtime("The SecondsPath parameter references a negative value: %s == %s", s.secondsPath.src, plain(v))
		}
		return now.Add(time.Duration(n) * time.Second), nil
	case s.timestampPath != nil:
		v, ok := s.timestampPath.get(sc)
		if !ok {
			return time.Time{}, sr.runtime("%s", s.timestampPath.notFound(sc))
		}
		str, _ := v.(string)
		ts, err := parseTimestamp(str)
		if err != nil {
			return time.Time{}, sr.runtime("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.timestampPath.src, plain(v))
		}
		return ts, nil
	}
	return now, nil
}

// plain renders a value as Java's toString would in AWS error messages.
func plain(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonText(v)
}

// sleepUntil sleeps until deadline, which when zero is first computed by
// compute; a failure of compute is returned without sleeping.
func (sr *stateRun) sleepUntil(ctx context.Context, deadline time.Time, compute func() (time.Time, *failure)) (*failure, error) {
	if deadline.IsZero() {
		d, f := compute()
		if f != nil {
			return f, nil
		}
		deadline = d
	}
	if d := deadline.Sub(sr.t.r.clock.Now()); d > 0 {
		if err := sr.t.r.clock.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (sr *stateRun) wait(ctx context.Context, input any, deadline time.Time) (any, string, *failure, error) {
	if f, err := sr.sleepUntil(ctx, deadline, func() (time.Time, *failure) { return sr.waitDeadline(input) }); f != nil || err != nil {
		return nil, "", f, err
	}
	eff, f := sr.applyInput(input)
	if f != nil {
		return nil, "", f, nil
	}
	assigned, f := sr.assignFrom(sr.s.assign, eff)
	if f != nil {
		return nil, "", f, nil
	}
	out, f := sr.applyOutput(eff)
	if f != nil {
		return nil, "", f, nil
	}
	return sr.exit(out, sr.s.next, assigned)
}
