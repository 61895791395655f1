package cloud

import (
	"fmt"
	"net/http"

	"thumbflow/local/alert"
	"thumbflow/local/secretsmanager"
	"thumbflow/local/sigv4"
)

// The stack's services beyond S3, Step Functions, Lambda and the WebSocket
// API:
//
//   - Secrets: the local Secrets Manager (local/secretsmanager) holds the
//     template's secrets, generated once as GenerateSecretString says and
//     kept in the data directory; functions read them through the SDK, as
//     on AWS, with their role's permissions.
//   - Rules and topics: local/alert stands in for the rule that matches
//     failed, timed-out and aborted executions and for the topic it
//     targets (a log line, or the -alert-webhook POST).
//   - Queues, alarms, log groups, permissions and EventInvokeConfig are
//     recorded in the model only.

// buildSecrets starts the local Secrets Manager and creates the stack's
// secrets in it.
func (c *Cloud) buildSecrets() error {
	var err error
	c.Secrets, err = secretsmanager.New(secretsmanager.Options{
		Dir: c.sub("secretsmanager"), Verifier: c.verifier, Authorize: c.authorizeJSON,
		Region: c.cfg.Region, AccountID: c.cfg.AccountID, Logger: c.log.With("service", "secretsmanager"),
	})
	if err != nil {
		return fmt.Errorf("local Secrets Manager: %w", err)
	}
	for _, sec := range c.Stack.Secrets {
		if _, err := c.Secrets.CreateFromTemplate(secretsmanager.FromStack(sec)); err != nil {
			return c.refusal(sec.Resource, "secret %s: %v", sec.LogicalID, err)
		}
	}
	return nil
}

// authorizeJSON is IAM for the services that speak AWS JSON.
func (c *Cloud) authorizeJSON(r *http.Request, action, resource string) error {
	return c.authz.Authorize(sigv4.AccessKeyID(r), action, resource, nil)
}

// buildAlerts starts local/alert, the stand-in for the stack's rules and
// topics, and records what it stands in for.
func (c *Cloud) buildAlerts() error {
	// The template's rules decide what alerts, as on AWS: never nil, so a
	// template without rules alerts on nothing.
	patterns := []alert.Pattern{}
	for _, r := range c.Stack.Rules {
		if r.Props.State != "DISABLED" {
			patterns = append(patterns, alert.Pattern(r.Props.EventPattern))
		}
	}
	var err error
	if c.Alerter, err = alert.New(alert.Options{Webhook: c.cfg.AlertWebhook, Dir: c.sub("alerts"), Region: c.cfg.Region,
		AccountID: c.cfg.AccountID, Logger: c.log.With("service", "alert"), Patterns: patterns}); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	for _, r := range c.Stack.Rules {
		c.log.Debug("rule stood in for by local/alert", "rule", r.Name)
	}
	return nil
}
