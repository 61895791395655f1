package upload

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestTokenExpiryBoundary: a token is good until the instant it expires and
// not at it; expiry has whole seconds (a fraction is dropped at issue).
func TestTokenExpiryBoundary(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", MinKeyBytes)))
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := s.Issue("u1", exp)
	for _, c := range []struct {
		now  time.Time
		want error
	}{
		{exp.Add(-time.Second), nil},
		{exp.Add(-time.Nanosecond), nil},
		{exp, ErrTokenExpired},
		{exp.Add(time.Second), ErrTokenExpired},
		{exp.Add(time.Minute), ErrTokenExpired},
	} {
		if err := s.Verify(tok, "u1", c.now); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("verify at expiry%+v: %v, want %v", c.now.Sub(exp), err, c.want)
		}
	}
	// A fractional expiry is rounded down, never extended.
	frac := s.Issue("u1", exp.Add(999*time.Millisecond))
	if err := s.Verify(frac, "u1", exp); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("token issued for %s verified at %s: %v, want ErrTokenExpired", exp.Add(999*time.Millisecond), exp, err)
	}
	// The expiry is signed: the same token for another upload is invalid
	// even before it expires.
	if err := s.Verify(tok, "u2", exp.Add(-time.Second)); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token for u1 used for u2: %v, want ErrTokenInvalid", err)
	}
}
