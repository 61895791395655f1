package cloud

import (
	"context"
	"fmt"
	"strings"

	"thumbflow/local/events"
	"thumbflow/local/stack"
)

// Rules that target functions: the template's scheduled rule (SweepRule)
// invokes its function as EventBridge does, asynchronously (Lambda's
// retries and OnFailure destination apply, see invokeAsync) with the
// scheduled event as the payload, and only where an AWS::Lambda::Permission
// lets events.amazonaws.com invoke that function from that rule. The
// function runs with its own role's credentials, as every function does.

// eventsPrincipal is the service principal EventBridge invokes as.
const eventsPrincipal = "events.amazonaws.com"

// buildFunctionTargets makes the local EventBridge deliver to the stack's
// functions.
func (c *Cloud) buildFunctionTargets() {
	c.Events.HandleTargets("arn:aws:lambda:", func(ctx context.Context, d events.Delivery) error {
		fn := c.Stack.FunctionByARN(d.TargetARN)
		if fn == nil {
			return events.Permanent(fmt.Errorf("target %s is not a function of the stack", d.TargetARN))
		}
		if !c.eventsMayInvoke(fn, d.RuleARN) {
			return events.Permanent(fmt.Errorf("AccessDeniedException: no AWS::Lambda::Permission lets %s invoke %s from %s", eventsPrincipal, fn.Name, d.RuleARN))
		}
		return c.invokeAsync(ctx, fn, d.Input)
	})
}

// eventsMayInvoke reports whether the function's resource policy (the
// template's permissions) lets rule invoke it.
func (c *Cloud) eventsMayInvoke(fn *stack.Function, ruleARN string) bool {
	for _, p := range c.Stack.Permissions {
		pr := p.Props
		if p.Function != fn || pr.Principal != eventsPrincipal || (pr.Action != "lambda:InvokeFunction" && pr.Action != "lambda:*") {
			continue
		}
		if pr.SourceAccount != "" && pr.SourceAccount != c.cfg.AccountID {
			continue
		}
		if src := pr.SourceArn; src == "" || src == ruleARN || strings.HasSuffix(src, "*") && strings.HasPrefix(ruleARN, strings.TrimSuffix(src, "*")) {
			return true
		}
	}
	return false
}

// runSchedules fires the template's scheduled rules on the cloud's clock:
// a rate(5 minutes) rule every 5 minutes of real time, or of the test's
// (or -time-scale's) shorter clock. Started last, once every function
// a rule may invoke is registered.
func (c *Cloud) runSchedules() {
	for _, r := range c.Stack.Rules {
		if r.Every > 0 {
			c.log.Info("scheduled rule ready", "rule", r.Name, "schedule", r.Props.ScheduleExpression, "every", r.Every.String(), "shortened to", c.shorten(r.Every).String())
		}
	}
	c.Events.RunSchedules(c.sleep)
}
