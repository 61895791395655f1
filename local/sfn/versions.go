package sfn

import (
	"sort"
	"strconv"
)

// maxVersions is Step Functions' quota of published versions per machine.
const maxVersions = 1000

// UpdateStateMachine changes a machine's definition or role. Running
// executions keep the definition they started with; new ones use the new
// one. With Publish set, the resulting revision is published as a version
// (the existing version, when that revision already has one).
func (s *Service) UpdateStateMachine(in UpdateStateMachineInput) (UpdateStateMachineOutput, error) {
	base, n, err := splitMachineARN(in.StateMachineARN)
	if err != nil {
		return UpdateStateMachineOutput{}, err
	}
	if n != 0 {
		return UpdateStateMachineOutput{}, apiErr("ValidationException", "Invalid Arn: 'Qualified state machine ARNs cannot be updated: %s'", in.StateMachineARN)
	}
	if in.Definition == nil && in.RoleARN == nil && in.LoggingConfiguration == nil && in.TracingConfiguration == nil {
		return UpdateStateMachineOutput{}, apiErr("MissingRequiredParameter", "Either the definition, the roleArn, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	if len(in.VersionDescription) > 256 {
		return UpdateStateMachineOutput{}, apiErr("ValidationException", "1 validation error detected: Value at 'versionDescription' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if in.VersionDescription != "" && !in.Publish {
		return UpdateStateMachineOutput{}, apiErr("ValidationException", "Version description can only be set when publish is true")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[base]
	if !ok {
		return UpdateStateMachineOutput{}, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", in.StateMachineARN)
	}
	if m.Deleting {
		return UpdateStateMachineOutput{}, deletingErr(m.ARN)
	}
	role, def := m.RoleARN, m.Definition
	if in.RoleARN != nil {
		role = *in.RoleARN
	}
	if in.Definition != nil {
		def = *in.Definition
	}
	// Validation parses the definition; it is quick enough to hold s.mu.
	if _, err := s.checkMachineInput(role, m.Type, def); err != nil {
		return UpdateStateMachineOutput{}, err
	}
	out, err := s.updateLocked(m, &def, &role)
	if err != nil {
		return out, err
	}
	if in.Publish {
		v, err := s.publishLocked(m, nil, in.VersionDescription)
		if err != nil {
			return UpdateStateMachineOutput{}, err
		}
		out.StateMachineVersionARN = v.ARN
		if err := s.saveMachinesLocked(); err != nil {
			return UpdateStateMachineOutput{}, err
		}
	}
	return out, nil
}

// updateLocked applies a checked definition and role to m as a new
// revision, if they change anything, and persists it. s.mu must be held.
func (s *Service) updateLocked(m *stateMachine, def, role *string) (UpdateStateMachineOutput, error) {
	if *def != m.Definition || *role != m.RoleARN {
		prev := *m
		m.Definition, m.RoleARN = *def, *role
		m.RevisionID, m.Updated = newUUID(), s.opts.Clock.Now()
		if err := s.saveMachinesLocked(); err != nil {
			*m = prev
			return UpdateStateMachineOutput{}, err
		}
	}
	updated := m.Updated
	if updated.IsZero() {
		updated = m.Created
	}
	return UpdateStateMachineOutput{UpdateDate: epoch(updated), RevisionID: m.RevisionID}, nil
}

// publishLocked publishes m's current revision, or returns the version
// that already holds it. A non-nil revision must name the current one
// (optimistic locking, as PublishStateMachineVersion's revisionId does).
// The caller persists. s.mu must be held.
func (s *Service) publishLocked(m *stateMachine, revision *string, description string) (*stateMachine, error) {
	if revision != nil {
		current := m.RevisionID
		if current == "" {
			current = "INITIAL"
		}
		if *revision != current {
			return nil, apiErr("ConflictException", "Failed to publish the state machine version: the revisionId '%s' does not match the current revisionId '%s'", *revision, current)
		}
	}
	if n := len(m.Versions); n > 0 {
		last := m.Versions[n-1]
		if last.RevisionID == m.RevisionID && last.Definition == m.Definition && last.RoleARN == m.RoleARN {
			return last, nil
		}
	}
	if len(m.Versions) >= maxVersions {
		return nil, apiErr("ServiceQuotaExceededException", "The state machine '%s' already has the maximum of %d versions", m.ARN, maxVersions)
	}
	m.LastVersion++
	v := &stateMachine{
		ARN: m.ARN + ":" + strconv.Itoa(m.LastVersion), Name: m.Name, Definition: m.Definition,
		RoleARN: m.RoleARN, Type: m.Type, Created: s.opts.Clock.Now(), RevisionID: m.RevisionID,
		Description: description,
	}
	m.Versions = append(m.Versions, v)
	return v, nil
}

// PublishStateMachineVersion publishes the current revision as a version.
func (s *Service) PublishStateMachineVersion(in PublishStateMachineVersionInput) (PublishStateMachineVersionOutput, error) {
	base, n, err := splitMachineARN(in.StateMachineARN)
	if err != nil {
		return PublishStateMachineVersionOutput{}, err
	}
	if n != 0 {
		return PublishStateMachineVersionOutput{}, apiErr("ValidationException", "Invalid Arn: 'Qualified state machine ARNs cannot be published: %s'", in.StateMachineARN)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[base]
	if !ok {
		return PublishStateMachineVersionOutput{}, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", in.StateMachineARN)
	}
	if m.Deleting {
		return PublishStateMachineVersionOutput{}, deletingErr(m.ARN)
	}
	before := len(m.Versions)
	v, err := s.publishLocked(m, in.RevisionID, in.Description)
	if err != nil {
		return PublishStateMachineVersionOutput{}, err
	}
	if len(m.Versions) != before {
		if err := s.saveMachinesLocked(); err != nil {
			m.Versions, m.LastVersion = m.Versions[:before], m.LastVersion-1
			return PublishStateMachineVersionOutput{}, err
		}
	}
	return PublishStateMachineVersionOutput{CreationDate: epoch(v.Created), StateMachineVersionARN: v.ARN}, nil
}

// ListStateMachineVersions pages through a machine's versions, newest
// first, as AWS lists them.
func (s *Service) ListStateMachineVersions(in ListStateMachineVersionsInput) (ListStateMachineVersionsOutput, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return ListStateMachineVersionsOutput{}, err
	}
	s.mu.Lock()
	m, target, err := s.resolveLocked(in.StateMachineARN)
	var versions []*stateMachine
	if err == nil {
		if target != m {
			err = apiErr("ValidationException", "Invalid Arn: 'Qualified state machine ARNs are not accepted: %s'", in.StateMachineARN)
		}
		versions = append(versions, m.Versions...)
	}
	s.mu.Unlock()
	if err != nil {
		return ListStateMachineVersionsOutput{}, err
	}
	sort.Slice(versions, func(i, j int) bool { return versionNumber(versions[i]) > versionNumber(versions[j]) })
	scope := "v:" + m.ARN
	start, err := decodeToken(in.NextToken, scope, func(key string) int {
		n, _ := strconv.Atoi(key)
		return sort.Search(len(versions), func(i int) bool { return versionNumber(versions[i]) < n })
	})
	if err != nil {
		return ListStateMachineVersionsOutput{}, err
	}
	out := ListStateMachineVersionsOutput{StateMachineVersions: []StateMachineVersionListItem{}}
	for i := start; i < len(versions) && len(out.StateMachineVersions) < limit; i++ {
		v := versions[i]
		out.StateMachineVersions = append(out.StateMachineVersions, StateMachineVersionListItem{StateMachineVersionARN: v.ARN, CreationDate: epoch(v.Created)})
		if len(out.StateMachineVersions) == limit && i+1 < len(versions) {
			out.NextToken = encodeToken(scope, strconv.Itoa(versionNumber(v)))
		}
	}
	return out, nil
}

func versionNumber(v *stateMachine) int {
	n, _ := strconv.Atoi(nameFromARN(v.ARN))
	return n
}

// DeleteStateMachineVersion deletes a published version. Executions
// started from it run to their end. Deleting a version that does not
// exist succeeds, as on AWS.
func (s *Service) DeleteStateMachineVersion(arn string) error {
	base, n, err := splitMachineARN(arn)
	if err != nil {
		return err
	}
	if n == 0 {
		return apiErr("ValidationException", "Invalid Arn: 'Unqualified state machine ARNs are not accepted: %s'", arn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[base]
	if !ok {
		return nil
	}
	for i, v := range m.Versions {
		if v.ARN == arn {
			prev := m.Versions
			m.Versions = append(append([]*stateMachine(nil), prev[:i]...), prev[i+1:]...)
			if err := s.saveMachinesLocked(); err != nil {
				m.Versions = prev
				return err
			}
			return nil
		}
	}
	return nil
}
