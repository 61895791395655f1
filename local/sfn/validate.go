package sfn

// invalidDefinition is the InvalidDefinition error for a definition that
// does not parse.
func invalidDefinition(err error) error {
	return apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", err)
}
