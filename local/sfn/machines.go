package sfn

import (
	"fmt"
	"sort"
	"strings"
)

// CreateStateMachine validates and stores a definition. Creating the same
// name again with the same definition and role returns the existing machine,
// as AWS does.
func (s *Service) CreateStateMachine(in CreateStateMachineInput) (CreateStateMachineOutput, error) {
	m, err := s.putStateMachine(in, false)
	if err != nil {
		return CreateStateMachineOutput{}, err
	}
	return CreateStateMachineOutput{StateMachineARN: m.ARN, CreationDate: epoch(m.Created)}, nil
}

// putStateMachine creates a machine, or with replace set overwrites its
// definition (executions keep the definition they started with).
func (s *Service) putStateMachine(in CreateStateMachineInput, replace bool) (*stateMachine, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	if in.RoleARN == "" {
		return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(in.RoleARN, "arn:") || !strings.Contains(in.RoleARN, ":iam::") {
		return nil, apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", in.RoleARN)
	}
	switch in.Type {
	case "", "STANDARD":
		in.Type = "STANDARD"
	case "EXPRESS":
		return nil, apiErr("ValidationException", "EXPRESS state machines are not supported by the local engine; use STANDARD")
	default:
		return nil, apiErr("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	if _, err := s.parse([]byte(in.Definition)); err != nil {
		return nil, apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", err)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.opts.Region, s.opts.AccountID, in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.machines[arn]; ok {
		if old.Definition == in.Definition && old.RoleARN == in.RoleARN && old.Type == in.Type {
			return old, nil
		}
		if !replace {
			return nil, apiErr("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
		}
	}
	m := &stateMachine{ARN: arn, Name: in.Name, Definition: in.Definition, RoleARN: in.RoleARN, Type: in.Type, Created: s.opts.Clock.Now()}
	if old, ok := s.machines[arn]; ok {
		m.Created = old.Created
	}
	prev := s.machines[arn]
	s.machines[arn] = m
	if err := s.store.saveMachines(s.machineList()); err != nil {
		if prev != nil {
			s.machines[arn] = prev
		} else {
			delete(s.machines, arn)
		}
		return nil, serviceErr(err)
	}
	return m, nil
}

// machineList returns the machines sorted by name; s.mu must be held.
func (s *Service) machineList() []*stateMachine {
	ms := make([]*stateMachine, 0, len(s.machines))
	for _, m := range s.machines {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	return ms
}

func (s *Service) machine(arn string) (*stateMachine, error) {
	return lookup(s, s.machines, arn, "stateMachine", 7, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'")
}

// lookup finds the resource that arn names in byARN, which s.mu guards,
// once arn has the shape of a kind ARN of parts parts. An unknown ARN is
// the API error code, with its message from format and the ARN.
func lookup[T any](s *Service, byARN map[string]*T, arn, kind string, parts int, code, format string) (*T, error) {
	if err := checkARN(arn, kind, parts); err != nil {
		return nil, err
	}
	s.mu.Lock()
	v, ok := byARN[arn]
	s.mu.Unlock()
	if !ok {
		return nil, apiErr(code, format, arn)
	}
	return v, nil
}

// DescribeStateMachine returns a machine's definition and settings.
func (s *Service) DescribeStateMachine(arn string) (DescribeStateMachineOutput, error) {
	m, err := s.machine(arn)
	if err != nil {
		return DescribeStateMachineOutput{}, err
	}
	return DescribeStateMachineOutput{
		StateMachineARN: m.ARN, Name: m.Name, Status: "ACTIVE", Definition: m.Definition,
		RoleARN: m.RoleARN, Type: m.Type, CreationDate: epoch(m.Created),
		LoggingConfiguration: map[string]any{"level": "OFF", "includeExecutionData": false},
		TracingConfiguration: map[string]any{"enabled": false},
	}, nil
}

// ListStateMachines pages through the machines in name order.
func (s *Service) ListStateMachines(maxResults int, nextToken string) (ListStateMachinesOutput, error) {
	limit, err := pageSize(maxResults)
	if err != nil {
		return ListStateMachinesOutput{}, err
	}
	s.mu.Lock()
	ms := s.machineList()
	s.mu.Unlock()
	start, err := decodeToken(nextToken, "sm", func(key string) int {
		return sort.Search(len(ms), func(i int) bool { return ms[i].Name > key })
	})
	if err != nil {
		return ListStateMachinesOutput{}, err
	}
	out := ListStateMachinesOutput{StateMachines: []StateMachineListItem{}}
	for i := start; i < len(ms) && len(out.StateMachines) < limit; i++ {
		m := ms[i]
		out.StateMachines = append(out.StateMachines, StateMachineListItem{StateMachineARN: m.ARN, Name: m.Name, Type: m.Type, CreationDate: epoch(m.Created)})
		if len(out.StateMachines) == limit && i+1 < len(ms) {
			out.NextToken = encodeToken("sm", m.Name)
		}
	}
	return out, nil
}
