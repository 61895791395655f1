package sfn

// Deploy creates the machine in describes, or gives an existing one of the
// same name in's definition, role and type, as a stack update does: the
// local cloud deploys its template's state machines with it at every
// start. Executions already running keep the definition they started
// with. It returns the machine's ARN.
func (s *Service) Deploy(in CreateStateMachineInput) (string, error) {
	m, err := s.putStateMachine(in, true)
	if err != nil {
		return "", err
	}
	return m.ARN, nil
}
