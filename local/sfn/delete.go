package sfn

import (
	"os"

	"thumbflow/local/asl"
)

// DeleteStateMachine deletes a machine, its versions, and its executions
// with their histories, so that the data directory does not keep them.
// It is idempotent: deleting a machine that does not exist, or is already
// being deleted, succeeds.
//
// A machine with running executions is marked DELETING: it can no longer
// be started or updated, and it goes when its last execution ends. AWS
// terminates such executions at their next state transition; the local
// engine lets them finish, so a developer who deletes a machine while
// testing does not lose an execution half way.
func (s *Service) DeleteStateMachine(arn string) error {
	base, n, err := splitMachineARN(arn)
	if err != nil {
		return err
	}
	if n != 0 {
		return apiErr("ValidationException", "Invalid Arn: 'Use DeleteStateMachineVersion to delete a version: %s'", arn)
	}
	s.mu.Lock()
	m, ok := s.machines[base]
	if !ok || m.Deleting {
		s.mu.Unlock()
		return nil
	}
	m.Deleting = true
	if err := s.saveMachinesLocked(); err != nil {
		m.Deleting = false
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	s.purgeIfIdle(base)
	return nil
}

// purgeIfIdle removes a DELETING machine once none of its executions is
// running. It is called by DeleteStateMachine, when an execution ends, and
// when the service opens.
func (s *Service) purgeIfIdle(arn string) {
	s.mu.Lock()
	m, ok := s.machines[arn]
	if !ok || !m.Deleting {
		s.mu.Unlock()
		return
	}
	var gone []*execution
	for _, e := range s.executions {
		if e.StateMachineARN != arn {
			continue
		}
		e.mu.Lock()
		running := e.status == asl.StatusRunning
		e.mu.Unlock()
		if running {
			s.mu.Unlock()
			return
		}
		gone = append(gone, e)
	}
	delete(s.machines, arn)
	for _, e := range gone {
		delete(s.executions, e.ARN)
	}
	if err := s.saveMachinesLocked(); err != nil {
		s.log.Error("deleting state machine", "stateMachine", arn, "error", err)
	}
	s.mu.Unlock()
	for _, e := range gone {
		if err := e.log.close(); err != nil {
			s.log.Error("closing execution log", "execution", e.ARN, "error", err)
		}
		if path := s.store.logPath(e.ARN); s.store.dir != "" {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				s.log.Error("deleting execution log", "execution", e.ARN, "error", err)
			}
		}
	}
	s.log.Info("state machine deleted", "stateMachine", arn, "executions", len(gone))
}
