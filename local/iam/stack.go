package iam

import (
	"fmt"

	"thumbflow/local/stack"
)

// FromStack turns a function's or state machine's SAM Policies, as
// local/stack resolved them, into the role's policies: documents as they
// are, SAM policy templates expanded as SAM expands them. A managed policy
// is refused: its statements live in AWS, not in the template, and
// guessing them would allow what AWS may not.
func FromStack(policies []stack.Policy, pseudo Pseudo) ([]Policy, error) {
	out := make([]Policy, 0, len(policies))
	for i, p := range policies {
		switch {
		case p.Document != nil:
			doc, err := Parse(p.Document)
			if err != nil {
				return nil, fmt.Errorf("policy %d: %w", i+1, err)
			}
			out = append(out, doc)
		case p.Template != "":
			params := make(map[string]string, len(p.Params))
			for k, v := range p.Params {
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("policy %d: %s parameter %s must resolve to a string, got %T", i+1, p.Template, k, v)
				}
				params[k] = s
			}
			doc, err := ExpandTemplate(p.Template, params, pseudo)
			if err != nil {
				return nil, fmt.Errorf("policy %d: %w", i+1, err)
			}
			out = append(out, doc)
		default:
			return nil, fmt.Errorf("policy %d: managed policy %q cannot be evaluated locally; write its statements in the template", i+1, p.ManagedPolicy)
		}
	}
	return out, nil
}
