package cloud

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"thumbflow/local/alert"
	"thumbflow/local/stack"
)

// The stack's other services, until the local cloud runs them (issue 14):
// each is accepted by the loader and stood in for here, so the template
// that deploys is the template that runs.
//
//   - Secrets: a secret's value is generated once as its
//     GenerateSecretString says and kept in the data directory
//     (secrets/<name>, mode 0600), or per process in memory; functions
//     read it through wiring.Deps.Secret, not Secrets Manager.
//   - Rules and topics: local/alert stands in for the rule that matches
//     failed, timed-out and aborted executions and for the topic it
//     targets (a log line, or the -alert-webhook POST).
//   - Queues, alarms, log groups, permissions and EventInvokeConfig are
//     recorded in the model only.

// secrets holds the values of the stack's secrets by name.
type secrets struct {
	mu     sync.Mutex
	values map[string][]byte
}

// secretValue returns the value of the stack's secret that id names (its
// ARN, as Ref gives it, or its name), generating it on first use.
func (c *Cloud) secretValue(_ context.Context, id string) ([]byte, error) {
	var s *stack.Secret
	for _, x := range c.Stack.Secrets {
		if x.ARN == id || x.Name == id {
			s = x
		}
	}
	if s == nil {
		return nil, fmt.Errorf("secret %s: no secret of the stack has that id (ResourceNotFoundException)", id)
	}
	c.secrets.mu.Lock()
	defer c.secrets.mu.Unlock()
	if v, ok := c.secrets.values[s.Name]; ok {
		return v, nil
	}
	v, err := c.loadSecret(s)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", s.Name, err)
	}
	if c.secrets.values == nil {
		c.secrets.values = map[string][]byte{}
	}
	c.secrets.values[s.Name] = v
	return v, nil
}

// loadSecret reads a secret's kept value, or makes and keeps one.
func (c *Cloud) loadSecret(s *stack.Secret) ([]byte, error) {
	if s.Props.SecretString != "" {
		return []byte(s.Props.SecretString), nil
	}
	if c.cfg.DataDir == "" {
		return generateSecret(s.Props)
	}
	dir := filepath.Join(c.cfg.DataDir, "secrets")
	path := filepath.Join(dir, s.Name)
	v, err := os.ReadFile(path)
	if err == nil && len(v) > 0 {
		return v, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if v, err = generateSecret(s.Props); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, v, 0o600); err != nil {
		return nil, err
	}
	return v, nil
}

// generateSecret draws a password as Secrets Manager's GenerateSecretString
// does: PasswordLength (32 by default) characters from the classes not
// excluded. Templates (SecretStringTemplate) are refused until the local
// Secrets Manager implements them.
func generateSecret(p stack.SecretProps) ([]byte, error) {
	g := p.GenerateSecretString
	if g == nil {
		return nil, errors.New("neither SecretString nor GenerateSecretString is set")
	}
	if g.SecretStringTemplate != "" || g.GenerateStringKey != "" || g.RequireEachIncludedType {
		return nil, errors.New("SecretStringTemplate, GenerateStringKey and RequireEachIncludedType are not supported locally yet")
	}
	var classes []string
	if !g.ExcludeLowercase {
		classes = append(classes, "abcdefghijklmnopqrstuvwxyz")
	}
	if !g.ExcludeUppercase {
		classes = append(classes, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	}
	if !g.ExcludeNumbers {
		classes = append(classes, "0123456789")
	}
	if !g.ExcludePunctuation {
		classes = append(classes, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
	}
	if g.IncludeSpace {
		classes = append(classes, " ")
	}
	alphabet := strings.Map(func(r rune) rune {
		if strings.ContainsRune(g.ExcludeCharacters, r) {
			return -1
		}
		return r
	}, strings.Join(classes, ""))
	if alphabet == "" {
		return nil, errors.New("GenerateSecretString excludes every character")
	}
	n := g.PasswordLength
	if n == 0 {
		n = 32
	}
	out := make([]byte, n)
	for i := range out {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return nil, err
		}
		out[i] = alphabet[k.Int64()]
	}
	return out, nil
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
