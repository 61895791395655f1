package sfn

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// CreateStateMachine validates and stores a definition. Creating the same
// name again with the same definition and role returns the existing machine,
// as AWS does. With publish set it also publishes version 1.
func (s *Service) CreateStateMachine(in CreateStateMachineInput) (CreateStateMachineOutput, error) {
	if err := validTags(in.Tags); err != nil {
		return CreateStateMachineOutput{}, err
	}
	m, err := s.putStateMachine(in, false)
	if err != nil {
		return CreateStateMachineOutput{}, err
	}
	out := CreateStateMachineOutput{StateMachineARN: m.ARN, CreationDate: epoch(m.Created)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(in.Tags) > 0 {
		m.Tags = mergeTags(m.Tags, in.Tags)
	}
	if in.Publish {
		v, err := s.publishLocked(m, nil, in.VersionDescription)
		if err != nil {
			return CreateStateMachineOutput{}, err
		}
		out.StateMachineVersionARN = v.ARN
	}
	if len(in.Tags) > 0 || in.Publish {
		if err := s.saveMachinesLocked(); err != nil {
			return CreateStateMachineOutput{}, err
		}
	}
	return out, nil
}

// checkMachineInput applies CreateStateMachine's rules on a role ARN,
// a type and a definition.
func (s *Service) checkMachineInput(roleARN, typ, definition string) (string, error) {
	if roleARN == "" {
		return "", apiErr("ValidationException", "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(roleARN, "arn:") || !strings.Contains(roleARN, ":iam::") {
		return "", apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", roleARN)
	}
	switch typ {
	case "", "STANDARD":
		typ = "STANDARD"
	case "EXPRESS":
		return "", apiErr("ValidationException", "EXPRESS state machines are not supported by the local engine; use STANDARD")
	default:
		return "", apiErr("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", typ)
	}
	if _, err := s.parse([]byte(definition)); err != nil {
		return "", invalidDefinition(err)
	}
	return typ, nil
}

// putStateMachine creates a machine, or with replace set updates its
// definition as UpdateStateMachine does (executions keep the definition
// they started with).
func (s *Service) putStateMachine(in CreateStateMachineInput, replace bool) (*stateMachine, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	typ, err := s.checkMachineInput(in.RoleARN, in.Type, in.Definition)
	if err != nil {
		return nil, err
	}
	in.Type = typ
	arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.opts.Region, s.opts.AccountID, in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.machines[arn]; ok {
		if old.Deleting {
			return nil, deletingErr(arn)
		}
		if old.Definition == in.Definition && old.RoleARN == in.RoleARN && old.Type == in.Type {
			return old, nil
		}
		if !replace {
			return nil, apiErr("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
		}
		def, role := in.Definition, in.RoleARN
		_, err := s.updateLocked(old, &def, &role)
		return old, err
	}
	m := &stateMachine{ARN: arn, Name: in.Name, Definition: in.Definition, RoleARN: in.RoleARN, Type: in.Type, Created: s.opts.Clock.Now()}
	s.machines[arn] = m
	if err := s.saveMachinesLocked(); err != nil {
		delete(s.machines, arn)
		return nil, err
	}
	return m, nil
}

// saveMachinesLocked persists every machine; s.mu must be held.
func (s *Service) saveMachinesLocked() error {
	if err := s.store.saveMachines(s.machineList()); err != nil {
		return serviceErr(err)
	}
	return nil
}

func deletingErr(arn string) error {
	return apiErr("StateMachineDeleting", "State Machine is being deleted: '%s'", arn)
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

// splitMachineARN checks that arn is a state machine ARN and splits off a
// version number (0 for an unqualified ARN).
func splitMachineARN(arn string) (base string, version int, err error) {
	p := strings.Split(arn, ":")
	if len(p) == 8 && p[5] == "stateMachine" {
		n, convErr := strconv.Atoi(p[7])
		if convErr != nil || n < 1 {
			// An alias: the local service has none.
			return "", 0, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
		}
		return strings.Join(p[:7], ":"), n, nil
	}
	if err := checkARN(arn, "stateMachine", 7); err != nil {
		return "", 0, err
	}
	return arn, 0, nil
}

// resolve finds the machine an ARN names and, for a version ARN, the
// version; target is the version or the machine itself. s.mu must be held.
func (s *Service) resolveLocked(arn string) (m, target *stateMachine, err error) {
	base, n, err := splitMachineARN(arn)
	if err != nil {
		return nil, nil, err
	}
	m, ok := s.machines[base]
	if !ok {
		return nil, nil, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
	}
	if n == 0 {
		return m, m, nil
	}
	for _, v := range m.Versions {
		if v.ARN == arn {
			return m, v, nil
		}
	}
	return nil, nil, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
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

// DescribeStateMachine returns a machine's (or a version's) definition
// and settings.
func (s *Service) DescribeStateMachine(arn string) (DescribeStateMachineOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, v, err := s.resolveLocked(arn)
	if err != nil {
		return DescribeStateMachineOutput{}, err
	}
	status := "ACTIVE"
	if m.Deleting {
		status = "DELETING"
	}
	return DescribeStateMachineOutput{
		StateMachineARN: v.ARN, Name: v.Name, Status: status, Definition: v.Definition,
		RoleARN: v.RoleARN, Type: v.Type, CreationDate: epoch(v.Created),
		LoggingConfiguration: loggingOff(), TracingConfiguration: tracingOff(),
		RevisionID: v.RevisionID, Description: v.Description,
	}, nil
}

// The local engine neither logs to CloudWatch nor traces with X-Ray; these
// are what AWS returns for a machine that does neither.
func loggingOff() map[string]any {
	return map[string]any{"level": "OFF", "includeExecutionData": false}
}
func tracingOff() map[string]any { return map[string]any{"enabled": false} }

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
