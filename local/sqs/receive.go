package sqs

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"thumbflow/local/awsjson"
)

// ReceiveMessageInput is a receive, with its long-polling wait.
type ReceiveMessageInput struct {
	QueueUrl                    string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
}

// Message is a received message.
type Message struct {
	MessageId, ReceiptHandle, MD5OfBody, Body string
	Attributes                                map[string]string           `json:",omitempty"`
	MD5OfMessageAttributes                    string                      `json:",omitempty"`
	MessageAttributes                         map[string]MessageAttribute `json:",omitempty"`
}

func bounded(name string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, invalidParam("Value %d for parameter %s is invalid. Reason: Must be between %d and %d, if provided.", *v, name, lo, hi)
	}
	return *v, nil
}

// ReceiveMessage returns up to MaxNumberOfMessages visible messages and
// hides them for the visibility timeout. With WaitTimeSeconds (or the
// queue's ReceiveMessageWaitTimeSeconds) it waits, at most 20 s, for a
// first message to arrive.
func (s *Service) ReceiveMessage(ctx context.Context, in ReceiveMessageInput) (struct{ Messages []Message }, error) {
	var out struct{ Messages []Message }
	max, err := bounded("MaxNumberOfMessages", in.MaxNumberOfMessages, 1, 1, 10)
	if err != nil {
		return out, err
	}
	s.mu.Lock()
	q, err := s.queueFor(ctx, in.QueueUrl, "ReceiveMessage")
	if err != nil {
		s.mu.Unlock()
		return out, err
	}
	visibility, err1 := bounded("VisibilityTimeout", in.VisibilityTimeout, q.VisibilityTimeout, 0, 43200)
	wait, err2 := bounded("WaitTimeSeconds", in.WaitTimeSeconds, q.ReceiveMessageWaitTimeSeconds, 0, int(MaxWait/time.Second))
	s.mu.Unlock()
	if err1 != nil {
		return out, err1
	}
	if err2 != nil {
		return out, err2
	}
	deadline := time.NewTimer(time.Duration(wait) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		q, err := s.byRef(in.QueueUrl)
		if err != nil {
			s.mu.Unlock()
			return out, err
		}
		now := s.opts.Now()
		q.expire(now)
		got := q.receive(now, max, time.Duration(visibility)*time.Second)
		if len(got) > 0 {
			err := s.save(q)
			out.Messages = received(got, in)
			s.mu.Unlock()
			return out, err
		}
		arrived := s.arrived
		next := q.nextVisible(now)
		s.mu.Unlock()
		if wait == 0 {
			return out, nil
		}
		// Wake for a new message, for one whose delay or visibility ends,
		// or at the end of the wait.
		var timer *time.Timer
		var soon <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(next.Sub(now))
			soon = timer.C
		}
		ended := false
		select {
		case <-arrived:
		case <-soon:
		case <-deadline.C:
			ended = true
		case <-ctx.Done():
			ended = true
		}
		if timer != nil {
			timer.Stop()
		}
		if ended {
			return out, nil
		}
	}
}

// nextVisible is when the next hidden message becomes visible, or zero.
func (q *queue) nextVisible(now time.Time) time.Time {
	var next time.Time
	for _, m := range q.Messages {
		if m.Visible.After(now) && (next.IsZero() || m.Visible.Before(next)) {
			next = m.Visible
		}
	}
	return next
}

// received renders messages with the attributes asked for.
func received(got []*message, in ReceiveMessageInput) []Message {
	sys := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	want := func(name string) bool { return slices.Contains(sys, "All") || slices.Contains(sys, name) }
	var out []Message
	for _, m := range got {
		r := Message{MessageId: m.ID, ReceiptHandle: m.Handle, MD5OfBody: md5Hex([]byte(m.Body)), Body: m.Body}
		system := map[string]string{
			"SentTimestamp":                    strconv.FormatInt(m.Sent.UnixMilli(), 10),
			"ApproximateReceiveCount":          strconv.Itoa(m.Receives),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceive.UnixMilli(), 10),
			"SenderId":                         "AIDALOCALSENDER",
		}
		for k, v := range system {
			if want(k) {
				if r.Attributes == nil {
					r.Attributes = map[string]string{}
				}
				r.Attributes[k] = v
			}
		}
		for n, a := range m.Attributes {
			if slices.ContainsFunc(in.MessageAttributeNames, func(p string) bool {
				return p == "All" || p == ".*" || p == n || (strings.HasSuffix(p, ".*") && strings.HasPrefix(n, strings.TrimSuffix(p, "*")))
			}) {
				if r.MessageAttributes == nil {
					r.MessageAttributes = map[string]MessageAttribute{}
				}
				r.MessageAttributes[n] = a
			}
		}
		r.MD5OfMessageAttributes = attributesMD5(r.MessageAttributes)
		out = append(out, r)
	}
	return out
}

// DeleteMessage deletes the message a receipt handle names. A handle of a
// message already deleted succeeds, as on SQS.
func (s *Service) DeleteMessage(ctx context.Context, in struct{ QueueUrl, ReceiptHandle string }) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, in.QueueUrl, "DeleteMessage")
	if err != nil {
		return struct{}{}, err
	}
	_, id, ok := strings.Cut(in.ReceiptHandle, ":")
	if !ok {
		return struct{}{}, &awsjson.Error{Code: "ReceiptHandleIsInvalid", Message: "The input receipt handle \"" + in.ReceiptHandle + "\" is not a valid receipt handle.",
			Status: http.StatusBadRequest, QueryError: "ReceiptHandleIsInvalid;Sender"}
	}
	q.Messages = slices.DeleteFunc(q.Messages, func(m *message) bool { return m.ID == id })
	return struct{}{}, s.save(q)
}

// ChangeMessageVisibility sets a received message's remaining visibility
// timeout.
func (s *Service) ChangeMessageVisibility(ctx context.Context, in struct {
	QueueUrl, ReceiptHandle string
	VisibilityTimeout       int
}) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, in.QueueUrl, "ChangeMessageVisibility")
	if err != nil {
		return struct{}{}, err
	}
	for _, m := range q.Messages {
		if m.Handle == in.ReceiptHandle {
			m.Visible = s.opts.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
			return struct{}{}, s.save(q)
		}
	}
	return struct{}{}, &awsjson.Error{Code: "MessageNotInflight", Message: "The message referred to is not in flight.", Status: http.StatusBadRequest, QueryError: "AWS.SimpleQueueService.MessageNotInflight;Sender"}
}

// purgeInterval is how often SQS lets a queue be purged.
const purgeInterval = 60 * time.Second

// PurgeQueue deletes every message; a second purge within 60 s fails with
// PurgeQueueInProgress, as on SQS.
func (s *Service) PurgeQueue(ctx context.Context, in QueueRef) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, in.QueueUrl, "PurgeQueue")
	if err != nil {
		return struct{}{}, err
	}
	now := s.opts.Now()
	if !q.Purged.IsZero() && now.Sub(q.Purged) < purgeInterval {
		return struct{}{}, &awsjson.Error{Code: "PurgeQueueInProgress", Message: "Only one PurgeQueue operation on " + q.Name + " is allowed every 60 seconds.",
			Status: http.StatusBadRequest, QueryError: "AWS.SimpleQueueService.PurgeQueueInProgress;Sender"}
	}
	q.Messages, q.Purged = nil, now
	return struct{}{}, s.save(q)
}

func (s *Service) operations() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"CreateQueue":             awsjson.Op(s.CreateQueue),
		"GetQueueUrl":             awsjson.Op(s.GetQueueUrl),
		"ListQueues":              awsjson.Op(s.ListQueues),
		"DeleteQueue":             awsjson.Op(s.DeleteQueue),
		"GetQueueAttributes":      awsjson.Op(s.GetQueueAttributes),
		"SetQueueAttributes":      awsjson.Op(s.SetQueueAttributes),
		"SendMessage":             awsjson.Op(s.SendMessage),
		"ReceiveMessage":          awsjson.Op(s.ReceiveMessage),
		"DeleteMessage":           awsjson.Op(s.DeleteMessage),
		"ChangeMessageVisibility": awsjson.Op(s.ChangeMessageVisibility),
		"PurgeQueue":              awsjson.Op(s.PurgeQueue),
		"SendMessageBatch":        awsjson.Op(s.SendMessageBatch),
		"DeleteMessageBatch":      awsjson.Op(s.DeleteMessageBatch),
	}
}
