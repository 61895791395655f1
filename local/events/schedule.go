package events

import (
	"context"
	"encoding/json"
	"time"

	"thumbflow/local/stack"
)

// Scheduled rules. EventBridge fires a rule with a rate(...) schedule once
// per period and sends each target the "Scheduled Event" (source
// aws.events, the rule's ARN as its one resource, an empty detail). The
// local EventBridge does the same on the clock the local cloud gives it
// (RunSchedules), so a test clock or thumbflow dev -time-scale shortens the
// period the template declares without anyone writing it again in Go.

// Scheduled events' detail-type and source, as EventBridge sends them.
const (
	ScheduledDetailType = "Scheduled Event"
	ScheduledSource     = "aws.events"
)

// Sleeper waits d of a clock's time, or returns early with ctx's error.
type Sleeper func(ctx context.Context, d time.Duration) error

// createScheduled creates the template's rule that fires every r.Every.
// Callers hold s.mu.
func (s *Service) createScheduled(r *stack.Rule) *rule {
	ru, ok := s.rules[r.Name]
	if !ok {
		ru = &rule{name: r.Name, arn: r.ARN, targets: map[string]target{}}
		s.rules[r.Name] = ru
	}
	ru.pattern, ru.state, ru.description = nil, r.Props.State, r.Props.Description
	ru.every, ru.schedule = r.Every, r.Props.ScheduleExpression
	return ru
}

// RunSchedules fires every scheduled rule once per period, as sleep
// measures it, until Close: the first time one period after the call, as
// EventBridge fires a new rule first about one period after it is
// created. A disabled rule skips its turns. Each firing is delivered as an
// event is, with the target's retry policy.
func (s *Service) RunSchedules(sleep Sleeper) {
	s.mu.Lock()
	var scheduled []*rule
	for _, r := range s.rules {
		if r.every > 0 {
			scheduled = append(scheduled, r)
		}
	}
	s.mu.Unlock()
	for _, r := range scheduled {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				s.mu.Lock()
				every := r.every
				s.mu.Unlock()
				if every <= 0 { // replaced by PutRule with a pattern
					return
				}
				if err := sleep(s.ctx, every); err != nil || s.ctx.Err() != nil {
					return
				}
				s.fire(r)
			}
		}()
	}
}

// fire sends r's targets the scheduled event of now.
func (s *Service) fire(r *rule) {
	s.mu.Lock()
	enabled, targets := r.enabled(), r.targetList()
	s.mu.Unlock()
	if !enabled {
		return
	}
	ev := ScheduledEvent(r.arn, s.opts.Region, s.opts.AccountID, s.opts.Now())
	body, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("encoding scheduled event", "rule", r.name, "error", err)
		return
	}
	s.log.Info("scheduled rule fired", "rule", r.name, "schedule", r.schedule, "eventId", ev.ID)
	for _, t := range targets {
		s.dispatch(r, t, ev, body)
	}
}

// ScheduledEvent is the event EventBridge sends a scheduled rule's targets
// at time at.
func ScheduledEvent(ruleARN, region, account string, at time.Time) Event {
	at = at.UTC().Truncate(time.Second)
	return Event{
		Version: "0", ID: stableID(ruleARN, at.String()), DetailType: ScheduledDetailType, Source: ScheduledSource,
		Account: account, Time: at.Format(time.RFC3339), Region: region, Resources: []string{ruleARN},
		Detail: json.RawMessage(`{}`),
	}
}

// describeSchedule fills a scheduled rule's description.
func (r *rule) describeSchedule(out *RuleOutput) {
	if r.every > 0 {
		out.ScheduleExpression = r.schedule
	}
}
