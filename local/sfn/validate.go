package sfn

import (
	"errors"

	"thumbflow/local/asl"
)

// invalidDefinition is the InvalidDefinition error for a definition that
// does not parse, with the problems in AWS's form:
// "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: … at /States/…, …'".
func invalidDefinition(err error) error {
	var ve *asl.ValidationError
	if errors.As(err, &ve) {
		return apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", ve.AWS())
	}
	return apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", err)
}

// The shapes of ValidateStateMachineDefinition.
type (
	ValidateStateMachineDefinitionInput struct {
		Definition *string `json:"definition"`
		Type       string  `json:"type"`
		Severity   string  `json:"severity"`
		MaxResults int     `json:"maxResults"`
	}
	ValidateStateMachineDefinitionOutput struct {
		Result      string       `json:"result"`
		Diagnostics []Diagnostic `json:"diagnostics"`
		Truncated   bool         `json:"truncated"`
	}
	Diagnostic struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Location string `json:"location,omitempty"`
	}
)

// ValidateStateMachineDefinition checks a definition without creating a
// machine, and lists its problems as AWS's diagnostics. The local engine
// reports errors only (no WARNING diagnostics such as NO_DOLLAR), and its
// errors include constructs it does not run, such as resources other
// than Lambda.
func (s *Service) ValidateStateMachineDefinition(in ValidateStateMachineDefinitionInput) (ValidateStateMachineDefinitionOutput, error) {
	if in.Definition == nil {
		return ValidateStateMachineDefinitionOutput{}, apiErr("ValidationException", "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	switch in.Type {
	case "", "STANDARD", "EXPRESS":
	default:
		return ValidateStateMachineDefinitionOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	switch in.Severity {
	case "", "ERROR", "WARNING":
	default:
		return ValidateStateMachineDefinitionOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]", in.Severity)
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return ValidateStateMachineDefinitionOutput{}, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100", in.MaxResults)
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = 100
	}
	out := ValidateStateMachineDefinitionOutput{Result: "OK", Diagnostics: []Diagnostic{}}
	if *in.Definition == "" {
		out.Result = "FAIL"
		out.Diagnostics = append(out.Diagnostics, Diagnostic{Severity: "ERROR", Code: "MISSING_DESCRIPTION", Message: "The definition is empty."})
		return out, nil
	}
	_, err := s.parse([]byte(*in.Definition))
	if err == nil {
		return out, nil
	}
	out.Result = "FAIL"
	var ve *asl.ValidationError
	if !errors.As(err, &ve) {
		out.Diagnostics = append(out.Diagnostics, Diagnostic{Severity: "ERROR", Code: asl.CodeSchema, Message: err.Error()})
		return out, nil
	}
	for _, p := range ve.Problems {
		if len(out.Diagnostics) == limit {
			out.Truncated = true
			break
		}
		out.Diagnostics = append(out.Diagnostics, Diagnostic{Severity: "ERROR", Code: p.Code, Message: p.Message, Location: p.Location})
	}
	return out, nil
}
