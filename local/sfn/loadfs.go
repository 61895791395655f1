package sfn

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// LoadFS is LoadDir for definitions in a file system, such as the ones the
// thumbflow binary embeds (package thumbflow's Files), so that the local
// cloud starts from the deployed definitions wherever it runs. It loads
// every *.asl.json at the root of fsys; where names the source in errors.
func (s *Service) LoadFS(fsys fs.FS, where, roleARN string, subs map[string]string) (map[string]string, error) {
	paths, err := fs.Glob(fsys, "*.asl.json")
	if err != nil {
		return nil, fmt.Errorf("loading state machines from %s: %w", where, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("loading state machines: no *.asl.json files in %s", where)
	}
	sort.Strings(paths)
	arns := map[string]string{}
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("loading state machine: %w", err)
		}
		def, err := Substitute(string(b), subs)
		if err != nil {
			return nil, fmt.Errorf("loading state machine %s: %w", path.Join(where, p), err)
		}
		name := strings.TrimSuffix(p, ".asl.json")
		m, err := s.putStateMachine(CreateStateMachineInput{Name: name, Definition: def, RoleARN: roleARN}, true)
		if err != nil {
			return nil, fmt.Errorf("loading state machine %s: %w", path.Join(where, p), err)
		}
		arns[name] = m.ARN
	}
	return arns, nil
}
