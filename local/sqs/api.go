package sqs

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"thumbflow/local/awsjson"
)

func invalidParam(format string, args ...any) error {
	e := awsjson.Errorf("InvalidParameterValue", format, args...)
	e.QueryError = "InvalidParameterValue;Sender"
	return e
}

// authorize asks IAM about action on the queue.
func (s *Service) authorize(ctx context.Context, action, name string) error {
	if err := awsjson.Authorize(ctx, "sqs:"+action, s.ARN(name)); err != nil {
		return &awsjson.Error{Code: "AccessDenied", Message: err.Error(), Status: http.StatusForbidden, QueryError: "AccessDenied;Sender"}
	}
	return nil
}

// queueFor finds the queue ref names and asks IAM about action on it.
// Callers hold s.mu.
func (s *Service) queueFor(ctx context.Context, ref, action string) (*queue, error) {
	q, err := s.byRef(ref)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, action, q.Name); err != nil {
		return nil, err
	}
	return q, nil
}

var queueName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// CreateQueueInput and the other inputs carry the API's field names.
type CreateQueueInput struct {
	QueueName  string
	Attributes map[string]string
	Tags       map[string]string
}

// QueueURLOutput names a queue by its URL.
type QueueURLOutput struct{ QueueUrl string }

// CreateQueue creates a standard queue, or returns the existing one when
// its attributes are the same, as SQS does.
func (s *Service) CreateQueue(ctx context.Context, in CreateQueueInput) (QueueURLOutput, error) {
	if !queueName.MatchString(in.QueueName) {
		return QueueURLOutput{}, invalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if strings.HasSuffix(in.QueueName, ".fifo") || in.Attributes["FifoQueue"] == "true" {
		return QueueURLOutput{}, invalidParam("the local SQS serves standard queues only")
	}
	if err := s.authorize(ctx, "CreateQueue", in.QueueName); err != nil {
		return QueueURLOutput{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := newQueue(in.QueueName, s.opts.Now())
	if err := q.set(in.Attributes); err != nil {
		return QueueURLOutput{}, err
	}
	if old, ok := s.queues[in.QueueName]; ok {
		for n := range in.Attributes {
			if p := old.setting(n); p != nil && *p != *q.setting(n) {
				return QueueURLOutput{}, &awsjson.Error{Code: "QueueNameExists", Message: "A queue already exists with the same name and a different value for attribute " + n,
					Status: http.StatusBadRequest, QueryError: "QueueAlreadyExists;Sender"}
			}
		}
		return QueueURLOutput{QueueUrl: s.URL(old.Name)}, nil
	}
	s.queues[q.Name] = q
	if err := s.save(q); err != nil {
		delete(s.queues, q.Name)
		return QueueURLOutput{}, err
	}
	return QueueURLOutput{QueueUrl: s.URL(q.Name)}, nil
}

// GetQueueUrl returns a queue's URL.
func (s *Service) GetQueueUrl(ctx context.Context, in struct{ QueueName, QueueOwnerAWSAccountId string }) (QueueURLOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[in.QueueName]
	if !ok {
		return QueueURLOutput{}, queueMissing()
	}
	if err := s.authorize(ctx, "GetQueueUrl", q.Name); err != nil {
		return QueueURLOutput{}, err
	}
	return QueueURLOutput{QueueUrl: s.URL(q.Name)}, nil
}

// ListQueues lists queue URLs, optionally by name prefix.
func (s *Service) ListQueues(ctx context.Context, in struct{ QueueNamePrefix string }) (struct{ QueueUrls []string }, error) {
	var out struct{ QueueUrls []string }
	if err := s.authorize(ctx, "ListQueues", "*"); err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.queues {
		if strings.HasPrefix(name, in.QueueNamePrefix) {
			out.QueueUrls = append(out.QueueUrls, s.URL(name))
		}
	}
	sort.Strings(out.QueueUrls)
	return out, nil
}

// QueueRef names a queue by URL.
type QueueRef struct{ QueueUrl string }

// DeleteQueue deletes a queue and its messages.
func (s *Service) DeleteQueue(ctx context.Context, in QueueRef) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, in.QueueUrl, "DeleteQueue")
	if err != nil {
		return struct{}{}, err
	}
	delete(s.queues, q.Name)
	return struct{}{}, s.remove(q.Name)
}

// GetQueueAttributes answers the attributes asked, counts included.
func (s *Service) GetQueueAttributes(ctx context.Context, in struct {
	QueueUrl       string
	AttributeNames []string
}) (struct{ Attributes map[string]string }, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out struct{ Attributes map[string]string }
	q, err := s.queueFor(ctx, in.QueueUrl, "GetQueueAttributes")
	if err != nil {
		return out, err
	}
	q.expire(s.opts.Now())
	out.Attributes = s.attributes(q, in.AttributeNames)
	return out, nil
}

// SetQueueAttributes changes settable attributes.
func (s *Service) SetQueueAttributes(ctx context.Context, in struct {
	QueueUrl   string
	Attributes map[string]string
}) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, in.QueueUrl, "SetQueueAttributes")
	if err != nil {
		return struct{}{}, err
	}
	if err := q.set(in.Attributes); err != nil {
		return struct{}{}, err
	}
	q.Changed = s.opts.Now()
	return struct{}{}, s.save(q)
}

// SendMessageInput is one message.
type SendMessageInput struct {
	QueueUrl, MessageBody string
	DelaySeconds          *int
	MessageAttributes     map[string]MessageAttribute
}

// SendMessageOutput carries the digests the SDKs verify.
type SendMessageOutput struct {
	MessageId, MD5OfMessageBody string
	MD5OfMessageAttributes      string `json:",omitempty"`
}

// SendMessage adds a message to a queue.
func (s *Service) SendMessage(ctx context.Context, in SendMessageInput) (SendMessageOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, in.QueueUrl, "SendMessage")
	if err != nil {
		return SendMessageOutput{}, err
	}
	return s.send(q, in)
}

// send adds the message. Callers hold s.mu.
func (s *Service) send(q *queue, in SendMessageInput) (SendMessageOutput, error) {
	if in.MessageBody == "" {
		return SendMessageOutput{}, &awsjson.Error{Code: "MissingParameter", Message: "The request must contain the parameter MessageBody.", Status: http.StatusBadRequest, QueryError: "MissingParameter;Sender"}
	}
	size := len(in.MessageBody)
	for n, a := range in.MessageAttributes {
		size += len(n) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			size += len(*a.StringValue)
		}
	}
	if size > q.MaximumMessageSize {
		return SendMessageOutput{}, invalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.MaximumMessageSize)
	}
	delay := q.DelaySeconds
	if in.DelaySeconds != nil {
		if *in.DelaySeconds < 0 || *in.DelaySeconds > 900 {
			return SendMessageOutput{}, invalidParam("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900.", *in.DelaySeconds)
		}
		delay = *in.DelaySeconds
	}
	now := s.opts.Now()
	q.expire(now)
	m := &message{ID: randomID(), Body: in.MessageBody, Attributes: in.MessageAttributes, Sent: now, Visible: now.Add(time.Duration(delay) * time.Second)}
	q.Messages = append(q.Messages, m)
	if err := s.save(q); err != nil {
		q.Messages = q.Messages[:len(q.Messages)-1]
		return SendMessageOutput{}, err
	}
	s.wake()
	return SendMessageOutput{MessageId: m.ID, MD5OfMessageBody: md5Hex([]byte(m.Body)), MD5OfMessageAttributes: attributesMD5(m.Attributes)}, nil
}

// Enqueue sends body to the queue named by queueRef (its ARN, URL or
// name), for the local cloud's own producers: Lambda's OnFailure
// destination writes an InvocationRecord here. It is not subject to IAM.
func (s *Service) Enqueue(queueRef, body string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.byRef(queueRef)
	if err != nil {
		return "", err
	}
	out, err := s.send(q, SendMessageInput{MessageBody: body})
	return out.MessageId, err
}

// Depth is the queue's visible and in-flight message counts, for the
// local CloudWatch's AWS/SQS metrics.
func (s *Service) Depth(queueRef string) (visible, inFlight int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.byRef(queueRef)
	if err != nil {
		return 0, 0, err
	}
	now := s.opts.Now()
	q.expire(now)
	visible, inFlight, _ = q.counts(now)
	return visible, inFlight, nil
}

// Queues lists the queues' names, for the local CloudWatch.
func (s *Service) Queues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.queues {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
