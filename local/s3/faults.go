package s3

import "net/http"

// InjectFaults makes the next n requests fail with status (500 answers
// InternalError, 503 SlowDown), so reliability tests can watch clients retry.
func (s *Server) InjectFaults(n int, status int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faultsLeft, s.faultStatus = n, status
}

func (s *Server) takeFault() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.faultsLeft <= 0 {
		return 0
	}
	s.faultsLeft--
	return s.faultStatus
}

// faultError is the error an injected fault of status answers with.
func faultError(status int) *s3Error {
	if status == http.StatusServiceUnavailable {
		return &s3Error{status, "SlowDown", "Please reduce your request rate."}
	}
	return &s3Error{status, "InternalError", "We encountered an internal error. Please try again."}
}
