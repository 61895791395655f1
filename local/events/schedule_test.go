package events

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/stack"
)

// A rate rule fires once per period of the clock it is given, from one
// period after RunSchedules, and sends its target EventBridge's scheduled
// event; a disabled rule on the same clock never fires.
func TestScheduledRuleFiresEveryPeriodOnTheGivenClock(t *testing.T) {
	start := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clock := clocktest.NewVirtualClock(start)
	s := New(Options{Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID, Now: clock.Now})
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:sweep"
	rules := map[string]string{"sweep": "ENABLED", "off": "DISABLED"}
	for name, state := range rules {
		err := s.CreateFromTemplate(&stack.Rule{Name: name, ARN: "arn:aws:events:us-east-1:123456789012:rule/" + name, Every: 5 * time.Minute,
			Props: stack.RuleProps{ScheduleExpression: "rate(5 minutes)", State: state, Targets: []stack.RuleTarget{{Id: name, Arn: fn}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var got []Delivery
	enough := make(chan struct{})
	s.HandleTargets(fn, func(_ context.Context, d Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		if got = append(got, d); len(got) == 3 {
			close(enough)
		}
		return nil
	})
	s.RunSchedules(clock.Sleep)
	select {
	case <-enough:
	case <-time.After(time.Minute):
		t.Fatal("the schedule did not fire three times")
	}
	s.Close()

	mu.Lock()
	defer mu.Unlock()
	var times []string
	for _, d := range got {
		if d.TargetID != "sweep" {
			t.Errorf("the disabled rule fired: %+v", d)
		}
		var ev Event
		if err := json.Unmarshal(d.Input, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || !slices.Equal(ev.Resources, []string{"arn:aws:events:us-east-1:123456789012:rule/sweep"}) ||
			string(ev.Detail) != "{}" || ev.Account != awsjsontest.AccountID || ev.Region != awsjsontest.Region || ev.ID == "" {
			t.Errorf("scheduled event %+v", ev)
		}
		times = append(times, ev.Time)
	}
	slices.Sort(times)
	want := []string{"2026-12-02T12:05:00Z", "2026-12-02T12:10:00Z", "2026-12-02T12:15:00Z"}
	if !slices.Equal(times[:3], want) {
		t.Errorf("fired at %v, want %v", times, want)
	}
}
