package asl

import (
	"fmt"
	"strings"
	"unicode"
)

// checkVariableNames checks the names an Assign object declares (a
// JSONPath "name.$" key declares name). AWS refuses names that a JSONata
// expression could not reference as $name, and the reserved name
// "states", which is $states in JSONata states.
func checkVariableNames(assign any) error {
	o, ok := assign.(map[string]any)
	if !ok {
		return nil
	}
	for k := range o {
		name := strings.TrimSuffix(k, ".$")
		if name == "states" {
			return fmt.Errorf("the variable name %q is reserved", name)
		}
		if !validVariableName(name) {
			return fmt.Errorf("the variable name %q is not valid: it must start with a letter or '_' and hold only letters, digits and '_'", name)
		}
	}
	return nil
}

func validVariableName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && unicode.IsDigit(r):
		default:
			return false
		}
	}
	return true
}
