package cloud

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"time"

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

// watchStateMachines publishes edits of the definition files the
// template's DefinitionUri values name as new versions while the cloud
// runs, as UpdateStateMachine with publish does: new executions use them,
// running ones keep theirs, and a refused edit is logged with AWS's
// diagnostics while the previous version stays in service. Only a
// template read from disk is watched: the embedded files never change, and
// an edit of the template itself needs a restart (the banner says so).
func (c *Cloud) watchStateMachines() {
	if c.cfg.Files == nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, m := range c.Stack.StateMachines {
		if m.Props.DefinitionUri == "" {
			continue
		}
		file := path.Join(path.Dir(c.cfg.Template), m.Props.DefinitionUri)
		// Read now, not in the goroutine: an edit saved right after Start
		// returns must count as an edit.
		deployed, err := fs.ReadFile(c.cfg.Files, file)
		if err != nil {
			c.log.Warn("definition file not watched", "file", file, "error", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SFN.WatchFile(ctx, c.cfg.Files, file, m.Name, m.RoleARN, m.Props.DefinitionSubstitutions, deployed, watchInterval, nil)
		}()
	}
	c.stopWatch = func() { stop(); wg.Wait() }
}

// watchInterval is how often the definition files are checked for edits:
// quick enough to feel immediate, cheap for a few small files.
const watchInterval = 500 * time.Millisecond
