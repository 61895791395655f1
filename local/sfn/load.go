package sfn

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// placeholder matches ${Name}, the DefinitionSubstitutions syntax of
// CloudFormation and SAM.
var placeholder = regexp.MustCompile(`\$\{([^}]*)\}`)

// Substitute replaces every ${Name} in definition with subs[Name], as SAM's
// DefinitionSubstitutions does. A placeholder without a value is an error
// rather than text left in the definition, because it would otherwise
// surface later as a confusing Lambda.ResourceNotFoundException.
func Substitute(definition string, subs map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := subs[name]
		if !ok {
			missing = append(missing, m)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no substitution for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// LoadDir creates a state machine for every *.asl.json file in dir, named
// after the file ("thumbnail.asl.json" becomes "thumbnail"), with subs
// applied. A machine that already exists (for example from an earlier run
// on the same data directory) gets the file's definition; executions that
// are already running keep the definition they started with. It returns
// the ARNs by name.
func (s *Service) LoadDir(dir, roleARN string, subs map[string]string) (map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.asl.json"))
	if err != nil {
		return nil, fmt.Errorf("loading state machines from %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("loading state machines: no *.asl.json files in %s", dir)
	}
	sort.Strings(paths)
	arns := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("loading state machine: %w", err)
		}
		def, err := Substitute(string(b), subs)
		if err != nil {
			return nil, fmt.Errorf("loading state machine %s: %w", p, err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".asl.json")
		m, err := s.putStateMachine(CreateStateMachineInput{Name: name, Definition: def, RoleARN: roleARN}, true)
		if err != nil {
			return nil, fmt.Errorf("loading state machine %s: %w", p, err)
		}
		arns[name] = m.ARN
	}
	return arns, nil
}
