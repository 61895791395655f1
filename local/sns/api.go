package sns

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"thumbflow/local/events"
	"thumbflow/local/iam"
)

type operation func(r *http.Request, f form) (any, error)

func (s *Service) operations() map[string]operation {
	return map[string]operation{
		"CreateTopic":              s.createTopic,
		"DeleteTopic":              s.deleteTopic,
		"ListTopics":               s.listTopics,
		"GetTopicAttributes":       s.getTopicAttributes,
		"SetTopicAttributes":       s.setTopicAttributes,
		"Subscribe":                s.subscribe,
		"Unsubscribe":              s.unsubscribe,
		"ListSubscriptionsByTopic": s.listSubscriptionsByTopic,
		"ListSubscriptions":        s.listSubscriptions,
		"Publish":                  s.publish,
	}
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// The results, named as the query protocol names their elements.
type (
	CreateTopicResult struct{ TopicArn string }
	SubscribeResult   struct{ SubscriptionArn string }
	PublishResult     struct{ MessageId string }
	ListTopicsResult  struct {
		Topics []struct{ TopicArn string } `xml:"Topics>member"`
	}
	GetTopicAttributesResult struct {
		Attributes attributeEntries
	}
	subscriptionMember struct {
		SubscriptionArn, Owner, Protocol, Endpoint, TopicArn string
	}
	ListSubscriptionsByTopicResult struct {
		Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	}
	ListSubscriptionsResult struct {
		Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	}
	emptyResult struct{}
)

// topic returns the topic with that ARN. Callers hold s.mu.
func (s *Service) topic(arn string) (*topic, error) {
	t, ok := s.topics[arn]
	if !ok {
		return nil, notFound("Topic")
	}
	return t, nil
}

// CreateTopic creates a topic, or returns the existing one of that name.
func (s *Service) CreateTopic(name string, attrs map[string]string) (string, error) {
	if !topicName.MatchString(name) {
		return "", invalidParam("Topic Name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := s.topicARN(name)
	if _, ok := s.topics[arn]; ok {
		return arn, nil
	}
	t := &topic{ARN: arn, Name: name, DisplayName: attrs["DisplayName"], Policy: attrs["Policy"]}
	if err := t.parsePolicy(); err != nil {
		return "", invalidParam("Policy: %v", err)
	}
	s.topics[arn] = t
	return arn, s.save()
}

func (s *Service) createTopic(_ *http.Request, f form) (any, error) {
	arn, err := s.CreateTopic(f.get("Name"), f.entries("Attributes", "key", "value"))
	return CreateTopicResult{TopicArn: arn}, err
}

func (s *Service) deleteTopic(_ *http.Request, f form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.topics, f.get("TopicArn"))
	return emptyResult{}, s.save()
}

func (s *Service) listTopics(_ *http.Request, _ form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out ListTopicsResult
	for arn := range s.topics {
		out.Topics = append(out.Topics, struct{ TopicArn string }{arn})
	}
	sort.Slice(out.Topics, func(i, j int) bool { return out.Topics[i].TopicArn < out.Topics[j].TopicArn })
	return out, nil
}

func (s *Service) getTopicAttributes(_ *http.Request, f form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(f.get("TopicArn"))
	if err != nil {
		return nil, err
	}
	attrs := attributeEntries{
		"TopicArn": t.ARN, "Owner": s.opts.AccountID, "DisplayName": t.DisplayName,
		"SubscriptionsConfirmed": strconv.Itoa(len(t.Subscriptions)), "SubscriptionsPending": "0", "SubscriptionsDeleted": "0",
	}
	if t.Policy != "" {
		attrs["Policy"] = t.Policy
	}
	return GetTopicAttributesResult{Attributes: attrs}, nil
}

func (s *Service) setTopicAttributes(_ *http.Request, f form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(f.get("TopicArn"))
	if err != nil {
		return nil, err
	}
	switch name, value := f.get("AttributeName"), f.get("AttributeValue"); name {
	case "DisplayName":
		t.DisplayName = value
	case "Policy":
		old := t.Policy
		t.Policy = value
		if err := t.parsePolicy(); err != nil {
			t.Policy = old
			t.parsePolicy()
			return nil, invalidParam("Policy: %v", err)
		}
	default:
		return nil, invalidParam("AttributeName %s is not supported locally", name)
	}
	return emptyResult{}, s.save()
}

// Protocols the local SNS accepts; docs/local-services.md says which it
// delivers.
var protocols = []string{"email", "email-json", "http", "https", "sqs", "lambda"}

// Subscribe adds a subscription, confirmed at once (see
// docs/local-services.md), and returns its ARN; arn may be "" to derive
// one. An identical subscription is returned, not repeated.
func (s *Service) Subscribe(topicARN, protocol, endpoint, arn string, raw bool) (string, error) {
	if !slices.Contains(protocols, protocol) {
		return "", invalidParam("Invalid protocol type: %s", protocol)
	}
	if (protocol == "http" && !strings.HasPrefix(endpoint, "http://")) || (protocol == "https" && !strings.HasPrefix(endpoint, "https://")) {
		return "", invalidParam("Invalid parameter: Endpoint must match the specified protocol")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(topicARN)
	if err != nil {
		return "", err
	}
	for _, sub := range t.Subscriptions {
		if sub.Protocol == protocol && sub.Endpoint == endpoint {
			return sub.ARN, nil
		}
	}
	if arn == "" {
		arn = topicARN + ":" + randomID()
	}
	t.Subscriptions = append(t.Subscriptions, &subscription{ARN: arn, Protocol: protocol, Endpoint: endpoint, Raw: raw})
	s.log.Info("subscription added", "topic", topicARN, "protocol", protocol, "endpoint", endpoint)
	return arn, s.save()
}

func (s *Service) subscribe(_ *http.Request, f form) (any, error) {
	raw := f.entries("Attributes", "key", "value")["RawMessageDelivery"] == "true"
	arn, err := s.Subscribe(f.get("TopicArn"), f.get("Protocol"), f.get("Endpoint"), "", raw)
	return SubscribeResult{SubscriptionArn: arn}, err
}

func (s *Service) unsubscribe(_ *http.Request, f form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := f.get("SubscriptionArn")
	for _, t := range s.topics {
		t.Subscriptions = slices.DeleteFunc(t.Subscriptions, func(sub *subscription) bool { return sub.ARN == arn })
	}
	return emptyResult{}, s.save()
}

func (s *Service) members(t *topic) []subscriptionMember {
	var out []subscriptionMember
	for _, sub := range t.Subscriptions {
		out = append(out, subscriptionMember{SubscriptionArn: sub.ARN, Owner: s.opts.AccountID, Protocol: sub.Protocol, Endpoint: sub.Endpoint, TopicArn: t.ARN})
	}
	return out
}

func (s *Service) listSubscriptionsByTopic(_ *http.Request, f form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(f.get("TopicArn"))
	if err != nil {
		return nil, err
	}
	return ListSubscriptionsByTopicResult{Subscriptions: s.members(t)}, nil
}

func (s *Service) listSubscriptions(_ *http.Request, _ form) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out ListSubscriptionsResult
	for _, t := range s.topics {
		out.Subscriptions = append(out.Subscriptions, s.members(t)...)
	}
	sort.Slice(out.Subscriptions, func(i, j int) bool {
		return out.Subscriptions[i].SubscriptionArn < out.Subscriptions[j].SubscriptionArn
	})
	return out, nil
}

func (s *Service) publish(_ *http.Request, f form) (any, error) {
	arn := cmp(f.get("TopicArn"), f.get("TargetArn"))
	id, err := s.Publish(arn, f.get("Subject"), f.get("Message"))
	return PublishResult{MessageId: id}, err
}

// maxMessageBytes is SNS's limit on a message.
const maxMessageBytes = 256 << 10

// Publish fans message out to the topic's subscriptions and returns its
// message id. The caller's identity is the API's concern (Authorize);
// services publishing on their own behalf use PublishAs.
func (s *Service) Publish(topicARN, subject, message string) (string, error) {
	if message == "" {
		return "", invalidParam("Empty message")
	}
	if len(message) > maxMessageBytes {
		return "", invalidParam("Message too long")
	}
	if len(subject) > 100 {
		return "", invalidParam("Subject")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(topicARN)
	if err != nil {
		return "", err
	}
	n := notification{Type: "Notification", MessageID: randomID(), TopicARN: t.ARN, Subject: subject, Message: message,
		Timestamp: s.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z"), SignatureVersion: "1"}
	for _, sub := range t.Subscriptions {
		s.fanOut(n, sub)
	}
	return n.MessageID, nil
}

// Publisher is an AWS service publishing on its own behalf: its service
// principal and the resource it acts for, which the topic policy's
// aws:SourceArn and aws:SourceAccount conditions check.
type Publisher struct {
	Service, SourceARN, SourceAccount string
}

// ErrDenied is returned (wrapped) when the topic policy does not allow a
// publisher.
var ErrDenied = errors.New("the topic policy does not allow the publisher")

// PublishAs publishes for a service principal, as EventBridge and
// CloudWatch alarms do: the topic policy must allow it, evaluated with
// local/iam; without a policy a service is refused, as on AWS.
func (s *Service) PublishAs(p Publisher, topicARN, subject, message string) (string, error) {
	s.mu.Lock()
	t, err := s.topic(topicARN)
	var policies []iam.Policy
	if err == nil && t.policy != nil {
		policies = []iam.Policy{*t.policy}
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	req := iam.Request{Service: p.Service, Action: "sns:Publish", Resource: topicARN, Context: map[string][]string{}}
	if p.SourceARN != "" {
		req.Context["aws:SourceArn"] = []string{p.SourceARN}
	}
	if p.SourceAccount != "" {
		req.Context["aws:SourceAccount"] = []string{p.SourceAccount}
	}
	if d := iam.Evaluate(req, nil, policies); d != iam.Allow {
		s.log.Error("publish refused by the topic policy", "topic", topicARN, "service", p.Service, "sourceArn", p.SourceARN, "decision", d.String())
		return "", &Error{Code: "AuthorizationError", Message: ErrDenied.Error() + " (" + p.Service + ", " + d.String() + ")", Status: http.StatusForbidden}
	}
	return s.Publish(topicARN, subject, message)
}

// EventBridgeTarget delivers an EventBridge rule's matched event to its
// topic target as events.amazonaws.com, for events.Service.HandleTargets
// ("arn:aws:sns:"). A refusal or a missing topic is not retried.
func (s *Service) EventBridgeTarget() events.Deliver {
	return func(_ context.Context, d events.Delivery) error {
		_, err := s.PublishAs(Publisher{Service: "events.amazonaws.com", SourceARN: d.RuleARN, SourceAccount: s.opts.AccountID}, d.TargetARN, "", string(d.Input))
		var e *Error
		if errors.As(err, &e) && e.Status < 500 {
			return events.Permanent(err)
		}
		return err
	}
}

// notification is SNS's notification JSON as http/https and email-json
// endpoints receive it.
type notification struct {
	Type             string
	MessageID        string `json:"MessageId"`
	TopicARN         string `json:"TopicArn"`
	Subject          string `json:",omitempty"`
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	UnsubscribeURL   string
}

// fanOut delivers n to one subscription. Callers hold s.mu.
func (s *Service) fanOut(n notification, sub *subscription) {
	n.UnsubscribeURL = "https://sns." + s.opts.Region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + sub.ARN
	switch sub.Protocol {
	case "email", "email-json":
		// No mail leaves the machine: the log line is the email.
		s.log.Info("email notification", "to", sub.Endpoint, "topic", n.TopicARN, "subject", n.Subject, "message", n.Message, "messageId", n.MessageID)
	case "http", "https":
		body := []byte(n.Message)
		if !sub.Raw {
			body, _ = json.Marshal(n)
		}
		s.enqueue(&pending{Key: n.MessageID + "-" + keyOf(sub.ARN), Subscription: sub.ARN, Endpoint: sub.Endpoint, TopicARN: n.TopicARN,
			MessageID: n.MessageID, Raw: sub.Raw, Body: body, Due: time.Now()})
	default:
		s.log.Warn("the local SNS does not deliver to this protocol; notification dropped", "protocol", sub.Protocol, "endpoint", sub.Endpoint, "messageId", n.MessageID)
	}
}

// AlarmAction publishes a CloudWatch alarm's notification to its SNS
// action as cloudwatch.amazonaws.com, for cloudwatch.Options.Action; the
// topic policy is checked with the alarm's ARN as aws:SourceArn.
func (s *Service) AlarmAction() func(ctx context.Context, alarmARN, actionARN, subject, message string) error {
	return func(_ context.Context, alarmARN, actionARN, subject, message string) error {
		_, err := s.PublishAs(Publisher{Service: "cloudwatch.amazonaws.com", SourceARN: alarmARN, SourceAccount: s.opts.AccountID}, actionARN, subject, message)
		return err
	}
}

// Policy returns the topic's policy, for an Authorizer that evaluates an
// API caller's identity policies together with it, as IAM does within one
// account.
func (s *Service) Policy(topicARN string) (iam.Policy, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[topicARN]
	if !ok || t.policy == nil {
		return iam.Policy{}, false
	}
	return *t.policy, true
}
