package s3

import (
	"fmt"
	"math/rand/v2"
	"net/http"
)

// InjectFaults makes the next n requests fail with status (500 answers
// InternalError, 503 SlowDown), so reliability tests can watch clients retry.
func (s *Server) InjectFaults(n int, status int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faultsLeft, s.faultStatus = n, status
}

// faultRate fails each request with status with probability p.
type faultRate struct {
	status int
	p      float64
}

// InjectFaultRate makes every later request fail with status (500 or 503)
// with probability p (0 < p ≤ 1), after any counted faults; p = 0 stops it.
// It is for `thumbflow dev -faults s3:503:0.1`: the SDK's clients and
// `thumbflow upload` retry such answers, as they must against AWS.
func (s *Server) InjectFaultRate(p float64, status int) error {
	if p < 0 || p > 1 {
		return fmt.Errorf("s3 fault rate %v is outside 0–1", p)
	}
	if status != http.StatusInternalServerError && status != http.StatusServiceUnavailable {
		return fmt.Errorf("s3 fault status %d: want 500 or 503", status)
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faultRate = faultRate{status, p}
	return nil
}

func (s *Server) takeFault() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.faultsLeft > 0 {
		s.faultsLeft--
		return s.faultStatus
	}
	if s.faultRate.p > 0 && rand.Float64() < s.faultRate.p {
		return s.faultRate.status
	}
	return 0
}

// faultError is the error an injected fault of status answers with.
func faultError(status int) *s3Error {
	if status == http.StatusServiceUnavailable {
		return &s3Error{status, "SlowDown", "Please reduce your request rate."}
	}
	return &s3Error{status, "InternalError", "We encountered an internal error. Please try again."}
}
