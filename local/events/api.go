package events

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"thumbflow/local/awsjson"
)

func (s *Service) authorize(ctx context.Context, action, resource string) error {
	if err := awsjson.Authorize(ctx, "events:"+action, resource); err != nil {
		return &awsjson.Error{Code: "AccessDeniedException", Message: err.Error(), Status: 400}
	}
	return nil
}

func validation(format string, args ...any) error {
	return awsjson.Errorf("ValidationException", format, args...)
}

func ruleMissing(name string) error {
	return awsjson.Errorf("ResourceNotFoundException", "Rule %s does not exist on EventBus default.", name)
}

func patternErr(err error) error {
	var ie *InvalidPatternError
	if errors.As(err, &ie) {
		return awsjson.Errorf("InvalidEventPatternException", "%s", ie.Error())
	}
	return err
}

// PutEventsEntry is one entry of PutEvents.
type PutEventsEntry struct {
	Source, DetailType, Detail, EventBusName string
	Resources                                []string
	Time                                     *float64
}

// PutEventsResultEntry is an entry's outcome.
type PutEventsResultEntry struct {
	EventId                 string `json:",omitempty"`
	ErrorCode, ErrorMessage string `json:",omitempty"`
}

// PutEvents sends up to ten entries to the default bus.
func (s *Service) PutEvents(ctx context.Context, in struct{ Entries []PutEventsEntry }) (struct {
	Entries          []PutEventsResultEntry
	FailedEntryCount int
}, error) {
	var out struct {
		Entries          []PutEventsResultEntry
		FailedEntryCount int
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return out, validation("PutEvents takes 1 to 10 entries")
	}
	for _, e := range in.Entries {
		bus := e.EventBusName
		if bus == "" || bus == "default" || strings.HasSuffix(bus, ":event-bus/default") {
			bus = "default"
		}
		if err := s.authorize(ctx, "PutEvents", "arn:aws:events:"+s.opts.Region+":"+s.opts.AccountID+":event-bus/"+bus); err != nil {
			return out, err
		}
		res := s.putEntry(e, bus)
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	return out, nil
}

func (s *Service) putEntry(e PutEventsEntry, bus string) PutEventsResultEntry {
	fail := func(code, msg string) PutEventsResultEntry {
		return PutEventsResultEntry{ErrorCode: code, ErrorMessage: msg}
	}
	switch {
	case bus != "default":
		return fail("NotFoundException", "Event bus "+bus+" does not exist.")
	case e.Source == "" || e.DetailType == "" || e.Detail == "":
		return fail("InvalidArgument", "Parameters Source, DetailType and Detail are required.")
	case strings.HasPrefix(e.Source, "aws."):
		return fail("InvalidArgument", "Source "+e.Source+" is reserved for AWS services.")
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
		return fail("MalformedDetail", "Detail is malformed.")
	}
	now := s.opts.Now()
	if e.Time != nil {
		now = time.UnixMilli(int64(*e.Time * 1000))
	}
	ev := Event{
		Version: "0", ID: stableID(e.Source, e.DetailType, e.Detail, now.String(), randomPart()), DetailType: e.DetailType, Source: e.Source,
		Account: s.opts.AccountID, Time: now.UTC().Format(time.RFC3339), Region: s.opts.Region,
		Resources: e.Resources, Detail: json.RawMessage(e.Detail),
	}
	if ev.Resources == nil {
		ev.Resources = []string{}
	}
	s.Put(ev)
	return PutEventsResultEntry{EventId: ev.ID}
}

// RuleInput is PutRule's input.
type RuleInput struct {
	Name, EventPattern, State, Description, EventBusName, ScheduleExpression string
}

// PutRule creates or updates a rule of the default bus.
func (s *Service) PutRule(ctx context.Context, in RuleInput) (struct{ RuleArn string }, error) {
	var out struct{ RuleArn string }
	if in.Name == "" || in.EventPattern == "" {
		return out, validation("the local EventBridge needs a Name and an EventPattern (schedules are not served)")
	}
	if in.EventBusName != "" && in.EventBusName != "default" {
		return out, awsjson.Errorf("ResourceNotFoundException", "Event bus %s does not exist.", in.EventBusName)
	}
	arn := s.ruleARN(in.Name)
	if err := s.authorize(ctx, "PutRule", arn); err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.putRule(in.Name, arn, in.EventPattern, in.State, in.Description); err != nil {
		return out, patternErr(err)
	}
	out.RuleArn = arn
	return out, nil
}

// RuleOutput describes a rule.
type RuleOutput struct {
	Name, Arn, State, EventBusName string
	EventPattern                   string `json:",omitempty"`
	ScheduleExpression             string `json:",omitempty"`
	Description                    string `json:",omitempty"`
}

func (r *rule) describe() RuleOutput {
	state := r.state
	if state == "" {
		state = "ENABLED"
	}
	out := RuleOutput{Name: r.name, Arn: r.arn, State: state, EventBusName: "default", Description: r.description}
	if r.pattern != nil {
		out.EventPattern = r.pattern.String()
	}
	r.describeSchedule(&out)
	return out
}

// RuleRef names a rule.
type RuleRef struct{ Name, EventBusName string }

// DescribeRule describes a rule.
func (s *Service) DescribeRule(ctx context.Context, in RuleRef) (RuleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rules[in.Name]
	if !ok {
		return RuleOutput{}, ruleMissing(in.Name)
	}
	if err := s.authorize(ctx, "DescribeRule", r.arn); err != nil {
		return RuleOutput{}, err
	}
	return r.describe(), nil
}

// ListRules lists the rules by name prefix.
func (s *Service) ListRules(ctx context.Context, in struct{ NamePrefix, EventBusName string }) (struct{ Rules []RuleOutput }, error) {
	var out struct{ Rules []RuleOutput }
	if err := s.authorize(ctx, "ListRules", "*"); err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rules {
		if strings.HasPrefix(r.name, in.NamePrefix) {
			out.Rules = append(out.Rules, r.describe())
		}
	}
	sort.Slice(out.Rules, func(i, j int) bool { return out.Rules[i].Name < out.Rules[j].Name })
	return out, nil
}

// DeleteRule deletes a rule that has no targets left.
func (s *Service) DeleteRule(ctx context.Context, in RuleRef) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rules[in.Name]
	if !ok {
		return struct{}{}, nil
	}
	if err := s.authorize(ctx, "DeleteRule", r.arn); err != nil {
		return struct{}{}, err
	}
	if len(r.targets) > 0 {
		return struct{}{}, validation("Rule can't be deleted since it has targets.")
	}
	delete(s.rules, in.Name)
	return struct{}{}, nil
}

// PutTargets adds or replaces targets of a rule.
func (s *Service) PutTargets(ctx context.Context, in struct {
	Rule, EventBusName string
	Targets            []TargetSpec
}) (struct {
	FailedEntryCount int
	FailedEntries    []struct{ TargetId, ErrorCode, ErrorMessage string }
}, error) {
	var out struct {
		FailedEntryCount int
		FailedEntries    []struct{ TargetId, ErrorCode, ErrorMessage string }
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rules[in.Rule]
	if !ok {
		return out, ruleMissing(in.Rule)
	}
	if err := s.authorize(ctx, "PutTargets", r.arn); err != nil {
		return out, err
	}
	for _, t := range in.Targets {
		if t.Id == "" || t.Arn == "" {
			return out, validation("each target needs an Id and an Arn")
		}
		r.targets[t.Id] = newTarget(t)
	}
	out.FailedEntries = []struct{ TargetId, ErrorCode, ErrorMessage string }{}
	return out, nil
}

// ListTargetsByRule lists a rule's targets.
func (s *Service) ListTargetsByRule(ctx context.Context, in struct{ Rule, EventBusName string }) (struct{ Targets []TargetSpec }, error) {
	var out struct{ Targets []TargetSpec }
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rules[in.Rule]
	if !ok {
		return out, ruleMissing(in.Rule)
	}
	if err := s.authorize(ctx, "ListTargetsByRule", r.arn); err != nil {
		return out, err
	}
	for _, t := range r.targetList() {
		out.Targets = append(out.Targets, TargetSpec{Id: t.ID, Arn: t.ARN, Input: t.Input, InputPath: t.InputPath})
	}
	return out, nil
}

// RemoveTargets removes targets by id.
func (s *Service) RemoveTargets(ctx context.Context, in struct {
	Rule, EventBusName string
	Ids                []string
}) (struct{ FailedEntryCount int }, error) {
	var out struct{ FailedEntryCount int }
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rules[in.Rule]
	if !ok {
		return out, ruleMissing(in.Rule)
	}
	if err := s.authorize(ctx, "RemoveTargets", r.arn); err != nil {
		return out, err
	}
	for _, id := range in.Ids {
		delete(r.targets, id)
	}
	return out, nil
}

// TestEventPattern says whether an event matches a pattern.
func (s *Service) TestEventPattern(ctx context.Context, in struct{ EventPattern, Event string }) (struct{ Result bool }, error) {
	var out struct{ Result bool }
	p, err := Compile(in.EventPattern)
	if err != nil {
		return out, patternErr(err)
	}
	ok, err := p.Matches([]byte(in.Event))
	if err != nil {
		return out, validation("Event is not valid: %v", err)
	}
	out.Result = ok
	return out, nil
}

func (s *Service) operations() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"PutEvents":         awsjson.Op(s.PutEvents),
		"PutRule":           awsjson.Op(s.PutRule),
		"DescribeRule":      awsjson.Op(s.DescribeRule),
		"ListRules":         awsjson.Op(s.ListRules),
		"DeleteRule":        awsjson.Op(s.DeleteRule),
		"PutTargets":        awsjson.Op(s.PutTargets),
		"ListTargetsByRule": awsjson.Op(s.ListTargetsByRule),
		"RemoveTargets":     awsjson.Op(s.RemoveTargets),
		"TestEventPattern":  awsjson.Op(s.TestEventPattern),
	}
}
