package secretsmanager

import (
	"fmt"
	"time"

	"thumbflow/local/stack"
)

// TemplateSecret is an AWS::SecretsManager::Secret as the local cloud
// creates it: its name and ARN come from the stack (the ARN the template's
// !Ref resolves to), and its value from SecretString or Generate.
type TemplateSecret struct {
	Name, ARN, Description string
	SecretString           string
	Generate               *Generate
}

// FromStack converts the template loader's secret.
func FromStack(sec *stack.Secret) TemplateSecret {
	t := TemplateSecret{Name: sec.Name, ARN: sec.ARN, Description: sec.Props.Description, SecretString: sec.Props.SecretString}
	if g := sec.Props.GenerateSecretString; g != nil {
		req := g.RequireEachIncludedType
		t.Generate = &Generate{
			PasswordLength: g.PasswordLength, ExcludeCharacters: g.ExcludeCharacters,
			ExcludeLowercase: g.ExcludeLowercase, ExcludeUppercase: g.ExcludeUppercase,
			ExcludeNumbers: g.ExcludeNumbers, ExcludePunctuation: g.ExcludePunctuation,
			IncludeSpace: g.IncludeSpace, SecretStringTemplate: g.SecretStringTemplate,
			GenerateStringKey: g.GenerateStringKey,
		}
		// The loader cannot tell an absent RequireEachIncludedType from
		// false; AWS's default, true, applies unless the template sets it.
		if raw, ok := sec.Properties["GenerateSecretString"].(map[string]any); ok {
			if _, set := raw["RequireEachIncludedType"]; set {
				t.Generate.RequireEachIncludedType = &req
			}
		}
	}
	return t
}

// CreateFromTemplate creates the template's secret unless the data
// directory already has it, so a generated value is generated once and
// survives restarts, as a deployed stack's does. A secret scheduled for
// deletion is restored. It returns the secret's ARN.
func (s *Service) CreateFromTemplate(t TemplateSecret) (string, error) {
	if t.Name == "" || t.ARN == "" {
		return "", fmt.Errorf("secretsmanager: template secret needs a name and an ARN")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec, ok := s.secrets[t.ARN]; ok {
		if !sec.Deleted.IsZero() {
			sec.Deleted, sec.Purge = time.Time{}, time.Time{}
			s.log.Info("template secret restored from its scheduled deletion", "arn", t.ARN)
			return t.ARN, s.save()
		}
		return t.ARN, nil
	}
	value := t.SecretString
	if t.Generate != nil {
		v, err := t.Generate.secretString(s.opts.Rand)
		if err != nil {
			return "", fmt.Errorf("secretsmanager: %s: GenerateSecretString: %w", t.Name, err)
		}
		value = v
	}
	id, err := s.uuid()
	if err != nil {
		return "", err
	}
	now := s.opts.Now()
	sec := &secret{ARN: t.ARN, Name: t.Name, Description: t.Description, Created: now, Changed: now}
	sec.addVersion(&version{ID: id, String: &value, Created: now})
	s.secrets[t.ARN] = sec
	if err := s.save(); err != nil {
		delete(s.secrets, t.ARN)
		return "", fmt.Errorf("secretsmanager: saving %s: %w", t.Name, err)
	}
	s.log.Info("template secret created", "name", t.Name, "arn", t.ARN, "generated", t.Generate != nil)
	return t.ARN, nil
}
