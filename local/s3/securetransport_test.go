package s3

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

// TestSecureTransport: aws:SecureTransport is true over TLS and from any
// loopback address (the local endpoint stands in for the TLS terminator),
// and false for plain HTTP from anywhere else.
func TestSecureTransport(t *testing.T) {
	for remote, want := range map[string]bool{
		"127.0.0.1:5000":        true,
		"127.8.9.10:5000":       true,
		"[::1]:5000":            true,
		"[::ffff:127.0.0.1]:50": true,
		"192.0.2.9:5000":        false,
		"[2001:db8::1]:5000":    false,
		"[::ffff:192.0.2.9]:50": false,
		"garbage":               false,
	} {
		r := httptest.NewRequest("GET", "/b", nil)
		r.RemoteAddr = remote
		if got := SecureTransport(r); got != want {
			t.Errorf("plain HTTP from %s: %v, want %v", remote, got, want)
		}
		r.TLS = &tls.ConnectionState{}
		if !SecureTransport(r) {
			t.Errorf("TLS from %s is not secure transport", remote)
		}
	}
}
