package cloud

import (
	"fmt"
	"net/http"

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
//   - Queues and alarms: the local SQS and CloudWatch (async.go), whose
//     alarm actions publish to the topics.
//   - Rules and topics: the local EventBridge and SNS (alerting.go).
//   - Log groups and permissions are recorded in the model only.

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
