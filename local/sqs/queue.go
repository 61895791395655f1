package sqs

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"thumbflow/local/awsjson"
)

// queue is one standard queue; it is also its file's content.
type queue struct {
	Name             string
	Created, Changed time.Time
	// Settings are the queue's settable attributes, in seconds or bytes.
	DelaySeconds, MaximumMessageSize, MessageRetentionPeriod int
	ReceiveMessageWaitTimeSeconds, VisibilityTimeout         int
	SqsManagedSseEnabled                                     bool
	Purged                                                   time.Time `json:",omitzero"`
	Messages                                                 []*message
}

// message is one message in a queue.
type message struct {
	ID, Body   string
	Attributes map[string]MessageAttribute `json:",omitempty"`
	Sent       time.Time
	// Visible is when the message can next be received (after its delay
	// or its visibility timeout).
	Visible      time.Time
	FirstReceive time.Time `json:",omitzero"`
	Receives     int
	// Handle is the receipt handle of the latest receive.
	Handle string `json:",omitempty"`
}

// SQS's defaults and bounds for the settable attributes.
var attributeBounds = map[string]struct{ def, min, max int }{
	"DelaySeconds":                  {0, 0, 900},
	"MaximumMessageSize":            {262144, 1024, 262144},
	"MessageRetentionPeriod":        {345600, 60, 1209600},
	"ReceiveMessageWaitTimeSeconds": {0, 0, 20},
	"VisibilityTimeout":             {30, 0, 43200},
}

func newQueue(name string, now time.Time) *queue {
	q := &queue{Name: name, Created: now, Changed: now, SqsManagedSseEnabled: true}
	for n, b := range attributeBounds {
		*q.setting(n) = b.def
	}
	return q
}

func (q *queue) setting(name string) *int {
	switch name {
	case "DelaySeconds":
		return &q.DelaySeconds
	case "MaximumMessageSize":
		return &q.MaximumMessageSize
	case "MessageRetentionPeriod":
		return &q.MessageRetentionPeriod
	case "ReceiveMessageWaitTimeSeconds":
		return &q.ReceiveMessageWaitTimeSeconds
	case "VisibilityTimeout":
		return &q.VisibilityTimeout
	}
	return nil
}

func invalidAttribute(format string, args ...any) error {
	return &awsjson.Error{Code: "InvalidAttributeValue", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest,
		QueryError: "InvalidAttributeValue;Sender"}
}

// set applies attributes as CreateQueue and SetQueueAttributes take them.
func (q *queue) set(attrs map[string]string) error {
	for name, v := range attrs {
		if name == "SqsManagedSseEnabled" {
			q.SqsManagedSseEnabled = v == "true"
			continue
		}
		if name == "Policy" || name == "RedrivePolicy" || name == "KmsMasterKeyId" || name == "KmsDataKeyReusePeriodSeconds" {
			continue // accepted, not enforced locally (docs/local-services.md)
		}
		p, b := q.setting(name), attributeBounds[name]
		if p == nil {
			return invalidAttribute("Unknown Attribute %s.", name)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < b.min || n > b.max {
			return invalidAttribute("Invalid value for the parameter %s.", name)
		}
		*p = n
	}
	return nil
}

// expire drops messages older than the retention period.
func (q *queue) expire(now time.Time) bool {
	keep := q.Messages[:0]
	for _, m := range q.Messages {
		if now.Sub(m.Sent) < time.Duration(q.MessageRetentionPeriod)*time.Second {
			keep = append(keep, m)
		}
	}
	dropped := len(keep) != len(q.Messages)
	clear(q.Messages[len(keep):])
	q.Messages = keep
	return dropped
}

// counts are ApproximateNumberOfMessages, ...NotVisible and ...Delayed.
func (q *queue) counts(now time.Time) (visible, inFlight, delayed int) {
	for _, m := range q.Messages {
		switch {
		case !m.Visible.After(now):
			visible++
		case m.Receives > 0:
			inFlight++
		default:
			delayed++
		}
	}
	return
}

// attributes answers GetQueueAttributes for the names asked ("All" for
// every one).
func (s *Service) attributes(q *queue, names []string) map[string]string {
	now := s.opts.Now()
	visible, inFlight, delayed := q.counts(now)
	all := map[string]string{
		"QueueArn":                              s.ARN(q.Name),
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      strconv.FormatInt(q.Created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.Changed.Unix(), 10),
		"SqsManagedSseEnabled":                  strconv.FormatBool(q.SqsManagedSseEnabled),
	}
	for n := range attributeBounds {
		all[n] = strconv.Itoa(*q.setting(n))
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

// receive takes up to max visible messages, hiding each for visibility.
func (q *queue) receive(now time.Time, max int, visibility time.Duration) []*message {
	var got []*message
	for _, m := range q.Messages {
		if len(got) == max {
			break
		}
		if m.Visible.After(now) {
			continue
		}
		m.Receives++
		if m.FirstReceive.IsZero() {
			m.FirstReceive = now
		}
		m.Visible = now.Add(visibility)
		m.Handle = randomID() + ":" + m.ID
		got = append(got, m)
	}
	return got
}
