package cloud

import (
	"fmt"

	"thumbflow/local/sfn"
)

// buildStateMachines deploys every state machine of the stack to the local
// engine: its name, its type and its definition with the template's
// DefinitionSubstitutions applied by the loader, so the ARNs in it are the
// stack's functions. The logging configuration is recorded in the log: the
// local engine keeps every execution's full history, which is more than
// any level would send to CloudWatch Logs.
func (c *Cloud) buildStateMachines() error {
	for _, m := range c.Stack.StateMachines {
		arn, err := c.SFN.Deploy(sfn.CreateStateMachineInput{Name: m.Name, Definition: m.Definition, RoleARN: m.RoleARN, Type: m.Type})
		if err != nil {
			return c.refusal(m.Resource, "state machine %s (%s): %v", m.LogicalID, m.Name, err)
		}
		if arn != m.ARN {
			return c.refusal(m.Resource, "state machine %s deployed as %s, but the stack names it %s", m.LogicalID, arn, m.ARN)
		}
		logging := "OFF"
		if l := m.Props.Logging; l != nil {
			logging = fmt.Sprintf("%s (execution data: %t, %d destinations)", l.Level, l.IncludeExecutionData, len(l.Destinations))
		}
		c.log.Info("state machine ready", "arn", arn, "type", m.Type, "logging", logging)
	}
	return nil
}
