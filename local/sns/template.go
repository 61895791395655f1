package sns

import (
	"encoding/json"
	"fmt"

	"thumbflow/local/stack"
)

// CreateFromTemplate creates the template's topic with its policies (an
// AWS::SNS::TopicPolicy naming it) and subscriptions (their ARNs from the
// stack), keeping what the data directory has. Running it again after a
// template change replaces the policy and adds new subscriptions.
func (s *Service) CreateFromTemplate(t *stack.Topic) error {
	attrs := map[string]string{"DisplayName": t.Props.DisplayName}
	for _, p := range t.Policies {
		b, err := json.Marshal(p.Props.PolicyDocument)
		if err != nil {
			return fmt.Errorf("sns: topic %s policy: %w", t.Name, err)
		}
		attrs["Policy"] = string(b)
	}
	if _, err := s.CreateTopic(t.Name, attrs); err != nil {
		return fmt.Errorf("sns: topic %s: %w", t.Name, err)
	}
	s.mu.Lock()
	tp := s.topics[t.ARN]
	if tp == nil {
		s.mu.Unlock()
		return fmt.Errorf("sns: topic %s: the stack's ARN %s is not the local one %s", t.Name, t.ARN, s.topicARN(t.Name))
	}
	tp.DisplayName, tp.Policy = attrs["DisplayName"], attrs["Policy"]
	err := tp.parsePolicy()
	if err == nil {
		err = s.save()
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sns: topic %s policy: %w", t.Name, err)
	}
	for _, sub := range t.Props.Subscription {
		if _, err := s.Subscribe(t.ARN, sub.Protocol, sub.Endpoint, "", false); err != nil {
			return fmt.Errorf("sns: topic %s subscription: %w", t.Name, err)
		}
	}
	for _, sub := range t.Subscriptions {
		if _, err := s.Subscribe(t.ARN, sub.Props.Protocol, sub.Props.Endpoint, sub.ARN, sub.Props.RawMessageDelivery); err != nil {
			return fmt.Errorf("sns: subscription %s: %w", sub.LogicalID, err)
		}
	}
	return nil
}
