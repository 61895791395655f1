package events

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"thumbflow/local/stack"
)

// rule is a rule of the default bus.
type rule struct {
	name, arn, description, state string
	pattern                       *Pattern
	targets                       map[string]target // by Id
	// every is a scheduled rule's period (schedule its expression); zero
	// for a rule that matches events.
	every    time.Duration
	schedule string
}

func (r *rule) enabled() bool { return r.state == "" || r.state == "ENABLED" }

func (r *rule) targetList() []target {
	out := make([]target, 0, len(r.targets))
	for _, t := range r.targets {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// target is one target of a rule.
type target struct {
	ID, ARN          string
	Input, InputPath string
	maxRetries       int
	maxAge           time.Duration
}

// input is what the target receives: Input verbatim, the InputPath's
// value, or the whole event.
func (t target) input(event []byte) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputPath == "" || t.InputPath == "$":
		return event, nil
	}
	path, ok := strings.CutPrefix(t.InputPath, "$.")
	if !ok {
		return nil, fmt.Errorf("InputPath %q: the local EventBridge supports $ and $.a.b paths", t.InputPath)
	}
	var v any
	if err := json.Unmarshal(event, &v); err != nil {
		return nil, err
	}
	for _, k := range strings.Split(path, ".") {
		obj, _ := v.(map[string]any)
		v = obj[k]
	}
	return json.Marshal(v)
}

func (s *Service) ruleARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", s.opts.Region, s.opts.AccountID, name)
}

// TargetSpec is a rule's target as PutTargets and the template declare it.
type TargetSpec struct {
	Id, Arn, Input, InputPath, RoleArn string
	RetryPolicy                        *struct{ MaximumRetryAttempts, MaximumEventAgeInSeconds *int } `json:",omitempty"`
}

func newTarget(t TargetSpec) target {
	tg := target{ID: t.Id, ARN: t.Arn, Input: t.Input, InputPath: t.InputPath, maxRetries: DefaultMaximumRetryAttempts, maxAge: DefaultMaximumEventAge}
	if p := t.RetryPolicy; p != nil {
		if p.MaximumRetryAttempts != nil {
			tg.maxRetries = *p.MaximumRetryAttempts
		}
		if p.MaximumEventAgeInSeconds != nil {
			tg.maxAge = time.Duration(*p.MaximumEventAgeInSeconds) * time.Second
		}
	}
	return tg
}

// putRule creates or replaces a rule's pattern and state, keeping its
// targets. Callers hold s.mu.
func (s *Service) putRule(name, arn, pattern, state, description string) (*rule, error) {
	p, err := Compile(pattern)
	if err != nil {
		return nil, err
	}
	r, ok := s.rules[name]
	if !ok {
		r = &rule{name: name, arn: arn, targets: map[string]target{}}
		s.rules[name] = r
	}
	r.pattern, r.state, r.description = p, state, description
	r.every, r.schedule = 0, ""
	return r, nil
}

// CreateFromTemplate creates the template's rule (with its name and ARN
// from the stack) and its targets. Only the default bus is served.
func (s *Service) CreateFromTemplate(r *stack.Rule) error {
	if bus := r.Props.EventBusName; bus != "" && bus != "default" {
		return fmt.Errorf("events: rule %s: the local EventBridge serves the default bus only, not %q", r.Name, bus)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ru *rule
	if r.Every > 0 {
		ru = s.createScheduled(r)
	} else {
		pattern, err := json.Marshal(r.Props.EventPattern)
		if err != nil {
			return fmt.Errorf("events: rule %s: %w", r.Name, err)
		}
		if ru, err = s.putRule(r.Name, r.ARN, string(pattern), r.Props.State, r.Props.Description); err != nil {
			return fmt.Errorf("events: rule %s: %w", r.Name, err)
		}
	}
	for _, t := range r.Props.Targets {
		spec := TargetSpec{Id: t.Id, Arn: t.Arn, Input: t.Input, InputPath: t.InputPath, RoleArn: t.RoleArn}
		if t.RetryPolicy != nil {
			spec.RetryPolicy = &struct{ MaximumRetryAttempts, MaximumEventAgeInSeconds *int }{t.RetryPolicy.MaximumRetryAttempts, t.RetryPolicy.MaximumEventAgeInSeconds}
		}
		ru.targets[t.Id] = newTarget(spec)
	}
	return nil
}
