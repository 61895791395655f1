package cloud

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"thumbflow/local/events"
	"thumbflow/local/sfn"
	"thumbflow/local/sns"
)

// Alerting is the stack's own path, built from the template as on AWS:
// Step Functions' "Execution Status Change" events go to the local
// EventBridge, whose rules (the template's event patterns) deliver to
// their SNS targets through the topic policy, and the topics fan out to
// their subscriptions. An email subscription is a log line; -alert-webhook
// is one more subscription. Nothing here decides what alerts: the
// template's rules do, so the local run shows who AWS would alert.

// buildTopics starts the local SNS with the template's topics, their
// policies and subscriptions, and subscribes the -alert-webhook to every
// topic a rule targets, with raw message delivery so that it receives the
// EventBridge event itself, as a receiver on AWS subscribed the same way
// does. Built before the alarms, whose actions publish to the topics.
func (c *Cloud) buildTopics() error {
	var err error
	if c.Topics, err = sns.New(sns.Options{Dir: c.sub("sns"), Verifier: c.verifier, Authorize: c.authorizeJSON,
		Region: c.cfg.Region, AccountID: c.cfg.AccountID, Logger: c.log.With("service", "sns"),
		RetryDelay: c.shorten(sns.DefaultRetryDelay)}); err != nil {
		return fmt.Errorf("local SNS: %w", err)
	}
	for _, t := range c.Stack.Topics {
		if err := c.Topics.CreateFromTemplate(t); err != nil {
			return c.refusal(t.Resource, "topic %s: %v", t.LogicalID, err)
		}
	}
	if c.cfg.AlertWebhook == "" {
		return nil
	}
	proto, _, _ := strings.Cut(c.cfg.AlertWebhook, "://")
	for _, arn := range c.alertTopics() {
		if _, err := c.Topics.Subscribe(arn, proto, c.cfg.AlertWebhook, "", true); err != nil {
			return fmt.Errorf("-alert-webhook %s: %w", c.cfg.AlertWebhook, err)
		}
	}
	return nil
}

// alertTopics are the topics the template's rules target: where an alert
// goes, whatever the topic is called.
func (c *Cloud) alertTopics() []string {
	var arns []string
	seen := map[string]bool{}
	for _, r := range c.Stack.Rules {
		for _, t := range r.Props.Targets {
			if strings.HasPrefix(t.Arn, "arn:aws:sns:") && !seen[t.Arn] {
				seen[t.Arn] = true
				arns = append(arns, t.Arn)
			}
		}
	}
	return arns
}

// buildRules starts the local EventBridge with the template's rules and
// their targets; SNS targets publish as events.amazonaws.com, so the
// topic policy's aws:SourceArn and aws:SourceAccount conditions are
// evaluated as on AWS.
func (c *Cloud) buildRules() error {
	c.Events = events.New(events.Options{Verifier: c.verifier, Authorize: c.authorizeJSON,
		Region: c.cfg.Region, AccountID: c.cfg.AccountID, Logger: c.log.With("service", "events"),
		Backoff: func(n int) time.Duration { return c.shorten(min(time.Second<<min(n-1, 20), 5*time.Minute)) }})
	for _, r := range c.Stack.Rules {
		if err := c.Events.CreateFromTemplate(r); err != nil {
			return c.refusal(r.Resource, "rule %s: %v", r.LogicalID, err)
		}
	}
	c.Events.HandleTargets("arn:aws:sns:", c.Topics.EventBridgeTarget())
	c.buildFunctionTargets()
	return nil
}

// observeExecution sends an execution's status change to the local
// EventBridge (what sfn.Service.OnExecutionEnd takes) and says in the log
// what the rules made of it: the alert, at ERROR, for the on-call reader
// of a terminal (cmd/thumbflow compacts "execution alert"); a failure no
// rule matches, such as a user rejection, at INFO, since it pages no one.
func (c *Cloud) observeExecution(s sfn.ExecutionSummary) {
	now := time.Now
	if c.cfg.Clock != nil {
		now = c.cfg.Clock.Now
	}
	ev := events.StatusChange(s, c.cfg.Region, c.cfg.AccountID, now())
	rules := c.Events.Put(ev)
	if s.Status == "RUNNING" || s.Status == "SUCCEEDED" {
		return
	}
	log := c.log.With("service", "events")
	if len(rules) == 0 {
		log.Info("execution ended without alert: no alert rule matches",
			"status", s.Status, "executionArn", s.ExecutionARN, "uploadId", uploadID(s.Input), "errorName", s.Error)
		return
	}
	log.Error("execution alert", "rules", rules, "detail-type", ev.DetailType, "id", ev.ID, "status", s.Status,
		"executionArn", s.ExecutionARN, "uploadId", uploadID(s.Input), "error", s.Error, "cause", s.Cause)
}

// uploadID is the upload an execution converts, from its input.
func uploadID(input json.RawMessage) string {
	var in struct {
		UploadID string `json:"uploadId"`
	}
	json.Unmarshal(input, &in)
	return in.UploadID
}

// shorten is d on the cloud's clock, for services that take a delay
// rather than a clock: a test's fast clock shortens it.
func (c *Cloud) shorten(d time.Duration) time.Duration {
	if s, ok := c.cfg.Clock.(interface {
		Shorten(time.Duration) time.Duration
	}); ok {
		return s.Shorten(d)
	}
	return d
}
