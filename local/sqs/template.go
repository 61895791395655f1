package sqs

import (
	"fmt"
	"strconv"

	"thumbflow/local/stack"
)

// FromStack is the template queue's name and the attributes its
// properties set, for CreateFromTemplate.
func FromStack(q *stack.Queue) (name string, attrs map[string]string) {
	attrs = map[string]string{"SqsManagedSseEnabled": strconv.FormatBool(q.Props.SqsManagedSseEnabled)}
	for n, v := range map[string]*int{
		"DelaySeconds": q.Props.DelaySeconds, "MaximumMessageSize": q.Props.MaximumMessageSize,
		"MessageRetentionPeriod": q.Props.MessageRetentionPeriod, "ReceiveMessageWaitTimeSeconds": q.Props.ReceiveMessageWaitTimeSeconds,
		"VisibilityTimeout": q.Props.VisibilityTimeout,
	} {
		if v != nil {
			attrs[n] = strconv.Itoa(*v)
		}
	}
	return q.Name, attrs
}

// CreateFromTemplate creates the template's queue, or updates the
// attributes of the one the data directory already has (keeping its
// messages), as a stack update does. It returns the queue URL.
func (s *Service) CreateFromTemplate(name string, attrs map[string]string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		q = newQueue(name, s.opts.Now())
	}
	if err := q.set(attrs); err != nil {
		return "", fmt.Errorf("sqs: template queue %s: %w", name, err)
	}
	s.queues[name] = q
	if err := s.save(q); err != nil {
		return "", err
	}
	return s.URL(name), nil
}
