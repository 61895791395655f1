package iam

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Policy is a policy document.
type Policy struct {
	Version    string      `json:"Version,omitempty"`
	ID         string      `json:"Id,omitempty"`
	Statements []Statement `json:"Statement"`
}

// Statement is one statement of a policy. The list fields accept a single
// string or a list, as IAM's grammar does.
type Statement struct {
	Sid          string     `json:"Sid,omitempty"`
	Effect       string     `json:"Effect"`
	Principal    *Principal `json:"Principal,omitempty"`
	NotPrincipal *Principal `json:"NotPrincipal,omitempty"`
	Action       Values     `json:"Action,omitempty"`
	NotAction    Values     `json:"NotAction,omitempty"`
	Resource     Values     `json:"Resource,omitempty"`
	NotResource  Values     `json:"NotResource,omitempty"`
	// Condition maps an operator (StringEquals, ...) to condition keys and
	// their values.
	Condition map[string]map[string]Values `json:"Condition,omitempty"`
}

// Values is a string or a list of strings in a policy.
type Values []string

// UnmarshalJSON accepts "x", ["x", "y"], and scalars IAM also accepts in
// condition values (true, 3).
func (v *Values) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out, err := values(raw)
	if err != nil {
		return err
	}
	*v = out
	return nil
}

func values(raw any) (Values, error) {
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make(Values, 0, len(x))
		for _, e := range x {
			s, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	default:
		s, err := scalar(x)
		if err != nil {
			return nil, err
		}
		return Values{s}, nil
	}
}

func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return fmt.Sprint(x), nil
	case float64, int, int64:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("a policy value must be a string, got %T", v)
}

// Principal is a statement's Principal: "*" (anyone), or principals by
// kind ("AWS", "Service", "Federated", "CanonicalUser").
type Principal struct {
	Any   bool
	ByKey map[string]Values
}

// UnmarshalJSON reads "*" or {"AWS": ..., "Service": ...}.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "*" {
			return fmt.Errorf("principal %q: want \"*\" or an object", s)
		}
		p.Any = true
		return nil
	}
	var m map[string]Values
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	p.ByKey = m
	return nil
}

// MarshalJSON writes the principal back in IAM's grammar.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Any {
		return json.Marshal("*")
	}
	return json.Marshal(p.ByKey)
}

// Parse reads a policy document from JSON, or from the value a YAML or
// JSON decoder produced for it (a map[string]any, as template.yaml's
// resolved policies are), and checks what AWS checks when a policy is
// stored.
func Parse(doc any) (Policy, error) {
	var b []byte
	switch d := doc.(type) {
	case []byte:
		b = d
	case string:
		b = []byte(d)
	default:
		var err error
		if b, err = json.Marshal(doc); err != nil {
			return Policy{}, fmt.Errorf("policy document: %w", err)
		}
	}
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Policy{}, fmt.Errorf("policy document: %w", err)
	}
	p := Policy{Version: raw.Version, ID: raw.ID}
	// Statement may be one statement or a list of them.
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var s Statement
		if err := json.Unmarshal(raw.Statement, &s); err != nil {
			return Policy{}, fmt.Errorf("policy statement: %w", err)
		}
		p.Statements = []Statement{s}
	} else if err := json.Unmarshal(raw.Statement, &p.Statements); err != nil {
		return Policy{}, fmt.Errorf("policy statements: %w", err)
	}
	for i, s := range p.Statements {
		if err := s.check(); err != nil {
			return Policy{}, fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	return p, nil
}

// check refuses what IAM refuses when a policy is stored: a statement
// needs an Effect of Allow or Deny, exactly one of Action and NotAction,
// at most one of Resource and NotResource, and known condition operators.
func (s Statement) check() error {
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return fmt.Errorf("Effect %q must be Allow or Deny", s.Effect)
	}
	if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
		return fmt.Errorf("a statement needs exactly one of Action and NotAction")
	}
	if len(s.Resource) > 0 && len(s.NotResource) > 0 {
		return fmt.Errorf("a statement has at most one of Resource and NotResource")
	}
	ops := make([]string, 0, len(s.Condition))
	for op := range s.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		if _, err := parseOperator(op); err != nil {
			return err
		}
	}
	return nil
}
