package sigv4

import (
	"net/http"
	"testing"
	"time"
)

// wantErr is AsError for tests: a nil error (a check that stopped
// refusing) fails the test instead of panicking the whole test binary.
func wantErr(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("the request was accepted; want it refused")
	}
	return AsError(err)
}

func verifyAt(t *testing.T, now time.Time, req *http.Request, service string) string {
	t.Helper()
	v := NewVerifier("test", "test", "us-east-1")
	v.Now = func() time.Time { return now }
	if err := v.Verify(req, service); err != nil {
		e := AsError(err)
		return e.Code + ": " + e.Message
	}
	return "OK"
}

// TestClockSkewBoundary: a header-signed request may be 15 minutes early or
// late (AWS's limit) and not one second more. X-Amz-Date has whole seconds.
func TestClockSkewBoundary(t *testing.T) {
	const body = `{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:x"}`
	for _, c := range []struct {
		name   string
		signed time.Time // the client's clock; the server's reads t0
		want   string
	}{
		{"15 min slow, at the edge", t0.Add(-15 * time.Minute), "OK"},
		{"15 min 1 s slow", t0.Add(-15*time.Minute - time.Second), "RequestTimeTooSkewed"},
		{"15 min fast, at the edge", t0.Add(15 * time.Minute), "OK"},
		{"15 min 1 s fast", t0.Add(15*time.Minute + time.Second), "RequestTimeTooSkewed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := signedJSON(t, "http://localhost/", body, creds, "us-east-1", c.signed)
			if got := verifyAt(t, t0, req, "states"); got[:min(len(got), len(c.want))] != c.want {
				t.Fatalf("got %q, want %s", got, c.want)
			}
		})
	}
}

// TestPresignExpiryBoundary: a presigned URL works through the last second
// of X-Amz-Expires and is refused one second later; one signed for a later
// time works up to 15 minutes early.
func TestPresignExpiryBoundary(t *testing.T) {
	const base = "http://localhost/uploads/photo.jpg"
	u := presign(t, base, creds, 15*time.Minute, t0)
	get := func(now time.Time, u string) string {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return verifyAt(t, now, req, "s3")
	}
	for _, c := range []struct {
		name string
		now  time.Time
		url  string
		want string
	}{
		{"at expiry", t0.Add(15 * time.Minute), u, "OK"},
		{"1 s after expiry", t0.Add(15*time.Minute + time.Second), u, "AccessDenied: Request has expired"},
		{"1 ns after expiry", t0.Add(15*time.Minute + time.Nanosecond), u, "AccessDenied: Request has expired"},
		{"signed 15 min ahead", t0, presign(t, base, creds, time.Hour, t0.Add(15*time.Minute)), "OK"},
		{"signed 15 min 1 s ahead", t0, presign(t, base, creds, time.Hour, t0.Add(15*time.Minute+time.Second)), "AccessDenied: Request is not yet valid"},
		{"X-Amz-Expires of a week", t0, presign(t, base, creds, 7*24*time.Hour, t0), "OK"},
		{"X-Amz-Expires of a week and a second", t0, presign(t, base, creds, 7*24*time.Hour+time.Second, t0), "AuthorizationQueryParametersError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := get(c.now, c.url); got[:min(len(got), len(c.want))] != c.want {
				t.Fatalf("got %q, want %s", got, c.want)
			}
		})
	}
}
